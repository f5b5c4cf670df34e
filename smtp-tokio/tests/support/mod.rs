//! A small scripted SMTP server for the loopback tests, and a test CA made at test time.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use smtp_tokio::smtp_adapter::rustls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate it signed for `localhost` and 127.0.0.1.
pub struct TestPki {
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
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
            .push(DnType::CommonName, "smtp-tokio test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_params =
            CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
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

    /// An acceptor that requires a client certificate signed by this CA.
    pub fn acceptor_requiring_client_auth(&self) -> TlsAcceptor {
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
        TlsAcceptor::from(Arc::new(config))
    }
}

/// A plaintext connection over an in-memory pipe holding `pipe` octets each way, set up
/// (greeting, EHLO as `client.test`) against a [`Peer`] that offers `capabilities`.
pub async fn connected(
    pipe: usize,
    capabilities: &'static [&'static str],
) -> (smtp_tokio::Connection, Peer<tokio::io::DuplexStream>) {
    let (client, server) = tokio::io::duplex(pipe);
    let greet = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(capabilities).await;
        peer
    });
    let config = smtp_tokio::ConnectionConfig::builder("mx.test")
        .security(smtp_tokio::Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let connection = smtp_tokio::Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    (connection, greet.await.unwrap())
}

/// The server of the cut-write tests: answers the envelope and DATA of one mail to
/// `<b@y.test>`, stops reading until `resume`, then reads everything to the end; with
/// `answer`, each end of data gets 250 (as a real server would, whatever hole the message
/// has). Returns the octets received after the 354.
pub fn serve_after_354(
    mut peer: Peer<tokio::io::DuplexStream>,
    resume: tokio::sync::oneshot::Receiver<()>,
    answer: bool,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        resume.await.unwrap();
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = peer.stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return received;
            }
            received.extend_from_slice(&buf[..n]);
            if answer && received.ends_with(b"\r\n.\r\n") {
                peer.send("250 queued\r\n").await;
            }
        }
    })
}

/// The server side of one connection: send lines, expect exact client octets.
pub struct Peer<S> {
    pub stream: S,
    pending: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            pending: Vec::new(),
        }
    }

    /// Sends `text` as it is (the caller writes the CRLFs), in one write.
    pub async fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Reads until the client has written exactly `expected` next.
    pub async fn expect(&mut self, expected: &str) {
        let expected = expected.as_bytes();
        while self.pending.len() < expected.len() {
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).await.unwrap();
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
    pub async fn rest(&mut self) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.pending);
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    }

    /// The greeting and an EHLO answered with `capabilities` (the last without `-`).
    pub async fn greet_ehlo(&mut self, capabilities: &[&str]) {
        self.send("220 mx.test ESMTP\r\n").await;
        self.ehlo(capabilities).await;
    }

    pub async fn ehlo(&mut self, capabilities: &[&str]) {
        self.expect("EHLO client.test\r\n").await;
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
        self.send(&reply).await;
    }

    /// Nothing may be buffered from before the handshake.
    pub fn into_inner(self) -> S {
        assert!(self.pending.is_empty(), "octets before the TLS handshake");
        self.stream
    }
}
