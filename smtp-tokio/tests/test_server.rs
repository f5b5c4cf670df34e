//! The real client against the test server: TLS, AUTH, pipelining, BDAT, refusals, LMTP,
//! faults, recording, concurrency and the threaded server.

use std::time::Duration;

use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{Envelope, MailBody, Outcome, RecipientStatus};
use smtp_tokio::Connection;
use smtp_tokio::test_server::{SessionEnd, Stage, TestServer};

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<app@example.org>".parse().unwrap(),
        to.iter().map(|t| format!("<{t}>").parse().unwrap()),
    )
    .unwrap()
}

fn no_bdat() -> smtp_proto::command::TransactionOptions {
    smtp_proto::command::TransactionOptions {
        prefer_bdat: false,
        ..Default::default()
    }
}

#[tokio::test]
async fn starttls_auth_and_pipelined_data() {
    let server = TestServer::builder()
        .starttls(true)
        .auth("user", "pass")
        .spawn()
        .await
        .unwrap();
    let config = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .transaction_options(no_bdat())
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let established = connection.established().unwrap();
    assert!(established.tls);
    assert_eq!(established.authenticated, Some(Mechanism::Plain));
    let body = MailBody::bytes(&b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\n"[..]);
    let report = connection
        .send_mail(envelope(&["ann@example.net", "bob@example.net"]), body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();

    let message = server.next_message().await;
    assert_eq!(
        message.data,
        b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\n"
    );
    assert!(!message.bdat && message.tls);
    assert_eq!(message.authenticated.as_deref(), Some("user"));
    assert_eq!(
        message.recipient_addresses(),
        ["ann@example.net", "bob@example.net"]
    );
    assert_eq!(message.reverse_path.to_string(), "<app@example.org>");
    assert!(message.verdict.unwrap().code().is_positive_completion());
    let session = server.next_session().await;
    assert_eq!(session.end, Some(SessionEnd::Quit));
    assert!(session.tls);
    assert_eq!(session.authenticated(), Some("user"));
    assert!(
        session
            .commands
            .contains(&"AUTH PLAIN <redacted>".to_owned())
    );
    assert!(session.commands.iter().all(|c| !c.contains("dXNlcg")));
    // MAIL, RCPT, RCPT and DATA came in one pipelined group.
    let mail = session
        .commands
        .iter()
        .position(|c| c.starts_with("MAIL"))
        .unwrap();
    assert_eq!(session.commands[mail + 3], "DATA");
}

#[tokio::test]
async fn bdat_and_a_refused_recipient_make_a_partial_delivery() {
    let server = TestServer::builder()
        .refuse(Stage::Rcpt, "bob@", "550 5.1.1 no such user")
        .spawn()
        .await
        .unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let body = MailBody::bytes(&b"Subject: hi\r\n\r\nbody\r\n"[..]);
    let report = connection
        .send_mail(envelope(&["ann@example.net", "bob@example.net"]), body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
    assert_eq!(
        statuses,
        [RecipientStatus::Delivered, RecipientStatus::Refused]
    );
    connection.quit().await.unwrap();
    let message = server.next_message().await;
    assert!(message.bdat);
    assert_eq!(message.data, b"Subject: hi\r\n\r\nbody\r\n");
    assert_eq!(message.recipient_addresses(), ["ann@example.net"]);
}

#[test]
fn spawn_thread_serves_a_client_on_another_runtime() {
    let server = TestServer::builder().spawn_thread().unwrap();
    let config = server.client_config().build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = MailBody::bytes(&b"Subject: t\r\n\r\nthreaded\r\n"[..]);
    let result = runtime.block_on(smtp_tokio::connect_send_quit(
        &config,
        envelope(&["ann@example.net"]),
        body,
    ));
    assert_eq!(result.unwrap().unwrap().outcome(), Outcome::Delivered);
    let message = server
        .next_message_blocking(Duration::from_secs(10))
        .unwrap();
    assert_eq!(message.data, b"Subject: t\r\n\r\nthreaded\r\n");
}
