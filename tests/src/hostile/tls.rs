//! TLS review (names, SNI, the STARTTLS switch, the handshake's deadline, implicit TLS
//! against a plaintext server, close_notify at QUIT): SECURITY.md "certificate checks",
//! RFC 3207, RFC 8314, RFC 6066 §3, RFC 6125 §6.4.2.

use std::time::{Duration, Instant};

use smtp_adapter::rustls::{self, CertificateError};
use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Error, Phase, Security, TlsConfig};
use smtp_proto::client::Timeouts;

use super::{PATIENT, TestPki, check_no_credentials, credentials, greeting_and_ehlo};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, ScriptedServer, Step, TlsAcceptor, expect, send};

/// A configuration for 127.0.0.1:`port` trusting the test CA alone, verifying `name` when
/// given (else the host), no credentials.
fn named_config(
    port: u16,
    pki: &TestPki,
    name: Option<&str>,
    security: Security,
    tls_timeout: Duration,
) -> Result<ConnectionConfig, String> {
    named_builder(port, pki, name, security, tls_timeout)?
        .build()
        .map_err(|e| format!("the configuration for {name:?} was refused: {e}"))
}

/// The builder of [`named_config`].
fn named_builder(
    port: u16,
    pki: &TestPki,
    name: Option<&str>,
    security: Security,
    tls_timeout: Duration,
) -> Result<ConnectionConfigBuilder, String> {
    let mut tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .map_err(|e| e.to_string())?;
    if let Some(name) = name {
        tls = tls.server_name(name);
    }
    Ok(ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .tls(tls)
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .timeouts(Timeouts::uniform(PATIENT))
        .tls_timeout(tls_timeout))
}

/// STARTTLS with `acceptor`, EHLO inside TLS, then the server reads until the client is
/// gone.
fn starttls_steps(acceptor: TlsAcceptor, reply_220: &str) -> Vec<Step> {
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send(reply_220),
        Step::StartTls(acceptor),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250 8BITMIME\r\n"),
        Step::Drain,
    ]);
    steps
}

/// A required-STARTTLS setup against `pki.named` verifying `name`: the setup's result and
/// what the server saw.
fn named_setup<A: SmtpAdapter>(
    pki: &TestPki,
    name: Option<&str>,
) -> Result<(Result<(), Error>, Played), String> {
    let server = ScriptedServer::start(starttls_steps(pki.named.clone(), "220 go ahead\r\n"))
        .map_err(|e| e.to_string())?;
    // A refused configuration returns before the server is joined (it would wait forever
    // for a connection).
    let config = named_config(
        server.address().port(),
        pki,
        name,
        Security::StartTlsRequired,
        PATIENT,
    )?;
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let played = server.played()?;
    Ok((result, played))
}

/// The setup verifying `name` succeeds and sends `sni` (compared without regard to case,
/// RFC 6066 §3 / RFC 4343).
fn verified_with_sni<A: SmtpAdapter>(name: Option<&str>, sni: Option<&str>) -> Result<(), String> {
    let pki = TestPki::new()?;
    let (result, played) = named_setup::<A>(&pki, name)?;
    if let Err(error) = result {
        return Err(format!("{}: verifying {name:?} failed: {error}", A::NAME));
    }
    let same = match (played.sni.as_deref(), sni) {
        (Some(got), Some(want)) => got.eq_ignore_ascii_case(want),
        (None, None) => true,
        _ => false,
    };
    if !same {
        return Err(format!(
            "{}: verifying {name:?} sent SNI {:?}, expected {sni:?}",
            A::NAME,
            played.sni
        ));
    }
    Ok(())
}

/// An upper-case name matches the certificate's lower-case SAN (RFC 6125 §6.4.1: DNS
/// names compare case-insensitively).
pub fn an_upper_case_name_is_verified<A: SmtpAdapter>() -> Result<(), String> {
    verified_with_sni::<A>(Some("MX.Example.TEST"), Some("mx.example.test"))
}

/// An absolute name (`mx.example.test.`) is the same name: verified against the
/// certificate, and sent as SNI without its dot (RFC 6066 §3: "The hostname is represented
/// ... without a trailing dot").
pub fn a_name_with_a_trailing_dot_is_verified_and_sent_without_it<A: SmtpAdapter>()
-> Result<(), String> {
    verified_with_sni::<A>(Some("mx.example.test."), Some("mx.example.test"))
}

/// An IP address (the host itself, a configured IPv4 or IPv6 address, an RFC 5321 IPv6
/// literal) is verified against the certificate's IP SANs, and no SNI is sent (RFC 6066
/// §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName").
pub fn ip_addresses_are_verified_without_sni<A: SmtpAdapter>() -> Result<(), String> {
    for name in [None, Some("127.0.0.1"), Some("::1"), Some("[IPv6:::1]")] {
        verified_with_sni::<A>(name, None)?;
    }
    Ok(())
}

/// An IP address the certificate does not name is refused (an IP is not matched against
/// DNS SANs, nor another IP).
pub fn a_wrong_ip_address_is_refused<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let (result, played) = named_setup::<A>(&pki, Some("127.0.0.2"))?;
    let Err(Error::Tls { source, .. }) = &result else {
        return Err(format!("{}: expected a TLS error, got {result:?}", A::NAME));
    };
    let inner = source
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    if !matches!(
        inner,
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ))
    ) {
        return Err(format!("{}: wrong error {inner:?}", A::NAME));
    }
    if !played.decrypted.is_empty() {
        return Err(format!("{}: the client went on", A::NAME));
    }
    Ok(())
}

/// A server name given as a U-label (`bücher.example`, as a user types it) is verified
/// against the certificate's A-label and sent as SNI in its A-label form
/// (`xn--bcher-kva.example`): RFC 6125 §6.4.2 ("MUST convert any U-labels to A-labels
/// before checking the domain name"), RFC 6066 §3 (SNI carries A-labels). `smtp-proto`
/// converts U-labels for addresses already (`Domain::to_ascii`).
pub fn an_idn_name_is_verified_and_sent_as_its_a_label<A: SmtpAdapter>() -> Result<(), String> {
    verified_with_sni::<A>(Some("bücher.example"), Some("xn--bcher-kva.example"))
}

/// A 220 to STARTTLS on several lines (RFC 5321 §4.2.1) is one reply: the handshake follows.
pub fn a_multiline_220_starts_tls<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = starttls_steps(pki.good.clone(), "220-ready\r\n220 go ahead\r\n");
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = named_config(
        server.address().port(),
        &pki,
        Some("localhost"),
        Security::StartTlsRequired,
        PATIENT,
    )?;
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let played = server.played()?;
    result.map_err(|e| format!("{}: {e} ({:?})", A::NAME, played.result))?;
    if played.decrypted != b"EHLO client.test\r\n" {
        return Err(format!(
            "{}: wrote {:?} inside TLS",
            A::NAME,
            String::from_utf8_lossy(&played.decrypted)
        ));
    }
    Ok(())
}

/// QUIT over TLS ends with close_notify (RFC 8446 §6.1: each party MUST send close_notify
/// before closing its write side), so the server sees an end, not a truncation.
pub fn quit_over_tls_sends_close_notify<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 go ahead\r\n"),
        Step::StartTls(pki.good.clone()),
        expect("EHLO client.test\r\n"),
        send("250 mx.test\r\n"),
        expect("QUIT\r\n"),
        send("221 bye\r\n"),
        Step::ExpectClose,
    ]);
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = named_config(
        server.address().port(),
        &pki,
        Some("localhost"),
        Security::StartTlsRequired,
        PATIENT,
    )?;
    let result = A::block_on(async {
        let connection = A::connect(&config).await?;
        A::quit(connection).await
    });
    let played = server.played()?;
    result.map_err(|e| format!("{}: {e}", A::NAME))?;
    played.result.map_err(|e| format!("{}: {e}", A::NAME))
}

/// A server that answers STARTTLS with 220 and then never answers the ClientHello: the
/// handshake's own deadline ends it (`Timeout { TlsHandshake }`), not a hang.
pub fn a_silent_starttls_handshake_times_out<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 go ahead\r\n"),
        Step::Drain,
    ]);
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let short = Duration::from_millis(400);
    let config = named_config(
        server.address().port(),
        &pki,
        Some("localhost"),
        Security::StartTlsRequired,
        short,
    )?;
    let start = Instant::now();
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let elapsed = start.elapsed();
    drop(server.played()?);
    match result {
        Err(Error::Timeout {
            phase: Phase::TlsHandshake,
        }) if elapsed < Duration::from_secs(5) => Ok(()),
        other => Err(format!(
            "{}: after {elapsed:?}: expected a TLS handshake timeout, got {other:?}",
            A::NAME
        )),
    }
}

/// Implicit TLS (RFC 8314 §3.3) against a server that greets in plaintext: a TLS error at
/// once, nothing but TLS records written.
pub fn implicit_tls_against_a_plaintext_server_fails_at_once<A: SmtpAdapter>() -> Result<(), String>
{
    let pki = TestPki::new()?;
    let steps = vec![send("220 mx.test ESMTP\r\n"), Step::Drain];
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = named_config(
        server.address().port(),
        &pki,
        Some("localhost"),
        Security::ImplicitTls,
        PATIENT,
    )?;
    let start = Instant::now();
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let elapsed = start.elapsed();
    let played = server.played()?;
    if !matches!(result, Err(Error::Tls { .. })) || elapsed > Duration::from_secs(5) {
        return Err(format!(
            "{}: after {elapsed:?}: expected a TLS error, got {result:?}",
            A::NAME
        ));
    }
    // Nothing but TLS records: the first octet of each is a content type, 0x16 or 0x15.
    if played.raw.first() != Some(&0x16) || played.raw.windows(6).any(|w| w == b"EHLO c") {
        return Err(format!("{}: wrote {:?}", A::NAME, played.raw));
    }
    Ok(())
}

/// Opportunistic STARTTLS whose certificate does not verify, with credentials and even
/// plaintext AUTH allowed: the fatal TLS error, no plaintext after STARTTLS (never a
/// fallback to plaintext on the same connection) and no credential on the wire.
pub fn opportunistic_verification_failure_is_fatal<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let server = ScriptedServer::start(starttls_steps(pki.self_signed.clone(), "220 go ahead\r\n"))
        .map_err(|e| e.to_string())?;
    let config = named_builder(
        server.address().port(),
        &pki,
        Some("localhost"),
        Security::StartTlsOpportunistic,
        PATIENT,
    )?
    .credentials(credentials())
    .allow_plaintext_auth(true)
    .build()
    .map_err(|e| e.to_string())?;
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let played = server.played()?;
    check_no_credentials(&played)?;
    if !matches!(result, Err(Error::Tls { .. })) {
        return Err(format!("{}: expected a TLS error, got {result:?}", A::NAME));
    }
    if played.plaintext() != b"EHLO client.test\r\nSTARTTLS\r\n" {
        return Err(format!(
            "{}: plaintext {:?}",
            A::NAME,
            String::from_utf8_lossy(played.plaintext())
        ));
    }
    Ok(())
}

/// The setup's error against `steps` (implicit TLS when `implicit`), STARTTLS required,
/// no credentials.
fn setup_failure<A: SmtpAdapter>(
    steps: Vec<Step>,
    pki: &TestPki,
    security: Security,
) -> Result<Error, String> {
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = named_config(
        server.address().port(),
        pki,
        Some("localhost"),
        security,
        PATIENT,
    )?;
    let result = A::block_on(async { A::connect(&config).await.map(drop) });
    let played = server.played()?;
    played
        .result
        .map_err(|e| format!("{}: the server's script failed: {e}", A::NAME))?;
    result
        .err()
        .ok_or_else(|| format!("{}: the setup succeeded", A::NAME))
}

/// The refusal `error` must be, with its reply code.
fn refused_with(name: &str, error: &Error, code: u16) -> Result<(), String> {
    match error {
        Error::Refused(refusal) if refusal.response().map(|r| r.code().get()) == Some(code) => {
            Ok(())
        }
        _ => Err(format!(
            "{name}: expected the {code} refusal, got {error:?}"
        )),
    }
}

/// Over implicit TLS, a 554 greeting; the client's QUIT is read, then the server closes
/// the TCP connection without close_notify (as many servers do): the setup is refused
/// with the 554, as over plaintext (SECURITY.md "disconnects": "a 5xx followed by a close
/// is a refusal, not an IO error"). SMTP frames its own replies, so a missing close_notify
/// truncates nothing the client needs; rustls reports it as an `UnexpectedEof` read error,
/// which the adapter must hand to the core as the end of the stream.
pub fn refusal_then_unclean_close_at_greeting_over_tls<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = vec![
        Step::StartTls(pki.good.clone()),
        send("554 5.7.1 no service for you\r\n"),
        expect("QUIT\r\n"),
        // The script ends: the socket closes without close_notify.
    ];
    let error = setup_failure::<A>(steps, &pki, Security::ImplicitTls)?;
    refused_with(A::NAME, &error, 554)
}
