//! The violations a body can commit against the DATA/BDAT text rules.

/// Why a body cannot be sent as text (DATA, or BDAT without BINARYMIME).
///
/// Every variant carries `offset`, the 0-based position of the offending octet in the body
/// as the caller gave it (all chunks counted, before canonicalisation). An encoder that
/// returned one of these has written no byte of the offending line's terminator and will
/// never write the end of the body: the client must abort the transaction (RFC 5321 §4.1.4
/// gives no way to cancel a DATA body, so the connection is closed; over BDAT no further
/// chunk is sent and RSET follows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A NUL octet, which RFC 5321 §4.5.2 and RFC 2045 §2.7 forbid in text.
    #[error("NUL octet at body offset {offset}")]
    Nul {
        /// Position of the NUL.
        offset: u64,
    },
    /// A CR not followed by LF, in strict mode (RFC 5321 §2.3.8).
    #[error("bare CR (not followed by LF) at body offset {offset}")]
    BareCr {
        /// Position of the CR.
        offset: u64,
    },
    /// An LF not preceded by CR, in strict mode (RFC 5321 §2.3.8).
    #[error("bare LF (not preceded by CR) at body offset {offset}")]
    BareLf {
        /// Position of the LF.
        offset: u64,
    },
    /// A line longer than the limit (998 octets by default, RFC 5321 §4.5.3.1.6).
    #[error(
        "line longer than {limit} octets (excluding CRLF): the octet over the limit is at body offset {offset}"
    )]
    LineTooLong {
        /// Position of the first octet over the limit.
        offset: u64,
        /// The limit in force, in octets excluding CRLF and any stuffed dot.
        limit: usize,
    },
    /// An octet above 127 in a body declared 7-bit (RFC 6152 for `BODY=8BITMIME`).
    #[error("8-bit octet 0x{octet:02X} at body offset {offset} in a 7-bit body")]
    EightBit {
        /// Position of the octet.
        offset: u64,
        /// The octet itself.
        octet: u8,
    },
}

impl DataError {
    /// The position of the offending octet in the body as given (all chunks counted).
    pub fn offset(&self) -> u64 {
        match *self {
            Self::Nul { offset }
            | Self::BareCr { offset }
            | Self::BareLf { offset }
            | Self::LineTooLong { offset, .. }
            | Self::EightBit { offset, .. } => offset,
        }
    }
}
