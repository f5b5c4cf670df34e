//! Logs never show a secret: wire logs are the core's redacted transmits, and each
//! command runs in its own span with its outcome.

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use smtp_async_std::{Connection, ConnectionConfig, Security};
use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use support::{
    Capture, LOGIN_PASSWORD, LOGIN_USER, Peer, SECRET_BODY, assert_login_and_body_are_redacted,
    assert_logs_are_redacted, auth_and_a_refused_mail, listener, login_and_an_accepted_mail,
};

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

/// The server's bytes that arrive after STARTTLS's 220, caught by the read just before the
/// handshake, are in the wire log as every other read is: the log shows the injection
/// the session failed on.
#[test]
fn bytes_caught_before_the_tls_handshake_are_logged() {
    use smtp_async_std::MockStream;
    use smtp_proto::command::{Ehlo, Greeting, StartTls};
    use smtp_proto::error::ProtocolError;
    use smtp_proto::testing::{Delivery, Script};
    let text = "> greeting\nS: 220 mx.test ESMTP\n= ok 220\n> ehlo client.test\n\
                C: EHLO client.test\nS: 250-mx.test\nS: 250 STARTTLS\n= ok 250 ehlo\n\
                > starttls\nC: STARTTLS\nS: 220 2.0.0 ready\nS: 250 injected\n\
                = fatal start-tls-injection\n";
    let script = Script::parse("injection.smtp", text).unwrap();
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        async_std::task::block_on(async {
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
    let lines = capture.text();
    assert!(lines.contains("S: 220 2.0.0 ready"), "{lines}");
    assert!(lines.contains("S: 250 injected"), "{lines}");
}
