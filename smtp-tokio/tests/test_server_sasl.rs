//! Every SASL mechanism the client speaks against the test server: success, wrong secrets
//! (with the bearer error challenge), a forged SCRAM signature, malformed responses.
#![cfg(feature = "test-server")]

use smtp_proto::auth::{Credentials, Mechanism, SaslError, encode_base64};
use smtp_proto::error::ProtocolError;
use smtp_proto::server::SaslMechanism;
use smtp_tokio::test_server::{AuthRecord, Fault, TestServer, TestServerBuilder};
use smtp_tokio::{Connection, Error};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const USER: &str = "ann@example.org";
const PASSWORD: &str = "s3cret pass";
const TOKEN: &str = "ya29.a0AfH6SM";

/// Every mechanism, with the right credentials, and the name the server records.
fn cases() -> [(Mechanism, Credentials, SaslMechanism); 6] {
    let password = || Credentials::password(USER, PASSWORD);
    let token = || Credentials::oauth2(USER, TOKEN);
    [
        (Mechanism::Plain, password(), SaslMechanism::Plain),
        (Mechanism::Login, password(), SaslMechanism::Login),
        (Mechanism::XOAuth2, token(), SaslMechanism::XOAuth2),
        (Mechanism::OAuthBearer, token(), SaslMechanism::OAuthBearer),
        (Mechanism::CramMd5, password(), SaslMechanism::CramMd5),
        (
            Mechanism::ScramSha256,
            password(),
            SaslMechanism::ScramSha256,
        ),
    ]
}

/// A server under implicit TLS offering every mechanism.
fn builder() -> TestServerBuilder {
    TestServer::builder()
        .implicit_tls(true)
        .auth(USER, PASSWORD)
        .xoauth2(USER, TOKEN)
        .mechanisms(SaslMechanism::ALL)
}

async fn connect(
    server: &TestServer,
    mechanism: &Mechanism,
    credentials: Credentials,
) -> Result<Connection, Error> {
    let config = server
        .client_config()
        .credentials(credentials)
        .mechanisms(vec![mechanism.clone()])
        .build()
        .unwrap();
    Connection::connect(&config).await
}

fn record(mechanism: SaslMechanism, accepted: bool, error_answered: Option<bool>) -> String {
    format!("{mechanism} {USER} accepted={accepted} error_answered={error_answered:?}")
}

fn shown(record: &AuthRecord) -> String {
    format!(
        "{} {} accepted={} error_answered={:?}",
        record.mechanism, record.user, record.accepted, record.error_answered
    )
}

#[tokio::test]
async fn every_mechanism_authenticates_and_is_recorded() {
    let server = builder().spawn().await.unwrap();
    for (mechanism, credentials, _) in cases() {
        let connection = connect(&server, &mechanism, credentials).await.unwrap();
        let established = connection.established().unwrap();
        assert_eq!(established.authenticated, Some(mechanism.clone()));
        connection.quit().await.unwrap();
    }
    let sessions = server.sessions();
    for ((mechanism, _, recorded), session) in cases().into_iter().zip(&sessions) {
        let records: Vec<String> = session.auth.iter().map(shown).collect();
        assert_eq!(records, [record(recorded, true, None)], "{mechanism}");
        assert_eq!(session.authenticated(), Some(USER));
        let auth = format!("AUTH {mechanism}");
        assert!(
            session.commands.iter().any(|c| c.starts_with(&auth)),
            "{mechanism}: {:?}",
            session.commands
        );
        // No secret reaches the transcript, whatever the mechanism.
        let all = session.commands.join("\n");
        for secret in [PASSWORD, TOKEN, &encode_base64(TOKEN.as_bytes())[..8]] {
            assert!(!all.contains(secret), "{mechanism}: {all}");
        }
    }
}

/// A user configured twice is accepted with either secret (SCRAM derives its keys from
/// the first password).
#[tokio::test]
async fn a_user_may_have_several_passwords_and_tokens() {
    let server = builder()
        .auth(USER, "second password")
        .xoauth2(USER, "ya29.second")
        .spawn()
        .await
        .unwrap();
    let second = [
        (
            Mechanism::Plain,
            Credentials::password(USER, "second password"),
        ),
        (
            Mechanism::CramMd5,
            Credentials::password(USER, "second password"),
        ),
        (Mechanism::XOAuth2, Credentials::oauth2(USER, "ya29.second")),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth2(USER, "ya29.second"),
        ),
        (
            Mechanism::ScramSha256,
            Credentials::password(USER, PASSWORD),
        ),
    ];
    for (mechanism, credentials) in second {
        let connection = connect(&server, &mechanism, credentials).await;
        let connection = connection.unwrap_or_else(|e| panic!("{mechanism}: {e}"));
        connection.quit().await.unwrap();
    }
    let refused = connect(
        &server,
        &Mechanism::Plain,
        Credentials::password(USER, "third password"),
    )
    .await;
    assert!(matches!(refused, Err(Error::Refused { .. })), "{refused:?}");
}

#[tokio::test]
async fn the_ehlo_offers_what_is_configured_and_others_are_504() {
    let server = TestServer::builder()
        .auth(USER, PASSWORD)
        .mechanisms(SaslMechanism::ALL)
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let mut raw = Raw::connect_plain(&server).await;
    let ehlo = raw.command("EHLO c.test").await;
    assert!(
        ehlo.ends_with("|250 AUTH SCRAM-SHA-256 OAUTHBEARER XOAUTH2 PLAIN LOGIN CRAM-MD5"),
        "{ehlo}"
    );
    let server = TestServer::builder()
        .auth(USER, PASSWORD)
        .oauthbearer(USER, TOKEN)
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let mut raw = Raw::connect_plain(&server).await;
    let ehlo = raw.command("EHLO c.test").await;
    assert!(
        ehlo.ends_with("|250 AUTH PLAIN LOGIN OAUTHBEARER"),
        "{ehlo}"
    );
    // A mechanism not offered is 504 before any challenge.
    assert_eq!(
        raw.command("AUTH CRAM-MD5").await,
        "504 5.5.4 Unrecognized authentication type"
    );
}

#[tokio::test]
async fn wrong_secrets_are_refused_and_bearer_tokens_get_the_error_challenge() {
    let server = builder().spawn().await.unwrap();
    for (mechanism, credentials, _) in cases() {
        let wrong = match credentials {
            Credentials::Password { .. } => Credentials::password(USER, "wrong"),
            _ => Credentials::oauth2(USER, "ya29.expired"),
        };
        let error = connect(&server, &mechanism, wrong).await.unwrap_err();
        let Error::Refused(refusal) = &error else {
            panic!("{mechanism}: {error}");
        };
        let reply = refusal.response().unwrap();
        assert_eq!(reply.code().get(), 535, "{mechanism}: {error}");
    }
    for ((mechanism, _, recorded), session) in cases().into_iter().zip(server.sessions()) {
        let bearer = recorded.is_bearer();
        let records: Vec<String> = session.auth.iter().map(shown).collect();
        let expected = record(recorded, false, bearer.then_some(true));
        assert_eq!(records, [expected], "{mechanism}");
        if bearer {
            // AUTH with the initial response, then the answer to the error challenge.
            let tail = &session.commands[session.commands.len() - 2..];
            assert_eq!(
                tail,
                [format!("AUTH {mechanism} <redacted>"), "<redacted>".into()]
            );
        }
    }
}

#[tokio::test]
async fn a_forged_scram_signature_is_refused_by_the_client() {
    let server = builder()
        .fault(Fault::ForgedScramSignature)
        .spawn()
        .await
        .unwrap();
    let credentials = Credentials::password(USER, PASSWORD);
    let error = connect(&server, &Mechanism::ScramSha256, credentials)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Protocol(ProtocolError::Sasl {
                error: SaslError::ServerSignatureMismatch,
                ..
            })
        ),
        "{error}"
    );
    let session = server.next_session().await;
    // The proof was right, the server's signature was not: never authenticated.
    assert_eq!(session.authenticated(), None);
    assert_eq!(session.auth.len(), 1);
}

#[tokio::test]
async fn scram_without_tls_is_refused_at_the_lookup() {
    let server = TestServer::builder()
        .auth(USER, PASSWORD)
        .mechanisms([SaslMechanism::ScramSha256])
        .spawn()
        .await
        .unwrap();
    // SCRAM without TLS: the lookup is refused before any key is derived.
    let mut raw = Raw::connect_plain(&server).await;
    raw.command("EHLO c.test").await;
    let first = encode_base64(b"n,,n=ann@example.org,r=abcdefgh");
    assert_eq!(
        raw.command(&format!("AUTH SCRAM-SHA-256 {first}")).await,
        "538 5.7.11 Encryption required for requested authentication mechanism"
    );
}

/// Malformed responses: each gets 501 and the session goes on.
#[tokio::test]
async fn malformed_client_responses_get_501() {
    let server = TestServer::builder()
        .auth(USER, PASSWORD)
        .xoauth2(USER, TOKEN)
        .oauthbearer(USER, TOKEN)
        .mechanisms(SaslMechanism::ALL)
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let b64 = |text: &str| encode_base64(text.as_bytes());
    let mut raw = Raw::connect_plain(&server).await;
    raw.command("EHLO c.test").await;
    for (lines, last) in [
        (
            vec![format!("AUTH OAUTHBEARER {}", b64("n,,auth=Bearer x"))],
            "501",
        ),
        (vec![format!("AUTH XOAUTH2 {}", b64("user=a"))], "501"),
        (vec!["AUTH CRAM-MD5".into(), b64("ann 00")], "501"),
        (vec!["AUTH CRAM-MD5 =".into()], "501"),
        (vec!["AUTH SCRAM-SHA-256".into(), b64("n,,r=abc")], "501"),
        (
            vec!["AUTH SCRAM-SHA-256".into(), "not base64!".into()],
            "501",
        ),
        (vec!["AUTH PLAIN".into(), "*".into()], "501"),
        // A wrong token, then a non-empty answer to the error challenge.
        (
            vec![
                format!("AUTH XOAUTH2 {}", b64("user=x\x01auth=Bearer no\x01\x01")),
                b64("{}"),
            ],
            "501",
        ),
    ] {
        let mut reply = String::new();
        for line in &lines {
            reply = raw.command(line).await;
        }
        assert!(reply.starts_with(last), "{lines:?}: {reply}");
        assert_eq!(raw.command("NOOP").await, "250 2.0.0 Ok", "{lines:?}");
    }
    // Only the wrong token got as far as credentials; its error challenge was answered
    // with something else than the empty response XOAUTH2 requires.
    let records = raw.quit_and_records(&server).await;
    assert_eq!(
        records,
        ["XOAUTH2 x accepted=false error_answered=Some(false)"]
    );
}

/// Several attempts on one connection are recorded one by one: a wrong token gets the
/// mechanism's own error challenge (RFC 7628 §3.2.2 for OAUTHBEARER), an authorization
/// identity other than the user is refused, the same user as authzid is accepted.
#[tokio::test]
async fn each_attempt_on_one_connection_is_recorded_and_authzid_must_be_the_user() {
    let server = TestServer::builder()
        .auth(USER, PASSWORD)
        .oauthbearer(USER, TOKEN)
        .mechanisms(SaslMechanism::ALL)
        .allow_plaintext_auth(true)
        .spawn()
        .await
        .unwrap();
    let b64 = |text: &str| encode_base64(text.as_bytes());
    let mut raw = Raw::connect_plain(&server).await;
    raw.command("EHLO c.test").await;
    let bearer = format!("n,a={USER},\x01auth=Bearer ya29.expired\x01\x01");
    let challenge = raw
        .command(&format!("AUTH OAUTHBEARER {}", b64(&bearer)))
        .await;
    let error =
        r#"{"status":"invalid_token","schemes":"bearer","scope":"https://mail.google.com/"}"#;
    assert_eq!(challenge, format!("334 {}", b64(error)));
    // The client answers with the single %x01 of RFC 7628 §3.2.3.
    assert!(raw.command(&b64("\x01")).await.starts_with("535 5.7.8"));
    let other = format!("bob@example.org\0{USER}\0{PASSWORD}");
    let refused = raw.command(&format!("AUTH PLAIN {}", b64(&other))).await;
    assert!(refused.starts_with("535 5.7.8"), "{refused}");
    let same = format!("{USER}\0{USER}\0{PASSWORD}");
    let accepted = raw.command(&format!("AUTH PLAIN {}", b64(&same))).await;
    assert!(accepted.starts_with("235 2.7.0"), "{accepted}");
    assert_eq!(
        raw.quit_and_records(&server).await,
        [
            record(SaslMechanism::OAuthBearer, false, Some(true)),
            record(SaslMechanism::Plain, false, None),
            record(SaslMechanism::Plain, true, None),
        ]
    );
}

/// A hand-written client for what ours never sends.
struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    async fn connect_plain(server: &TestServer) -> Self {
        let stream = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        let mut raw = Self {
            reader: BufReader::new(stream),
        };
        raw.reply().await;
        raw
    }

    /// The next reply, its lines joined with `|`.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).await.unwrap();
            assert!(n > 0, "closed after {lines:?}");
            let line = line.trim_end_matches("\r\n").to_owned();
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line);
            if !more {
                return lines.join("|");
            }
        }
    }

    async fn command(&mut self, line: &str) -> String {
        let stream = self.reader.get_mut();
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
        self.reply().await
    }

    async fn quit_and_records(mut self, server: &TestServer) -> Vec<String> {
        assert_eq!(self.command("QUIT").await, "221 2.0.0 Bye");
        let session = server.next_session().await;
        session.auth.iter().map(shown).collect()
    }
}
