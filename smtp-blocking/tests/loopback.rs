//! The blocking adapter over real loopback sockets: STARTTLS and implicit TLS with real
//! handshakes against a test CA, response injection (in the 220's packet and after the
//! ClientHello), STARTTLS required but not offered, certificate failure, a client
//! certificate, an idle 421, real-time deadlines (on a Unix socket too, plaintext and TLS),
//! one write per pipelined group, a body read through a fixed buffer, many mails, LMTP over
//! a Unix socket, a caller's own stream, transaction options changed between mails,
//! close_notify on QUIT, a TLS close without it.

mod support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smtp_blocking::{Connection, ConnectionConfig, Error, Security, TlsConfig, connect_send_quit};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, StreamedBody, TransactionOptions};
use smtp_proto::error::ProtocolError;
use support::{Peer, TestPki, accept_tls, assert_only_tls_records, listener};

fn config(port: u16, security: Security) -> smtp_blocking::ConnectionConfigBuilder {
    ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(security)
        .client_id("client.test".parse().unwrap())
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

fn trusting(pki: &TestPki) -> TlsConfig {
    TlsConfig::new()
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .unwrap()
        .server_name("localhost")
}

#[test]
fn starttls_auth_and_a_mail_over_a_real_handshake() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING", "STARTTLS"]);
        peer.expect("STARTTLS\r\n");
        peer.send("220 2.0.0 go ahead\r\n");
        let mut peer = Peer::new(accept_tls(&server_config, peer.into_inner()));
        peer.ehlo(&["PIPELINING", "AUTH PLAIN LOGIN"]);
        peer.expect("AUTH PLAIN AHRpbQBzZWNyZXQ=\r\n");
        peer.send("235 2.7.0 ok\r\n");
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("Subject: hi\r\n\r\n..dot\r\n.\r\n");
        peer.send("250 queued\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let config = config(port, Security::StartTlsRequired)
        .tls(trusting(&pki))
        .credentials(Credentials::password("tim", "secret"))
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let established = connection.established().unwrap();
    assert!(established.tls);
    assert_eq!(established.authenticated, Some(Mechanism::Plain));
    let info = connection.tls_info().unwrap();
    assert!(info.version.is_some() && info.cipher.is_some());
    assert_eq!(info.peer_certificates.len(), 1);
    let body = MailBody::bytes(&b"Subject: hi\n\n.dot\n"[..]);
    let report = connection.send_mail(envelope(), body).unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().unwrap();
    server.join().unwrap();
}

#[test]
fn implicit_tls_with_a_streamed_body() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, socket));
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("Subject: streamed\r\n\r\nline one\r\n..two\r\n.\r\n");
        peer.send("250 queued\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
        // TLS ends with close_notify: a bare close would be an error here.
        let mut rest = Vec::new();
        peer.stream.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    });
    let config = config(port, Security::ImplicitTls)
        .tls(trusting(&pki))
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    assert!(connection.session().is_tls());
    let body = &b"Subject: streamed\r\n\r\nline one\r\n.two\r\n"[..];
    let report = connection
        .send_mail_streamed(envelope(), body, StreamedBody::default())
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    connection.quit().unwrap();
    server.join().unwrap();
}

#[test]
fn starttls_injection_in_the_220_packet_is_fatal_and_nothing_follows() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["STARTTLS"]);
        peer.expect("STARTTLS\r\n");
        peer.send("220 go ahead\r\n250-mx.test\r\n250 AUTH PLAIN\r\n");
        peer.rest()
    });
    let config = config(port, Security::StartTlsRequired)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .credentials(Credentials::password("tim", "secret"))
        // Allowed, so that only the STARTTLS failure can keep the credentials back
        // (unverified TLS counts as plaintext for AUTH).
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    let error = Connection::connect(&config).unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::StartTlsInjection),
        "{error}"
    );
    let after = server.join().unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

#[test]
fn an_untrusted_certificate_fails_the_handshake() {
    let pki = TestPki::new();
    let other = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut connection =
            smtp_blocking::smtp_adapter::rustls::ServerConnection::new(server_config).unwrap();
        let mut socket = socket;
        while connection.is_handshaking() {
            if connection.complete_io(&mut socket).is_err() {
                break;
            }
        }
    });
    // No verification name configured: the certificate is checked against the host.
    let tls = TlsConfig::new()
        .root_certificates_pem(other.ca_pem.as_bytes())
        .unwrap();
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let error = Connection::connect(&config).unwrap_err();
    let Error::Tls { server_name, .. } = &error else {
        panic!("expected a TLS error, got {error}");
    };
    assert_eq!(server_name, "127.0.0.1");
    server.join().unwrap();
}

#[test]
fn injection_after_the_client_hello_fails_the_handshake_and_only_tls_is_written() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["STARTTLS"]);
        peer.expect("STARTTLS\r\n");
        peer.send("220 go ahead\r\n");
        let mut hello = vec![0u8; 5];
        peer.stream.read_exact(&mut hello).unwrap();
        peer.send("250-mx.test\r\n250 AUTH PLAIN\r\n");
        let mut written = hello;
        written.extend(peer.rest());
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
    let error = Connection::connect(&config).unwrap_err();
    assert!(matches!(error, Error::Tls { .. }), "{error}");
    // Every octet after STARTTLS is a TLS record: the ClientHello, maybe an alert.
    assert_only_tls_records(&server.join().unwrap());
}

#[test]
fn starttls_required_but_not_offered_sends_nothing_more() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING", "AUTH PLAIN"]);
        peer.rest()
    });
    let config = config(port, Security::StartTlsRequired)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .credentials(Credentials::password("tim", "secret"))
        // Allowed, so that only the STARTTLS failure can keep the credentials back
        // (unverified TLS counts as plaintext for AUTH).
        .allow_plaintext_auth(true)
        .build()
        .unwrap();
    let error = Connection::connect(&config).unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::StartTlsUnavailable(None)),
        "{error}"
    );
    let after = server.join().unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

#[test]
fn a_client_certificate_is_presented() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server_requiring_client_auth();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let tls = accept_tls(&server_config, socket);
        assert_eq!(tls.conn.peer_certificates().map(<[_]>::len), Some(1));
        let mut peer = Peer::new(tls);
        peer.greet_ehlo(&[]);
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let (chain, key) = pki.client_certificate();
    let tls = trusting(&pki)
        .client_certificate_pem(chain.as_bytes(), key.as_bytes())
        .unwrap();
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let connection = Connection::connect(&config).unwrap();
    assert!(connection.established().unwrap().tls);
    connection.quit().unwrap();
    server.join().unwrap();
}

/// By default the chain is checked against the system's roots, which do not hold the test
/// CA: the handshake fails (or, on a machine without system roots, the configuration is
/// refused before connecting). Either way no SMTP octet is written.
#[test]
fn the_system_roots_do_not_trust_a_private_ca() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return Vec::new();
        };
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut connection =
            smtp_blocking::smtp_adapter::rustls::ServerConnection::new(server_config).unwrap();
        while connection.is_handshaking() {
            if connection.complete_io(&mut socket).is_err() {
                break;
            }
        }
        let mut rest = Vec::new();
        let _ = socket.read_to_end(&mut rest);
        rest
    });
    let tls = TlsConfig::new().server_name("localhost");
    let config = config(port, Security::ImplicitTls)
        .tls(tls)
        .build()
        .unwrap();
    let error = Connection::connect(&config).unwrap_err();
    match &error {
        Error::Tls { .. } => assert!(
            error
                .to_string()
                .contains("not issued by a trusted certificate authority"),
            "{error}"
        ),
        Error::Config(why) if why.contains("no system root certificates") => {
            // Nothing connected: let the server thread go.
            drop(std::net::TcpStream::connect(("127.0.0.1", port)));
        }
        other => panic!("expected a TLS error, got {other}"),
    }
    // After the failed handshake the client wrote no plaintext (only TLS records, if any).
    let rest = server.join().unwrap();
    assert!(!String::from_utf8_lossy(&rest).contains("EHLO"), "{rest:?}");
}

#[test]
fn an_idle_421_is_reported_before_the_next_command_is_written() {
    let (listener, port) = listener();
    let (connected, wait) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        wait.recv().unwrap();
        peer.send("421 4.3.2 shutting down\r\n");
        peer.stream.shutdown(std::net::Shutdown::Write).unwrap();
        peer.rest()
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    connected.send(()).unwrap();
    // Give the 421 time to arrive while the connection sits idle.
    std::thread::sleep(Duration::from_millis(200));
    let error = connection.send(Noop::default()).unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if r.code().get() == 421),
        "{error}"
    );
    assert!(!connection.is_usable());
    drop(connection);
    let after = server.join().unwrap();
    assert!(
        after.is_empty(),
        "the client wrote {:?}",
        String::from_utf8_lossy(&after)
    );
}

/// Socket timeouts enforce the core's deadline in real time, and a server dripping one
/// byte every 300 ms cannot stretch it.
#[test]
fn a_dripping_greeting_times_out_on_the_deadline() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        for byte in b"220 mx.test slow\r\n" {
            if socket.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let mut core = config(port, Security::None)
        .build()
        .unwrap()
        .client_config();
    core.timeouts = Timeouts::uniform(Duration::from_secs(1));
    let config = config(port, Security::None)
        .client_config(core)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
        "{error}"
    );
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    server.join().unwrap();
}

/// A deadline spent before the first read (1 ns; `build()` refuses zero) is a timeout at
/// once, not an error from std (which refuses a zero socket timeout).
#[test]
fn a_spent_deadline_times_out_at_once() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        drop(socket);
    });
    let mut core = config(port, Security::None)
        .build()
        .unwrap()
        .client_config();
    core.timeouts = Timeouts::uniform(Duration::from_nanos(1));
    let config = config(port, Security::None)
        .client_config(core)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_millis(400));
    server.join().unwrap();
}

#[test]
fn many_mails_pipelined_in_order() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 queued 1\r\n250 ok\r\n550 no such user\r\n503 no recipients\r\n");
        peer.expect("RSET\r\n");
        peer.send("250 reset\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let mails = vec![
        (envelope(), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(), MailBody::bytes(&b"two\r\n"[..])),
    ];
    let results: Vec<_> = connection.send_all_mails(mails).collect();
    assert_eq!(results.len(), 2);
    let first = results[0].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    match &results[1] {
        Ok(Ok(report)) => {
            assert_eq!(report.outcome(), Outcome::Rejected);
            let (_, status) = report.recipients().next().unwrap();
            assert_eq!(status.rcpt_reply().map(|r| r.code().get()), Some(550));
        }
        other => panic!("the second mail is a refusal, not {other:?}"),
    }
    assert!(connection.is_usable());
    connection.quit().unwrap();
    server.join().unwrap();
}

#[cfg(unix)]
#[test]
fn lmtp_over_a_unix_socket_reports_each_recipient() {
    use std::os::unix::net::UnixListener;
    let dir = std::env::temp_dir().join(format!("smtp-blocking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lmtp.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut peer = Peer::new(socket);
        peer.send("220 lmtp.test LMTP\r\n");
        peer.expect("LHLO client.test\r\n");
        peer.send("250-lmtp.test\r\n250 PIPELINING\r\n");
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
        // One verdict per recipient (RFC 2033 §4.2).
        peer.send("250 2.0.0 <b@y.test> delivered\r\n452 4.2.2 <c@y.test> over quota\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let config = ConnectionConfig::unix(&path)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap(), "<c@y.test>".parse().unwrap()],
    )
    .unwrap();
    let report = connect_send_quit(&config, envelope, MailBody::bytes(&b"hi\r\n"[..]))
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Partial);
    let verdicts: Vec<_> = report
        .recipients()
        .map(|(to, status)| (to.to_string(), status.data_reply().map(|r| r.code().get())))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("<b@y.test>".to_string(), Some(250)),
            ("<c@y.test>".to_string(), Some(452))
        ]
    );
    server.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deadlines hold on a Unix socket, in plaintext and over TLS: the server (after the
/// handshake) says nothing.
#[cfg(unix)]
#[test]
fn a_silent_server_on_a_unix_socket_times_out_with_and_without_tls() {
    use std::os::unix::net::UnixListener;
    let pki = TestPki::new();
    for tls in [false, true] {
        let dir = std::env::temp_dir().join(format!("smtp-blocking-silent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("smtp.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let server_config = pki.server.clone();
        let (done, client_done) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let held: Box<dyn Read + Send> = if tls {
                Box::new(accept_tls(&server_config, socket))
            } else {
                Box::new(socket)
            };
            // Silent until the client gave up, or 10 s.
            let _ = client_done.recv_timeout(Duration::from_secs(10));
            drop(held);
        });
        let mut config = ConnectionConfig::unix(&path)
            .client_id("client.test".parse().unwrap())
            .timeouts(Timeouts::uniform(Duration::from_secs(1)));
        if tls {
            config = config.security(Security::ImplicitTls).tls(trusting(&pki));
        }
        let config = config.build().unwrap();
        let started = Instant::now();
        let error = Connection::connect(&config).unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(error.protocol(), Some(ProtocolError::Timeout { .. })),
            "tls {tls}: {error}"
        );
        assert!(elapsed >= Duration::from_secs(1), "tls {tls}: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "tls {tls}: {elapsed:?}");
        done.send(()).unwrap();
        server.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Bring your own stream: a transport the adapter does not know (any `Read + Write`: no
/// timeouts to set, no non-blocking reads), with STARTTLS and a real handshake over it,
/// certificate verified; the idle check never blocks on it.
#[test]
fn a_callers_stream_carries_starttls_with_a_real_handshake() {
    struct Opaque(std::net::TcpStream);
    impl Read for Opaque {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for Opaque {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }
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
        peer.expect("NOOP\r\n");
        peer.send("250 ok\r\n");
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let config = config(2525, Security::StartTlsRequired)
        .tls(trusting(&pki))
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(Opaque(socket), &config).unwrap();
    assert!(connection.established().unwrap().tls);
    assert!(connection.tls_info().unwrap().version.is_some());
    connection.poll_idle();
    assert!(connection.is_usable());
    let reply = connection.send(Noop::default()).unwrap().unwrap();
    assert_eq!(reply.code().get(), 250);
    connection.quit().unwrap();
    server.join().unwrap();
}

/// Records every write the client makes, to see how the octets were grouped.
struct Recording {
    inner: std::net::TcpStream,
    writes: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.writes.lock().unwrap().push(buf[..n].to_vec());
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn a_pipelined_group_leaves_in_one_write() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
        peer.send("250 queued\r\n");
    });
    let writes = Arc::new(Mutex::new(Vec::new()));
    let transport = Recording {
        inner: std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
        writes: writes.clone(),
    };
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect_with_stream(transport, &config).unwrap();
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap(), "<c@y.test>".parse().unwrap()],
    )
    .unwrap();
    let report = connection
        .send_mail(envelope, MailBody::bytes(&b"hi\r\n"[..]))
        .unwrap()
        .unwrap();
    assert_eq!(report.delivered_count(), 1);
    server.join().unwrap();
    let writes = writes.lock().unwrap();
    let group = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n";
    assert!(writes.iter().any(|w| w == group), "writes: {writes:?}");
}

/// A reader that records the largest read it was asked for, to show the body is read
/// through a fixed buffer.
struct Generated {
    left: usize,
    largest_read: Arc<Mutex<usize>>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut largest = self.largest_read.lock().unwrap();
        *largest = (*largest).max(buf.len());
        drop(largest);
        let n = buf.len().min(self.left);
        let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n";
        for (slot, byte) in buf[..n].iter_mut().zip(line.iter().cycle()) {
            *slot = *byte;
        }
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn a_streamed_body_is_read_through_a_fixed_buffer() {
    const SIZE: usize = 1 << 20;
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        // LF became CRLF: 64 octets per line become 65.
        let mut received = 0;
        let mut tail = Vec::new();
        while !tail.ends_with(b"\r\n.\r\n") {
            let mut buf = vec![0; 8192];
            let n = peer.stream.read(&mut buf).unwrap();
            assert!(n > 0);
            received += n;
            tail.extend_from_slice(&buf[..n]);
            let keep = tail.len().saturating_sub(5);
            tail.drain(..keep);
        }
        peer.send("250 queued\r\n");
        received
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let largest = Arc::new(Mutex::new(0));
    let reader = Generated {
        left: SIZE,
        largest_read: largest.clone(),
    };
    let report = connection
        .send_mail_streamed(envelope(), reader, StreamedBody::default())
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(server.join().unwrap(), SIZE / 64 * 65 + 3);
    assert!(*largest.lock().unwrap() <= 16 * 1024);
}

#[test]
fn transaction_options_set_later_apply_to_the_next_mail() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING", "CHUNKING"]);
        // DATA, not BDAT: the options say so.
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
        peer.send("250 queued\r\n");
    });
    let config = config(port, Security::None).build().unwrap();
    let mut connection = Connection::connect(&config).unwrap();
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
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    server.join().unwrap();
}

/// Many servers close TLS without close_notify. After the end of data, that is a lost
/// verdict like any other close: the mail is uncertain.
#[test]
fn a_tls_close_without_close_notify_after_the_end_of_data_is_uncertain() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, socket));
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
        // Dropped: the socket closes without close_notify.
    });
    let config = config(port, Security::ImplicitTls)
        .tls(trusting(&pki))
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let error = connection
        .send_mail(envelope(), MailBody::bytes(&b"hi\r\n"[..]))
        .unwrap_err();
    server.join().unwrap();
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain, "{error}");
    assert!(!connection.is_usable());
}

/// Review diff5: `TlsConfig::dangerous_skip_verification` says "For AUTH such a connection
/// counts as plaintext: credentials then also need `allow_plaintext_auth`" (SECURITY.md
/// "credentials": no AUTH without (real) TLS unless explicitly allowed). Only the
/// configured credentials honour it (`ConnectionConfig::establish` sets
/// `Authenticate::unverified_tls`); a caller's own `Authenticate` sent on the same
/// unverified connection, plaintext AUTH not allowed anywhere, goes out inside TLS that
/// anyone on the path can terminate.
#[test]
fn a_callers_own_auth_over_unverified_tls_is_refused() {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, socket));
        peer.greet_ehlo(&["AUTH PLAIN"]);
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = peer.stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if seen.starts_with(b"AUTH") && seen.ends_with(b"\r\n") {
                peer.send("235 2.7.0 ok\r\n");
            }
            if seen.ends_with(b"QUIT\r\n") {
                peer.send("221 bye\r\n");
                break;
            }
        }
        seen
    });
    let config = config(port, Security::ImplicitTls)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .allow_plaintext_auth(false)
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).unwrap();
    let auth = smtp_proto::command::Authenticate::new(Credentials::password("tim", "secret"));
    let result = connection.send(auth);
    let _ = connection.quit();
    let seen = server.join().unwrap();
    assert!(
        !String::from_utf8_lossy(&seen).contains("AUTH"),
        "credentials went out over unverified TLS ({result:?}): {:?}",
        String::from_utf8_lossy(&seen)
    );
}

/// Review diff5: a host written as an IPv6 address with a zone id connects (std's
/// resolver hands it to getaddrinfo, which sets the scope id); `build()` now refuses it
/// as "not a host name". Here `::1%<index of lo>` on the IPv6 loopback.
#[test]
fn an_ipv6_host_with_a_zone_id_connects() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    let index = std::fs::read_to_string("/sys/class/net/lo/ifindex")
        .map_or_else(|_| "1".to_owned(), |i| i.trim().to_owned());
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("QUIT\r\n");
        peer.send("221 bye\r\n");
    });
    let host = format!("::1%{index}");
    let config = ConnectionConfig::builder(host.as_str())
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build();
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            drop(std::net::TcpStream::connect(("::1", port)));
            let _ = server.join();
            panic!("{host}: {error}");
        }
    };
    let connection = Connection::connect(&config).unwrap();
    connection.quit().unwrap();
    server.join().unwrap();
}
