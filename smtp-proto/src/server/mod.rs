//! The small sans-IO server side (feature `server`): what an in-process test server needs.
//!
//! A [`Server`] reads the client's bytes and hands out [`Output`]s: bytes to write, typed
//! [`Event`]s that the application answers with a [`Reply`], a TLS upgrade, the end. It
//! parses commands into [`Command`] with the same syntax types the client writes
//! ([`ReversePath`](crate::syntax::ReversePath), [`MailParameters`](crate::syntax::esmtp::MailParameters),
//! ...), runs AUTH (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, and with their features CRAM-MD5
//! and SCRAM-SHA-256) into [`SaslCredentials`], undoes dot-stuffing
//! ([`DotDecoder`], RFC 5321 §4.5.2), reads BDAT chunks by count (RFC 3030) and encodes
//! replies with enhanced status codes (RFC 2034).
//!
//! Malformed input is refused the way a strict server would (500, 501, 504, 552, 555),
//! reported as [`Event::Refused`], never a panic; a command line longer than
//! [`ServerConfig::max_line_length`] is refused without being buffered. The server also
//! follows what the application's replies established: AUTH is refused before any
//! challenge after a refused greeting, once authenticated, during a transaction, when no
//! mechanism is configured, or without TLS under [`ServerConfig::auth_requires_tls`]
//! ([`AuthGate`]: 502, 503, 538); TLS forgets the session's state (RFC 3207 §4.2); and in
//! LMTP (after an accepted LHLO) a message too large gets one 552 per accepted recipient
//! (RFC 2033 §4.2).
//!
//! ```
//! use smtp_proto::response::ReplyCode;
//! use smtp_proto::server::{Command, Event, Output, Reply, Server, ServerConfig};
//! let mut server = Server::new(ServerConfig::default());
//! server.reply(Reply::new(ReplyCode::SERVICE_READY, "ready")?)?;
//! server.handle_input(b"DATA\r\n");
//! let mut body = Vec::new();
//! loop {
//!     match server.poll_output() {
//!         Output::Event(Event::Command(Command::Data)) => {
//!             server.reply(Reply::new(ReplyCode::START_MAIL_INPUT, "go ahead")?)?;
//!             server.handle_input(b"..dot\r\n.\r\n");
//!         }
//!         Output::Event(Event::MessageData(bytes)) => body.extend(bytes),
//!         Output::Event(Event::DataEnd) => server.reply(Reply::new(ReplyCode::OK, "queued")?)?,
//!         Output::Transmit(_) | Output::Event(_) => {}
//!         _ => break,
//!     }
//! }
//! assert_eq!(body, b".dot\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod dot;
mod event;
mod reply;
mod sasl;
mod session;

pub use command::{Command, CommandError, HelloKind, parse_command};
pub use dot::DotDecoder;
pub use event::{AuthGate, Event, Output, Refusal, ServerError};
pub use reply::{MAX_REPLY_LINE, Reply, ReplyError};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use sasl::auth_line;
pub use sasl::{
    SaslCredentials, SaslError, SaslMechanism, decode_oauthbearer, decode_plain, decode_response,
    decode_xoauth2, parse_auth,
};
#[cfg(feature = "sasl-scram")]
pub use sasl::{ScramKeys, ScramKeysError};
pub use session::{Server, ServerConfig};
