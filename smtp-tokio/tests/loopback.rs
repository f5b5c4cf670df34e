//! The adapter over real loopback sockets: STARTTLS and implicit TLS with real handshakes
//! against a test CA, response injection (in the 220's packet and after the ClientHello),
//! STARTTLS required but not offered, certificate failure, a client certificate, an idle
//! 421, real-time deadlines (on a Unix socket too, plaintext and TLS), cancellation, many
//! mails, a caller's own stream, transaction options changed between mails, close_notify on
//! QUIT, a TLS close without it. One write per pipelined group, a body read through a fixed
//! buffer and LMTP over a Unix socket are in `streams.rs`.

mod support;

use std::time::{Duration, Instant};

use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, StreamedBody, TransactionOptions};
use smtp_proto::error::ProtocolError;
use smtp_tokio::{Connection, ConnectionConfig, Error, Security, TlsConfig};
use support::{Peer, TestPki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn config(port: u16, security: Security) -> smtp_tokio::ConnectionConfigBuilder {
    ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .client_id("client.test".parse().unwrap())
}

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn trusting(pki: &TestPki) -> TlsConfig {
    TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost")
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

#[tokio::test]
async fn starttls_auth_and_a_mail_over_a_real_handshake() {
    let pki = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["PIPELINING", "STARTTLS"]).await;
        peer.expect("STARTTLS\r\n").await;
        peer.send("220 2.0.0 go ahead\r\n").await;
        let tls = acceptor.accept(peer.into_inner()).await.unwrap();
        let mut peer = Peer::new(tls);
        peer.ehlo(&["PIPELINING", "AUTH PLAIN LOGIN"]).await;
        peer.expect("AUTH PLAIN AHRpbQBzZWNyZXQ=\r\n").await;
        peer.send("235 2.7.0 ok\r\n").await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("Subject: hi\r\n\r\n..dot\r\n.\r\n").await;
        peer.send("250 queued\r\n").await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost");
    let config = config(port, Security::StartTlsRequired)
        .tls(tls)
        .credentials(Credentials::password("tim", "secret"))
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let established = connection.established().unwrap();
    assert!(established.tls);
    assert_eq!(established.authenticated, Some(Mechanism::Plain));
    let info = connection.tls_info().unwrap();
    assert!(info.version.is_some() && info.cipher.is_some());
    assert_eq!(info.peer_certificates.len(), 1);
    let body = MailBody::bytes(&b"Subject: hi\n\n.dot\n"[..]);
    let report = connection
        .send_mail(envelope(), body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn starttls_injection_in_the_220_packet_is_fatal_and_nothing_follows() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["STARTTLS"]).await;
        peer.expect("STARTTLS\r\n").await;
        peer.send("220 go ahead\r\n250-mx.test\r\n250 AUTH PLAIN\r\n")
            .await;
        peer.rest().await
    });
    let tls = TlsConfig::new().dangerous_skip_verification();
    let config = config(port, Security::StartTlsRequired)
        .tls(tls)
        .credentials(Credentials::password("tim", "secret"))
        // Allowed, so that only the STARTTLS failure can keep the credentials back
        // (unverified TLS counts as plaintext for AUTH).
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::StartTlsInjection),
        "{error}"
    );
    let after = server.await.unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_the_handshake() {
    let server_pki = TestPki::new();
    let other_ca = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = server_pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["STARTTLS"]).await;
        peer.expect("STARTTLS\r\n").await;
        peer.send("220 go ahead\r\n").await;
        assert!(acceptor.accept(peer.into_inner()).await.is_err());
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(other_ca.ca_pem.as_bytes())
        .unwrap();
    let config = config(port, Security::StartTlsRequired)
        .tls(tls)
        .build()
        .unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    let Error::Tls {
        server_name,
        source,
    } = &error
    else {
        panic!("expected a TLS error, got {error}");
    };
    assert_eq!(server_name, "127.0.0.1");
    let inner = source
        .get_ref()
        .and_then(|e| e.downcast_ref::<smtp_tokio::smtp_adapter::rustls::Error>());
    assert!(
        matches!(
            inner,
            Some(smtp_tokio::smtp_adapter::rustls::Error::InvalidCertificate(
                _
            ))
        ),
        "{source:?}"
    );
    server.await.unwrap();
}

/// By default the chain is checked against the system's roots, which do not hold the test
/// CA: the handshake fails (or, on a machine without system roots, the configuration is
/// refused before connecting). Either way no SMTP octet is written.
#[tokio::test]
async fn the_system_roots_do_not_trust_a_private_ca() {
    let pki = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        match acceptor.accept(socket).await {
            Ok(mut tls) => {
                let mut rest = Vec::new();
                let _ = tls.read_to_end(&mut rest).await;
                rest
            }
            Err(_) => Vec::new(),
        }
    });
    let tls = TlsConfig::new().server_name("localhost");
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    match &error {
        Error::Tls { .. } => assert!(
            error
                .to_string()
                .contains("not issued by a trusted certificate authority"),
            "{error}"
        ),
        Error::Config(why) if why.contains("no system root certificates") => {
            // Nothing connected: let the server task go.
            drop(tokio::net::TcpStream::connect(("127.0.0.1", port)).await);
        }
        other => panic!("expected a TLS error, got {other}"),
    }
    let rest = server.await.unwrap();
    assert!(!String::from_utf8_lossy(&rest).contains("EHLO"), "{rest:?}");
}

#[tokio::test]
async fn an_idle_421_is_reported_before_the_next_command_is_written() {
    let (listener, port) = listener().await;
    let (connected, wait) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["PIPELINING"]).await;
        wait.await.unwrap();
        peer.send("421 4.3.2 shutting down\r\n").await;
        peer.stream.shutdown().await.ok();
        peer.rest().await
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    connected.send(()).unwrap();
    // Give the 421 time to arrive while the connection sits idle.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if r.code().get() == 421),
        "{error}"
    );
    assert!(!connection.is_usable());
    drop(connection);
    let after = server.await.unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

/// tokio's timer enforces the core's deadline in real time; a server dripping one byte
/// every 300 ms cannot stretch it.
#[tokio::test]
async fn a_dripping_greeting_times_out_on_the_deadline() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        for byte in b"220 mx.test slow\r\n" {
            if socket.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let config = config(port, Security::None)
        .timeouts(Timeouts::uniform(Duration::from_secs(1)))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
        "{error}"
    );
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    server.abort();
}

/// A deadline spent before the first read (1 ns; `build()` refuses zero) is a timeout at
/// once.
#[tokio::test]
async fn a_spent_deadline_times_out_at_once() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(socket);
    });
    let config = config(port, Security::None)
        .timeouts(Timeouts::uniform(Duration::from_nanos(1)))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_millis(400));
    server.await.unwrap();
}

#[tokio::test]
async fn many_mails_pipelined_in_order() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 queued 1\r\n250 ok\r\n550 no such user\r\n503 no recipients\r\n")
            .await;
        peer.expect("RSET\r\n").await;
        peer.send("250 reset\r\n").await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let mails = vec![
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ];
    let mut results = connection.send_all_mails(mails);
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    match results.next().await.unwrap() {
        Ok(Ok(report)) => {
            assert_eq!(report.outcome(), Outcome::Rejected);
            let (_, status) = report.recipients().next().unwrap();
            assert_eq!(status.rcpt_reply().map(|r| r.code().get()), Some(550));
        }
        other => panic!("the second mail is a refusal, not {other:?}"),
    }
    assert!(results.next().await.is_none());
    drop(results);
    assert!(connection.is_usable());
    connection.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_cancelled_command_leaves_the_connection_unusable_not_out_of_step() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&[]).await;
        peer.expect("NOOP\r\n").await;
        // Never answers; the reply would come late and must match nothing.
        peer.rest().await
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let stalled =
        tokio::time::timeout(Duration::from_millis(200), connection.send(Noop::default())).await;
    assert!(stalled.is_err(), "the send should have stalled");
    assert!(!connection.is_usable());
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(error.protocol(), Some(&ProtocolError::Unusable), "{error}");
    drop(connection);
    let after = server.await.unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

#[tokio::test]
async fn implicit_tls_with_a_streamed_body() {
    let pki = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(acceptor.accept(socket).await.unwrap());
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("Subject: streamed\r\n\r\nline one\r\n..two\r\n.\r\n")
            .await;
        peer.send("250 queued\r\n").await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
        // TLS ends with close_notify: a bare close would be an error here.
        let mut rest = Vec::new();
        peer.stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
    let config = config(port, Security::ImplicitTls)
        .tls(trusting(&pki))
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    assert!(connection.session().is_tls());
    let body = &b"Subject: streamed\r\n\r\nline one\r\n.two\r\n"[..];
    let report = connection
        .send_mail_streamed(envelope(), body, StreamedBody::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn injection_after_the_client_hello_fails_the_handshake_and_only_tls_is_written() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["STARTTLS"]).await;
        peer.expect("STARTTLS\r\n").await;
        peer.send("220 go ahead\r\n").await;
        let mut hello = vec![0u8; 5];
        tokio::io::AsyncReadExt::read_exact(&mut peer.stream, &mut hello)
            .await
            .unwrap();
        peer.send("250-mx.test\r\n250 AUTH PLAIN\r\n").await;
        let mut written = hello;
        written.extend(peer.rest().await);
        written
    });
    let config = config(port, Security::StartTlsRequired)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .credentials(Credentials::password("tim", "secret"))
        // Allowed, so that only the STARTTLS failure can keep the credentials back
        // (unverified TLS counts as plaintext for AUTH).
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(matches!(error, Error::Tls { .. }), "{error}");
    // Every octet after STARTTLS is a TLS record: the ClientHello, maybe an alert.
    let written = server.await.unwrap();
    let mut rest = written.as_slice();
    let mut types = Vec::new();
    while let [kind, _, _, high, low, tail @ ..] = rest {
        let len = usize::from(*high) << 8 | usize::from(*low);
        assert!(tail.len() >= len, "truncated record in {written:?}");
        types.push(*kind);
        rest = &tail[len..];
    }
    assert!(
        rest.is_empty(),
        "non-TLS octets written: {:?}",
        String::from_utf8_lossy(rest)
    );
    assert_eq!(types.first(), Some(&0x16), "a ClientHello first");
    assert!(
        types.iter().all(|&t| t == 0x16 || t == 0x15),
        "record types {types:?}"
    );
}

#[tokio::test]
async fn starttls_required_but_not_offered_sends_nothing_more() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["PIPELINING", "AUTH PLAIN"]).await;
        peer.rest().await
    });
    let config = config(port, Security::StartTlsRequired)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .credentials(Credentials::password("tim", "secret"))
        // Allowed, so that only the STARTTLS failure can keep the credentials back
        // (unverified TLS counts as plaintext for AUTH).
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    let error = Connection::connect(&config).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::StartTlsUnavailable(None)),
        "{error}"
    );
    let after = server.await.unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

#[tokio::test]
async fn a_client_certificate_is_presented() {
    let pki = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = pki.acceptor_requiring_client_auth();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(socket).await.unwrap();
        assert_eq!(tls.get_ref().1.peer_certificates().map(<[_]>::len), Some(1));
        let mut peer = Peer::new(tls);
        peer.greet_ehlo(&[]).await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
    });
    let (chain, key) = pki.client_certificate();
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .client_certificate_pem(chain.as_bytes(), key.as_bytes())
        .unwrap()
        .server_name("localhost");
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let connection = Connection::connect(&config).await.unwrap();
    assert!(connection.established().unwrap().tls);
    connection.quit().await.unwrap();
    server.await.unwrap();
}

/// Deadlines hold on a Unix socket, in plaintext and over TLS: the server (after the
/// handshake) says nothing.
#[cfg(unix)]
#[tokio::test]
async fn a_silent_server_on_a_unix_socket_times_out_with_and_without_tls() {
    let pki = TestPki::new();
    for tls in [false, true] {
        let dir = std::env::temp_dir().join(format!("smtp-tokio-silent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("smtp.sock");
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let acceptor = pki.acceptor.clone();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            // Holds the connection, silent, until aborted.
            if tls {
                let _held = acceptor.accept(socket).await.unwrap();
                std::future::pending::<()>().await
            } else {
                let _held = socket;
                std::future::pending::<()>().await
            }
        });
        let mut config = ConnectionConfig::unix(&path)
            .client_id("client.test".parse().unwrap())
            .timeouts(Timeouts::uniform(Duration::from_secs(1)));
        if tls {
            config = config.security(Security::ImplicitTls).tls(trusting(&pki));
        }
        let config = config.build().unwrap();
        let started = Instant::now();
        let error = Connection::connect(&config).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
            "tls {tls}: {error}"
        );
        assert!(elapsed >= Duration::from_secs(1), "tls {tls}: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "tls {tls}: {elapsed:?}");
        server.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Bring your own stream: an in-process tunnel (any `AsyncRead + AsyncWrite`), with STARTTLS
/// and a real handshake over it, certificate verified.
#[tokio::test]
async fn a_callers_stream_carries_starttls_with_a_real_handshake() {
    let pki = TestPki::new();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server_end);
        peer.greet_ehlo(&["PIPELINING", "STARTTLS"]).await;
        peer.expect("STARTTLS\r\n").await;
        peer.send("220 2.0.0 go ahead\r\n").await;
        let tls = acceptor.accept(peer.into_inner()).await.unwrap();
        let mut peer = Peer::new(tls);
        peer.ehlo(&["PIPELINING"]).await;
        peer.expect("NOOP\r\n").await;
        peer.send("250 ok\r\n").await;
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost");
    let config = config(2525, Security::StartTlsRequired)
        .tls(tls)
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(client_end, &config)
        .await
        .unwrap();
    assert!(connection.established().unwrap().tls);
    assert!(connection.tls_info().unwrap().version.is_some());
    let reply = connection.send(Noop::default()).await.unwrap().unwrap();
    assert_eq!(reply.code().get(), 250);
    server.await.unwrap();
}

#[tokio::test]
async fn transaction_options_set_later_apply_to_the_next_mail() {
    let (listener, port) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&["PIPELINING", "CHUNKING"]).await;
        // DATA, not BDAT: the options say so.
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
        peer.send("250 queued\r\n").await;
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let debug = format!("{connection:?}");
    assert!(
        debug.starts_with("Connection { stream: Some(Stream::Plain)"),
        "{debug}"
    );
    assert!(debug.ends_with("usable: true, .. }"), "{debug}");
    assert_eq!(
        connection.transaction_options(),
        TransactionOptions::default()
    );
    let options = TransactionOptions {
        prefer_bdat: false,
        ..TransactionOptions::default()
    };
    connection.set_transaction_options(options);
    assert_eq!(connection.transaction_options(), options);
    let report = connection
        .send_mail(envelope(), MailBody::bytes(&b"hi\r\n"[..]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    server.await.unwrap();
}

/// Many servers close TLS without close_notify. After the end of data, that is a lost
/// verdict like any other close: the mail is uncertain.
#[tokio::test]
async fn a_tls_close_without_close_notify_after_the_end_of_data_is_uncertain() {
    let pki = TestPki::new();
    let (listener, port) = listener().await;
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(acceptor.accept(socket).await.unwrap());
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
        // Dropped: the socket closes without close_notify.
        drop(peer.into_inner().into_inner().0);
    });
    let tls = TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap();
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let error = connection
        .send_mail(envelope(), MailBody::bytes(&b"hi\r\n"[..]))
        .await
        .unwrap_err();
    server.await.unwrap();
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain, "{error}");
    assert!(!connection.is_usable());
}
