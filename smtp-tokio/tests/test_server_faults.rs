//! Each scripted fault of the test server against the real client, and the error the
//! client must report for it.
#![cfg(feature = "test-server")]

use std::time::Duration;

use smtp_proto::client::{ReplyKind, Timeouts};
use smtp_proto::command::{Envelope, MailBody, Outcome};
use smtp_proto::error::ProtocolError;
use smtp_tokio::test_server::{Fault, SessionEnd, Stage, TestServer};
use smtp_tokio::{Connection, ConnectionConfig, Error};

fn envelope() -> Envelope {
    Envelope::new(
        "<app@example.org>".parse().unwrap(),
        ["<ann@example.net>".parse().unwrap()],
    )
    .unwrap()
}

fn body() -> MailBody {
    MailBody::bytes(&b"Subject: fault\r\n\r\nbody\r\n"[..])
}

async fn send_one(config: &ConnectionConfig) -> smtp_tokio::MailResult {
    let mut connection = Connection::connect(config).await?;
    connection.send_mail(envelope(), body()).await
}

/// A 421 ended the connection: service closing at every stage, STARTTLS included
/// (RFC 5321 §3.8).
fn service_closing(error: &Error) -> bool {
    matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if r.code().get() == 421)
}

#[tokio::test]
async fn a_421_at_each_stage_is_service_closing() {
    // Each stage with the verb of the last command the server read before its 421 (none
    // before the greeting; the server offers CHUNKING, so the message goes as one
    // `BDAT LAST`, which is both its data and its end of data): the fault fires where it
    // is set, not at the first stage.
    let stages = [
        (Stage::Greeting, None),
        (Stage::Ehlo, Some("EHLO")),
        (Stage::StartTls, Some("STARTTLS")),
        (Stage::Auth, Some("AUTH")),
        (Stage::Mail, Some("MAIL")),
        (Stage::Rcpt, Some("RCPT")),
        (Stage::Data, Some("BDAT")),
        (Stage::DataEnd, Some("BDAT")),
    ];
    for (stage, last_verb) in stages {
        let server = TestServer::builder()
            .starttls(true)
            .auth("user", "pass")
            .fault(Fault::ServiceClosing(stage))
            .spawn()
            .await
            .unwrap();
        let config = server
            .client_config()
            .credentials(smtp_proto::auth::Credentials::password("user", "pass"))
            .build()
            .unwrap();
        let error = send_one(&config).await.unwrap_err();
        assert!(service_closing(&error), "{stage:?}: {error}");
        let session = server.next_session().await;
        assert_eq!(session.end, Some(SessionEnd::ServiceClosing), "{stage:?}");
        let last = session.commands.last().map(|line| {
            let verb = line.split(' ').next().unwrap_or_default();
            verb.to_owned()
        });
        assert_eq!(
            last.as_deref(),
            last_verb,
            "{stage:?}: {:?}",
            session.commands
        );
        assert!(
            server.messages().iter().all(|m| !m.is_accepted()),
            "{stage:?}"
        );
    }
}

/// A refusal rule whose reply is a 421 closes the connection like the fault does; any
/// other refusal leaves the session going on to its QUIT.
#[tokio::test]
async fn a_421_refusal_closes_the_connection_and_others_do_not() {
    for (reply, end) in [
        ("421 4.3.2 going down", SessionEnd::ServiceClosing),
        ("450 4.2.1 try later", SessionEnd::Quit),
    ] {
        let server = TestServer::builder()
            .refuse(Stage::Rcpt, "", reply)
            .spawn()
            .await
            .unwrap();
        let config = server.client_config().build().unwrap();
        let mut connection = Connection::connect(&config).await.unwrap();
        match connection.send_mail(envelope(), body()).await {
            Err(error) => {
                assert!(service_closing(&error), "{reply}: {error}");
                assert!(!connection.is_usable(), "{reply}");
            }
            Ok(refused) => {
                let report = refused.unwrap();
                assert_ne!(report.outcome(), Outcome::Delivered, "{reply}");
                connection.quit().await.unwrap();
            }
        }
        assert_eq!(server.next_session().await.end, Some(end), "{reply}");
    }
}

#[tokio::test]
async fn disconnect_before_the_verdict_leaves_the_mail_uncertain() {
    let server = TestServer::builder()
        .fault(Fault::DisconnectBeforeVerdict)
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let error = send_one(&config).await.unwrap_err();
    let [report] = error.reports() else {
        panic!("one interrupted report expected: {error}")
    };
    assert_eq!(report.outcome(), Outcome::Uncertain);
    let message = server.next_message().await;
    assert_eq!(message.verdict, None);
    assert!(!message.is_accepted());
    assert_eq!(message.data, b"Subject: fault\r\n\r\nbody\r\n");
    assert_eq!(
        server.next_session().await.end,
        Some(SessionEnd::Disconnected)
    );
}

#[tokio::test]
async fn disconnect_after_the_verdict_delivers_then_fails_io() {
    let server = TestServer::builder()
        .fault(Fault::DisconnectAfterVerdict)
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let report = connection
        .send_mail(envelope(), body())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    // The server closed after its 250: the next exchange finds the connection gone.
    let error = connection.send_mail(envelope(), body()).await.unwrap_err();
    let closed = matches!(error.cause(), Error::Io(_))
        || matches!(
            error.protocol(),
            Some(ProtocolError::ConnectionClosed | ProtocolError::UnexpectedEof(_))
        );
    assert!(closed, "{error:?}");
    assert!(server.next_message().await.is_accepted());
}

#[tokio::test]
async fn silence_makes_the_client_time_out() {
    for (stage, kind) in [
        (Stage::Greeting, ReplyKind::Greeting),
        (Stage::Mail, ReplyKind::Mail),
        (Stage::DataEnd, ReplyKind::DataEnd),
    ] {
        let server = TestServer::builder()
            .chunking(false)
            .fault(Fault::Silence(stage))
            .spawn()
            .await
            .unwrap();
        let short = Duration::from_millis(150);
        let timeouts = Timeouts {
            greeting: short,
            mail: short,
            data_end: short,
            ..Timeouts::RFC5321
        };
        let config = server.client_config().timeouts(timeouts).build().unwrap();
        let error = send_one(&config).await.unwrap_err();
        assert_eq!(
            error.protocol(),
            Some(&ProtocolError::Timeout(kind)),
            "{stage:?}: {error}"
        );
        if stage == Stage::DataEnd {
            assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
        }
    }
}

#[tokio::test]
async fn slow_replies_outlast_a_short_deadline_and_delay_every_reply() {
    let server = TestServer::builder()
        .slow_replies(Duration::from_millis(400))
        .spawn()
        .await
        .unwrap();
    let timeouts = Timeouts {
        greeting: Duration::from_millis(100),
        ..Timeouts::RFC5321
    };
    let config = server.client_config().timeouts(timeouts).build().unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::Timeout(ReplyKind::Greeting))
    );

    let server = TestServer::builder()
        .slow_replies(Duration::from_millis(30))
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let start = std::time::Instant::now();
    let connection = Connection::connect(&config).await.unwrap();
    connection.quit().await.unwrap();
    // Greeting, EHLO and QUIT each waited (a lower bound, never flaky).
    assert!(start.elapsed() >= Duration::from_millis(90));
}

#[tokio::test]
async fn bytes_after_the_starttls_220_are_the_clients_injection_error() {
    let server = TestServer::builder()
        .starttls(true)
        .fault(Fault::InjectAfterStartTls(
            b"250-forged\r\n250 AUTH PLAIN\r\n".to_vec(),
        ))
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert_eq!(error.protocol(), Some(&ProtocolError::StartTlsInjection));
    let session = server.next_session().await;
    assert!(
        matches!(session.end, Some(SessionEnd::Tls(_))),
        "{session:?}"
    );
    assert!(!session.tls);
}

#[tokio::test]
async fn a_limited_fault_hits_only_its_first_times() {
    let server = TestServer::builder()
        .fault_times(Fault::ServiceClosing(Stage::Rcpt), 1)
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let error = send_one(&config).await.unwrap_err();
    assert!(service_closing(&error), "{error}");
    let report = send_one(&config).await.unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_disconnect_before_the_greeting_is_an_unexpected_eof() {
    let server = TestServer::builder()
        .fault(Fault::Disconnect(Stage::Greeting))
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::UnexpectedEof(ReplyKind::Greeting)),
        "{error}"
    );
    assert_eq!(
        server.next_session().await.end,
        Some(SessionEnd::Disconnected)
    );
}

#[tokio::test]
async fn too_many_recipients_are_sent_again_in_a_new_transaction() {
    let server = TestServer::builder()
        .max_recipients(2)
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let to = ["<a@y.test>", "<b@y.test>", "<c@y.test>"];
    let envelope = Envelope::new(
        "<app@example.org>".parse().unwrap(),
        to.iter().map(|t| t.parse().unwrap()),
    )
    .unwrap();
    let report = smtp_tokio::connect_send_quit(&config, envelope, body())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(report.transactions().len(), 2);
    let first = server.next_message().await;
    let second = server.next_message().await;
    assert_eq!(first.recipient_addresses(), ["a@y.test", "b@y.test"]);
    assert_eq!(second.recipient_addresses(), ["c@y.test"]);
    assert_eq!(first.data, second.data);
}
