//! Slow and silent servers (SECURITY.md "slow or silent servers"): a server that stops
//! reading hits the write deadline, a dripping server cannot stretch a reply deadline, and
//! silence at any phase ends the connection at that phase's deadline.

use std::time::Duration;

use smtp_adapter::Error;
use smtp_proto::client::Timeouts;
use smtp_proto::command::{MailBody, MailReport, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;

use super::{
    BODY, PATIENT, Phase, SHORT, TestPki, mail_error, phase_failure, reply_kind, scenario,
    steps_to, timeouts_at,
};
use crate::adapter::SmtpAdapter;
use crate::server::{Step, send};

/// Slack for a loaded machine on top of a deadline (still far below what a stretched
/// deadline would take).
pub(super) const SLACK: Duration = Duration::from_millis(1500);

/// The server accepts DATA, then stops reading while a 16 MiB body is written: the write
/// deadline (300 ms) ends the mail at 300 ms; nothing is delivered and no end of data was
/// written.
pub fn stops_reading_during_data<A: SmtpAdapter>() -> Result<(), String> {
    let report = stalled_body::<A>()?;
    if report.outcome() == Outcome::Delivered {
        return Err(format!("{}: delivered without an end of data", A::NAME));
    }
    Ok(())
}

/// As [`stops_reading_during_data`]: the end of data never left (the write stalled 12 MiB
/// before it), so the mail is certainly not delivered: not sent, not uncertain
/// (SECURITY.md: uncertain is for a connection lost *after* the end of data was sent).
pub fn stops_reading_during_data_is_not_uncertain<A: SmtpAdapter>() -> Result<(), String> {
    let report = stalled_body::<A>()?;
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    if report.outcome() != Outcome::NotSent || statuses != [RecipientStatus::NotAttempted] {
        return Err(format!(
            "{}: outcome {:?} with {statuses:?} for a body whose end was never written",
            A::NAME,
            report.outcome()
        ));
    }
    Ok(())
}

fn stalled_body<A: SmtpAdapter>() -> Result<MailReport, String> {
    let pki = TestPki::new()?;
    let write = Duration::from_millis(300);
    let mut steps = steps_to(Phase::Data, &pki);
    // Long enough for the deadline to pass with room; then read what is left.
    steps.extend([
        send("354 go ahead\r\n"),
        Step::Pause(write + 3 * SLACK),
        Step::Drain,
    ]);
    let timeouts = Timeouts {
        write,
        ..Timeouts::uniform(PATIENT)
    };
    let (attempt, elapsed, played) = scenario::<A>(steps, &pki, timeouts, big_body(b'x'))?;
    let error = mail_error(attempt, A::NAME)?;
    if !matches!(
        error.cause(),
        Error::Timeout {
            phase: smtp_adapter::Phase::Write
        }
    ) {
        return Err(format!(
            "{}: expected the write deadline, got {error}",
            A::NAME
        ));
    }
    // `elapsed` counts the whole attempt (TLS, AUTH, the 16 MiB body's summary in a debug
    // build), which a loaded machine stretches by seconds: the bound only has to tell the
    // 300 ms write deadline from every other deadline (PATIENT, 10 s).
    if elapsed > PATIENT / 2 {
        return Err(format!(
            "{}: the write deadline fired after {elapsed:?}",
            A::NAME
        ));
    }
    if played.decrypted.windows(5).any(|w| w == b"\r\n.\r\n") {
        return Err(format!("{}: an end of data was written", A::NAME));
    }
    error
        .reports()
        .first()
        .cloned()
        .ok_or_else(|| format!("{}: no report with {error}", A::NAME))
}

/// 16 MiB of 100-octet lines of `fill`: more than loopback socket buffers hold.
pub(super) fn big_body(fill: u8) -> MailBody {
    let line = [&[fill; 98][..], b"\r\n"].concat();
    MailBody::bytes(line.repeat(16 << 20 >> 7))
}

/// The greeting arrives one octet every 100 ms (4.5 s in all): the 1 s greeting deadline
/// still fires at 1 s.
pub fn dripped_greeting<A: SmtpAdapter>() -> Result<(), String> {
    let text = "220 mx.test ESMTP, one octet at a time, slowly\r\n";
    dripped::<A>(Phase::Greeting, text)
}

/// The verdict after the end of data arrives one octet every 100 ms: the 1 s deadline
/// fires at 1 s and the mail is uncertain.
pub fn dripped_verdict<A: SmtpAdapter>() -> Result<(), String> {
    let text = "250 2.0.0 queued as 0123456789, one octet at a time\r\n";
    dripped::<A>(Phase::DataEnd, text)
}

fn dripped<A: SmtpAdapter>(phase: Phase, text: &str) -> Result<(), String> {
    let pki = TestPki::new()?;
    let deadline = Duration::from_secs(1);
    let mut steps = steps_to(phase, &pki);
    steps.extend([
        Step::Drip(text.to_owned(), Duration::from_millis(100)),
        Step::Drain,
    ]);
    let timeouts = timeouts_at(phase, deadline);
    let (attempt, elapsed, _) = scenario::<A>(steps, &pki, timeouts, MailBody::bytes(BODY))?;
    if elapsed < deadline || elapsed > deadline + SLACK {
        return Err(format!(
            "{}: a {deadline:?} deadline fired after {elapsed:?}",
            A::NAME
        ));
    }
    let kind = reply_kind(phase);
    phase_failure(A::NAME, phase, attempt, |e| {
        e.protocol() == Some(&ProtocolError::Timeout(kind))
    })
}

/// A server silent from the start: `Timeout(Greeting)` at the greeting deadline.
pub fn silent_at_greeting<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::Greeting)
}

/// Silent after EHLO: `Timeout(Hello)`.
pub fn silent_at_ehlo<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::Ehlo)
}

/// Silent after MAIL: `Timeout(Mail)`, the recipient not attempted.
pub fn silent_at_mail<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::Mail)
}

/// Silent after RCPT: `Timeout(Rcpt)`, the recipient not attempted.
pub fn silent_at_rcpt<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::Rcpt)
}

/// Silent after DATA: `Timeout(Data)`, the recipient not attempted.
pub fn silent_at_data<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::Data)
}

/// Silent after the end of data: `Timeout(DataEnd)`, the mail **uncertain**.
pub fn silent_at_data_end<A: SmtpAdapter>() -> Result<(), String> {
    silent::<A>(Phase::DataEnd)
}

fn silent<A: SmtpAdapter>(phase: Phase) -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = steps_to(phase, &pki);
    steps.push(Step::Drain);
    let timeouts = timeouts_at(phase, SHORT);
    let (attempt, elapsed, _) = scenario::<A>(steps, &pki, timeouts, MailBody::bytes(BODY))?;
    if elapsed < SHORT || elapsed > SHORT + SLACK {
        return Err(format!(
            "{}: a {SHORT:?} deadline at {phase:?} fired after {elapsed:?}",
            A::NAME
        ));
    }
    let kind = reply_kind(phase);
    phase_failure(A::NAME, phase, attempt, |e| {
        e.protocol() == Some(&ProtocolError::Timeout(kind))
    })
}
