//! STARTTLS stripping and response injection (SECURITY.md "STARTTLS stripping",
//! "STARTTLS response injection").

use smtp_adapter::Error;
use smtp_proto::command::MailBody;
use smtp_proto::error::ProtocolError;

use super::{BODY, PATIENT, TestPki, greeting_and_ehlo, scenario, setup_error};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, Step, expect, send};
use smtp_proto::client::Timeouts;

/// What the client wrote after its STARTTLS line.
fn after_starttls(played: &Played) -> Result<&[u8], String> {
    let marker = b"STARTTLS\r\n";
    let at = played
        .raw
        .windows(marker.len())
        .position(|w| w == marker)
        .ok_or("the client never wrote STARTTLS")?;
    Ok(played.raw.get(at + marker.len()..).unwrap_or_default())
}

/// A server that answers STARTTLS's 220 and puts a forged EHLO reply in the same segment:
/// fatal [`ProtocolError::StartTlsInjection`], and the client writes nothing after
/// STARTTLS (no ClientHello, no EHLO, no AUTH).
pub fn injection_in_the_220_segment<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 2.0.0 go ahead\r\n250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ]);
    let body = MailBody::bytes(BODY);
    let (attempt, _, played) = scenario::<A>(steps, &pki, Timeouts::uniform(PATIENT), body)?;
    let error = setup_error(attempt, A::NAME)?;
    if error.protocol() != Some(&ProtocolError::StartTlsInjection) {
        return Err(format!(
            "{}: expected StartTlsInjection, got {error}",
            A::NAME
        ));
    }
    let after = after_starttls(&played)?;
    if !after.is_empty() {
        return Err(format!(
            "{}: the client wrote {:?} after the injected 220",
            A::NAME,
            String::from_utf8_lossy(after)
        ));
    }
    Ok(())
}

/// A server that sends the 220, waits for the ClientHello's first octets, then sends a
/// forged plaintext EHLO reply: the handshake fails (fatal TLS error) and every octet the
/// client wrote after STARTTLS is a TLS record (handshake or alert).
pub fn injection_in_a_later_segment<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 2.0.0 go ahead\r\n"),
        Step::Receive(5),
        send("250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ]);
    let body = MailBody::bytes(BODY);
    let (attempt, _, played) = scenario::<A>(steps, &pki, Timeouts::uniform(PATIENT), body)?;
    let error = setup_error(attempt, A::NAME)?;
    if !matches!(error, Error::Tls { .. }) {
        return Err(format!("{}: expected a TLS error, got {error}", A::NAME));
    }
    let written = after_starttls(&played)?;
    let mut rest = written;
    let mut types = Vec::new();
    while let [kind, _, _, high, low, tail @ ..] = rest {
        let len = usize::from(*high) << 8 | usize::from(*low);
        let Some(next) = tail.get(len..) else {
            return Err(format!("{}: a truncated TLS record: {written:?}", A::NAME));
        };
        types.push(*kind);
        rest = next;
    }
    if !rest.is_empty() {
        return Err(format!(
            "{}: non-TLS octets after STARTTLS: {:?}",
            A::NAME,
            String::from_utf8_lossy(rest)
        ));
    }
    // 0x16 handshake (the ClientHello), 0x15 alert: nothing else may have left.
    if types.first() != Some(&0x16) || !types.iter().all(|&t| t == 0x16 || t == 0x15) {
        return Err(format!("{}: TLS record types {types:?}", A::NAME));
    }
    Ok(())
}

/// STARTTLS required, the server does not offer it: fatal `StartTlsUnavailable(None)`
/// right after EHLO; nothing more is written (no AUTH, no MAIL).
pub fn starttls_not_offered<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = vec![
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ];
    stripped::<A>(steps, &pki, None)
}

/// STARTTLS offered, then refused with 454: fatal `StartTlsUnavailable` with the reply;
/// nothing more is written after STARTTLS.
pub fn starttls_refused<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("454 4.7.0 TLS not available\r\n"),
        Step::Drain,
    ]);
    stripped::<A>(steps, &pki, Some(454))
}

fn stripped<A: SmtpAdapter>(
    steps: Vec<Step>,
    pki: &TestPki,
    code: Option<u16>,
) -> Result<(), String> {
    let body = MailBody::bytes(BODY);
    let (attempt, _, played) = scenario::<A>(steps, pki, Timeouts::uniform(PATIENT), body)?;
    let error = setup_error(attempt, A::NAME)?;
    let got = match error.protocol() {
        Some(ProtocolError::StartTlsUnavailable(reply)) => reply.as_ref().map(|r| r.code().get()),
        _ => {
            return Err(format!(
                "{}: expected StartTlsUnavailable, got {error}",
                A::NAME
            ));
        }
    };
    if got != code {
        return Err(format!(
            "{}: StartTlsUnavailable with {got:?}, expected {code:?}",
            A::NAME
        ));
    }
    let expected: &[u8] = if code.is_some() {
        b"EHLO client.test\r\nSTARTTLS\r\n"
    } else {
        b"EHLO client.test\r\n"
    };
    if played.raw != expected {
        return Err(format!(
            "{}: the client wrote {:?} to a server without TLS",
            A::NAME,
            String::from_utf8_lossy(&played.raw)
        ));
    }
    Ok(())
}
