//! Logs never show a secret: wire logs are the core's redacted transmits, and each
//! command runs in its own span with its outcome.

mod support;

use smtp_blocking::{Connection, ConnectionConfig, Security};
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
        let mut connection = Connection::connect(&config).unwrap();
        let envelope = Envelope::new(
            "<a@x.test>".parse().unwrap(),
            ["<b@y.test>".parse().unwrap()],
        )
        .unwrap();
        let body = MailBody::bytes(&b"Subject: confidential\r\n\r\nhi\r\n"[..]);
        let report = connection.send_mail(envelope, body).unwrap().unwrap();
        assert_eq!(report.outcome(), Outcome::Rejected);
    });
    server.join().unwrap();
    assert_logs_are_redacted(&capture.text());
}
