//! Replies no server may send, over real sockets inside TLS (SECURITY.md "disconnects and
//! 421", "malformed replies", "pipelining"): a 421 in the middle of a pipelined group, a
//! malformed reply, a reply code impossible for its command. Each is fatal, with the exact
//! error, and the client writes nothing after it: no body, no RSET, no QUIT.

use smtp_adapter::Error;
use smtp_proto::client::Timeouts;
use smtp_proto::command::{MailBody, MailReport, Noop, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::ReplyError;

use super::{
    BODY, PATIENT, TestPki, attempt, check_no_credentials, config, implicit_tls_config, mail_error,
    scenario, setup_error, tls_prelude, tls_prelude_offering, tls_prelude_written,
};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, ScriptedServer, Step, expect, send};

/// The EHLO inside TLS offering PIPELINING: MAIL, RCPT and DATA leave as one group.
const PIPELINED_EHLO: &str =
    "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n";
/// The pipelined group of the suite's one-recipient mail.
const GROUP: &str = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n";

/// MAIL, RCPT and DATA pipelined inside TLS; the server accepts MAIL and answers RCPT with
/// 421, then keeps reading: fatal `ServiceClosing` with the 421, the interrupted report
/// rejected, not delivered (its one recipient refused with the 421), and the client wrote
/// nothing after the group (no body, no end of data, no RSET, no QUIT) and closed the
/// connection itself.
pub fn service_closing_mid_transaction<A: SmtpAdapter>() -> Result<(), String> {
    let name = A::NAME;
    let pki = TestPki::new()?;
    let mut steps = tls_prelude_offering(&pki, PIPELINED_EHLO);
    steps.extend([
        expect(GROUP),
        send("250 2.1.0 ok\r\n421 4.3.2 shutting down\r\n"),
        Step::Drain,
    ]);
    let timeouts = Timeouts::uniform(PATIENT);
    let (attempt, _, played) = scenario::<A>(steps, &pki, timeouts, MailBody::bytes(BODY))?;
    script_played(name, &played)?;
    let error = mail_error(attempt, name)?;
    match error.protocol() {
        Some(ProtocolError::ServiceClosing(reply)) if reply.code().get() == 421 => {}
        _ => {
            return Err(format!(
                "{name}: expected ServiceClosing(421), got {error:?}"
            ));
        }
    }
    let report = one_report(name, &error)?;
    // The one recipient was refused by the 421 itself: every recipient refused, so the
    // report says rejected (not delivered, nothing uncertain; a 4yz may be retried).
    check_report(
        name,
        report,
        Outcome::Rejected,
        RecipientStatus::Refused,
        Some(421),
    )?;
    written_exactly(name, &played, &format!("{}{GROUP}", tls_prelude_written()))
}

/// Three malformed replies (lines disagreeing on the code, a non-numeric code, a code
/// outside 2-5), each on its own connection as the reply to EHLO (implicit TLS) and as the
/// reply to NOOP after a STARTTLS setup: each is the fatal `MalformedReply` with its exact
/// `ReplyError`; the client writes nothing after it, and a QUIT asked for afterwards is
/// refused without a byte written.
pub fn malformed_replies_are_fatal<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let cases = [
        (
            "250-a\r\n251 b\r\n",
            ReplyError::CodeMismatch {
                line: 2,
                expected: 250,
                found: 251,
            },
        ),
        (
            "2x0 ok\r\n",
            ReplyError::NotDigit {
                line: 1,
                position: 1,
                byte: b'x',
            },
        ),
        (
            "650 no\r\n",
            ReplyError::CodeOutOfRange { line: 1, code: 650 },
        ),
    ];
    for (reply, expected) in cases {
        let expected = ProtocolError::MalformedReply(expected);
        malformed_at_ehlo::<A>(&pki, reply, &expected)
            .map_err(|e| format!("{}: {reply:?} to EHLO: {e}", A::NAME))?;
        malformed_at_noop::<A>(&pki, reply, &expected)
            .map_err(|e| format!("{}: {reply:?} to NOOP: {e}", A::NAME))?;
    }
    Ok(())
}

/// Implicit TLS, the greeting, then `reply` to EHLO: the setup fails with `expected`, and
/// the client wrote its EHLO and nothing else (no HELO fallback, no AUTH, no QUIT).
fn malformed_at_ehlo<A: SmtpAdapter>(
    pki: &TestPki,
    reply: &str,
    expected: &ProtocolError,
) -> Result<(), String> {
    let steps = vec![
        Step::StartTls(pki.good.clone()),
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send(reply),
        Step::Drain,
    ];
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = implicit_tls_config(server.address().port(), pki, Timeouts::uniform(PATIENT))?;
    let (attempt, _) = attempt::<A>(&config, MailBody::bytes(BODY))?;
    let played = server.played()?;
    check_no_credentials(&played)?;
    script_played("", &played)?;
    if played.tls_from != Some(0) {
        return Err(format!(
            "not implicit TLS: the handshake began at {:?}",
            played.tls_from
        ));
    }
    let error = setup_error(attempt, "")?;
    if error.protocol() != Some(expected) {
        return Err(format!("expected {expected:?}, got {error:?}"));
    }
    written_exactly("", &played, "EHLO client.test\r\n")
}

/// The STARTTLS setup, then `reply` to NOOP: the NOOP fails with `expected`, the connection
/// is unusable, a QUIT asked for next fails with `Unusable` without writing, and the client
/// wrote nothing after its NOOP.
fn malformed_at_noop<A: SmtpAdapter>(
    pki: &TestPki,
    reply: &str,
    expected: &ProtocolError,
) -> Result<(), String> {
    let mut steps = tls_prelude(pki);
    steps.extend([expect("NOOP\r\n"), send(reply), Step::Drain]);
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = config(server.address().port(), pki, Timeouts::uniform(PATIENT))?;
    let (noop, usable, quit) = A::block_on(async {
        let mut connection = A::connect(&config)
            .await
            .map_err(|e| format!("setup: {e}"))?;
        let noop = A::send(&mut connection, Noop::default()).await;
        let usable = A::is_usable(&connection);
        let quit = A::quit(connection).await;
        Ok::<_, String>((noop, usable, quit))
    })?;
    let played = server.played()?;
    check_no_credentials(&played)?;
    script_played("", &played)?;
    match &noop {
        Err(error) if error.protocol() == Some(expected) => {}
        other => return Err(format!("expected {expected:?}, got {other:?}")),
    }
    if usable {
        return Err("usable after a malformed reply".to_owned());
    }
    match &quit {
        Err(error) if error.protocol() == Some(&ProtocolError::Unusable) => {}
        other => return Err(format!("QUIT after the fatal error gave {other:?}")),
    }
    written_exactly("", &played, &format!("{}NOOP\r\n", tls_prelude_written()))
}

/// RCPT answered with 354 (impossible: only DATA's reply can be 354), inside TLS, pipelined
/// and not: fatal `ImpossibleReply { command: "RCPT" }` with the 354, the report not sent
/// and the recipient not attempted; the 354 is never taken for DATA's, so no body and no
/// end of data is written (pipelined: nothing after the group; not pipelined: nothing after
/// RCPT, not even DATA).
pub fn a_354_to_rcpt_is_fatal<A: SmtpAdapter>() -> Result<(), String> {
    let name = A::NAME;
    let pki = TestPki::new()?;
    let mut pipelined = tls_prelude_offering(&pki, PIPELINED_EHLO);
    pipelined.extend([
        expect(GROUP),
        send("250 2.1.0 ok\r\n354 go ahead\r\n"),
        Step::Drain,
    ]);
    let mut one_by_one = tls_prelude(&pki);
    one_by_one.extend([
        expect("MAIL FROM:<a@x.test>\r\n"),
        send("250 2.1.0 ok\r\n"),
        expect("RCPT TO:<b@y.test>\r\n"),
        send("354 go ahead\r\n"),
        Step::Drain,
    ]);
    let runs = [
        ("pipelined", pipelined, GROUP),
        (
            "not pipelined",
            one_by_one,
            "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n",
        ),
    ];
    for (how, steps, commands) in runs {
        let name = format!("{name} ({how})");
        let timeouts = Timeouts::uniform(PATIENT);
        let (attempt, _, played) = scenario::<A>(steps, &pki, timeouts, MailBody::bytes(BODY))?;
        script_played(&name, &played)?;
        let error = mail_error(attempt, &name)?;
        match error.protocol() {
            Some(ProtocolError::ImpossibleReply {
                command: "RCPT",
                response,
            }) if response.code().get() == 354 => {}
            _ => {
                return Err(format!(
                    "{name}: expected ImpossibleReply(RCPT, 354), got {error:?}"
                ));
            }
        }
        let report = one_report(&name, &error)?;
        check_report(
            &name,
            report,
            Outcome::NotSent,
            RecipientStatus::NotAttempted,
            None,
        )?;
        written_exactly(
            &name,
            &played,
            &format!("{}{commands}", tls_prelude_written()),
        )?;
    }
    Ok(())
}

/// The server's script ran to its end: every expected line matched.
fn script_played(name: &str, played: &Played) -> Result<(), String> {
    played
        .result
        .clone()
        .map_err(|e| format!("{name}: the server's script failed: {e}"))
}

/// The one report the fatal error interrupted.
fn one_report<'e>(name: &str, error: &'e Error) -> Result<&'e MailReport, String> {
    match error.reports() {
        [report] => Ok(report),
        reports => Err(format!(
            "{name}: expected one interrupted report, got {reports:?}"
        )),
    }
}

/// The report's outcome, its one recipient's status and the code of its RCPT reply.
fn check_report(
    name: &str,
    report: &MailReport,
    outcome: Outcome,
    status: RecipientStatus,
    rcpt_code: Option<u16>,
) -> Result<(), String> {
    let recipients: Vec<_> = report
        .recipients()
        .map(|(_, r)| (r.status(), r.rcpt_reply().map(|reply| reply.code().get())))
        .collect();
    if report.outcome() != outcome || recipients != [(status, rcpt_code)] {
        return Err(format!(
            "{name}: outcome {:?} with {recipients:?}, expected {outcome:?} with \
             [({status:?}, {rcpt_code:?})]",
            report.outcome()
        ));
    }
    Ok(())
}

/// Everything the client wrote inside TLS is exactly `expected`.
pub(super) fn written_exactly(name: &str, played: &Played, expected: &str) -> Result<(), String> {
    if played.decrypted != expected.as_bytes() {
        return Err(format!(
            "{name}: the client wrote {:?} inside TLS, expected exactly {expected:?}",
            String::from_utf8_lossy(&played.decrypted)
        ));
    }
    Ok(())
}
