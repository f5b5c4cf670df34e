//! The smoke test on smol: a smol socket brought to `connect_with_stream`, one mail over
//! STARTTLS, and a reply deadline on async-io's timer, all run by `smol::block_on`
//! (no async-std executor anywhere).

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use smol::net::TcpStream;
use smtp_async_std::{Connection, ConnectionConfig, Security, TlsConfig};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Noop, Outcome};
use smtp_proto::error::ProtocolError;
use support::{Peer, TestPki, accept_tls, listener};

#[test]
fn one_mail_over_a_smol_socket_with_starttls() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING", "STARTTLS"]);
        peer.expect("STARTTLS\r\n");
        peer.send("220 2.0.0 go ahead\r\n");
        let mut peer = Peer::new(accept_tls(&server_config, peer.into_inner()));
        peer.ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("Subject: smol\r\n\r\nhello\r\n.\r\n");
        peer.send("250 queued\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let config = ConnectionConfig::builder("localhost")
        .port(port)
        .security(Security::StartTlsRequired)
        .tls(
            TlsConfig::new()
                .root_certificates_pem(pki.ca_pem.as_bytes())
                .unwrap(),
        )
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    smol::block_on(async {
        let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut connection = Connection::connect_with_stream(socket, &config)
            .await
            .unwrap();
        assert!(connection.established().unwrap().tls);
        let envelope = Envelope::new(
            "<a@x.test>".parse().unwrap(),
            ["<b@y.test>".parse().unwrap()],
        )
        .unwrap();
        let body = MailBody::bytes(&b"Subject: smol\n\nhello\n"[..]);
        let report = connection.send_mail(envelope, body).await.unwrap().unwrap();
        assert_eq!(report.outcome(), Outcome::Delivered);
        connection.quit().await.unwrap();
    });
    server.join().unwrap();
}

#[test]
fn a_reply_deadline_fires_on_smol() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&[]);
        peer.expect("NOOP\r\n");
        peer.rest()
    });
    let mut core = ConnectionConfig::builder("x")
        .build()
        .unwrap()
        .client_config();
    core.timeouts = Timeouts::uniform(Duration::from_millis(500));
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(core)
        .build()
        .unwrap();
    smol::block_on(async {
        let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut connection = Connection::connect_with_stream(socket, &config)
            .await
            .unwrap();
        let started = Instant::now();
        let error = connection.send(Noop::default()).await.unwrap_err();
        assert!(
            matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
            "{error}"
        );
        assert!(started.elapsed() >= Duration::from_millis(500));
        assert!(!connection.is_usable());
    });
    server.join().unwrap();
}
