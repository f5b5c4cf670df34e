//! Certificate checks over a real handshake (SECURITY.md "certificate checks"): the chain
//! and the name are verified by default, and a failure ends the connection before any
//! credential or mail byte.

use smtp_adapter::Error;
use smtp_adapter::rustls::{self, CertificateError};
use smtp_proto::client::Timeouts;
use smtp_proto::command::MailBody;

use super::{
    BODY, PATIENT, TestPki, attempt, check_no_credentials, config_verifying, greeting_and_ehlo,
};
use crate::adapter::SmtpAdapter;
use crate::server::{ScriptedServer, Step, TlsAcceptor, expect, send};

/// The server presents `pki.good` (issued for `localhost` and 127.0.0.1) while the client
/// verifies `mx.example.org`: `NotValidForName`.
pub fn wrong_certificate_name<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    bad_certificate::<A>(&pki, pki.good.clone(), Some("mx.example.org"), |e| {
        matches!(
            e,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    })
}

/// The server presents a certificate the trusted CA signed, expired in 2001: `Expired`.
pub fn expired_certificate<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    bad_certificate::<A>(&pki, pki.expired.clone(), None, |e| {
        matches!(
            e,
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        )
    })
}

/// The server presents a self-signed certificate for the right name: `UnknownIssuer`.
pub fn self_signed_certificate<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    bad_certificate::<A>(&pki, pki.self_signed.clone(), None, |e| {
        matches!(e, CertificateError::UnknownIssuer)
    })
}

/// STARTTLS with `acceptor`; the client fails with a TLS error whose rustls certificate
/// error satisfies `expected`, having written nothing but TLS records after STARTTLS and
/// no credential at all.
fn bad_certificate<A: SmtpAdapter>(
    pki: &TestPki,
    acceptor: TlsAcceptor,
    server_name: Option<&str>,
    expected: impl Fn(&CertificateError) -> bool,
) -> Result<(), String> {
    let mut steps = greeting_and_ehlo();
    steps.extend([
        expect("STARTTLS\r\n"),
        send("220 2.0.0 go ahead\r\n"),
        Step::StartTls(acceptor),
        // Reached only if the client accepted the certificate.
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ]);
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let port = server.address().port();
    let name = server_name.unwrap_or("localhost");
    let config = config_verifying(port, pki, Timeouts::uniform(PATIENT), name)?;
    let (attempt, _) = attempt::<A>(&config, MailBody::bytes(BODY))?;
    let played = server.played()?;
    check_no_credentials(&played)?;
    let error = super::setup_error(attempt, A::NAME)?;
    let Error::Tls { source, .. } = &error else {
        return Err(format!("{}: expected a TLS error, got {error}", A::NAME));
    };
    let inner = source
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(e)) if expected(e) => {}
        other => {
            return Err(format!(
                "{}: wrong certificate error {other:?} ({error})",
                A::NAME
            ));
        }
    }
    // The server's handshake must have failed: the client went no further.
    if !played.decrypted.is_empty() || played.result.is_ok() {
        return Err(format!(
            "{}: the client went on after a bad certificate: {:?}",
            A::NAME,
            played.result
        ));
    }
    Ok(())
}
