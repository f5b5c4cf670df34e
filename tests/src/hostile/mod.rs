//! The socket-level hostile-server suite (SECURITY.md), written once for every adapter.
//!
//! Each test starts a [`ScriptedServer`](crate::server::ScriptedServer) on 127.0.0.1 that
//! misbehaves in one way (injects after STARTTLS, strips it, presents a bad certificate,
//! stops reading, drips, falls silent or hangs up at each phase, floods, closes with 421
//! mid-transaction, sends malformed or impossible replies, challenges AUTH endlessly, is
//! sent a body built to smuggle a second message), runs the adapter against it with short
//! deadlines, and checks the exact error and outcome. Every test that configures
//! credentials (all but the pipelining deadlock pair and the two setup cases) checks that
//! neither the password nor its base64 forms (the PLAIN blob, the LOGIN password) crossed
//! the socket in plaintext.
//!
//! An adapter runs the whole suite with one line: [`hostile_suite!`](crate::hostile_suite).

mod auth;
mod certs;
mod challenges;
mod deadlines;
mod disconnects;
mod flood;
pub mod heap;
mod pipelining;
mod pki;
mod replies;
mod run;
mod setup;
mod smuggling;
mod starttls;
mod tls;

use std::time::Duration;

use base64::Engine as _;
use smtp_adapter::{ConnectionConfig, Security, TlsConfig};
use smtp_proto::auth::Credentials;
use smtp_proto::client::Timeouts;
use smtp_proto::command::Envelope;

use crate::server::{Played, Step, expect, send};

pub use auth::{
    a_callers_own_auth_over_unverified_tls_is_refused,
    a_failed_auth_is_not_retried_with_another_mechanism, auth_mechanisms_come_from_the_tls_ehlo,
    auth_over_unverified_tls_needs_plaintext_allowed, no_usable_mechanism_inside_tls,
    plaintext_auth_refused_when_starttls_is_not_offered, plaintext_auth_refused_without_tls,
};
pub use certs::{expired_certificate, self_signed_certificate, wrong_certificate_name};
pub use challenges::endless_auth_challenges_are_bounded;
pub use deadlines::{
    dripped_greeting, dripped_verdict, silent_at_data, silent_at_data_end, silent_at_ehlo,
    silent_at_greeting, silent_at_mail, silent_at_rcpt, stops_reading_during_data,
    stops_reading_during_data_is_not_uncertain,
};
pub use disconnects::{
    closes_at_data, closes_at_data_end, closes_at_ehlo, closes_at_greeting, closes_at_mail,
    closes_at_rcpt, refusal_then_close_at_data_end, refusal_then_close_at_greeting,
    refusal_then_close_at_mail, refusal_then_close_during_body,
    refusal_then_close_during_body_keeps_the_552, refusal_then_stall_during_body_keeps_the_552,
};
pub use flood::{
    HeapProbe, NoProbe, endless_reply_line, endless_reply_line_measured, endless_reply_lines,
};
pub use pipelining::{
    a_thousand_recipients_pipelined_do_not_deadlock,
    an_unsplit_group_deadlocks_against_the_same_server,
};
pub use pki::TestPki;
pub use replies::{
    a_354_to_rcpt_is_fatal, malformed_replies_are_fatal, service_closing_mid_transaction,
};
pub use run::{Attempt, attempt, scenario};
use run::{mail_error, phase_failure, reply_kind, setup_error};
pub use setup::{a_hello_cut_off_keeps_the_greeting, a_refused_hello_leaves_the_greeting_readable};
pub use smuggling::body_smuggling_is_neutralised_on_the_wire;
pub use starttls::{
    injection_in_a_later_segment, injection_in_the_220_segment, starttls_not_offered,
    starttls_refused,
};
pub use tls::{
    a_multiline_220_starts_tls, a_name_with_a_trailing_dot_is_verified_and_sent_without_it,
    a_silent_starttls_handshake_times_out, a_wrong_ip_address_is_refused,
    an_idn_name_is_verified_and_sent_as_its_a_label, an_upper_case_name_is_verified,
    implicit_tls_against_a_plaintext_server_fails_at_once, ip_addresses_are_verified_without_sni,
    opportunistic_verification_failure_is_fatal, quit_over_tls_sends_close_notify,
    refusal_then_unclean_close_at_greeting_over_tls,
};

/// The user name every test configures.
pub const USER: &str = "hostile-user";
/// The password every test configures: distinctive bytes to look for on the wire.
pub const PASSWORD: &str = "Pa55-hostile-S3CRET-9q";
/// The body of the mails sent (already canonical).
pub const BODY: &[u8] = b"Subject: hostile\r\n\r\nhello\r\n";
/// A deadline nothing in these tests should reach when the server behaves.
const PATIENT: Duration = Duration::from_secs(10);
/// The deadline a misbehaving phase gets.
const SHORT: Duration = Duration::from_millis(400);

/// The configured credentials.
pub fn credentials() -> Credentials {
    Credentials::password(USER, PASSWORD)
}

/// Fails if the password, the PLAIN blob or the LOGIN password is anywhere in the octets
/// the client wrote on the socket (TLS records included: ciphertext cannot contain them).
pub fn check_no_credentials(played: &Played) -> Result<(), String> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let plain = b64(format!("\0{USER}\0{PASSWORD}").as_bytes());
    let needles = [PASSWORD.to_owned(), b64(PASSWORD.as_bytes()), plain];
    for needle in &needles {
        let found = played
            .raw
            .windows(needle.len())
            .any(|w| w == needle.as_bytes());
        if found {
            return Err(format!(
                "credential {needle:?} crossed the socket in plaintext"
            ));
        }
    }
    Ok(())
}

/// The phases of a session a server can misbehave in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the greeting.
    Greeting,
    /// After EHLO (plaintext, before STARTTLS).
    Ehlo,
    /// After MAIL (inside TLS, authenticated).
    Mail,
    /// After RCPT.
    Rcpt,
    /// After DATA.
    Data,
    /// After the end of data: the verdict is pending.
    DataEnd,
}

/// Deadlines: `short` for the phase under test, patient for every other one.
pub fn timeouts_at(phase: Phase, short: Duration) -> Timeouts {
    let mut timeouts = Timeouts::uniform(PATIENT);
    match phase {
        Phase::Greeting => timeouts.greeting = short,
        Phase::Ehlo => timeouts.other = short,
        Phase::Mail => timeouts.mail = short,
        Phase::Rcpt => timeouts.rcpt = short,
        Phase::Data => timeouts.data_init = short,
        Phase::DataEnd => timeouts.data_end = short,
    }
    timeouts
}

/// STARTTLS required, the test CA as the only root, `localhost` as the verified name,
/// the credentials, and these deadlines.
pub fn config(port: u16, pki: &TestPki, timeouts: Timeouts) -> Result<ConnectionConfig, String> {
    config_verifying(port, pki, timeouts, "localhost")
}

/// As [`config`], verifying the certificate against `server_name`.
pub fn config_verifying(
    port: u16,
    pki: &TestPki,
    timeouts: Timeouts,
    server_name: &str,
) -> Result<ConnectionConfig, String> {
    secured_config(port, pki, timeouts, server_name, Security::StartTlsRequired)
}

/// As [`config`], with implicit TLS (RFC 8314): the server's script starts with
/// [`Step::StartTls`], before the greeting.
pub fn implicit_tls_config(
    port: u16,
    pki: &TestPki,
    timeouts: Timeouts,
) -> Result<ConnectionConfig, String> {
    secured_config(port, pki, timeouts, "localhost", Security::ImplicitTls)
}

fn secured_config(
    port: u16,
    pki: &TestPki,
    timeouts: Timeouts,
    server_name: &str,
    security: Security,
) -> Result<ConnectionConfig, String> {
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .map_err(|e| e.to_string())?
        .server_name(server_name);
    ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .tls(tls)
        .credentials(credentials())
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .timeouts(timeouts)
        .tls_timeout(PATIENT)
        .build()
        .map_err(|e| e.to_string())
}

/// Greeting and plaintext EHLO offering STARTTLS.
pub fn greeting_and_ehlo() -> Vec<Step> {
    vec![
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n"),
    ]
}

/// Greeting, EHLO, STARTTLS with `pki.good`, EHLO again inside TLS, AUTH PLAIN accepted:
/// the setup every mail-phase test starts with (no PIPELINING: one command at a time).
pub fn tls_prelude(pki: &TestPki) -> Vec<Step> {
    tls_prelude_offering(
        pki,
        "250-mx.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n",
    )
}

/// As [`tls_prelude`], with `ehlo` (which must offer `AUTH PLAIN`) as the reply to the EHLO
/// inside TLS: `PIPELINING` there makes the client pipeline its transactions.
pub fn tls_prelude_offering(pki: &TestPki, ehlo: &str) -> Vec<Step> {
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 2.0.0 go ahead\r\n"),
        Step::StartTls(pki.good.clone()),
        expect("EHLO client.test\r\n"),
        send(ehlo),
        expect(&format!("AUTH PLAIN {}\r\n", plain_blob())),
        send("235 2.7.0 authenticated\r\n"),
    ]);
    steps
}

/// What the client writes inside TLS during [`tls_prelude`]: its EHLO and its AUTH line.
pub fn tls_prelude_written() -> String {
    format!("EHLO client.test\r\nAUTH PLAIN {}\r\n", plain_blob())
}

/// The AUTH PLAIN initial response for the configured credentials.
fn plain_blob() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASSWORD}"))
}

/// The steps until the client has written the command of `phase` (for the greeting:
/// none; for the end of data: the body and its end).
pub fn steps_to(phase: Phase, pki: &TestPki) -> Vec<Step> {
    let body = format!("{}.\r\n", String::from_utf8_lossy(BODY));
    let mut steps = match phase {
        Phase::Greeting => return Vec::new(),
        Phase::Ehlo => {
            return vec![
                send("220 mx.test ESMTP\r\n"),
                expect("EHLO client.test\r\n"),
            ];
        }
        _ => tls_prelude(pki),
    };
    let exchange = [
        ("MAIL FROM:<a@x.test>\r\n", "250 2.1.0 ok\r\n", Phase::Mail),
        ("RCPT TO:<b@y.test>\r\n", "250 2.1.5 ok\r\n", Phase::Rcpt),
        ("DATA\r\n", "354 go ahead\r\n", Phase::Data),
        (body.as_str(), "", Phase::DataEnd),
    ];
    for (line, reply, at) in exchange {
        steps.push(expect(line));
        if at == phase {
            break;
        }
        steps.push(send(reply));
    }
    steps
}

/// One recipient, `<a@x.test>` to `<b@y.test>`.
pub fn envelope() -> Result<Envelope, String> {
    Envelope::new(
        "<a@x.test>".parse().map_err(|e| format!("{e}"))?,
        ["<b@y.test>".parse().map_err(|e| format!("{e}"))?],
    )
    .map_err(|e| e.to_string())
}

/// Runs the suite's tests on an adapter: `smtp_tests::hostile_suite!(Tokio);` in
/// `tests/hostile_NAME.rs` (the memory-bound test lives in its own binary, see
/// [`endless_reply_line_measured`]).
#[macro_export]
macro_rules! hostile_suite {
    ($adapter:ty) => {
        $crate::hostile_suite!(
            $adapter;
            injection_in_the_220_segment,
            injection_in_a_later_segment,
            starttls_not_offered,
            starttls_refused,
            auth_mechanisms_come_from_the_tls_ehlo,
            no_usable_mechanism_inside_tls,
            a_failed_auth_is_not_retried_with_another_mechanism,
            plaintext_auth_refused_when_starttls_is_not_offered,
            plaintext_auth_refused_without_tls,
            wrong_certificate_name,
            expired_certificate,
            self_signed_certificate,
            stops_reading_during_data,
            dripped_greeting,
            dripped_verdict,
            silent_at_greeting,
            silent_at_ehlo,
            silent_at_mail,
            silent_at_rcpt,
            silent_at_data,
            silent_at_data_end,
            closes_at_greeting,
            closes_at_ehlo,
            closes_at_mail,
            closes_at_rcpt,
            closes_at_data,
            closes_at_data_end,
            refusal_then_close_at_greeting,
            refusal_then_close_at_mail,
            refusal_then_close_at_data_end,
            refusal_then_close_during_body,
            endless_reply_line,
            endless_reply_lines,
            stops_reading_during_data_is_not_uncertain,
            refusal_then_close_during_body_keeps_the_552,
            refusal_then_stall_during_body_keeps_the_552,
            a_thousand_recipients_pipelined_do_not_deadlock,
            an_unsplit_group_deadlocks_against_the_same_server,
            a_refused_hello_leaves_the_greeting_readable,
            a_hello_cut_off_keeps_the_greeting,
            service_closing_mid_transaction,
            malformed_replies_are_fatal,
            endless_auth_challenges_are_bounded,
            a_354_to_rcpt_is_fatal,
            body_smuggling_is_neutralised_on_the_wire,
            an_upper_case_name_is_verified,
            a_name_with_a_trailing_dot_is_verified_and_sent_without_it,
            ip_addresses_are_verified_without_sni,
            a_wrong_ip_address_is_refused,
            an_idn_name_is_verified_and_sent_as_its_a_label,
            a_multiline_220_starts_tls,
            quit_over_tls_sends_close_notify,
            a_silent_starttls_handshake_times_out,
            implicit_tls_against_a_plaintext_server_fails_at_once,
            opportunistic_verification_failure_is_fatal,
            refusal_then_unclean_close_at_greeting_over_tls,
            auth_over_unverified_tls_needs_plaintext_allowed,
            a_callers_own_auth_over_unverified_tls_is_refused,
        );
    };
    ($adapter:ty; ignored $reason:literal; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            #[ignore = $reason]
            fn $name() {
                if let Err(failure) = $crate::hostile::$name::<$adapter>() {
                    panic!("{}", failure);
                }
            }
        )+
    };
    ($adapter:ty; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Err(failure) = $crate::hostile::$name::<$adapter>() {
                    panic!("{}", failure);
                }
            }
        )+
    };
}
