//! Logs never show a secret: wire logs are the core's redacted transmits, and each
//! command runs in its own span with its outcome.

mod support;

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_tokio::{Connection, ConnectionConfig, Security};
use support::Peer;
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
