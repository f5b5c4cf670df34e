//! Why a command cannot be encoded; always found before a byte is written.

use thiserror::Error;

use crate::syntax::esmtp::EsmtpError;

/// A command that cannot be written as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The line (CRLF included) would exceed its limit (RFC 5321 §4.5.3.1.4 plus allowances).
    #[error("command line of {len} octets exceeds the limit of {max}")]
    LineTooLong {
        /// Length of the line with CRLF.
        len: usize,
        /// The limit that applies to this line.
        max: usize,
    },
    /// A SASL response line (base64 and CRLF) exceeds 12288 octets (RFC 4954 §4).
    #[error("SASL response line of {len} octets exceeds the limit of {max}")]
    SaslLineTooLong {
        /// Length of the line with CRLF.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An address or argument needs SMTPUTF8, but the encoding in use is ASCII
    /// (the server does not offer SMTPUTF8, RFC 6531 §3.2).
    #[error("non-ASCII address or argument needs SMTPUTF8, which is not in use")]
    SmtpUtf8Required,
    /// The line would carry UTF-8 but the command lacks its SMTPUTF8 parameter
    /// (RFC 6531 §3.4 for MAIL, §3.1 (6) for VRFY and EXPN).
    #[error("non-ASCII content without the SMTPUTF8 parameter")]
    SmtpUtf8ParameterMissing,
    /// An argument was empty where one is required.
    #[error("empty {what}")]
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// A character the argument may not contain (control characters never reach the wire).
    #[error("invalid character {ch:?} at byte {position} in {what}")]
    InvalidChar {
        /// What was being checked.
        what: &'static str,
        /// Byte offset.
        position: usize,
        /// The character.
        ch: char,
    },
    /// A value that is longer than its definition allows.
    #[error("{what} is {len} characters long, the limit is {max}")]
    TooLong {
        /// What was checked.
        what: &'static str,
        /// Actual length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The same attribute was given twice (XCLIENT, XFORWARD).
    #[error("duplicate attribute {name}")]
    DuplicateAttribute {
        /// The attribute name.
        name: &'static str,
    },
    /// A literal attribute value that reads like `[UNAVAILABLE]` or `[TEMPUNAVAIL]`.
    #[error("attribute value {value:?} is reserved; use the dedicated variant")]
    ReservedValue {
        /// The value.
        value: &'static str,
    },
    /// An ESMTP syntax error in a parameter.
    #[error(transparent)]
    Esmtp(#[from] EsmtpError),
}
