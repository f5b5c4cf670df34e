//! Server replies: the incremental parser, reply codes, enhanced status codes, retry
//! advice and EHLO/LHLO data.
//!
//! - [`ReplyParser`] turns a read buffer into [`Response`]s (RFC 5321 §4.2), within
//!   [`ReplyLimits`], or fails with a fatal [`ReplyError`];
//! - [`Response`] holds the [`ReplyCode`] and the lines, each with its
//!   [`EnhancedStatus`] (RFC 3463, RFC 2034) when it has one, and gives
//!   [`RetryAdvice`];
//! - [`EhloData`] reads the EHLO or LHLO reply (RFC 5321 §4.1.1.1, RFC 2033): the server's
//!   domain, typed [`Capability`]s and the raw parameters of every keyword.
//!
//! The parser does not know which command a reply answers; the client does.
//!
//! ```
//! use bytes::BytesMut;
//! use smtp_proto::response::{Capability, EhloData, ReplyParser};
//!
//! let mut buf = BytesMut::from(&b"250-mx.example.org Hello\r\n250-SIZE 35882577\r\n250 AUTH LOGIN PLAIN\r\n"[..]);
//! let reply = ReplyParser::new().parse(&mut buf).unwrap().unwrap();
//! let ehlo = EhloData::try_from(reply).unwrap();
//! assert_eq!(ehlo.domain(), "mx.example.org");
//! assert_eq!(ehlo.size_limit(), Some(35882577));
//! assert!(ehlo.supports(Capability::Auth));
//! assert_eq!(ehlo.auth_mechanisms().collect::<Vec<_>>(), ["LOGIN", "PLAIN"]);
//! ```

mod advice;
mod code;
mod display;
mod ehlo;
mod enhanced;
mod limits;
#[cfg(test)]
mod linearity;
mod parser;
mod reply;

/// The buffer types of the parser's API, re-exported so callers use the same `bytes`.
pub use bytes::{Bytes, BytesMut};

pub use advice::{RetryAdvice, Scope};
pub use code::{InvalidReplyCode, ReplyCategory, ReplyClass, ReplyCode};
pub(crate) use display::write_escaped;
pub use display::{DISPLAY_MAX_TEXT, Escaped, is_unsafe_to_show};
pub use ehlo::{
    AuthMechanisms, Capability, EhloData, EhloError, FutureRelease, Keyword, MtPriorityPolicy,
    ServerLimits,
};
pub use enhanced::{EnhancedStatus, InvalidEnhancedStatus};
pub use limits::{ReplyError, ReplyLimits};
pub use parser::ReplyParser;
pub use reply::{Lines, ParseResponseError, ReplyLine, Response};
