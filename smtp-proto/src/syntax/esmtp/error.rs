//! The error of every ESMTP parameter parser and constructor.

use thiserror::Error;

/// Why an ESMTP keyword, value, parameter, xtext or typed parameter was refused.
///
/// Positions are byte offsets into the input that was parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EsmtpError {
    /// The input was empty where at least one character is required.
    #[error("empty {what}")]
    Empty {
        /// What was being parsed.
        what: &'static str,
    },
    /// A control character (C0, DEL or C1) that can never reach the wire.
    #[error("control character U+{byte:04X} at byte {position}")]
    ControlChar {
        /// Byte offset.
        position: usize,
        /// The offending code point (every control is below U+00A0, so it fits a byte).
        byte: u8,
    },
    /// A character that the grammar of `what` does not allow.
    #[error("invalid character {ch:?} at byte {position} in {what}")]
    InvalidChar {
        /// What was being parsed.
        what: &'static str,
        /// Byte offset.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// A `+` in xtext not followed by two upper-case hexadecimal digits (RFC 3461 §4).
    #[error(
        "malformed xtext hexchar at byte {position}: '+' must be followed by two upper-case hex digits"
    )]
    BadHexChar {
        /// Byte offset of the `+`.
        position: usize,
    },
    /// A malformed `\x{HEX}` escape in a UTF-8 address (RFC 6533 §3).
    #[error("malformed \\x{{HEX}} escape at byte {position}")]
    BadUnicodeEscape {
        /// Byte offset of the backslash.
        position: usize,
    },
    /// The decoded bytes of an xtext are not valid UTF-8.
    #[error("decoded xtext is not valid UTF-8")]
    InvalidUtf8,
    /// The value is longer than its RFC allows.
    #[error("{what} is {len} characters long, the limit is {max}")]
    TooLong {
        /// What was being checked.
        what: &'static str,
        /// Actual length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A parameter was given under another keyword than the one being parsed.
    #[error("expected the {expected} parameter, found {found}")]
    WrongKeyword {
        /// The keyword that was expected.
        expected: &'static str,
        /// The keyword that was found.
        found: String,
    },
    /// A keyword that no typed parameter of this command knows.
    #[error("unknown parameter keyword {keyword}")]
    UnknownKeyword {
        /// The keyword.
        keyword: String,
    },
    /// A parameter that requires a value has none.
    #[error("the {keyword} parameter requires a value")]
    MissingValue {
        /// The keyword.
        keyword: &'static str,
    },
    /// A parameter that takes no value has one.
    #[error("the {keyword} parameter takes no value")]
    UnexpectedValue {
        /// The keyword.
        keyword: &'static str,
    },
    /// The value is not one of those the parameter defines.
    #[error("invalid {keyword} value {value:?}: {reason}")]
    InvalidValue {
        /// The keyword.
        keyword: &'static str,
        /// The offending value (truncated to 64 characters, controls escaped by Debug).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same parameter was given twice.
    #[error("duplicate parameter {keyword}")]
    Duplicate {
        /// The keyword.
        keyword: String,
    },
    /// A raw parameter under a keyword that has a typed parameter, which must be used instead.
    #[error("{keyword} has a typed parameter; use it instead of a raw one")]
    ReservedKeyword {
        /// The keyword.
        keyword: String,
    },
    /// An ORCPT value without the `;` between address type and address (RFC 3461 §4.2).
    #[error("ORCPT value has no ';' between address type and address")]
    MissingAddrType,
    /// An `rfc822` ORCPT address that contains non-ASCII characters (RFC 6533 §3 requires `utf-8`).
    #[error("non-ASCII address in an rfc822 ORCPT; use the utf-8 address type")]
    NonAsciiRfc822,
}

impl EsmtpError {
    /// An [`EsmtpError::InvalidValue`] with the value truncated for display.
    pub(crate) fn invalid_value(keyword: &'static str, value: &str, reason: &'static str) -> Self {
        EsmtpError::InvalidValue {
            keyword,
            value: value.chars().take(64).collect(),
            reason,
        }
    }
}

/// Refuses any C0 control, DEL or C1 control: the crate's one guard
/// ([`crate::syntax::chars::find_control`]) with this module's error.
pub(crate) fn check_no_controls(s: &str) -> Result<(), EsmtpError> {
    match crate::syntax::chars::find_control(s) {
        Some((position, byte)) => Err(EsmtpError::ControlChar { position, byte }),
        None => Ok(()),
    }
}
