//! Faults in the envelope: MAIL and RCPT refused, 421, a reply too slow.

use std::time::Duration;

use smtp_adapter::Error;
use smtp_proto::command::{Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;

use super::{
    OrFail, code_of, describe, ensure, expect_fatal, expect_refusal, is_service_closing, run_mail,
};
use crate::adapter::SmtpAdapter;
use crate::interop::Servers;

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

/// `-Q MAIL`: 421 to MAIL: fatal service-closing, nothing sent, nothing delivered.
pub fn fault_421_at_mail<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let ran = run_mail::<A>(servers, test, &["-Q", "MAIL"], 0, None)?;
    let report = expect_fatal(ran, is_service_closing, None)?;
    ensure!(
        report.delivered_count() == 0
            && report
                .recipients()
                .all(|(_, r)| r.status() != RecipientStatus::Uncertain),
        "a mail stopped by 421 at MAIL: {}",
        describe(&report)
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
        // The first RCPT refused by the 421, the second never attempted.
        report.outcome() == Outcome::NotSent && report.delivered_count() == 0,
        "a mail stopped by 421 at RCPT: {}",
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
