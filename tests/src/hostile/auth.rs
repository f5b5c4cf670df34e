//! Credentials across the TLS switch (SECURITY.md "state across the TLS switch",
//! "credentials"): mechanisms come only from the EHLO inside TLS, credentials without a
//! usable mechanism are an error, a failed AUTH is never retried with another one, and no
//! AUTH goes out on a connection without TLS (or with TLS that is not verified) unless
//! plaintext AUTH was allowed.

use base64::Engine as _;
use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Error, Security, TlsConfig};
use smtp_proto::auth::Mechanism;
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Authenticate, LogicError};

use super::{
    PASSWORD, PATIENT, TestPki, USER, check_no_credentials, config, credentials, plain_blob,
};
use crate::adapter::SmtpAdapter;
use crate::server::{Played, ScriptedServer, Step, expect, send};

/// The plaintext EHLO offers `AUTH PLAIN LOGIN` and STARTTLS; the EHLO inside TLS offers
/// only `AUTH LOGIN`: the client authenticates with LOGIN (what was learnt before TLS is
/// discarded), after a second EHLO.
pub fn auth_mechanisms_come_from_the_tls_ehlo<A: SmtpAdapter>() -> Result<(), String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let steps = after_tls(
        "250-mx.test\r\n250 AUTH LOGIN\r\n",
        vec![
            expect("AUTH LOGIN\r\n"),
            send("334 VXNlcm5hbWU6\r\n"),
            expect(&format!("{}\r\n", b64(USER))),
            send("334 UGFzc3dvcmQ6\r\n"),
            expect(&format!("{}\r\n", b64(PASSWORD))),
            send("235 2.7.0 authenticated\r\n"),
            expect("QUIT\r\n"),
            send("221 bye\r\n"),
        ],
    );
    let (result, played) = set_up::<A>(steps)?;
    let mechanism = result.map_err(|e| format!("{}: the setup failed: {e}", A::NAME))?;
    played
        .result
        .clone()
        .map_err(|e| format!("{}: {e}", A::NAME))?;
    if mechanism != Some(Mechanism::Login) {
        return Err(format!("{}: authenticated with {mechanism:?}", A::NAME));
    }
    Ok(())
}

/// Credentials configured, and the EHLO inside TLS offers no AUTH (the plaintext one
/// did): the setup fails with `NoMechanism`, never a silent unauthenticated session, and no
/// AUTH line is written.
pub fn no_usable_mechanism_inside_tls<A: SmtpAdapter>() -> Result<(), String> {
    let steps = after_tls("250-mx.test\r\n250 8BITMIME\r\n", vec![Step::Drain]);
    let (result, played) = set_up::<A>(steps)?;
    match result {
        Err(Error::Refused(LogicError::NoMechanism)) => {}
        other => return Err(format!("{}: expected NoMechanism, got {other:?}", A::NAME)),
    }
    no_auth_line::<A>(&played)
}

/// PLAIN refused with 535 while LOGIN is offered too: the setup fails with the 535 and
/// LOGIN is never tried (no downgrade after a failure).
pub fn a_failed_auth_is_not_retried_with_another_mechanism<A: SmtpAdapter>() -> Result<(), String> {
    let blob = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASSWORD}"));
    let steps = after_tls(
        "250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n",
        vec![
            expect(&format!("AUTH PLAIN {blob}\r\n")),
            send("535 5.7.8 authentication failed\r\n"),
            Step::Drain,
        ],
    );
    let (result, played) = set_up::<A>(steps)?;
    match &result {
        Err(Error::Refused(refusal)) if refusal.response().map(|r| r.code().get()) == Some(535) => {
        }
        other => return Err(format!("{}: expected the 535, got {other:?}", A::NAME)),
    }
    if contains(&played.decrypted, b"AUTH LOGIN") {
        return Err(format!("{}: LOGIN was tried after PLAIN failed", A::NAME));
    }
    Ok(())
}

/// Opportunistic STARTTLS with credentials, plaintext AUTH not allowed, and a server that
/// does not offer STARTTLS but offers `AUTH PLAIN LOGIN`: the setup fails with
/// `PlaintextAuth` right after EHLO; the client wrote nothing but its EHLO (no AUTH line,
/// no form of the password).
pub fn plaintext_auth_refused_when_starttls_is_not_offered<A: SmtpAdapter>() -> Result<(), String> {
    let steps = vec![
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ];
    plaintext_refused::<A>(
        Security::StartTlsOpportunistic,
        steps,
        b"EHLO client.test\r\n",
    )
}

/// `Security::None` with credentials, plaintext AUTH not allowed, and a server offering
/// `AUTH PLAIN LOGIN`: the setup fails with `PlaintextAuth` before a byte is written (the
/// core refuses the setup up front; no EHLO, no AUTH line, no form of the password).
pub fn plaintext_auth_refused_without_tls<A: SmtpAdapter>() -> Result<(), String> {
    let steps = vec![
        send("220 mx.test ESMTP\r\n"),
        // Were the client to go on, AUTH is on offer: it must not take it.
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n"),
        Step::Drain,
    ];
    plaintext_refused::<A>(Security::None, steps, b"")
}

/// TLS whose certificate is not verified (`dangerous_skip_verification`) protects nothing
/// against whoever sits on the path, so for AUTH it counts as plaintext (SECURITY.md
/// "credentials", as the CLI's `--insecure-skip-verify`): with credentials and plaintext
/// AUTH not allowed, the setup fails with `PlaintextAuth` before a byte is written, with
/// STARTTLS required and with implicit TLS; allowed, AUTH goes out inside TLS.
pub fn auth_over_unverified_tls_needs_plaintext_allowed<A: SmtpAdapter>() -> Result<(), String> {
    let greeting = || {
        vec![
            send("220 mx.test ESMTP\r\n"),
            expect("EHLO client.test\r\n"),
            send("250-mx.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"),
            Step::Drain,
        ]
    };
    refused_with::<A>(Security::StartTlsRequired, greeting(), b"", unverified)?;
    // Implicit TLS shakes hands before the setup starts; nothing is written inside TLS.
    let pki = TestPki::new()?;
    let mut implicit = vec![Step::StartTls(pki.good.clone())];
    implicit.extend(greeting());
    refused_with::<A>(Security::ImplicitTls, implicit, b"", unverified)?;
    let (result, played) = set_up_with::<A>(
        after_tls(
            "250-mx.test\r\n250 AUTH PLAIN\r\n",
            vec![
                expect(&format!("AUTH PLAIN {}\r\n", plain_blob())),
                send("235 2.7.0 ok\r\n"),
                expect("QUIT\r\n"),
                send("221 bye\r\n"),
            ],
        ),
        |port, _| {
            unverified(port, Security::StartTlsRequired)?
                .allow_plaintext_auth(true)
                .build()
                .map_err(|e| e.to_string())
        },
    )?;
    played.result.map_err(|e| format!("{}: {e}", A::NAME))?;
    match result {
        Ok(Some(Mechanism::Plain)) => Ok(()),
        other => Err(format!("{}: expected AUTH PLAIN, got {other:?}", A::NAME)),
    }
}

/// A caller's own `Authenticate`, sent on a connection whose TLS is not verified and that
/// has no credentials configured, is refused too (`PlaintextAuth`, nothing written): the
/// adapter tells the core the TLS is unverified, so whichever command carries AUTH is
/// checked.
pub fn a_callers_own_auth_over_unverified_tls_is_refused<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = vec![
        Step::StartTls(pki.good.clone()),
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250 AUTH PLAIN\r\n"),
        expect("QUIT\r\n"),
        send("221 bye\r\n"),
    ];
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(server.address().port())
        .security(Security::ImplicitTls)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .timeouts(Timeouts::uniform(PATIENT))
        .build()
        .map_err(|e| e.to_string())?;
    let result = A::block_on(async {
        let mut connection = A::connect(&config).await?;
        let refused = A::send(&mut connection, Authenticate::new(credentials())).await?;
        A::quit(connection).await?;
        Ok::<_, Error>(refused)
    });
    let played = server.played()?;
    check_no_credentials(&played)?;
    no_auth_line::<A>(&played)?;
    played.result.map_err(|e| format!("{}: {e}", A::NAME))?;
    match result {
        Ok(Err(LogicError::PlaintextAuth)) => Ok(()),
        other => Err(format!(
            "{}: expected PlaintextAuth, got {other:?}",
            A::NAME
        )),
    }
}

/// `security` on 127.0.0.1:`port` with the certificate not verified and the credentials.
fn unverified(port: u16, security: Security) -> Result<ConnectionConfigBuilder, String> {
    Ok(ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .credentials(credentials())
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .timeouts(Timeouts::uniform(PATIENT)))
}

/// Runs the setup with `security`, the credentials and plaintext AUTH not allowed against
/// `steps`: it must fail with `PlaintextAuth`, the client must have written exactly
/// `written`, no AUTH line and no form of the password.
fn plaintext_refused<A: SmtpAdapter>(
    security: Security,
    steps: Vec<Step>,
    written: &[u8],
) -> Result<(), String> {
    refused_with::<A>(security, steps, written, |port, security| {
        Ok(ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(security)
            .credentials(credentials())
            .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
            .timeouts(Timeouts::uniform(PATIENT)))
    })
}

/// [`plaintext_refused`] with the configuration `builder` gives for the port and
/// `security` (plaintext AUTH explicitly not allowed on it); with implicit TLS, `written`
/// is what the client wrote inside TLS.
fn refused_with<A: SmtpAdapter>(
    security: Security,
    steps: Vec<Step>,
    written: &[u8],
    builder: impl FnOnce(u16, Security) -> Result<ConnectionConfigBuilder, String>,
) -> Result<(), String> {
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = builder(server.address().port(), security)?
        .allow_plaintext_auth(false)
        .build()
        .map_err(|e| e.to_string())?;
    let result = A::block_on(async {
        let connection = A::connect(&config).await?;
        A::quit(connection).await
    });
    let played = server.played()?;
    check_no_credentials(&played)?;
    no_auth_line::<A>(&played)?;
    match result {
        Err(Error::Refused(LogicError::PlaintextAuth)) => {}
        other => {
            return Err(format!(
                "{}: {security:?}: expected PlaintextAuth, got {other:?}",
                A::NAME
            ));
        }
    }
    let seen = match security {
        Security::ImplicitTls => &played.decrypted,
        _ => &played.raw,
    };
    if seen != written {
        return Err(format!(
            "{}: {security:?}: the client wrote {:?}, expected {:?}",
            A::NAME,
            String::from_utf8_lossy(seen),
            String::from_utf8_lossy(written)
        ));
    }
    Ok(())
}

/// A plaintext EHLO offering AUTH and STARTTLS, STARTTLS, then `ehlo` inside TLS and
/// `rest`.
fn after_tls(ehlo: &str, rest: Vec<Step>) -> impl FnOnce(&TestPki) -> Vec<Step> {
    let ehlo = ehlo.to_owned();
    move |pki| {
        let mut steps = vec![
            send("220 mx.test ESMTP\r\n"),
            expect("EHLO client.test\r\n"),
            send("250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"),
            expect("STARTTLS\r\n"),
            send("220 2.0.0 go ahead\r\n"),
            Step::StartTls(pki.good.clone()),
            expect("EHLO client.test\r\n"),
            send(&ehlo),
        ];
        steps.extend(rest);
        steps
    }
}

/// Runs the session setup (and QUIT when it succeeds) against `steps`; the mechanism
/// used, and the server's record, checked for credentials in plaintext.
fn set_up<A: SmtpAdapter>(
    steps: impl FnOnce(&TestPki) -> Vec<Step>,
) -> Result<(Result<Option<Mechanism>, Error>, Played), String> {
    set_up_with::<A>(steps, |port, pki| {
        config(port, pki, Timeouts::uniform(PATIENT))
    })
}

/// [`set_up`] with the configuration `make` gives for the server's port.
fn set_up_with<A: SmtpAdapter>(
    steps: impl FnOnce(&TestPki) -> Vec<Step>,
    make: impl FnOnce(u16, &TestPki) -> Result<ConnectionConfig, String>,
) -> Result<(Result<Option<Mechanism>, Error>, Played), String> {
    let pki = TestPki::new()?;
    let server = ScriptedServer::start(steps(&pki)).map_err(|e| e.to_string())?;
    let config = make(server.address().port(), &pki)?;
    let result = A::block_on(async {
        let connection = A::connect(&config).await?;
        let mechanism = A::established(&connection).and_then(|e| e.authenticated.clone());
        A::quit(connection).await?;
        Ok(mechanism)
    });
    let played = server.played()?;
    check_no_credentials(&played)?;
    Ok((result, played))
}

fn no_auth_line<A: SmtpAdapter>(played: &Played) -> Result<(), String> {
    if contains(&played.raw, b"AUTH") || contains(&played.decrypted, b"AUTH") {
        return Err(format!("{}: an AUTH line was written", A::NAME));
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
