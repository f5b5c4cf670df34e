//! SMTP smuggling on the wire (SECURITY.md "body smuggling", CVE-2023-51764/51765/51766):
//! a body full of bare line ends, dot lines and would-be end-of-data sequences reaches a
//! real server inside TLS canonical and dot-stuffed, with one end-of-data marker, at its end.

use smtp_proto::client::Timeouts;
use smtp_proto::command::{MailBody, Outcome, RecipientStatus};

use super::replies::written_exactly;
use super::{Attempt, PATIENT, TestPki, scenario, tls_prelude, tls_prelude_written};
use crate::adapter::SmtpAdapter;
use crate::server::{Step, expect, send};

/// The body as the caller hands it (`MailBody::bytes`), piece by piece.
const HOSTILE_BODY: &[&[u8]] = &[
    // A header line and the blank line after it, with bare LFs.
    b"Subject: smuggle\n",
    b"\n",
    // A line starting with a dot, then a line that is just a dot.
    b".leading dot\r\n",
    b".\r\n",
    // A bare CR inside a line, then a bare LF.
    b"bare\rCR\n",
    // LF . LF: the bare-LF end of data of the published attacks, then a smuggled command.
    b"lf\n.\nMAIL FROM:<evil@x.test>\r\n",
    // CRLF . CRLF in the middle: the real end-of-data marker, then another command.
    b"RCPT TO:<victim@y.test>\r\n.\r\nDATA\r\n",
    // CR . CR and LF . CRLF, and a last line without a line end.
    b"x\r.\ry\n.\r\nz",
];

/// What the server must receive after its 354, computed by hand from the rules of
/// `smtp-proto/tests/data_encoder.rs`: every bare CR and bare LF becomes CRLF, a leading dot
/// is doubled on every line, the last line gets its CRLF, then the one end-of-data marker.
const ON_THE_WIRE: &str = concat!(
    "Subject: smuggle\r\n",
    "\r\n",
    "..leading dot\r\n",
    "..\r\n",
    "bare\r\nCR\r\n",
    "lf\r\n..\r\nMAIL FROM:<evil@x.test>\r\n",
    "RCPT TO:<victim@y.test>\r\n..\r\nDATA\r\n",
    "x\r\n..\r\ny\r\n..\r\nz\r\n",
    ".\r\n",
);

/// The hostile body sent inside TLS: the server receives exactly `ON_THE_WIRE` after its
/// 354 (so no `.` line before the end, and `\r\n.\r\n` exactly once, at the end), the mail is
/// delivered on the server's one 250, and the client wrote nothing else.
pub fn body_smuggling_is_neutralised_on_the_wire<A: SmtpAdapter>() -> Result<(), String> {
    let name = A::NAME;
    let marker = "\r\n.\r\n";
    if ON_THE_WIRE.matches(marker).count() != 1 || !ON_THE_WIRE.ends_with(marker) {
        return Err("the expected octets must hold one end-of-data marker, at the end".into());
    }
    let pki = TestPki::new()?;
    let mut steps = tls_prelude(&pki);
    steps.extend([
        expect("MAIL FROM:<a@x.test>\r\n"),
        send("250 2.1.0 ok\r\n"),
        expect("RCPT TO:<b@y.test>\r\n"),
        send("250 2.1.5 ok\r\n"),
        expect("DATA\r\n"),
        send("354 go ahead\r\n"),
        expect(ON_THE_WIRE),
        send("250 2.0.0 queued as 1\r\n"),
        Step::Drain,
    ]);
    let body = MailBody::bytes(HOSTILE_BODY.concat());
    let (attempt, _, played) = scenario::<A>(steps, &pki, Timeouts::uniform(PATIENT), body)?;
    played
        .result
        .clone()
        .map_err(|e| format!("{name}: the server received another body: {e}"))?;
    let report = match &attempt {
        Attempt::Mail(Ok(Ok(report))) => report,
        other => return Err(format!("{name}: expected a delivered mail, got {other:?}")),
    };
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    if report.outcome() != Outcome::Delivered || statuses != [RecipientStatus::Delivered] {
        return Err(format!(
            "{name}: outcome {:?} with {statuses:?}",
            report.outcome()
        ));
    }
    let written = format!(
        "{}MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n{ON_THE_WIRE}",
        tls_prelude_written()
    );
    written_exactly(name, &played, &written)
}
