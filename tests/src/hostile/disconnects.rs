//! Disconnects (SECURITY.md "disconnects and 421"): EOF at each phase is fatal, after the
//! end of data the mail is uncertain; a refusal followed by a close (or, during the body,
//! by a stall past the write deadline) is reported as the refusal, with the server's reply.

use std::time::Duration;

use smtp_adapter::Error;
use smtp_proto::client::Timeouts;
use smtp_proto::command::{LogicError, MailBody, MailReport, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;

use super::{
    Attempt, BODY, PATIENT, Phase, TestPki, phase_failure, reply_kind, scenario, setup_error,
    steps_to,
};
use crate::adapter::SmtpAdapter;
use crate::server::{Step, send};

/// The server hangs up before the greeting: `UnexpectedEof(Greeting)`.
pub fn closes_at_greeting<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::Greeting)
}

/// The server hangs up after EHLO: `UnexpectedEof(Hello)`.
pub fn closes_at_ehlo<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::Ehlo)
}

/// The server hangs up after MAIL: `UnexpectedEof(Mail)`, not attempted.
pub fn closes_at_mail<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::Mail)
}

/// The server hangs up after RCPT: `UnexpectedEof(Rcpt)`, not attempted.
pub fn closes_at_rcpt<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::Rcpt)
}

/// The server hangs up after DATA: `UnexpectedEof(Data)`, not attempted.
pub fn closes_at_data<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::Data)
}

/// The server hangs up after the end of data: `UnexpectedEof(DataEnd)`, **uncertain**.
pub fn closes_at_data_end<A: SmtpAdapter>() -> Result<(), String> {
    closes::<A>(Phase::DataEnd)
}

fn closes<A: SmtpAdapter>(phase: Phase) -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = steps_to(phase, &pki);
    steps.push(Step::Close);
    let timeouts = Timeouts::uniform(PATIENT);
    let (attempt, _, _) = scenario::<A>(steps, &pki, timeouts, MailBody::bytes(BODY))?;
    let kind = reply_kind(phase);
    phase_failure(A::NAME, phase, attempt, |e| {
        e.protocol() == Some(&ProtocolError::UnexpectedEof(kind))
    })
}

/// A 554 greeting, then a close: the setup is refused with the server's 554.
pub fn refusal_then_close_at_greeting<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = vec![send("554 5.7.1 no service for you\r\n"), Step::Close];
    let (attempt, _, _) = scenario::<A>(
        steps,
        &pki,
        Timeouts::uniform(PATIENT),
        MailBody::bytes(BODY),
    )?;
    let error = setup_error(attempt, A::NAME)?;
    match &error {
        Error::Refused(refusal) if code(refusal.response()) == Some(554) => Ok(()),
        _ => Err(format!(
            "{}: expected the 554 refusal, got {error:?}",
            A::NAME
        )),
    }
}

/// MAIL refused with 550, then a close: the mail is refused with the 550, not lost to
/// an I/O error.
pub fn refusal_then_close_at_mail<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = steps_to(Phase::Mail, &pki);
    steps.extend([send("550 5.7.1 sender refused\r\n"), Step::Close]);
    let (attempt, _, _) = scenario::<A>(
        steps,
        &pki,
        Timeouts::uniform(PATIENT),
        MailBody::bytes(BODY),
    )?;
    refused_with::<A>(attempt, 550, |r| r.transactions().first()?.mail_reply())
}

/// The end of data answered with 554, then a close: the mail is rejected with the 554
/// (the verdict arrived: not uncertain, not an I/O error).
pub fn refusal_then_close_at_data_end<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = steps_to(Phase::DataEnd, &pki);
    steps.extend([send("554 5.7.1 rejected as spam\r\n"), Step::Close]);
    let (attempt, _, _) = scenario::<A>(
        steps,
        &pki,
        Timeouts::uniform(PATIENT),
        MailBody::bytes(BODY),
    )?;
    refused_with::<A>(attempt, 554, |r| {
        r.recipients().next().and_then(|(_, r)| r.data_reply())
    })
}

/// While a 16 MiB body is being written the server answers 552 and hangs up (unread
/// octets: a reset): the write fails, no end of data was written, nothing is delivered.
pub fn refusal_then_close_during_body<A: SmtpAdapter>() -> Result<(), String> {
    let (attempt, report) = refused_body::<A>(After::Close)?;
    if report.outcome() == Outcome::Delivered {
        return Err(format!(
            "{}: delivered without an end of data: {attempt:?}",
            A::NAME
        ));
    }
    Ok(())
}

/// As [`refusal_then_close_during_body`]: the 552 arrived before the write failed, so
/// the mail is refused with the 552, not lost to an I/O error and not uncertain (no end of
/// data left).
pub fn refusal_then_close_during_body_keeps_the_552<A: SmtpAdapter>() -> Result<(), String> {
    let (attempt, report) = refused_body::<A>(After::Close)?;
    kept_the_552::<A>(&attempt, &report)
}

/// As [`refusal_then_close_during_body_keeps_the_552`], but the server stops reading
/// without closing: the write deadline (300 ms) ends the write, and the 552 that arrived
/// before it is still the mail's verdict, not the timeout.
pub fn refusal_then_stall_during_body_keeps_the_552<A: SmtpAdapter>() -> Result<(), String> {
    let (attempt, report) = refused_body::<A>(After::Stall)?;
    if !matches!(attempt, Attempt::Mail(Ok(Ok(_)))) {
        return Err(format!(
            "{}: expected the 552 as the verdict, got {attempt:?}",
            A::NAME
        ));
    }
    kept_the_552::<A>(&attempt, &report)
}

/// The mail was refused with the 552 given during its body.
fn kept_the_552<A: SmtpAdapter>(attempt: &Attempt, report: &MailReport) -> Result<(), String> {
    let replies: Vec<u16> = report
        .recipients()
        .filter_map(|(_, r)| code(r.data_reply()))
        .collect();
    if report.outcome() != Outcome::Rejected || replies != [552] {
        return Err(format!(
            "{}: outcome {:?} with data replies {replies:?}: {attempt:?}",
            A::NAME,
            report.outcome()
        ));
    }
    Ok(())
}

/// What the server does after its 552 during the body.
enum After {
    /// Hangs up (unread octets: a reset).
    Close,
    /// Stops reading and stays, past the 300 ms write deadline.
    Stall,
}

fn refused_body<A: SmtpAdapter>(after: After) -> Result<(Attempt, MailReport), String> {
    let pki = TestPki::new()?;
    let write = Duration::from_millis(300);
    let mut steps = steps_to(Phase::Data, &pki);
    steps.extend([
        send("354 go ahead\r\n"),
        Step::Receive(64 * 1024),
        send("552 5.3.4 message too big\r\n"),
    ]);
    let timeouts = match after {
        After::Close => {
            steps.push(Step::Close);
            Timeouts::uniform(PATIENT)
        }
        After::Stall => {
            steps.extend([
                Step::Pause(write + 3 * super::deadlines::SLACK),
                Step::Drain,
            ]);
            Timeouts {
                write,
                ..Timeouts::uniform(PATIENT)
            }
        }
    };
    let body = super::deadlines::big_body(b'y');
    let (attempt, _, played) = scenario::<A>(steps, &pki, timeouts, body)?;
    if played.decrypted.windows(5).any(|w| w == b"\r\n.\r\n") {
        return Err(format!("{}: an end of data was written", A::NAME));
    }
    let report = match &attempt {
        Attempt::Mail(Ok(Ok(report))) => report.clone(),
        Attempt::Mail(Err(error)) => error
            .reports()
            .first()
            .cloned()
            .ok_or_else(|| format!("{}: no report with {error}", A::NAME))?,
        other => return Err(format!("{}: unexpected {other:?}", A::NAME)),
    };
    Ok((attempt, report))
}

fn code(reply: Option<&smtp_proto::response::Response>) -> Option<u16> {
    reply.map(|r| r.code().get())
}

/// The mail was refused with `expected`, found by `reply` in the report (or as the
/// refusal itself); the close that followed may end the connection but must not hide it.
fn refused_with<A: SmtpAdapter>(
    attempt: Attempt,
    expected: u16,
    reply: impl Fn(&MailReport) -> Option<&smtp_proto::response::Response>,
) -> Result<(), String> {
    let name = A::NAME;
    let report = match &attempt {
        Attempt::Mail(Ok(Ok(report))) => report,
        Attempt::Mail(Ok(Err(LogicError::Refused { response, .. })))
            if response.code().get() == expected =>
        {
            return Ok(());
        }
        Attempt::Mail(Err(error)) => {
            if matches!(error.cause(), Error::Io(_)) {
                return Err(format!(
                    "{name}: the {expected} was lost to an I/O error: {error}"
                ));
            }
            error
                .reports()
                .first()
                .ok_or_else(|| format!("{name}: no report with {error}"))?
        }
        other => {
            return Err(format!(
                "{name}: expected the {expected} refusal, got {other:?}"
            ));
        }
    };
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    let refused = matches!(
        statuses.as_slice(),
        [RecipientStatus::Refused | RecipientStatus::Rejected]
    );
    if report.outcome() != Outcome::Rejected || !refused || code(reply(report)) != Some(expected) {
        return Err(format!(
            "{name}: expected rejected with {expected}, got {:?} {statuses:?} {:?}",
            report.outcome(),
            reply(report)
        ));
    }
    Ok(())
}
