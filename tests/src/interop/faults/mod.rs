//! smtp-sink's fault flags, each on a private instance, mapped to the outcomes of
//! SECURITY.md: refused (with the reply), rejected, uncertain, fatal service-closing.
//!
//! `-f CMD` hard-rejects and `-r CMD` soft-rejects CMD (both turn PIPELINING off), `-q CMD`
//! disconnects without a reply after CMD, `-Q CMD` answers 421 and disconnects, `-A 0`
//! answers 550 right after the 354 and stops reading, `-W CMD:s` delays the reply.

mod data;
mod envelope;
mod session;

use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Error, Security};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{LogicError, MailBody, MailReport, Noop, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;

use super::setup::{OrFail, builder, code_of, describe, ensure, envelope, expect_all, message};
use super::{Servers, Sink, token};
use crate::adapter::SmtpAdapter;

pub use data::{
    fault_421_at_end_of_data, fault_abort_after_354, fault_abort_during_large_body,
    fault_data_refused, fault_disconnect_after_end_of_data, fault_disconnect_before_data_reply,
    fault_end_of_data_refused, fault_end_of_data_tempfail,
};
pub use envelope::{
    fault_421_at_mail, fault_421_at_rcpt, fault_mail_refused, fault_rcpt_refused,
    fault_rcpt_tempfail, fault_slow_reply_times_out,
};
pub use session::{
    fault_421_at_ehlo, fault_421_at_greeting, fault_disconnect_at_greeting, fault_greeting_refused,
    fault_hello_refused,
};

/// What one mail through a faulty smtp-sink came to.
pub(super) struct Ran {
    pub(super) result: Result<Result<MailReport, LogicError>, Error>,
    /// `Connection::is_usable` after the mail.
    pub(super) usable: bool,
    /// The NOOP reply code after the mail, if the connection was usable and NOOP worked.
    pub(super) noop: Option<u16>,
}

/// Starts `smtp-sink FLAGS`, sends one mail with two recipients and `body_size` octets of
/// body, then NOOP and QUIT if the connection is still usable.
pub(super) fn run_mail<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    flags: &[&str],
    body_size: usize,
    timeout: Option<Duration>,
) -> Result<Ran, String> {
    let token = token();
    let sink = Sink::start(&token, flags)?;
    let mut builder = builder(servers, sink.port().ok_or("no port")?, Security::None)?;
    if let Some(timeout) = timeout {
        builder = builder.timeouts(Timeouts::uniform(timeout));
    }
    let config = builder.build().or_fail("config")?;
    let mut text = message(test, &token, "");
    text.extend(std::iter::repeat_n(b"0123456789abcde\n", body_size / 16).flatten());
    let ran = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[
                format!("a-{token}@example.net"),
                format!("b-{token}@example.net"),
            ],
        )?;
        let result = A::send_mail(&mut connection, envelope, MailBody::bytes(text)).await;
        let usable = A::is_usable(&connection);
        let mut noop = None;
        if usable {
            // A server that refused and closed (`-A`) fails the NOOP: `noop` stays `None`.
            if let Ok(Ok(reply)) = A::send(&mut connection, Noop::default()).await {
                noop = Some(code_of(&reply));
                A::quit(connection).await.or_fail("QUIT")?;
            }
        }
        Ok::<_, String>(Ran {
            result,
            usable,
            noop,
        })
    })?;
    drop(sink);
    Ok(ran)
}

/// A refusal the connection survives: every recipient has `status` with `code`, the
/// outcome is Rejected, and NOOP still works.
pub(super) fn expect_refusal(ran: Ran, status: RecipientStatus, code: u16) -> Result<(), String> {
    let report = ran
        .result
        .or_fail("fatal")?
        .or_fail("refused before a byte")?;
    ensure!(
        report.outcome() == Outcome::Rejected,
        "outcome {:?}: {}",
        report.outcome(),
        describe(&report)
    );
    expect_all(&report, status, code)?;
    ensure!(
        ran.usable && ran.noop == Some(250),
        "after a refusal the connection must stay usable (usable {}, NOOP {:?})",
        ran.usable,
        ran.noop
    );
    Ok(())
}

/// A fatal error: the connection is dead, the error is what `cause` accepts, and the
/// interrupted report (if any) has every recipient with `status`.
pub(super) fn expect_fatal(
    ran: Ran,
    cause: impl Fn(&Error) -> bool,
    status: Option<RecipientStatus>,
) -> Result<MailReport, String> {
    ensure!(
        !ran.usable,
        "the connection is still usable after a fatal error"
    );
    let error = match ran.result {
        Err(error) => error,
        Ok(other) => return Err(format!("expected a fatal error, got {other:?}")),
    };
    ensure!(cause(error.cause()), "unexpected fatal error: {error:?}");
    let report = error
        .reports()
        .first()
        .cloned()
        .ok_or_else(|| format!("no interrupted report with {error}"))?;
    if let Some(status) = status {
        for (path, recipient) in report.recipients() {
            ensure!(
                recipient.status() == status,
                "{path}: {:?}, expected {status:?}: {}",
                recipient.status(),
                describe(&report)
            );
        }
    }
    Ok(report)
}

pub(super) fn is_service_closing(error: &Error) -> bool {
    matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if code_of(r) == 421)
}

pub(super) fn is_eof(error: &Error) -> bool {
    matches!(
        error.protocol(),
        Some(ProtocolError::UnexpectedEof(_) | ProtocolError::ConnectionClosed)
    ) || matches!(error, Error::Io(_))
}

pub(super) fn connect_only<A: SmtpAdapter>(
    servers: &Servers,
    flags: &[&str],
) -> Result<Result<(), Error>, String> {
    let token = token();
    let sink = Sink::start(&token, flags)?;
    let config: ConnectionConfig = builder(servers, sink.port().ok_or("no port")?, Security::None)?
        .build()
        .or_fail("config")?;
    Ok(A::block_on(A::connect(&config)).map(|_| ()))
}
