//! smtp-sink's fault flags, each on a private instance, mapped to the outcomes of
//! SECURITY.md: refused (with the reply), rejected, uncertain, fatal service-closing.
//!
//! `-f CMD` hard-rejects and `-r CMD` soft-rejects CMD (both turn PIPELINING off), `-q CMD`
//! disconnects without a reply after CMD, `-Q CMD` answers 421 and disconnects, `-A 0`
//! answers 550 right after the 354 and stops reading, `-W CMD:s` delays the reply.

use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Error, Security};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{LogicError, MailBody, MailReport, Noop, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;

use super::setup::{OrFail, builder, code_of, describe, ensure, envelope, expect_all, message};
use super::{Servers, Sink, token};
use crate::adapter::SmtpAdapter;

/// What one mail through a faulty smtp-sink came to.
struct Ran {
    result: Result<Result<MailReport, LogicError>, Error>,
    /// `Connection::is_usable` after the mail.
    usable: bool,
    /// The NOOP reply code after the mail, if the connection was usable and NOOP worked.
    noop: Option<u16>,
}

/// Starts `smtp-sink FLAGS`, sends one mail with two recipients and `body_size` octets of
/// body, then NOOP and QUIT if the connection is still usable.
fn run_mail<A: SmtpAdapter>(
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
fn expect_refusal(ran: Ran, status: RecipientStatus, code: u16) -> Result<(), String> {
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
fn expect_fatal(
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

fn is_service_closing(error: &Error) -> bool {
    matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if code_of(r) == 421)
}

fn is_eof(error: &Error) -> bool {
    matches!(
        error.protocol(),
        Some(ProtocolError::UnexpectedEof(_) | ProtocolError::ConnectionClosed)
    ) || matches!(error, Error::Io(_))
}

/// `-f CONNECT`: a 500 greeting refuses the session.
pub fn fault_greeting_refused<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
) -> Result<(), String> {
    match connect_only::<A>(servers, &["-f", "CONNECT"])? {
        Err(Error::Refused(refusal)) => {
            let code = refusal.response().map(code_of);
            ensure!(
                code == Some(500),
                "greeting refused with {code:?}, expected 500"
            );
            Ok(())
        }
        other => Err(format!("expected the greeting refused, got {other:?}")),
    }
}

/// `-Q CONNECT`: a 421 greeting is the fatal service-closing error.
pub fn fault_421_at_greeting<A: SmtpAdapter>(servers: &Servers, _test: &str) -> Result<(), String> {
    match connect_only::<A>(servers, &["-Q", "CONNECT"])? {
        Err(error) if is_service_closing(&error) => Ok(()),
        other => Err(format!("expected service closing (421), got {other:?}")),
    }
}

fn connect_only<A: SmtpAdapter>(
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

/// `-f MAIL`: MAIL refused with 500: rejected, every recipient refused, still usable.
pub fn fault_mail_refused<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-f", "MAIL"], 0, None)?;
    if let Ok(Ok(report)) = &ran.result {
        let mail = report.transactions().first().and_then(|t| t.mail_reply());
        ensure!(
            mail.map(code_of) == Some(500),
            "MAIL reply {:?}, expected 500",
            mail.map(ToString::to_string)
        );
    }
    let report = ran
        .result
        .or_fail("fatal")?
        .or_fail("refused before a byte")?;
    ensure!(
        report.outcome() == Outcome::Rejected
            && report
                .recipients()
                .all(|(_, r)| r.status() == RecipientStatus::Refused),
        "expected every recipient refused: {}",
        describe(&report)
    );
    ensure!(
        ran.usable && ran.noop == Some(250),
        "not usable after MAIL refused"
    );
    Ok(())
}

/// `-f RCPT`: every RCPT refused with 500.
pub fn fault_rcpt_refused<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-f", "RCPT"], 0, None)?;
    expect_refusal(ran, RecipientStatus::Refused, 500)
}

/// `-r RCPT`: every RCPT refused with 450.
pub fn fault_rcpt_tempfail<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-r", "RCPT"], 0, None)?;
    expect_refusal(ran, RecipientStatus::Refused, 450)
}

/// `-Q RCPT`: 421 to the first RCPT: fatal, nothing delivered, nothing uncertain.
pub fn fault_421_at_rcpt<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-Q", "RCPT"], 0, None)?;
    let report = expect_fatal(ran, is_service_closing, None)?;
    ensure!(
        report.outcome() == Outcome::Rejected && report.delivered_count() == 0,
        "a mail stopped by 421 at RCPT: {}",
        describe(&report)
    );
    Ok(())
}

/// `-f DATA`: the recipients were accepted, the message refused at DATA.
pub fn fault_data_refused<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-f", "DATA"], 0, None)?;
    expect_refusal(ran, RecipientStatus::Rejected, 500)
}

/// `-q DATA`: closed instead of answering DATA: fatal, and since no end of data was sent
/// nothing is uncertain.
pub fn fault_disconnect_before_data_reply<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-q", "DATA"], 0, None)?;
    let report = expect_fatal(ran, is_eof, Some(RecipientStatus::NotAttempted))?;
    ensure!(
        report.outcome() == Outcome::Rejected,
        "{}",
        describe(&report)
    );
    Ok(())
}

/// `-A 0`: smtp-sink sends `550 This violates SMTP` right behind the 354 (one read gets
/// both) and stops reading. The 550 answers nothing the client sent yet, so a fatal error
/// is right (SECURITY.md: bytes with nothing in flight); but the end of data never left, and
/// the server refused: the mail is rejected, never uncertain.
///
/// Bug (smtp-proto): `data_end_written` (command/transaction/replies.rs) calls
/// `mark_data_sent` (command/transaction/job.rs) when the end-of-data marker is *queued*
/// in the outbox, not when it was written; the 550 then fails the exchange
/// (`UnexpectedReply` from `Exchange::deliver`, client/exchange.rs) before the body
/// transmit is even handed out, and `MailReport::interrupted` (transaction/report.rs)
/// turns the accepted recipients `Uncertain`.
pub fn fault_abort_after_354<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-A", "0"], 0, Some(Duration::from_secs(5)))?;
    expect_aborted(&ran)
}

/// `-A 1` with a 16 MiB body: the client fills the socket buffers and blocks; after 1 s
/// smtp-sink sends the 550 and closes, so the write fails (the adapter's write-failure
/// path: replies received are processed first). Same rule: rejected, never uncertain
/// (SECURITY.md: "a 5xx followed by a close is a refusal, not an IO error").
pub fn fault_abort_during_large_body<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let flags = ["-A", "1"];
    let ran = run_mail::<A>(
        servers,
        test,
        &flags,
        16 << 20,
        Some(Duration::from_secs(5)),
    )?;
    expect_aborted(&ran)
}

/// Not delivered and not uncertain, and the 550 reported (as the recipients' data reply,
/// or as the reply that ended the connection).
fn expect_aborted(ran: &Ran) -> Result<(), String> {
    let (report, error) = match &ran.result {
        Ok(Ok(report)) => (report.clone(), None),
        Ok(Err(refusal)) => return Err(format!("refused before a byte: {refusal}")),
        Err(error) => {
            let report = error.reports().first().cloned();
            let report = report.ok_or_else(|| format!("fatal {error} without a report"))?;
            (report, Some(error))
        }
    };
    let rejected = report.outcome() == Outcome::Rejected
        && report
            .recipients()
            .all(|(_, r)| r.status() == RecipientStatus::Rejected);
    let in_report = report
        .recipients()
        .all(|(_, r)| r.data_reply().map(code_of) == Some(550));
    let in_error = error
        .and_then(|e| e.protocol())
        .and_then(ProtocolError::response)
        .is_some_and(|r| code_of(r) == 550);
    ensure!(
        rejected && (in_report || in_error),
        "expected the mail rejected with the 550 ({:?}): {}",
        error.map(ToString::to_string),
        describe(&report)
    );
    Ok(())
}

/// `-f .`: the verdict after the end of data is 500.
pub fn fault_end_of_data_refused<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-f", "."], 0, None)?;
    expect_refusal(ran, RecipientStatus::Rejected, 500)
}

/// `-r .`: the verdict after the end of data is 450.
pub fn fault_end_of_data_tempfail<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-r", "."], 0, None)?;
    expect_refusal(ran, RecipientStatus::Rejected, 450)
}

/// `-q .`: the connection closes after the end of data without a verdict: every
/// recipient is uncertain, never delivered or failed.
pub fn fault_disconnect_after_end_of_data<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-q", "."], 0, None)?;
    let report = expect_fatal(ran, is_eof, Some(RecipientStatus::Uncertain))?;
    ensure!(
        report.outcome() == Outcome::Uncertain,
        "{}",
        describe(&report)
    );
    Ok(())
}

/// `-Q .`: 421 as the verdict: fatal service-closing, and the message is not delivered
/// (the server answered, so it is not uncertain either).
pub fn fault_421_at_end_of_data<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-Q", "."], 0, None)?;
    let report = expect_fatal(ran, is_service_closing, Some(RecipientStatus::Rejected))?;
    ensure!(
        report
            .recipients()
            .all(|(_, r)| r.data_reply().map(code_of) == Some(421)),
        "the 421 verdict is not in the report: {}",
        describe(&report)
    );
    Ok(())
}

/// `-W RCPT:3` with 1 s reply deadlines: the RCPT reply times out, which is fatal.
pub fn fault_slow_reply_times_out<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let flags = ["-W", "RCPT:3"];
    let ran = run_mail::<A>(servers, test, &flags, 0, Some(Duration::from_secs(1)))?;
    let is_timeout = |e: &Error| matches!(e.protocol(), Some(ProtocolError::Timeout(_)));
    let report = expect_fatal(ran, is_timeout, None)?;
    ensure!(
        report.delivered_count() == 0 && report.outcome() != Outcome::Uncertain,
        "{}",
        describe(&report)
    );
    Ok(())
}
