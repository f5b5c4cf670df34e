//! The message body: whole bytes, or streamed by the caller in chunks.

use crate::data::BodyPolicy;
use crate::response::Bytes;

/// The message content, in RFC 5322 form (line ends may be LF; they are canonicalised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailBody {
    /// The whole message, known before MAIL: its size, 8-bit content and validity are
    /// checked first, so `SIZE=` and `BODY=` are exact and a bad body sends nothing.
    Bytes(Bytes),
    /// A binary message (`BODY=BINARYMIME`, RFC 3030 §3): sent unchanged over BDAT, which the
    /// server must offer with CHUNKING and BINARYMIME.
    Binary(Bytes),
    /// A message of unknown length, handed over piece by piece after
    /// [`Output::NeedBody`](crate::client::Output::NeedBody), with bounded memory.
    Streamed(StreamedBody),
}

impl MailBody {
    /// A whole message from anything that becomes [`Bytes`] (`Vec<u8>`, `&'static [u8]`,
    /// `String`).
    pub fn bytes(body: impl Into<Bytes>) -> Self {
        MailBody::Bytes(body.into())
    }
}

/// What the caller declares for a streamed body, since it cannot be inspected first.
///
/// A byte found mid-stream that contradicts the declaration (8-bit content in a body not
/// declared 8-bit), a NUL, an over-long line or (strict policy) a bare CR or LF aborts the
/// transfer without the end-of-data marker: over DATA the connection is then closed, over
/// BDAT no further chunk is sent and the transaction is reset. Nothing truncated is ever
/// delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamedBody {
    /// The body may contain octets above 127: `BODY=8BITMIME` (RFC 6152).
    pub eight_bit: bool,
    /// The message is internationalised (UTF-8 in its header fields, RFC 6532): MAIL carries
    /// `SMTPUTF8` (RFC 6531 §3.4), which the server must offer. For a whole body, set
    /// [`MailParameters::smtputf8`](crate::syntax::esmtp::MailParameters::smtputf8) in the
    /// envelope instead; addresses that need it set it on their own.
    pub smtputf8: bool,
    /// The size, if the caller knows it: sent as `SIZE=` when offered (an estimate is
    /// allowed by RFC 1870 §6, but must not be smaller than the message).
    pub size_hint: Option<u64>,
}

/// How bodies are sent: policy, BDAT use and chunk size, 452 handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransactionOptions {
    /// The body rules (line ends, NUL, line length, strictness).
    pub body_policy: BodyPolicy,
    /// Use BDAT (RFC 3030) when the server offers CHUNKING. Binary bodies always do.
    pub prefer_bdat: bool,
    /// The size of each BDAT chunk.
    pub bdat_chunk_size: std::num::NonZeroUsize,
    /// Use PIPELINING (RFC 2920) when the server offers it.
    pub pipelining: bool,
    /// After a 452 to RCPT (too many recipients, RFC 5321 §4.5.3.1.10) with at least one
    /// recipient accepted, send the refused ones in a new transaction. A 552 there counts
    /// as a 452 (the RFC's SHOULD: RFC 821 used 552 for this) unless its enhanced code
    /// names another cause than X.5.3. A streamed body cannot be sent twice: its 452s are
    /// reported as refused.
    pub retry_too_many_recipients: bool,
}

impl Default for TransactionOptions {
    fn default() -> Self {
        Self {
            body_policy: BodyPolicy::default(),
            prefer_bdat: true,
            bdat_chunk_size: std::num::NonZeroUsize::new(1 << 20)
                .unwrap_or(std::num::NonZeroUsize::MIN),
            pipelining: true,
            retry_too_many_recipients: true,
        }
    }
}
