//! A small scripted SMTP server on std threads for the loopback tests, and a test CA made
//! at test time.
#![allow(dead_code, unreachable_pub)]

pub mod cut;
pub mod flood;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use smtp_adapter::rustls;

/// A CA and a server configuration with a certificate it signed for `localhost` and
/// 127.0.0.1.
pub struct TestPki {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    leaf_der: CertificateDer<'static>,
    leaf_key_der: Vec<u8>,
}

impl TestPki {
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "smtp-blocking test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_params =
            CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            server: Arc::new(server),
            leaf_der: CertificateDer::from(leaf.der().to_vec()),
            leaf_key_der: leaf_key.serialize_der(),
            ca,
            ca_key,
        }
    }

    /// A client certificate this CA signed: chain PEM and key PEM.
    pub fn client_certificate(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["client.test".into()]).unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// A server configuration that requires a client certificate signed by this CA.
    pub fn server_requiring_client_auth(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca.der().to_vec()))
            .unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_der.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![self.leaf_der.clone()], key)
            .unwrap();
        Arc::new(config)
    }
}

/// Asserts that `written` is nothing but whole TLS records, a ClientHello (handshake, 0x16)
/// first and then only handshake records or alerts (0x15): no plaintext SMTP.
pub fn assert_only_tls_records(written: &[u8]) {
    let mut rest = written;
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

/// A listener on an ephemeral loopback port.
pub fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Closes `stream` with a reset (SO_LINGER 0), as when the peer's host drops the connection.
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

/// Sends `text` and closes the write side in one TCP segment (TCP_CORK holds the text
/// until the FIN joins it): the client finds the end right behind `text`, as when a server
/// closes just after a reply, without the race of two segments.
#[cfg(target_os = "linux")]
pub fn send_and_close(peer: &mut Peer<TcpStream>, text: &str) {
    socket2::SockRef::from(&peer.stream)
        .set_tcp_cork(true)
        .unwrap();
    peer.send(text);
    peer.stream.shutdown(std::net::Shutdown::Write).unwrap();
}

/// The server side of one connection: send lines, expect exact client octets.
pub struct Peer<S> {
    pub stream: S,
    pending: Vec<u8>,
}

impl Peer<TcpStream> {
    pub fn accept(listener: &TcpListener) -> Self {
        let (socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Self::new(socket)
    }
}

impl<S: Read + Write> Peer<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            pending: Vec::new(),
        }
    }

    /// Sends `text` as it is (the caller writes the CRLFs), in one write.
    pub fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).unwrap();
        self.stream.flush().unwrap();
    }

    /// Reads until the client has written exactly `expected` next.
    pub fn expect(&mut self, expected: &str) {
        let expected = expected.as_bytes();
        while self.pending.len() < expected.len() {
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "client closed; expected {:?}, got {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(&self.pending)
            );
            self.pending.extend_from_slice(&buf[..n]);
        }
        let got: Vec<u8> = self.pending.drain(..expected.len()).collect();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected)
        );
    }

    /// Everything the client writes until it closes (errors count as the end).
    pub fn rest(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.pending);
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    }

    /// Everything the client writes until it closes the connection; a read error (the
    /// read timeout of [`Peer::accept`] included) fails: the client must close, not only
    /// stop writing.
    pub fn rest_until_closed(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.pending);
        let mut buf = [0u8; 4096];
        loop {
            let n = self
                .stream
                .read(&mut buf)
                .expect("the client closes the connection");
            if n == 0 {
                return all;
            }
            all.extend_from_slice(&buf[..n]);
        }
    }

    /// The greeting and an EHLO answered with `capabilities`.
    pub fn greet_ehlo(&mut self, capabilities: &[&str]) {
        self.send("220 mx.test ESMTP\r\n");
        self.ehlo(capabilities);
    }

    /// Expects EHLO and answers with `capabilities` (the last line without `-`).
    pub fn ehlo(&mut self, capabilities: &[&str]) {
        self.expect("EHLO client.test\r\n");
        let mut reply = String::from(if capabilities.is_empty() {
            "250 mx.test\r\n"
        } else {
            "250-mx.test\r\n"
        });
        for (i, cap) in capabilities.iter().enumerate() {
            let sep = if i + 1 == capabilities.len() {
                ' '
            } else {
                '-'
            };
            reply.push_str(&format!("250{sep}{cap}\r\n"));
        }
        self.send(&reply);
    }

    /// Nothing may be buffered from before the handshake.
    pub fn into_inner(self) -> S {
        assert!(self.pending.is_empty(), "octets before the TLS handshake");
        self.stream
    }
}

/// TLS on the server side of `socket`, handshake completed.
pub fn accept_tls<S: Read + Write>(
    config: &Arc<rustls::ServerConfig>,
    mut socket: S,
) -> rustls::StreamOwned<rustls::ServerConnection, S> {
    let mut connection = rustls::ServerConnection::new(config.clone()).unwrap();
    while connection.is_handshaking() {
        connection.complete_io(&mut socket).unwrap();
    }
    rustls::StreamOwned::new(connection, socket)
}

/// A tracing subscriber that collects every event and span field as text.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<std::sync::Mutex<Vec<String>>>);

struct Text<'a>(&'a mut String);

impl tracing::field::Visit for Text<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Text(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl Capture {
    /// Everything captured, one line per event or span.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

/// The server side of the log tests: AUTH PLAIN with `tim`/`s3cr3t`, one mail whose only
/// recipient is refused.
pub fn auth_and_a_refused_mail<S: Read + Write>(peer: &mut Peer<S>) {
    peer.greet_ehlo(&["PIPELINING", "AUTH PLAIN"]);
    peer.expect("AUTH PLAIN AHRpbQBzM2NyM3Q=\r\n");
    peer.send("235 ok\r\n");
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    peer.send("250 ok\r\n550 no such user\r\n354 go\r\n");
    peer.expect(".\r\n");
    peer.send("554 no valid recipients\r\n");
}

/// What the log tests check: no credential, no body, spans per command with outcomes.
pub fn assert_logs_are_redacted(lines: &str) {
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
}

/// The server side of the logs tests' LOGIN case: AUTH LOGIN prompted for both fields, then one mail
/// to `<b@y.test>` accepted, body and all.
pub fn login_and_an_accepted_mail<S: Read + Write>(peer: &mut Peer<S>) {
    peer.greet_ehlo(&["PIPELINING", "AUTH LOGIN"]);
    peer.expect("AUTH LOGIN\r\n");
    peer.send("334 VXNlcm5hbWU6\r\n");
    peer.expect(&format!("{LOGIN_USER_B64}\r\n"));
    peer.send("334 UGFzc3dvcmQ6\r\n");
    peer.expect(&format!("{LOGIN_PASSWORD_B64}\r\n"));
    peer.send("235 2.7.0 ok\r\n");
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    peer.expect(&format!("{SECRET_BODY}.\r\n"));
    peer.send("250 2.0.0 queued\r\n");
}

/// The LOGIN case's user name and password: distinctive octets to look for in the logs.
pub const LOGIN_USER: &str = "login-user-7q";
pub const LOGIN_PASSWORD: &str = "l0gin-S3CRET-x9-pw";
/// Their base64 forms, as the two LOGIN continuation lines carry them.
pub const LOGIN_USER_B64: &str = "bG9naW4tdXNlci03cQ==";
pub const LOGIN_PASSWORD_B64: &str = "bDBnaW4tUzNDUkVULXg5LXB3";
/// The PLAIN blob of the same credentials (`\0user\0password`), which must not show either.
pub const LOGIN_PLAIN_B64: &str = "AGxvZ2luLXVzZXItN3EAbDBnaW4tUzNDUkVULXg5LXB3";
/// A message (already canonical, 47 octets) whose every line is distinctive.
pub const SECRET_BODY: &str = "Subject: confidential\r\n\r\nmeet at the old mill\r\n";

/// What the LOGIN case checks in the logs: no form of the credentials, no line of the body, and the
/// redacted forms the core renders, in the order of the exchange: each LOGIN continuation
/// line as a secret of its size with the CRLF (20 + 2, 24 + 2 octets;
/// tests/transcripts/auth-login.smtp), the body as its size with the end-of-data marker
/// (47 + 3 octets; tests/transcripts/mail-pipelined-delivered.smtp), then the verdict.
pub fn assert_login_and_body_are_redacted(lines: &str) {
    for needle in [
        LOGIN_USER,
        LOGIN_PASSWORD,
        LOGIN_USER_B64,
        LOGIN_PASSWORD_B64,
        LOGIN_PLAIN_B64,
    ] {
        // Without the padding: a log that dropped it must not slip through.
        let needle = needle.trim_end_matches('=');
        assert!(!lines.contains(needle), "{needle:?} in the logs:\n{lines}");
    }
    for line in SECRET_BODY.lines().filter(|line| !line.is_empty()) {
        assert!(!lines.contains(line), "{line:?} in the logs:\n{lines}");
    }
    let mut rest = lines;
    for form in [
        "message=C: AUTH LOGIN\n",
        "message=S: 334 VXNlcm5hbWU6",
        "message=C: [secret]\n",
        "message=S: 334 UGFzc3dvcmQ6",
        "message=C: [secret]\n",
        "message=S: 235 ",
        "message=C: MAIL FROM:<a@x.test>\n",
        "message=C: [body, 50 octets]\n",
        "message=S: 250 2.0.0 queued",
        "record outcome=\"ok\"",
    ] {
        let Some(at) = rest.find(form) else {
            panic!("{form:?} missing or out of order in the logs:\n{lines}");
        };
        rest = &rest[at + form.len()..];
    }
}
