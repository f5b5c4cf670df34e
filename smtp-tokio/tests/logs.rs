//! Logs never show a secret: wire logs are the core's redacted transmits, and each
//! command runs in its own span with its outcome.

mod support;

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_tokio::{Connection, ConnectionConfig, Security};
use support::Peer;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects every event and span field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn wire_logs_show_no_credential_and_no_body() {
    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(capture.clone(), || {
        runtime.block_on(async {
            let (client, server) = tokio::io::duplex(64 * 1024);
            let peer = tokio::spawn(async move {
                let mut peer = Peer::new(server);
                peer.greet_ehlo(&["PIPELINING", "AUTH PLAIN"]).await;
                peer.expect("AUTH PLAIN AHRpbQBzM2NyM3Q=\r\n").await;
                peer.send("235 ok\r\n").await;
                peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
                    .await;
                peer.send("250 ok\r\n550 no such user\r\n354 go\r\n").await;
                peer.expect(".\r\n").await;
                peer.send("554 no valid recipients\r\n").await;
            });
            let config = ConnectionConfig::builder("mx.test")
                .security(Security::None)
                .allow_plaintext_auth(true)
                .credentials(Credentials::password("tim", "s3cr3t"))
                .client_id("client.test".parse().unwrap())
                .build()
                .unwrap();
            let mut connection = Connection::connect_with_stream(client, &config)
                .await
                .unwrap();
            let envelope = Envelope::new(
                "<a@x.test>".parse().unwrap(),
                ["<b@y.test>".parse().unwrap()],
            )
            .unwrap();
            let body = MailBody::bytes(&b"Subject: confidential\r\n\r\nhi\r\n"[..]);
            let report = connection.send_mail(envelope, body).await.unwrap().unwrap();
            assert_eq!(report.outcome(), Outcome::Rejected);
            peer.await.unwrap();
        });
    });
    let lines = capture.0.lock().unwrap().join("\n");
    assert!(lines.contains("AUTH PLAIN [secret"), "{lines}");
    assert!(
        !lines.contains("AHRpbQBzM2NyM3Q") && !lines.contains("s3cr3t"),
        "{lines}"
    );
    assert!(!lines.contains("confidential"), "{lines}");
    assert!(lines.contains("MAIL FROM:<a@x.test>"), "{lines}");
    assert!(
        lines.contains("span smtp.command command=\"Establish\""),
        "{lines}"
    );
    assert!(
        lines.contains("span smtp.command command=\"SendMail\""),
        "{lines}"
    );
    assert!(lines.contains("record outcome=\"ok\""), "{lines}");
    // The span of a command that succeeded carries its last reply's code (AUTH's 235).
    assert!(lines.contains("record code=235"), "{lines}");
}

/// AUTH LOGIN (both continuation lines secret) and a mail the server accepts, so the body
/// really crosses the socket: the logs show neither, only their redacted forms.
#[test]
fn wire_logs_redact_auth_login_and_a_sent_body() {
    let capture = Capture::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tracing::subscriber::with_default(capture.clone(), || {
        runtime.block_on(async {
            let server = tokio::spawn(async move {
                let (socket, _) = listener.accept().await.unwrap();
                login_and_an_accepted_mail(&mut Peer::new(socket)).await;
            });
            let config = ConnectionConfig::builder("127.0.0.1")
                .port(port)
                .security(Security::None)
                .allow_plaintext_auth(true)
                .credentials(Credentials::password(LOGIN_USER, LOGIN_PASSWORD))
                .client_id("client.test".parse().unwrap())
                .build()
                .unwrap();
            let mut connection = Connection::connect(&config).await.unwrap();
            let envelope = Envelope::new(
                "<a@x.test>".parse().unwrap(),
                ["<b@y.test>".parse().unwrap()],
            )
            .unwrap();
            let body = MailBody::bytes(SECRET_BODY);
            let report = connection.send_mail(envelope, body).await.unwrap().unwrap();
            assert_eq!(report.outcome(), Outcome::Delivered);
            server.await.unwrap();
        });
    });
    assert_login_and_body_are_redacted(&capture.0.lock().unwrap().join("\n"));
}

/// The server side of the LOGIN test: AUTH LOGIN prompted for both fields, then one mail
/// to `<b@y.test>` accepted, body and all.
async fn login_and_an_accepted_mail<S: AsyncRead + AsyncWrite + Unpin>(peer: &mut Peer<S>) {
    peer.greet_ehlo(&["PIPELINING", "AUTH LOGIN"]).await;
    peer.expect("AUTH LOGIN\r\n").await;
    peer.send("334 VXNlcm5hbWU6\r\n").await;
    peer.expect(&format!("{LOGIN_USER_B64}\r\n")).await;
    peer.send("334 UGFzc3dvcmQ6\r\n").await;
    peer.expect(&format!("{LOGIN_PASSWORD_B64}\r\n")).await;
    peer.send("235 2.7.0 ok\r\n").await;
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
        .await;
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
    peer.expect(&format!("{SECRET_BODY}.\r\n")).await;
    peer.send("250 2.0.0 queued\r\n").await;
}

/// The LOGIN test's user name and password: distinctive octets to look for in the logs.
const LOGIN_USER: &str = "login-user-7q";
const LOGIN_PASSWORD: &str = "l0gin-S3CRET-x9-pw";
/// Their base64 forms, as the two LOGIN continuation lines carry them.
const LOGIN_USER_B64: &str = "bG9naW4tdXNlci03cQ==";
const LOGIN_PASSWORD_B64: &str = "bDBnaW4tUzNDUkVULXg5LXB3";
/// The PLAIN blob of the same credentials (`\0user\0password`), which must not show either.
const LOGIN_PLAIN_B64: &str = "AGxvZ2luLXVzZXItN3EAbDBnaW4tUzNDUkVULXg5LXB3";
/// A message (already canonical, 47 octets) whose every line is distinctive.
const SECRET_BODY: &str = "Subject: confidential\r\n\r\nmeet at the old mill\r\n";

/// What the LOGIN test checks: no form of the credentials, no line of the body, and the
/// redacted forms the core renders, in the order of the exchange: each LOGIN continuation
/// line as a secret of its size with the CRLF (20 + 2, 24 + 2 octets;
/// tests/transcripts/auth-login.smtp), the body as its size with the end-of-data marker
/// (47 + 3 octets; tests/transcripts/mail-pipelined-delivered.smtp), then the verdict.
fn assert_login_and_body_are_redacted(lines: &str) {
    for needle in [
        LOGIN_USER,
        LOGIN_PASSWORD,
        LOGIN_USER_B64,
        LOGIN_PASSWORD_B64,
        LOGIN_PLAIN_B64,
    ] {
        // Without the padding: a log that dropped it must not slip through.
        let needle = needle.trim_end_matches('=');
        assert!(!lines.contains(needle), "{needle:?} in the logs:\n{lines}");
    }
    for line in SECRET_BODY.lines().filter(|line| !line.is_empty()) {
        assert!(!lines.contains(line), "{line:?} in the logs:\n{lines}");
    }
    let mut rest = lines;
    for form in [
        "message=C: AUTH LOGIN\n",
        "message=S: 334 VXNlcm5hbWU6",
        "message=C: [secret]\n",
        "message=S: 334 UGFzc3dvcmQ6",
        "message=C: [secret]\n",
        "message=S: 235 ",
        "message=C: MAIL FROM:<a@x.test>\n",
        "message=C: [body, 50 octets]\n",
        "message=S: 250 2.0.0 queued",
        "record outcome=\"ok\"",
    ] {
        let Some(at) = rest.find(form) else {
            panic!("{form:?} missing or out of order in the logs:\n{lines}");
        };
        rest = &rest[at + form.len()..];
    }
}

/// The server's bytes that arrive after STARTTLS's 220, caught by the read just before the
/// handshake, are in the wire log as every other read is: the log shows the injection
/// the session failed on.
#[test]
fn bytes_caught_before_the_tls_handshake_are_logged() {
    use smtp_proto::command::{Ehlo, Greeting, StartTls};
    use smtp_proto::error::ProtocolError;
    use smtp_proto::testing::{Delivery, Script};
    use smtp_tokio::MockStream;
    let text = "> greeting\nS: 220 mx.test ESMTP\n= ok 220\n> ehlo client.test\n\
                C: EHLO client.test\nS: 250-mx.test\nS: 250 STARTTLS\n= ok 250 ehlo\n\
                > starttls\nC: STARTTLS\nS: 220 2.0.0 ready\nS: 250 injected\n\
                = fatal start-tls-injection\n";
    let script = Script::parse("injection.smtp", text).unwrap();
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            // Each server line is one read: the injected one is read after the 220.
            let mock = MockStream::from_script(&script, Delivery::Lines);
            let mut connection = Connection::with_mock(mock, script.client());
            connection.send(Greeting).await.unwrap().unwrap();
            let ehlo = Ehlo::new("client.test".parse().unwrap()).unwrap();
            connection.send(ehlo).await.unwrap().unwrap();
            let error = connection.send(StartTls).await.unwrap_err();
            assert_eq!(error.protocol(), Some(&ProtocolError::StartTlsInjection));
        });
    });
    let lines = capture.0.lock().unwrap().join("\n");
    assert!(lines.contains("S: 220 2.0.0 ready"), "{lines}");
    assert!(lines.contains("S: 250 injected"), "{lines}");
}
