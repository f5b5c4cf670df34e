//! TLS that must fail, and STARTTLS when offered: a missing STARTTLS, a broken handshake,
//! a name or a CA that does not verify, opportunistic STARTTLS.

use smtp_adapter::{ConnectionConfig, Error, Security, TlsConfig};
use smtp_proto::error::ProtocolError;

use super::session::{deliver_one, over_tls};
use super::setup::{OrFail, builder, ensure};
use super::{Servers, Target, token};
use crate::adapter::SmtpAdapter;

/// Opportunistic STARTTLS: TLS where offered (Postfix: verified, TLS 1.3), plaintext where
/// not (smtp-sink), a mail either way.
pub fn starttls_opportunistic<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsOpportunistic)?
        .build()
        .or_fail("config")?;
    if target != Target::SmtpSink {
        return over_tls::<A>(servers, test, target, &config, None);
    }
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let tls = A::established(&connection).is_some_and(|e| e.tls);
        ensure!(
            !tls && A::tls_info(&connection).is_none(),
            "TLS without STARTTLS"
        );
        deliver_one::<A>(&mut connection, test, &token).await?;
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// Opportunistic STARTTLS whose handshake fails (OpenSMTPD 2536): fatal, never a
/// fallback to plaintext on that connection.
pub fn starttls_opportunistic_broken<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsOpportunistic)?
        .build()
        .or_fail("config")?;
    expect_tls_error::<A>(&config)
}

/// STARTTLS required against a server without it: fatal `StartTlsUnavailable`.
pub fn starttls_unavailable<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .build()
        .or_fail("config")?;
    let result = A::block_on(A::connect(&config)).map(|_| ());
    match result {
        Err(Error::Protocol(ProtocolError::StartTlsUnavailable(None))) => Ok(()),
        other => Err(format!("expected StartTlsUnavailable, got {other:?}")),
    }
}

/// A server whose every handshake fails (OpenSMTPD with OpenSSL 3): a fatal TLS error.
pub fn tls_broken_handshake<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .build()
        .or_fail("config")?;
    expect_tls_error::<A>(&config)
}

/// A certificate valid for `localhost`, verified for another name: a fatal TLS error.
pub fn tls_name_mismatch<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let port = target.implicit_tls_port().ok_or("no implicit TLS port")?;
    let config = builder(servers, port, Security::ImplicitTls)?
        .tls(super::setup::tls(servers)?.server_name("mx.example.org"))
        .build()
        .or_fail("config")?;
    expect_tls_error::<A>(&config)
}

/// The test CA is not among the system's roots: verification must fail by default.
pub fn tls_untrusted_ca<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .tls(TlsConfig::new().server_name("localhost"))
        .build()
        .or_fail("config")?;
    expect_tls_error::<A>(&config)
}

fn expect_tls_error<A: SmtpAdapter>(config: &ConnectionConfig) -> Result<(), String> {
    match A::block_on(A::connect(config)) {
        Err(Error::Tls { server_name, .. }) => {
            let expected = config.tls_server_name().unwrap_or_default();
            ensure!(
                server_name == expected,
                "TLS error names {server_name}, expected {expected}"
            );
            Ok(())
        }
        Err(other) => Err(format!("expected a TLS error, got {other:?}")),
        Ok(_) => Err("the handshake succeeded".into()),
    }
}
