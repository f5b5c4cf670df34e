//! Running one hostile scenario: start the server, run the adapter, check the record.

use std::time::{Duration, Instant};

use smtp_adapter::{ConnectionConfig, Error};
use smtp_proto::client::{ReplyKind, Timeouts};
use smtp_proto::command::{LogicError, MailBody, MailReport, Outcome, RecipientStatus};

use super::{Phase, TestPki, check_no_credentials, config, envelope};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, ScriptedServer, Step};

/// How far a client got against a hostile server.
#[derive(Debug)]
// Test values, a handful per test: boxing would only add noise to every match.
#[allow(clippy::large_enum_variant)]
pub enum Attempt {
    /// The session setup failed (connect, TLS, greeting, EHLO, AUTH).
    Setup(Error),
    /// The session was set up; the mail's result.
    Mail(Result<Result<MailReport, LogicError>, Error>),
}

/// Connects, sends one mail with `body` if the setup succeeded, and drops the connection
/// (no QUIT: the server scripts end where the test's interest does); a connection still
/// usable after a fatal error fails the test. Also returns how long the failing step took
/// (the setup, or the mail).
pub fn attempt<A: SmtpAdapter>(
    config: &ConnectionConfig,
    body: MailBody,
) -> Result<(Attempt, Duration), String> {
    let envelope = envelope()?;
    A::block_on(async {
        let start = Instant::now();
        let mut connection = match A::connect(config).await {
            Ok(connection) => connection,
            Err(error) => return Ok((Attempt::Setup(error), start.elapsed())),
        };
        let start = Instant::now();
        let result = A::send_mail(&mut connection, envelope, body).await;
        let elapsed = start.elapsed();
        // A fatal error (a deadline above all) kills the connection: a late reply must
        // never be taken for the answer to a later command.
        if let Err(error) = &result {
            if A::is_usable(&connection) {
                return Err(format!("{}: still usable after {error}", A::NAME));
            }
        }
        drop(connection);
        Ok((Attempt::Mail(result), elapsed))
    })
}

/// Starts `steps`, runs [`attempt`] with `timeouts` and the default body, checks that no
/// credential crossed in plaintext, and returns the attempt, its duration and the record.
pub fn scenario<A: SmtpAdapter>(
    steps: Vec<Step>,
    pki: &TestPki,
    timeouts: Timeouts,
    body: MailBody,
) -> Result<(Attempt, Duration, Played), String> {
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = config(server.address().port(), pki, timeouts)?;
    let (attempt, elapsed) = attempt::<A>(&config, body)?;
    let played = server.played()?;
    check_no_credentials(&played)?;
    Ok((attempt, elapsed, played))
}

/// The setup's error, or a message saying the setup succeeded.
pub(super) fn setup_error(attempt: Attempt, name: &str) -> Result<Error, String> {
    match attempt {
        Attempt::Setup(error) => Ok(error),
        Attempt::Mail(result) => Err(format!(
            "{name}: the setup succeeded against a hostile server; the mail gave {result:?}"
        )),
    }
}

/// The mail's fatal error, or a message saying what happened instead.
pub(super) fn mail_error(attempt: Attempt, name: &str) -> Result<Error, String> {
    match attempt {
        Attempt::Mail(Err(error)) => Ok(error),
        other => Err(format!(
            "{name}: expected a fatal mail error, got {other:?}"
        )),
    }
}

/// The reply a phase waits for.
pub(super) fn reply_kind(phase: Phase) -> ReplyKind {
    match phase {
        Phase::Greeting => ReplyKind::Greeting,
        Phase::Ehlo => ReplyKind::Hello,
        Phase::Mail => ReplyKind::Mail,
        Phase::Rcpt => ReplyKind::Rcpt,
        Phase::Data => ReplyKind::Data,
        Phase::DataEnd => ReplyKind::DataEnd,
    }
}

/// Checks how an attempt failed at `phase`: a setup error before TLS, else a fatal mail
/// error whose report says uncertain after the end of data and not attempted before it.
pub(super) fn phase_failure(
    name: &str,
    phase: Phase,
    attempt: Attempt,
    is_expected: impl Fn(&Error) -> bool,
) -> Result<(), String> {
    let error = match phase {
        Phase::Greeting | Phase::Ehlo => setup_error(attempt, name)?,
        _ => mail_error(attempt, name)?,
    };
    if !is_expected(&error) {
        return Err(format!("{name}: at {phase:?}, unexpected error: {error}"));
    }
    if matches!(phase, Phase::Greeting | Phase::Ehlo) {
        return Ok(());
    }
    let [report] = error.reports() else {
        return Err(format!(
            "{name}: expected one interrupted report: {error:?}"
        ));
    };
    let (outcome, status) = if phase == Phase::DataEnd {
        (Outcome::Uncertain, RecipientStatus::Uncertain)
    } else {
        (Outcome::NotSent, RecipientStatus::NotAttempted)
    };
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    if report.outcome() != outcome || statuses != [status] {
        return Err(format!(
            "{name}: at {phase:?}, outcome {:?} with {statuses:?}, expected {outcome:?} with {status:?}",
            report.outcome()
        ));
    }
    Ok(())
}
