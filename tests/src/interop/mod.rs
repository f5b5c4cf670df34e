//! The interop suite: every adapter against the real servers of `tests/servers`
//! (Postfix, Exim, aiosmtpd, nodemailer smtp-server, OpenSMTPD, smtp-sink), written once.
//!
//! Each test is a function generic over [`SmtpAdapter`](crate::adapter::SmtpAdapter) that
//! returns `Err` with what went wrong; [`interop_tests!`](crate::interop_tests) expands the
//! whole list into `#[test]` functions for one adapter, so an adapter's test file is one
//! line:
//!
//! ```
//! smtp_tests::interop_tests!(smtp_tests::adapter::Tokio);
//! # fn main() {}
//! ```
//!
//! Without `SMTP_TEST_SERVERS` every test skips (one notice on stderr); with
//! `SMTP_REQUIRE_SERVERS=1` (CI) a missing `SMTP_TEST_SERVERS` fails them instead. Tests
//! run in parallel against shared servers: each one uses its own [`token`] in its
//! addresses and headers and finds its stored mail by it ([`Finder`]).

mod body;
mod dsn;
mod e2e;
mod env;
mod faults;
mod lmtp;
mod refusals;
mod session;
mod setup;
mod sink;
mod store;
mod target;
mod tls;
mod transaction;

pub use body::{
    body_bdat_5mib, body_exact_5mib, body_exact_5mib_tls, body_exact_small, body_line_too_long,
    body_longest_lines,
};
pub use dsn::{dsn, dsn_unsupported};
pub use e2e::{
    ODD, idn_a_labels, mails_stored_once, refused_at_end_then_more, streamed_abort_stores_nothing,
    streamed_body_without_reader, streamed_exact, streamed_exact_tls_unpipelined,
    streamed_final_cr, streamed_over_limit, streamed_source_error, too_many_recipients_twice,
};
pub use env::{REQUIRE_VAR, SERVERS_VAR, Servers, run};
pub use faults::{
    fault_421_at_ehlo, fault_421_at_end_of_data, fault_421_at_greeting, fault_421_at_mail,
    fault_421_at_rcpt, fault_abort_after_354, fault_abort_during_large_body, fault_data_refused,
    fault_disconnect_after_end_of_data, fault_disconnect_at_greeting,
    fault_disconnect_before_data_reply, fault_end_of_data_refused, fault_end_of_data_tempfail,
    fault_greeting_refused, fault_hello_refused, fault_mail_refused, fault_rcpt_refused,
    fault_rcpt_tempfail, fault_slow_reply_times_out,
};
pub use lmtp::{lmtp_rejected_at_end_of_data, lmtp_tcp, lmtp_unix};
pub use refusals::{
    all_recipients_refused, eight_bit_unsupported, many_mails_mixed, over_size_limit,
    sender_refused,
};
pub use session::{
    auth, auth_fake_ok_is_failure, auth_no_mechanism, auth_plaintext_allowed,
    auth_plaintext_refused, auth_wrong_password, auth_wrong_token, implicit_tls, plaintext,
    starttls,
};
pub use setup::token;
pub use sink::Sink;
pub use store::{Finder, Stored};
pub use target::{Store, Target};
pub use tls::{
    starttls_opportunistic, starttls_opportunistic_broken, starttls_unavailable,
    tls_broken_handshake, tls_name_mismatch, tls_untrusted_ca,
};
pub use transaction::{bdat, many_mails, pipelined_partial, smtputf8, smtputf8_unsupported};

/// What a generated test brings into scope for its arguments (`Target::Postfix`,
/// `Mechanism::Plain`).
#[doc(hidden)]
pub mod prelude {
    pub use super::{ODD, Target};
    pub use smtp_proto::auth::Mechanism;
}

/// Expands the interop suite into one `#[test]` per case for the adapter type given:
/// `smtp_tests::interop_tests!(smtp_tests::adapter::Tokio);`.
#[macro_export]
macro_rules! interop_tests {
    ($adapter:ty) => {
        $crate::interop_tests!(@cases $adapter;
            plaintext_postfix => plaintext(Target::Postfix),
            plaintext_exim => plaintext(Target::Exim),
            plaintext_aiosmtpd => plaintext(Target::Aiosmtpd),
            plaintext_smtp_server => plaintext(Target::SmtpServer),
            plaintext_smtp_sink => plaintext(Target::SmtpSink),
            plaintext_smtp_sink_helo_fallback => plaintext(Target::SmtpSinkNoEsmtp),
            plaintext_smtp_sink_bare => plaintext(Target::SmtpSinkBare),
            starttls_postfix => starttls(Target::Postfix),
            starttls_postfix_submission => starttls(Target::PostfixSubmission),
            starttls_exim => starttls(Target::Exim),
            starttls_aiosmtpd => starttls(Target::Aiosmtpd),
            starttls_aiosmtpd_strict => starttls(Target::AiosmtpdStrict),
            starttls_smtp_server => starttls(Target::SmtpServer),
            starttls_unavailable_smtp_sink => starttls_unavailable(Target::SmtpSink),
            starttls_opportunistic_postfix => starttls_opportunistic(Target::Postfix),
            starttls_opportunistic_smtp_sink => starttls_opportunistic(Target::SmtpSink),
            starttls_opportunistic_broken_opensmtpd =>
                starttls_opportunistic_broken(Target::OpenSmtpdBrokenTls),
            tls_broken_handshake_opensmtpd => tls_broken_handshake(Target::OpenSmtpdBrokenTls),
            tls_name_mismatch_postfix => tls_name_mismatch(Target::Postfix),
            tls_untrusted_ca_exim => tls_untrusted_ca(Target::Exim),
            implicit_tls_postfix => implicit_tls(Target::Postfix),
            implicit_tls_exim => implicit_tls(Target::Exim),
            implicit_tls_aiosmtpd => implicit_tls(Target::Aiosmtpd),
            implicit_tls_smtp_server => implicit_tls(Target::SmtpServer),
            auth_plain_postfix => auth(Target::Postfix, Mechanism::Plain),
            auth_login_postfix => auth(Target::Postfix, Mechanism::Login),
            auth_cram_md5_postfix => auth(Target::Postfix, Mechanism::CramMd5),
            auth_plain_exim => auth(Target::Exim, Mechanism::Plain),
            auth_login_exim => auth(Target::Exim, Mechanism::Login),
            auth_cram_md5_exim => auth(Target::Exim, Mechanism::CramMd5),
            auth_plain_aiosmtpd => auth(Target::Aiosmtpd, Mechanism::Plain),
            auth_login_aiosmtpd => auth(Target::Aiosmtpd, Mechanism::Login),
            auth_plain_smtp_server => auth(Target::SmtpServer, Mechanism::Plain),
            auth_login_smtp_server => auth(Target::SmtpServer, Mechanism::Login),
            auth_cram_md5_smtp_server => auth(Target::SmtpServer, Mechanism::CramMd5),
            auth_xoauth2_smtp_server => auth(Target::SmtpServer, Mechanism::XOAuth2),
            auth_wrong_password_postfix => auth_wrong_password(Target::Postfix, Mechanism::Plain),
            auth_wrong_password_exim => auth_wrong_password(Target::Exim, Mechanism::Login),
            auth_wrong_password_exim_cram_md5 =>
                auth_wrong_password(Target::Exim, Mechanism::CramMd5),
            auth_wrong_password_aiosmtpd => auth_wrong_password(Target::Aiosmtpd, Mechanism::Plain),
            auth_wrong_password_smtp_server =>
                auth_wrong_password(Target::SmtpServer, Mechanism::Login),
            auth_wrong_token_smtp_server => auth_wrong_token(Target::SmtpServer),
            auth_no_mechanism_aiosmtpd => auth_no_mechanism(Target::Aiosmtpd),
            auth_plaintext_allowed_postfix => auth_plaintext_allowed(Target::Postfix),
            auth_plaintext_refused_postfix => auth_plaintext_refused(Target::Postfix),
            auth_fake_ok_smtp_sink => auth_fake_ok_is_failure(Target::SmtpSink),
            pipelined_partial_postfix => pipelined_partial(Target::Postfix),
            pipelined_partial_exim => pipelined_partial(Target::Exim),
            pipelined_partial_aiosmtpd => pipelined_partial(Target::Aiosmtpd),
            pipelined_partial_smtp_server => pipelined_partial(Target::SmtpServer),
            sender_refused_postfix => sender_refused(Target::Postfix),
            sender_refused_exim => sender_refused(Target::Exim),
            sender_refused_aiosmtpd => sender_refused(Target::Aiosmtpd),
            sender_refused_smtp_server => sender_refused(Target::SmtpServer),
            all_recipients_refused_postfix => all_recipients_refused(Target::Postfix),
            all_recipients_refused_exim => all_recipients_refused(Target::Exim),
            all_recipients_refused_aiosmtpd => all_recipients_refused(Target::Aiosmtpd),
            all_recipients_refused_smtp_server => all_recipients_refused(Target::SmtpServer),
            over_size_limit_aiosmtpd => over_size_limit(Target::Aiosmtpd),
            eight_bit_unsupported_smtp_sink_bare => eight_bit_unsupported(Target::SmtpSinkBare),
            dsn_postfix => dsn(Target::Postfix),
            dsn_exim => dsn(Target::Exim),
            dsn_smtp_server => dsn(Target::SmtpServer),
            dsn_unsupported_aiosmtpd => dsn_unsupported(Target::Aiosmtpd),
            bdat_postfix => bdat(Target::Postfix),
            bdat_exim => bdat(Target::Exim),
            smtputf8_postfix => smtputf8(Target::Postfix),
            smtputf8_exim => smtputf8(Target::Exim),
            smtputf8_aiosmtpd => smtputf8(Target::Aiosmtpd),
            smtputf8_smtp_server => smtputf8(Target::SmtpServer),
            smtputf8_unsupported_smtp_sink => smtputf8_unsupported(Target::SmtpSink),
            many_mails_postfix => many_mails(Target::Postfix),
            many_mails_exim => many_mails(Target::Exim),
            many_mails_aiosmtpd => many_mails(Target::Aiosmtpd),
            many_mails_smtp_server => many_mails(Target::SmtpServer),
            many_mails_smtp_sink => many_mails(Target::SmtpSink),
            many_mails_mixed_postfix => many_mails_mixed(Target::Postfix),
            many_mails_mixed_exim => many_mails_mixed(Target::Exim),
            many_mails_mixed_aiosmtpd => many_mails_mixed(Target::Aiosmtpd),
            many_mails_mixed_smtp_server => many_mails_mixed(Target::SmtpServer),
            body_exact_small_aiosmtpd => body_exact_small(Target::Aiosmtpd),
            body_exact_small_smtp_server => body_exact_small(Target::SmtpServer),
            body_exact_5mib_aiosmtpd => body_exact_5mib(Target::Aiosmtpd),
            body_exact_5mib_smtp_server => body_exact_5mib(Target::SmtpServer),
            body_exact_5mib_implicit_tls_aiosmtpd => body_exact_5mib_tls(Target::Aiosmtpd),
            body_exact_5mib_implicit_tls_smtp_server => body_exact_5mib_tls(Target::SmtpServer),
            body_longest_lines_aiosmtpd => body_longest_lines(Target::Aiosmtpd),
            body_longest_lines_smtp_server => body_longest_lines(Target::SmtpServer),
            body_line_too_long_aiosmtpd => body_line_too_long(Target::Aiosmtpd),
            body_bdat_5mib_postfix => body_bdat_5mib(Target::Postfix),
            body_bdat_5mib_exim => body_bdat_5mib(Target::Exim),
            lmtp_tcp_smtp_sink => lmtp_tcp(),
            lmtp_unix_smtp_sink => lmtp_unix(),
            lmtp_rejected_at_end_of_data_smtp_sink => lmtp_rejected_at_end_of_data(),
            e2e_streamed_odd_aiosmtpd => streamed_exact(Target::Aiosmtpd, ODD, false),
            e2e_streamed_odd_smtp_server => streamed_exact(Target::SmtpServer, ODD, false),
            e2e_streamed_odd_postfix_data => streamed_exact(Target::Postfix, ODD, false),
            e2e_streamed_odd_postfix_bdat => streamed_exact(Target::Postfix, ODD, true),
            e2e_streamed_odd_exim_data => streamed_exact(Target::Exim, ODD, false),
            e2e_streamed_odd_exim_bdat => streamed_exact(Target::Exim, ODD, true),
            e2e_streamed_bytewise_aiosmtpd => streamed_exact(Target::Aiosmtpd, &[1], false),
            e2e_streamed_bytewise_postfix_bdat => streamed_exact(Target::Postfix, &[1], true),
            e2e_streamed_final_cr_aiosmtpd => streamed_final_cr(Target::Aiosmtpd, false),
            e2e_streamed_final_cr_postfix_bdat => streamed_final_cr(Target::Postfix, true),
            e2e_streamed_final_cr_exim_bdat => streamed_final_cr(Target::Exim, true),
            e2e_idn_a_labels_smtp_sink => idn_a_labels(Target::SmtpSink),
            e2e_streamed_body_without_reader_postfix => streamed_body_without_reader(Target::Postfix),
            e2e_idn_a_labels_aiosmtpd => idn_a_labels(Target::Aiosmtpd),
            e2e_streamed_abort_aiosmtpd => streamed_abort_stores_nothing(Target::Aiosmtpd, false),
            e2e_streamed_abort_postfix_bdat => streamed_abort_stores_nothing(Target::Postfix, true),
            e2e_streamed_abort_exim_bdat => streamed_abort_stores_nothing(Target::Exim, true),
            e2e_mails_stored_once_postfix_bdat => mails_stored_once(Target::Postfix, true),
            e2e_mails_stored_once_postfix_data => mails_stored_once(Target::Postfix, false),
            e2e_mails_stored_once_exim_bdat => mails_stored_once(Target::Exim, true),
            e2e_mails_stored_once_aiosmtpd => mails_stored_once(Target::Aiosmtpd, false),
            e2e_mails_stored_once_smtp_server => mails_stored_once(Target::SmtpServer, false),
            e2e_streamed_over_limit_postfix_data => streamed_over_limit(Target::Postfix, false),
            e2e_streamed_over_limit_postfix_bdat => streamed_over_limit(Target::Postfix, true),
            e2e_streamed_over_limit_aiosmtpd => streamed_over_limit(Target::Aiosmtpd, false),
            e2e_refused_at_end_then_more_postfix_data => refused_at_end_then_more(Target::Postfix, false),
            e2e_refused_at_end_then_more_postfix_bdat => refused_at_end_then_more(Target::Postfix, true),
            e2e_too_many_recipients_twice_postfix_data => too_many_recipients_twice(Target::Postfix, false),
            e2e_too_many_recipients_twice_postfix_bdat => too_many_recipients_twice(Target::Postfix, true),
            e2e_source_error_aiosmtpd => streamed_source_error(Target::Aiosmtpd, false, false),
            e2e_source_error_aiosmtpd_tls => streamed_source_error(Target::Aiosmtpd, false, true),
            e2e_source_error_smtp_server => streamed_source_error(Target::SmtpServer, false, false),
            e2e_source_error_smtp_server_tls => streamed_source_error(Target::SmtpServer, false, true),
            e2e_source_error_postfix_data => streamed_source_error(Target::Postfix, false, false),
            e2e_source_error_postfix_bdat => streamed_source_error(Target::Postfix, true, false),
            e2e_source_error_postfix_tls => streamed_source_error(Target::Postfix, false, true),
            e2e_source_error_exim_data => streamed_source_error(Target::Exim, false, false),
            e2e_source_error_exim_bdat_tls => streamed_source_error(Target::Exim, true, true),
            e2e_streamed_tls_postfix => streamed_exact_tls_unpipelined(Target::Postfix, true),
            e2e_streamed_tls_unpipelined_postfix => streamed_exact_tls_unpipelined(Target::Postfix, false),
            e2e_streamed_tls_exim => streamed_exact_tls_unpipelined(Target::Exim, true),
            e2e_streamed_tls_aiosmtpd => streamed_exact_tls_unpipelined(Target::Aiosmtpd, true),
            e2e_streamed_tls_smtp_server => streamed_exact_tls_unpipelined(Target::SmtpServer, true),
            e2e_streamed_tls_unpipelined_smtp_server => streamed_exact_tls_unpipelined(Target::SmtpServer, false),
            fault_greeting_refused => fault_greeting_refused(),
            fault_421_at_greeting => fault_421_at_greeting(),
            fault_disconnect_at_greeting => fault_disconnect_at_greeting(),
            fault_hello_refused => fault_hello_refused(),
            fault_421_at_ehlo => fault_421_at_ehlo(),
            fault_421_at_mail => fault_421_at_mail(),
            fault_mail_refused => fault_mail_refused(),
            fault_rcpt_refused => fault_rcpt_refused(),
            fault_rcpt_tempfail => fault_rcpt_tempfail(),
            fault_421_at_rcpt => fault_421_at_rcpt(),
            fault_data_refused => fault_data_refused(),
            fault_disconnect_before_data_reply => fault_disconnect_before_data_reply(),
            fault_abort_after_354 => fault_abort_after_354(),
            fault_abort_during_large_body => fault_abort_during_large_body(),
            fault_end_of_data_refused => fault_end_of_data_refused(),
            fault_end_of_data_tempfail => fault_end_of_data_tempfail(),
            fault_disconnect_after_end_of_data => fault_disconnect_after_end_of_data(),
            fault_421_at_end_of_data => fault_421_at_end_of_data(),
            fault_slow_reply_times_out => fault_slow_reply_times_out(),
        );
    };
    (@cases $adapter:ty; $($(#[$meta:meta])* $name:ident => $case:ident($($arg:expr),*)),* $(,)?) => {
        $(
            #[test]
            $(#[$meta])*
            fn $name() {
                #[allow(unused_imports)]
                use $crate::interop::prelude::*;
                $crate::interop::run::<$adapter>(stringify!($name), |servers| {
                    $crate::interop::$case::<$adapter>(servers, stringify!($name) $(, $arg)*)
                });
            }
        )*
    };
}
