//! Deadlines no peer can stretch and no setting can overflow: the linger after a failed
//! write against a server that drips a TLS record, a connect to a Unix socket whose
//! listener's backlog is full (which would block without limit), and `Duration::MAX` as
//! "no timeout".
//!
//! The Unix-socket and `Duration::MAX` tests, with the same names, are in smtp-tokio and
//! smtp-async-std.
#![cfg(unix)]

mod support;

use std::io::Write;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use smtp_blocking::{Connection, ConnectionConfig, Error, Security, TlsConfig};
use smtp_proto::command::Noop;
use support::{Peer, TestPki, accept_tls};

/// After a write fails, the adapter reads what the server sent for a short linger
/// (250 ms). Over TLS, a server that announces a 16 KiB record and drips it an octet every
/// 100 ms must not stretch that: every socket read gets only what is left of the linger,
/// not the whole of it again (3 s of dripping before the fix).
#[test]
fn a_dripping_server_cannot_stretch_the_linger_after_a_failed_tls_write() {
    let pki = TestPki::new();
    let (client, server) = UnixStream::pair().unwrap();
    let server_config = pki.server.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let mut raw = server.try_clone().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, server));
        peer.send("220 mx.test ESMTP\r\n");
        peer.ehlo(&[]);
        // The server reads no more: the client's next write fails.
        raw.shutdown(Shutdown::Read).unwrap();
        ready_tx.send(()).unwrap();
        raw.write_all(&[0x17, 0x03, 0x03, 0x40, 0x00]).unwrap();
        for _ in 0..30 {
            std::thread::sleep(Duration::from_millis(100));
            if raw.write_all(&[0]).is_err() {
                break;
            }
        }
        drop(peer);
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost");
    let config = ConnectionConfig::builder("localhost")
        .security(Security::ImplicitTls)
        .tls(tls)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(client, &config).unwrap();
    ready_rx.recv().unwrap();
    let start = Instant::now();
    let result = connection.send(Noop::default());
    let elapsed = start.elapsed();
    assert!(result.is_err(), "{result:?}");
    server.join().unwrap();
    assert!(
        elapsed < Duration::from_secs(2),
        "the 250 ms linger after a failed write lasted {elapsed:?}"
    );
}

/// A listener whose backlog is full makes a blocking `connect(2)` to it wait without
/// limit: the connect does not block, and fails at once (`EAGAIN` on Linux), as in the
/// async adapters.
#[test]
fn a_unix_listener_with_a_full_backlog_cannot_hold_the_connect() {
    let dir = std::env::temp_dir().join(format!("smtp-blocking-backlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("full.sock");
    let _ = std::fs::remove_file(&path);
    let listener =
        socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
    listener
        .bind(&socket2::SockAddr::unix(&path).unwrap())
        .unwrap();
    listener.listen(0).unwrap();
    // A backlog of 0 holds one connection: this one fills it.
    let _filler = UnixStream::connect(&path).unwrap();
    let config = ConnectionConfig::unix(&path)
        .connect_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Connection::connect(&config).map(drop));
    });
    let outcome = rx.recv_timeout(Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(&dir);
    let result = outcome.expect("the connect was still blocked after 10 s");
    assert!(
        matches!(&result, Err(Error::ConnectUnix { path: p, .. }) if *p == path),
        "{result:?}"
    );
}

/// `Duration::MAX` means "no timeout": the deadlines it gives are far off, never a panic
/// (connect, TLS handshake, and the core's reply deadlines).
#[test]
fn the_largest_timeouts_mean_no_deadline_and_never_panic() {
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
        .client_config(smtp_proto::client::ClientConfig {
            timeouts: smtp_proto::client::Timeouts::uniform(Duration::MAX),
            ..Default::default()
        })
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let reply = connection.send(Noop::default()).unwrap().unwrap();
    assert_eq!(reply.code().get(), 250);
    server.join().unwrap();
}
