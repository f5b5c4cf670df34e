//! Logs never show a secret: wire logs are the core's redacted transmits, and each
//! command runs in its own span with its outcome.

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};

use smtp_async_std::{Connection, ConnectionConfig, Security};
use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use support::{Capture, Peer, assert_logs_are_redacted, auth_and_a_refused_mail, listener};

#[test]
fn wire_logs_show_no_credential_and_no_body() {
    let capture = Capture::default();
    let (listener, port) = listener();
    let server = std::thread::spawn(move || auth_and_a_refused_mail(&mut Peer::accept(&listener)));
    tracing::subscriber::with_default(capture.clone(), || {
        let config = ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(Security::None)
            .allow_plaintext_auth(true)
            .credentials(Credentials::password("tim", "s3cr3t"))
            .client_id("client.test".parse().unwrap())
            .build()
            .unwrap();
        let mut connection = async_std::task::block_on(Connection::connect(&config)).unwrap();
        let envelope = Envelope::new(
            "<a@x.test>".parse().unwrap(),
            ["<b@y.test>".parse().unwrap()],
        )
        .unwrap();
        let body = MailBody::bytes(&b"Subject: confidential\r\n\r\nhi\r\n"[..]);
        let report = async_std::task::block_on(connection.send_mail(envelope, body))
            .unwrap()
            .unwrap();
        assert_eq!(report.outcome(), Outcome::Rejected);
    });
    server.join().unwrap();
    assert_logs_are_redacted(&capture.text());
}

/// AUTH LOGIN (both continuation lines secret) and a mail the server accepts, so the body
/// really crosses the socket: the logs show neither, only their redacted forms.
#[test]
fn wire_logs_redact_auth_login_and_a_sent_body() {
    let capture = Capture::default();
    let (listener, port) = listener();
    let server =
        std::thread::spawn(move || login_and_an_accepted_mail(&mut Peer::accept(&listener)));
    tracing::subscriber::with_default(capture.clone(), || {
        let config = ConnectionConfig::builder("127.0.0.1")
            .port(port)
            .security(Security::None)
            .allow_plaintext_auth(true)
            .credentials(Credentials::password(LOGIN_USER, LOGIN_PASSWORD))
            .client_id("client.test".parse().unwrap())
            .build()
            .unwrap();
        let mut connection = async_std::task::block_on(Connection::connect(&config)).unwrap();
        let envelope = Envelope::new(
            "<a@x.test>".parse().unwrap(),
            ["<b@y.test>".parse().unwrap()],
        )
        .unwrap();
        let body = MailBody::bytes(SECRET_BODY);
        let report = async_std::task::block_on(connection.send_mail(envelope, body))
            .unwrap()
            .unwrap();
        assert_eq!(report.outcome(), Outcome::Delivered);
    });
    server.join().unwrap();
    assert_login_and_body_are_redacted(&capture.text());
}

/// The server side of the LOGIN test: AUTH LOGIN prompted for both fields, then one mail
/// to `<b@y.test>` accepted, body and all.
fn login_and_an_accepted_mail<S: Read + Write>(peer: &mut Peer<S>) {
    peer.greet_ehlo(&["PIPELINING", "AUTH LOGIN"]);
    peer.expect("AUTH LOGIN\r\n");
    peer.send("334 VXNlcm5hbWU6\r\n");
    peer.expect(&format!("{LOGIN_USER_B64}\r\n"));
    peer.send("334 UGFzc3dvcmQ6\r\n");
    peer.expect(&format!("{LOGIN_PASSWORD_B64}\r\n"));
    peer.send("235 2.7.0 ok\r\n");
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    peer.expect(&format!("{SECRET_BODY}.\r\n"));
    peer.send("250 2.0.0 queued\r\n");
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
        "message=C: [secret, 22 octets]\n",
        "message=S: 334 UGFzc3dvcmQ6",
        "message=C: [secret, 26 octets]\n",
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
