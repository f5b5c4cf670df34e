//! The blocking adapter for smtp-proto: std sockets, rustls `StreamOwned`, socket
//! timeouts, and a scripted mock. No runtime, no thread, no async dependency.
//!
//! A [`Connection`] holds the stream, the sans-IO core
//! [`Client`](smtp_proto::client::Client) and a read buffer, and runs every command through
//! one loop over the core's output: write each transmit whole before its deadline, read
//! until the reply deadline, run the TLS handshake when asked, feed a streamed body. It
//! is the same loop as smtp-tokio's, with blocking calls: the names, results and
//! configuration ([`ConnectionConfig`]) are the same.
//!
//! ```no_run
//! use smtp_blocking::{Connection, ConnectionConfig};
//! use smtp_proto::command::{Envelope, MailBody};
//! use smtp_proto::auth::Credentials;
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ConnectionConfig::builder("smtp.example.org")
//!     .credentials(Credentials::password("tim", "secret"))
//!     .build()?;
//! let mut connection = Connection::connect(&config)?;
//! let envelope = Envelope::new("<tim@example.org>".parse()?, ["<ann@example.net>".parse()?])?;
//! let report = connection.send_mail(envelope, MailBody::bytes(&b"Subject: hi\r\n\r\nHello.\r\n"[..]))??;
//! println!("{:?}", report.outcome());
//! connection.quit()?;
//! # Ok(())
//! # }
//! ```
//!
//! Errors have two levels: `Err(`[`Error`]`)` means the connection is dead, `Ok(Err(`
//! [`LogicError`](smtp_proto::command::LogicError)`))` is the server's refusal with the
//! connection still usable. Logs go through `tracing`: a `smtp.command` span per command,
//! wire logs at trace level showing only redacted transmits.
//!
//! # Deadlines
//!
//! Every reply and write deadline of the core, the connect timeout and the TLS handshake
//! timeout become socket timeouts, recomputed before each wait from the time left, so a
//! server dripping a byte at a time cannot stretch them. (Name resolution goes through
//! the system resolver, which std cannot interrupt: its time counts against the connect
//! timeout, checked once it returns.)
//!
//! # Pipelining without a second thread
//!
//! A blocking connection cannot read while it writes. A pipelined group larger than the
//! socket buffers, against a server that writes its replies before reading on, would
//! leave both sides blocked in a write: RFC 2920 §3.1's deadlock. The core splits groups
//! for it ([`ClientConfig::max_group`](smtp_proto::client::ClientConfig::max_group), by
//! default [`DEFAULT_MAX_GROUP`]) and reads every reply a part asked for before writing
//! the next.
//!
//! # Testing
//!
//! With the feature `mock`, `MockStream` plays a transcript's server side (the files in
//! `tests/transcripts/`, the same ones the core replays) on virtual time, and
//! `Connection::with_mock` runs commands over it, STARTTLS included.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod connect;
mod connection;
mod drive;
mod mail;
#[cfg(feature = "mock")]
mod mock;
mod stream;

pub use connection::{Connection, DEFAULT_MAX_GROUP, Sent};
pub use mail::{MailResult, Mails, connect_send_quit};
#[cfg(feature = "mock")]
pub use mock::{MockHandle, MockStream};
pub use stream::{BoxedTransport, Stream, Transport};

pub use smtp_adapter;
pub use smtp_adapter::{
    ConnectionConfig, ConnectionConfigBuilder, Endpoint, Error, Phase, Security, TlsConfig, TlsInfo,
};
pub use smtp_proto;
