//! The tokio adapter for smtp-proto: sockets, tokio-rustls, deadlines, and a scripted
//! mock.
//!
//! A [`Connection`] holds the stream, the sans-IO core
//! [`Client`](smtp_proto::client::Client) and a read buffer, and runs every command through
//! one loop over the core's output: write each transmit whole before its deadline, read
//! until the reply deadline, run the TLS handshake when asked, feed a streamed body. All
//! SMTP knowledge (reply codes, capabilities, dot-stuffing) stays in the core; the
//! runtime-neutral parts (configuration, TLS setup, errors, logging, the mock's script
//! player) are in `smtp-adapter`, shared with the other adapters.
//!
//! ```no_run
//! use smtp_tokio::{Connection, ConnectionConfig};
//! use smtp_proto::command::{Envelope, MailBody};
//! use smtp_proto::auth::Credentials;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ConnectionConfig::builder("smtp.example.org")
//!     .credentials(Credentials::password("tim", "secret"))
//!     .build()?;
//! let mut connection = Connection::connect(&config).await?;
//! let envelope = Envelope::new("<tim@example.org>".parse()?, ["<ann@example.net>".parse()?])?;
//! let report = connection
//!     .send_mail(envelope, MailBody::bytes(&b"Subject: hi\r\n\r\nHello.\r\n"[..]))
//!     .await??;
//! println!("{:?}", report.outcome());
//! connection.quit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Errors have two levels: `Err(`[`Error`]`)` means the connection is dead, `Ok(Err(`
//! [`LogicError`](smtp_proto::command::LogicError)`))` is the server's refusal with the
//! connection still usable. Logs go through `tracing`: a `smtp.command` span per command,
//! wire logs at trace level showing only redacted transmits.
//!
//! # Cancellation
//!
//! Every future here may be dropped (a `tokio::time::timeout`, a `select!`) without
//! corrupting anything, but a dropped command is not resumed:
//!
//! - A command (`send`, `send_mail`, `quit`, ...) dropped mid-way leaves its exchange
//!   unfinished, and the core then refuses the connection ([`Connection::is_usable`] is
//!   false, the next `send` fails with `ProtocolError::Unusable` before writing): a late
//!   reply can never be taken for the answer to a later command.
//! - Dropped in the middle of a write, it has handed the server part of a line or of a
//!   message, and the rest is lost: nothing more is ever written on that stream. The next
//!   command drops it (the server sees the connection close mid-message, so no message
//!   with a hole is ever delivered); [`Connection::into_inner`] then returns `None`.
//! - [`Mails::next`] is the one future whose work outlives it (the `Mails` keeps the
//!   exchange). Dropped while it waits for a reply, it loses nothing: the next call reads
//!   on. Dropped while it writes, the next call writes nothing more, drops the stream and
//!   fails with `ProtocolError::WriteFailed` and the interrupted mails' reports: a mail cut
//!   short is never reported delivered. To log progress while a large body is sent, keep
//!   the one `next` future alive across the ticks (see [`Mails::next`]), or make the
//!   `Mails` a `Stream` (see [`Mails`]), whose `next` may be dropped at any point.
//!
//! # Testing
//!
//! With the feature `mock`, `MockStream` plays a transcript's server side (the files in
//! `tests/transcripts/`, the same ones the core replays) and `Connection::with_mock` runs
//! commands over it, STARTTLS included.
//!
//! With the feature `test-server`, [`test_server`] is a real SMTP/LMTP server on a loopback
//! port or a Unix socket, for testing code that sends mail: TLS with a generated CA, AUTH,
//! refusals, LMTP verdicts, scripted faults, and a record of every message.
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
#[cfg(feature = "test-server")]
pub mod test_server;

pub use connection::{Connection, Sent};
pub use mail::{MailResult, Mails, connect_send_quit};
#[cfg(feature = "mock")]
pub use mock::{MockHandle, MockStream};
pub use stream::{BoxedTransport, Stream, Transport};

pub use smtp_adapter;
pub use smtp_adapter::{
    ConnectionConfig, ConnectionConfigBuilder, DEFAULT_MAX_GROUP, Endpoint, Error, Phase, Security,
    TlsConfig, TlsInfo,
};
pub use smtp_proto;
