//! DATA encoding (RFC 5321 §4.5.2) and BDAT framing (RFC 3030).
//!
//! A message body reaches the wire in one of two ways, both sans-IO and streaming: the
//! caller hands over chunks split anywhere and gets back the exact bytes to transmit,
//! appended to its own buffer ([`BodySink`]: `Vec<u8>` or `bytes::BytesMut`).
//!
//! - [`DataEncoder`] (after `DATA` / `354`): CRLF canonicalisation, dot-stuffing of every
//!   line including the first, one end-of-data marker at the very end;
//! - [`BdatEncoder`] (RFC 3030 CHUNKING): `BDAT <n>` framing of the canonical body, no
//!   stuffing, or of raw octets with [`BdatMode::Binary`] (BINARYMIME).
//!
//! Both hold text to the same [`BodyPolicy`]: bare CR/LF become CRLF (or are rejected in
//! strict mode), NUL is rejected, lines over 998 octets are rejected (opt-out), 8-bit octets
//! are accepted (opt-in rejection for `BODY=7BIT`). [`BodySummary`] answers, for a whole
//! body and in one pass, what MAIL needs to declare: `SIZE=`, `BODY=8BITMIME`, validity.
//!
//! A violation found mid-stream is a [`DataError`] that the client turns into an abort:
//! the encoders guarantee that neither the offending line's terminator nor the end of the
//! body is ever written (SECURITY.md, "body smuggling").

mod bdat;
mod canon;
mod encoder;
mod error;
mod policy;
mod sink;
mod summary;
mod verbatim;

pub use bdat::{BdatEncoder, BdatMode};
pub use encoder::{DataEncoder, END_OF_DATA, encode_data};
pub use error::DataError;
pub use policy::{BodyPolicy, MAX_LINE_LENGTH};
pub use sink::BodySink;
pub use summary::BodySummary;
pub(crate) use verbatim::{encode_data_summarized, is_data_form};
