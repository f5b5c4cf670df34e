//! Deadlines no setting can overflow and no local listener can hold: `Duration::MAX` as
//! "no timeout", and a connect to a Unix socket whose listener's backlog is full.
//!
//! The same tests, with the same names, are in smtp-tokio and smtp-blocking (which
//! also checks its own TLS linger).
#![cfg(unix)]

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use smtp_async_std::{Connection, ConnectionConfig, Error, Security, TlsConfig};
use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::command::Noop;
use support::{Peer, TestPki, accept_tls};

/// A listener whose backlog is full: the connect fails at once (`EAGAIN` on Linux), it
/// never waits for room.
#[async_std::test]
async fn a_unix_listener_with_a_full_backlog_cannot_hold_the_connect() {
    let dir = std::env::temp_dir().join(format!("smtp-async-std-backlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("full.sock");
    let _ = std::fs::remove_file(&path);
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut fillers = Vec::new();
    while let Ok(filler) = async_std::os::unix::net::UnixStream::connect(&path).await {
        fillers.push(filler);
        assert!(fillers.len() < 100_000, "the backlog never filled");
    }
    let config = ConnectionConfig::unix(&path)
        .connect_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let result = async_std::future::timeout(Duration::from_secs(10), Connection::connect(&config))
        .await
        .expect("the connect was still waiting after 10 s")
        .map(drop);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        matches!(&result, Err(Error::ConnectUnix { path: p, .. }) if *p == path),
        "{result:?}"
    );
}

/// `Duration::MAX` means "no timeout": the deadlines it gives are far off, never a panic
/// (connect, TLS handshake, and the core's reply deadlines).
#[async_std::test]
async fn the_largest_timeouts_mean_no_deadline_and_never_panic() {
    let pki = TestPki::new();
    let (listener, port) = support::listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, stream));
        peer.send("220 mx.test ESMTP\r\n");
        peer.ehlo(&[]);
        peer.expect("NOOP\r\n");
        peer.send("250 ok\r\n");
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost");
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::ImplicitTls)
        .tls(tls)
        .client_id("client.test".parse().unwrap())
        .connect_timeout(Duration::MAX)
        .tls_timeout(Duration::MAX)
        .client_config(ClientConfig {
            timeouts: Timeouts::uniform(Duration::MAX),
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let reply = connection.send(Noop::default()).await.unwrap().unwrap();
    assert_eq!(reply.code().get(), 250);
    async_std::task::spawn_blocking(move || server.join().unwrap()).await;
}
