//! LMTP over a Unix socket with per-recipient verdicts, byte-exact bodies, and what
//! dropping the server does.
#![cfg(all(unix, feature = "test-server"))]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, RecipientStatus, TransactionOptions};
use smtp_tokio::test_server::{SessionEnd, Stage, TestServer};
use smtp_tokio::{Connection, connect_send_quit};

/// A fresh socket path in the temporary directory.
fn socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("smtp-test-server-{}-{n}.sock", std::process::id()))
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        "<app@example.org>".parse().unwrap(),
        to.iter().map(|t| format!("<{t}>").parse().unwrap()),
    )
    .unwrap()
}

#[tokio::test]
async fn lmtp_over_a_unix_socket_gives_one_verdict_per_recipient() {
    for bdat in [false, true] {
        let path = socket_path();
        let server = TestServer::builder()
            .lmtp(true)
            .unix(&path)
            .refuse(Stage::Rcpt, "nobody@", "550 5.1.1 no such user")
            .refuse(Stage::DataEnd, "full@", "452 4.2.2 mailbox full")
            .spawn()
            .await
            .unwrap();
        assert_eq!(server.unix_path(), Some(path.as_path()));
        let options = TransactionOptions {
            prefer_bdat: bdat,
            ..TransactionOptions::default()
        };
        let config = server
            .client_config()
            .transaction_options(options)
            .build()
            .unwrap();
        let to = ["ann@example.net", "nobody@example.net", "full@example.net"];
        let body = MailBody::bytes(&b"Subject: lmtp\r\n\r\nhi\r\n"[..]);
        let report = connect_send_quit(&config, envelope(&to), body)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.outcome(), Outcome::Partial);
        let statuses: Vec<_> = report.recipients().map(|(_, r)| r.status()).collect();
        assert_eq!(
            statuses,
            [
                RecipientStatus::Delivered,
                RecipientStatus::Refused,
                RecipientStatus::Rejected
            ]
        );
        let message = server.next_message().await;
        assert_eq!(message.bdat, bdat);
        assert_eq!(message.verdict, None);
        assert_eq!(
            message.recipient_addresses(),
            ["ann@example.net", "full@example.net"]
        );
        let codes: Vec<_> = message
            .recipients
            .iter()
            .map(|r| r.verdict.as_ref().unwrap().code().get())
            .collect();
        assert_eq!(codes, [250, 452]);
        let session = server.next_session().await;
        assert_eq!(session.peer, None);
        assert!(
            session.commands[0].starts_with("LHLO "),
            "{:?}",
            session.commands
        );
        drop(server);
        assert!(!path.exists(), "the socket file outlived the server");
    }
}

#[tokio::test]
async fn ehlo_is_refused_by_an_lmtp_server() {
    let server = TestServer::builder().lmtp(true).spawn().await.unwrap();
    let config = server.client_config().lmtp(false).build().unwrap();
    assert!(Connection::connect(&config).await.is_err());
}

#[tokio::test]
async fn dot_stuffed_and_binary_bodies_arrive_byte_exact() {
    let server = TestServer::builder().spawn().await.unwrap();
    let config = server
        .client_config()
        .transaction_options(TransactionOptions {
            prefer_bdat: false,
            ..TransactionOptions::default()
        })
        .build()
        .unwrap();
    let body: &[u8] = b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n \r\n.\r\nend\r\n";
    let report = connect_send_quit(&config, envelope(&["a@x.test"]), MailBody::bytes(body))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    let message = server.next_message().await;
    assert!(!message.bdat);
    assert_eq!(message.data, body);
    let lines = &server.next_session().await.commands;
    assert!(
        lines.iter().all(|l| !l.contains("end")),
        "body lines are not commands"
    );

    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let config = server.client_config().build().unwrap();
    let report = connect_send_quit(
        &config,
        envelope(&["a@x.test"]),
        MailBody::Binary(binary.clone().into()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    let message = server.next_message().await;
    assert!(message.bdat);
    assert_eq!(message.data, binary);
    let body = message.mail_parameters.body;
    assert_eq!(body, Some(smtp_proto::syntax::esmtp::Body::BinaryMime));
}

#[tokio::test]
async fn dropping_the_server_ends_its_sessions() {
    let server = TestServer::builder().spawn().await.unwrap();
    let config = server.client_config().build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    assert!(connection.send(Noop::default()).await.unwrap().is_ok());
    drop(server);
    // The session was aborted with the server: the next command finds it closed.
    assert!(connection.send(Noop::default()).await.is_err());
}

#[test]
fn dropping_a_threaded_server_closes_its_port() {
    let server = TestServer::builder().spawn_thread().unwrap();
    let address = server.local_addr().unwrap();
    assert!(std::net::TcpStream::connect(address).is_ok());
    drop(server);
    assert!(std::net::TcpStream::connect(address).is_err());
}

#[test]
fn next_message_blocking_times_out_without_a_message() {
    let server = TestServer::builder().spawn_thread().unwrap();
    let none = server.next_message_blocking(Duration::from_millis(20));
    assert_eq!(none, None);
    assert_eq!(server.next_session_blocking(Duration::from_millis(1)), None);
}

#[tokio::test]
async fn a_second_session_after_a_client_vanishes_is_recorded_apart() {
    let server = TestServer::builder().spawn().await.unwrap();
    let address = server.local_addr().unwrap();
    drop(tokio::net::TcpStream::connect(address).await.unwrap());
    let first = server.next_session().await;
    assert_eq!(first.end, Some(SessionEnd::ClientClosed));
    assert_eq!(first.id, 1);
    assert!(first.peer.is_some());
}
