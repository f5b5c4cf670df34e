//! Session setup against the real servers: plaintext, STARTTLS, implicit TLS, certificate
//! checks, and every AUTH mechanism they offer, right and wrong.

use std::time::Duration;

use smtp_adapter::rustls::ProtocolVersion;
use smtp_adapter::{Error, Security};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{LogicError, MailBody, MailReport, TransactionOptions};
use smtp_proto::response::Capability;

use super::setup::{OrFail, builder, ensure, envelope, expect_delivered, message};
use super::store::contains;
use super::{Finder, Servers, Store, Stored, Target, token};
use crate::adapter::SmtpAdapter;

/// Plaintext (no TLS at all) on the server's first port, one mail over DATA, then the
/// stored copy found by its token.
pub fn plaintext<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let data_only = TransactionOptions {
        prefer_bdat: false,
        ..TransactionOptions::default()
    };
    let config = builder(servers, target.port(), Security::None)?
        .transaction_options(data_only)
        .build()
        .or_fail("config")?;
    let finder = Finder::new(target.store(servers));
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let established = A::established(&connection).ok_or("no setup output")?;
        ensure!(
            !established.tls && A::tls_info(&connection).is_none(),
            "TLS reported on a plaintext connection"
        );
        let helo_only = target == Target::SmtpSinkNoEsmtp;
        ensure!(
            established.ehlo().is_none() == helo_only,
            "EHLO data {:?}, expected HELO fallback: {helo_only}",
            established.ehlo()
        );
        deliver_one::<A>(&mut connection, test, &token).await?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    let stored = find_stored(&finder, &target.store(servers), &token)?;
    if matches!(target.store(servers), Store::Oracle(_)) {
        ensure!(
            stored.meta.contains("\"tls\": null"),
            "the server saw TLS: {}",
            stored.meta
        );
    }
    Ok(())
}

/// STARTTLS required, verified against the test CA for `localhost`; AUTH PLAIN where the
/// listener requires it (Postfix submission, strict aiosmtpd).
pub fn starttls<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let mut builder = builder(servers, target.port(), Security::StartTlsRequired)?;
    let mut auth = None;
    if matches!(target, Target::PostfixSubmission | Target::AiosmtpdStrict) {
        builder = builder
            .credentials(Credentials::password(servers.user(), servers.password()))
            .mechanisms(vec![Mechanism::Plain]);
        auth = Some(Mechanism::Plain);
    }
    let config = builder.build().or_fail("config")?;
    over_tls::<A>(servers, test, target, &config, auth)
}

/// Implicit TLS (RFC 8314) on the server's TLS port, with AUTH PLAIN.
pub fn implicit_tls<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let port = target.implicit_tls_port().ok_or("no implicit TLS port")?;
    let config = builder(servers, port, Security::ImplicitTls)?
        .credentials(Credentials::password(servers.user(), servers.password()))
        .mechanisms(vec![Mechanism::Plain])
        .build()
        .or_fail("config")?;
    over_tls::<A>(servers, test, target, &config, Some(Mechanism::Plain))
}

/// Connects over TLS as `config` says, checks TLS 1.3, the post-TLS EHLO data and the
/// AUTH (`auth`), and delivers one mail.
pub(crate) fn over_tls<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    config: &smtp_adapter::ConnectionConfig,
    auth: Option<Mechanism>,
) -> Result<(), String> {
    let finder = Finder::new(target.store(servers));
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(config).await.or_fail("connect")?;
        let established = A::established(&connection).ok_or("no setup output")?;
        let info = A::tls_info(&connection).ok_or("no TLS info")?;
        ensure!(established.tls, "the session is not TLS");
        ensure!(
            info.version == Some(ProtocolVersion::TLSv1_3) && !info.peer_certificates.is_empty(),
            "negotiated {:?} with {} certificate(s), expected TLS 1.3",
            info.version,
            info.peer_certificates.len()
        );
        let ehlo = established.ehlo().ok_or("no EHLO data")?;
        ensure!(
            !ehlo.supports(Capability::StartTls),
            "the EHLO data kept is not the one sent inside TLS"
        );
        ensure!(
            established.authenticated == auth,
            "authenticated with {:?}, expected {auth:?}",
            established.authenticated
        );
        deliver_one::<A>(&mut connection, test, &token).await?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    let stored = find_stored(&finder, &target.store(servers), &token)?;
    if matches!(target.store(servers), Store::Oracle(_)) {
        ensure!(
            stored.meta.contains("TLSv1.3"),
            "the server did not record TLS 1.3: {}",
            stored.meta
        );
    }
    Ok(())
}

/// AUTH with `mechanism` (the only one allowed) over STARTTLS, then a mail.
pub fn auth<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    mechanism: Mechanism,
) -> Result<(), String> {
    let credentials = match mechanism {
        Mechanism::XOAuth2 => Credentials::oauth2(servers.user(), servers.bearer_token()),
        _ => Credentials::password(servers.user(), servers.password()),
    };
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .credentials(credentials)
        .mechanisms(vec![mechanism.clone()])
        .build()
        .or_fail("config")?;
    let finder = Finder::new(target.store(servers));
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let established = A::established(&connection).ok_or("no setup output")?;
        ensure!(
            established.authenticated.as_ref() == Some(&mechanism),
            "authenticated with {:?}, expected {mechanism:?}",
            established.authenticated
        );
        deliver_one::<A>(&mut connection, test, &token).await?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    let stored = find_stored(&finder, &target.store(servers), &token)?;
    if matches!(target.store(servers), Store::Oracle(_)) {
        ensure!(
            stored.meta.contains("\"authenticated\": true"),
            "the server did not record the AUTH: {}",
            stored.meta
        );
    }
    Ok(())
}

/// A wrong password: the setup fails with the AUTH refusal and the server's 535.
pub fn auth_wrong_password<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
    mechanism: Mechanism,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .credentials(Credentials::password(servers.user(), "wrong-password"))
        .mechanisms(vec![mechanism])
        .build()
        .or_fail("config")?;
    expect_auth_refused::<A>(&config, 535)
}

/// XOAUTH2 with a wrong token: smtp-server's 334 error challenge, then 535.
pub fn auth_wrong_token<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .credentials(Credentials::oauth2(servers.user(), "wrong-token"))
        .mechanisms(vec![Mechanism::XOAuth2])
        .build()
        .or_fail("config")?;
    expect_auth_refused::<A>(&config, 535)
}

/// Only CRAM-MD5 allowed, which the server does not offer: the setup fails with
/// `NoMechanism` (no other mechanism is tried, nothing is sent unauthenticated).
pub fn auth_no_mechanism<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::StartTlsRequired)?
        .credentials(Credentials::password(servers.user(), servers.password()))
        .mechanisms(vec![Mechanism::CramMd5])
        .build()
        .or_fail("config")?;
    match A::block_on(A::connect(&config)) {
        Err(Error::Refused(LogicError::NoMechanism)) => Ok(()),
        Err(other) => Err(format!("expected NoMechanism, got {other:?}")),
        Ok(_) => Err("the setup succeeded without an allowed mechanism".into()),
    }
}

/// smtp-sink answers AUTH with `250 2.0.0 Ok`: neither 235 nor 334, so a failure.
pub fn auth_fake_ok_is_failure<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .credentials(Credentials::password(servers.user(), servers.password()))
        .mechanisms(vec![Mechanism::Plain])
        .allow_plaintext_auth(true)
        .build()
        .or_fail("config")?;
    expect_auth_refused::<A>(&config, 250)
}

fn expect_auth_refused<A: SmtpAdapter>(
    config: &smtp_adapter::ConnectionConfig,
    code: u16,
) -> Result<(), String> {
    match A::block_on(A::connect(config)) {
        Err(Error::Refused(LogicError::Refused { command, response }))
            if command == "AUTH" && response.code().get() == code =>
        {
            let reply = response.to_string();
            let error = Error::Refused(LogicError::Refused { command, response });
            ensure!(
                error.to_string().contains(&reply),
                "the error does not show the server's reply {reply:?}: {error}"
            );
            Ok(())
        }
        Err(other) => Err(format!("expected AUTH refused with {code}, got {other:?}")),
        Ok(_) => Err(format!(
            "expected AUTH refused with {code}, the setup succeeded"
        )),
    }
}

/// AUTH LOGIN in clear, explicitly allowed (as `swaks -a LOGIN` does on 2525).
pub fn auth_plaintext_allowed<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .credentials(Credentials::password(servers.user(), servers.password()))
        .mechanisms(vec![Mechanism::Login])
        .allow_plaintext_auth(true)
        .build()
        .or_fail("config")?;
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let established = A::established(&connection).ok_or("no setup output")?;
        ensure!(
            !established.tls && established.authenticated == Some(Mechanism::Login),
            "expected LOGIN without TLS, got tls={} auth={:?}",
            established.tls,
            established.authenticated
        );
        deliver_one::<A>(&mut connection, test, &token).await?;
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// Credentials on a plaintext connection without the explicit permission: refused
/// before any credential is written.
pub fn auth_plaintext_refused<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .credentials(Credentials::password(servers.user(), servers.password()))
        .build()
        .or_fail("config")?;
    match A::block_on(A::connect(&config)) {
        Err(Error::Refused(LogicError::PlaintextAuth)) => Ok(()),
        Err(other) => Err(format!("expected PlaintextAuth, got {other:?}")),
        Ok(_) => Err("credentials were used without TLS".into()),
    }
}

/// One mail from `sender-TOKEN` to `rcpt-TOKEN`, which must be delivered.
pub(crate) async fn deliver_one<A: SmtpAdapter>(
    connection: &mut A::Connection,
    test: &str,
    token: &str,
) -> Result<MailReport, String> {
    let envelope = envelope(
        &format!("sender-{token}@example.org"),
        &[format!("rcpt-{token}@example.net")],
    )?;
    let body = MailBody::bytes(message(test, token, "Hello from the interop suite.\n"));
    let report = A::send_mail(connection, envelope, body)
        .await
        .or_fail("send_mail")?
        .or_fail("send_mail before a byte was sent")?;
    expect_delivered(&report)?;
    Ok(report)
}

/// The one stored copy of the message with `token`, which must carry its header.
pub(crate) fn find_stored(finder: &Finder, store: &Store, token: &str) -> Result<Stored, String> {
    let stored = finder.find_one(token, wait_for(store))?;
    ensure!(
        contains(&stored.content, format!("X-Test-Id: {token}").as_bytes()),
        "{} lacks the X-Test-Id header",
        stored.path.display()
    );
    Ok(stored)
}

/// How long a store may take after the 250: MTAs deliver asynchronously.
pub(crate) fn wait_for(store: &Store) -> Duration {
    match store {
        Store::Maildir(_) => Duration::from_secs(15),
        _ => Duration::from_secs(3),
    }
}
