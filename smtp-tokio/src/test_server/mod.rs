//! An in-process SMTP and LMTP server for tests (feature `test-server`): what aiosmtpd
//! is to Python, for testing code that sends mail.
//!
//! A [`TestServer`] listens on 127.0.0.1 (an ephemeral port) or a Unix socket, accepts
//! every session with the capabilities configured on its [`TestServerBuilder`], and
//! records what it received: each session ([`SessionRecord`]) and each message
//! ([`Message`]: envelope, parameters, the exact bytes after unstuffing or BDAT
//! concatenation). It is honest: a thin tokio loop around the sans-IO
//! [`smtp_proto::server::Server`], which holds all the protocol knowledge, so malformed
//! commands are refused the way a strict server would.
//!
//! AUTH runs every mechanism the client speaks: PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER
//! (a wrong token gets the JSON error challenge, then 535), CRAM-MD5 and SCRAM-SHA-256
//! (the server signs, and [`Fault::ForgedScramSignature`] signs wrongly); see
//! [`TestServerBuilder::mechanisms`]. Each attempt is an [`AuthRecord`]: mechanism, user,
//! verdict.
//!
//! It can also misbehave on purpose: refuse by stage and address ([`Stage`],
//! [`Pattern`]), and run scripted [`Fault`]s (421 at a stage, a disconnect before or after
//! the verdict, silence, slow replies, bytes injected after the STARTTLS 220). Tests wait
//! for a message with [`TestServer::next_message`], which never sleeps.
//!
//! # Testing an application's mail sending
//!
//! ```
//! use smtp_proto::auth::Credentials;
//! use smtp_proto::command::{Envelope, MailBody, Outcome};
//! use smtp_tokio::test_server::{Stage, TestServer};
//! use smtp_tokio::{ConnectionConfig, connect_send_quit};
//!
//! /// The application's code under test: sends a welcome mail.
//! async fn send_welcome(
//!     config: &ConnectionConfig,
//!     to: &str,
//! ) -> Result<Outcome, Box<dyn std::error::Error>> {
//!     let envelope = Envelope::new("<app@example.org>".parse()?, [format!("<{to}>").parse()?])?;
//!     let body = MailBody::bytes(format!("To: {to}\r\nSubject: Welcome\r\n\r\nHello!\r\n"));
//!     Ok(connect_send_quit(config, envelope, body).await??.outcome())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = TestServer::builder()
//!     .starttls(true)
//!     .auth("app", "secret")
//!     .refuse(Stage::Rcpt, "nobody@", "550 5.1.1 no such user")
//!     .spawn()
//!     .await?;
//! let config = server
//!     .client_config()
//!     .credentials(Credentials::password("app", "secret"))
//!     .build()?;
//!
//! assert_eq!(send_welcome(&config, "ann@example.net").await?, Outcome::Delivered);
//! let message = server.next_message().await;
//! assert_eq!(message.recipient_addresses(), ["ann@example.net"]);
//! assert!(message.tls && message.authenticated.as_deref() == Some("app"));
//! assert!(message.data.ends_with(b"\r\n\r\nHello!\r\n"));
//!
//! assert_eq!(send_welcome(&config, "nobody@example.net").await?, Outcome::Rejected);
//! assert_eq!(server.messages().len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Runtimes
//!
//! [`TestServerBuilder::spawn`] runs the server as a task on the current tokio runtime;
//! [`TestServerBuilder::spawn_thread`] on its own thread and runtime, for blocking code,
//! async-std or smol (wait with [`TestServer::next_message_blocking`]). Dropping the
//! `TestServer` stops it either way: the listener and every session end, a Unix socket
//! file is removed.

mod auth;
mod builder;
mod handler;
mod listen;
mod pki;
mod record;
mod rules;
mod session;
mod settings;
mod transaction;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Security, TlsConfig};
use tokio_rustls::rustls::pki_types::CertificateDer;

pub use builder::TestServerBuilder;
pub use record::{AuthRecord, Message, Recipient, SessionEnd, SessionRecord};
pub use rules::{Fault, Pattern, Stage};

use listen::{Address, Runner};
use record::Store;
use settings::Settings;

/// A running test server; dropping it stops the server.
#[derive(Debug)]
pub struct TestServer {
    address: Address,
    settings: Arc<Settings>,
    store: Arc<Store>,
    /// Taken on drop, so the listener is gone before its file is removed.
    runner: Option<Runner>,
    unix: Option<PathBuf>,
}

impl TestServer {
    /// A builder with the defaults of [`TestServerBuilder`].
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::new()
    }

    fn new(
        address: Address,
        settings: Arc<Settings>,
        store: Arc<Store>,
        runner: Runner,
        unix: Option<PathBuf>,
    ) -> Self {
        Self {
            address,
            settings,
            store,
            runner: Some(runner),
            unix,
        }
    }

    /// The TCP address listened on (`None` on a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.address {
            Address::Tcp(address) => Some(*address),
            Address::Unix(_) => None,
        }
    }

    /// The TCP port (`None` on a Unix socket).
    pub fn port(&self) -> Option<u16> {
        self.local_addr().map(|a| a.port())
    }

    /// The Unix socket's path (`None` on TCP).
    pub fn unix_path(&self) -> Option<&Path> {
        match &self.address {
            Address::Unix(path) => Some(path),
            Address::Tcp(_) => None,
        }
    }

    /// The CA certificate that signed the server's certificate, PEM: what a client
    /// trusts (the leaf is valid for `localhost`, 127.0.0.1 and ::1).
    pub fn ca_pem(&self) -> &str {
        &self.settings.pki.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_certificate(&self) -> &CertificateDer<'static> {
        &self.settings.pki.ca_der
    }

    /// A client TLS configuration trusting only the server's CA, checking the name
    /// `localhost`.
    pub fn tls_config(&self) -> TlsConfig {
        let tls = TlsConfig::new().server_name("localhost");
        // The PEM is our own, so this cannot fail; without it no handshake verifies,
        // which a test reports as a certificate error.
        tls.clone()
            .root_certificates_pem(self.ca_pem().as_bytes())
            .unwrap_or(tls)
    }

    /// A client configuration preset for this server: its address (TCP or Unix
    /// socket), STARTTLS required (or implicit TLS) with [`tls_config`](Self::tls_config)
    /// when TLS is on and plaintext otherwise, LMTP when the server speaks it, plaintext
    /// AUTH allowed when the server allows it. Add credentials, timeouts and the like.
    pub fn client_config(&self) -> ConnectionConfigBuilder {
        let settings = &self.settings;
        let builder = match &self.address {
            Address::Tcp(address) => {
                ConnectionConfig::builder(address.ip().to_string()).port(address.port())
            }
            Address::Unix(path) => ConnectionConfig::unix(path),
        };
        let security = if settings.implicit_tls {
            Security::ImplicitTls
        } else if settings.starttls {
            Security::StartTlsRequired
        } else {
            Security::None
        };
        builder
            .security(security)
            .tls(self.tls_config())
            .lmtp(settings.lmtp)
            .allow_plaintext_auth(settings.allow_plaintext_auth)
    }

    /// Every message received whole so far, in order (refused ones included: see
    /// [`Message::is_accepted`]).
    pub fn messages(&self) -> Vec<Message> {
        self.store.messages()
    }

    /// Every session so far, in order of connection (running ones have no
    /// [`end`](SessionRecord::end) yet).
    pub fn sessions(&self) -> Vec<SessionRecord> {
        self.store.sessions()
    }

    /// The next message not yet returned by `next_message*`, waiting for it if needed
    /// (woken by the session that records it, never by polling). Wrap it in
    /// `tokio::time::timeout` to bound the wait.
    pub async fn next_message(&self) -> Message {
        self.store.next_message().await
    }

    /// [`next_message`](Self::next_message) for blocking code: `None` after `timeout`.
    pub fn next_message_blocking(&self, timeout: Duration) -> Option<Message> {
        self.store.next_message_blocking(timeout)
    }

    /// The next session to end (in order of ending), waiting for it if needed.
    pub async fn next_session(&self) -> SessionRecord {
        self.store.next_session().await
    }

    /// [`next_session`](Self::next_session) for blocking code: `None` after `timeout`.
    pub fn next_session_blocking(&self, timeout: Duration) -> Option<SessionRecord> {
        self.store.next_session_blocking(timeout)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.runner.take());
        if let Some(path) = &self.unix {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Why a [`TestServer`] could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum TestServerError {
    /// Binding the socket failed.
    Bind(std::io::Error),
    /// Making the certificate or the TLS configuration failed.
    Certificate(String),
    /// A setting cannot be used (a refusal reply that does not parse, a host name with a
    /// control character).
    Config(String),
    /// The thread or runtime of [`TestServerBuilder::spawn_thread`] could not start.
    Runtime(std::io::Error),
}

impl fmt::Display for TestServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(e) => write!(f, "test server: cannot bind: {e}"),
            Self::Certificate(e) => write!(f, "test server: certificate: {e}"),
            Self::Config(e) => write!(f, "test server: invalid setting: {e}"),
            Self::Runtime(e) => write!(f, "test server: cannot start its thread: {e}"),
        }
    }
}

impl std::error::Error for TestServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(e) | Self::Runtime(e) => Some(e),
            _ => None,
        }
    }
}
