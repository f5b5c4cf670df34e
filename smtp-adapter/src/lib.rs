//! Runtime-neutral support for the smtp-proto adapters (tokio, futures-io, blocking).
//!
//! The protocol lives in `smtp-proto`; each adapter is one loop over its sans-IO driver.
//! What does not depend on a runtime is here, written once:
//!
//! - [`ConnectionConfig`]: where to connect, the [`Security`] mode, identity, credentials,
//!   deadlines (the core's plus connect and TLS handshake), LMTP, transaction options; it
//!   builds the session setup command ([`ConnectionConfig::establish`]);
//! - [`TlsConfig`]: the rustls client configuration (system or custom roots, client
//!   certificate, a verification name distinct from the host, and the loudly named
//!   [`TlsConfig::dangerous_skip_verification`]); [`TlsInfo`] says what was negotiated;
//! - [`Error`]: the fatal errors every adapter returns (refusals stay the core's
//!   [`LogicError`](smtp_proto::command::LogicError));
//! - [`log`]: a tracing span per command and wire logs that show only redacted transmits;
//! - `mock` (feature `mock`): the script player behind each adapter's mock stream, which
//!   replays the transcripts in `tests/transcripts/`.
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod builder;
mod config;
mod error;
mod handshake;
pub mod log;
#[cfg(feature = "mock")]
pub mod mock;
mod tls;

pub use builder::ConnectionConfigBuilder;
pub use config::{ConnectionConfig, Endpoint, Security};
pub use error::{Error, Phase};
pub use tls::{TlsConfig, TlsInfo, client_nonce};

/// The pipelined group size when the configuration sets none (see
/// [`ConnectionConfig::new_client`]): replies to 16 KiB of commands fit any socket buffer.
pub const DEFAULT_MAX_GROUP: std::num::NonZeroUsize = match std::num::NonZeroUsize::new(16 * 1024) {
    Some(size) => size,
    None => std::num::NonZeroUsize::MIN,
};

/// How long an adapter still reads replies after a write failed: a server that refuses and
/// closes (a 552 during the body) has sent its reply, which may still be on its way through
/// TLS records; a refusal followed by a close must stay a refusal.
pub const WRITE_FAILURE_LINGER: std::time::Duration = std::time::Duration::from_millis(250);

pub use rustls;
pub use smtp_proto;
