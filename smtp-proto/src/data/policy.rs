//! The text rules a body is held to: line ends, line length, 8-bit octets.

/// Longest text line RFC 5321 §4.5.3.1.6 allows, in octets, excluding CRLF.
pub const MAX_LINE_LENGTH: usize = 998;

/// The rules a text body (DATA, or BDAT without BINARYMIME) must follow.
///
/// The default is lenient where leniency cannot change meaning and strict where it could:
/// bare CR and bare LF become CRLF, NUL is rejected (always), lines over
/// [`MAX_LINE_LENGTH`] octets are rejected, 8-bit octets pass (the caller declares
/// `BODY=8BITMIME`, RFC 6152).
///
/// Line length counts the octets of the canonical line, excluding its CRLF and excluding the
/// dot added by dot-stuffing: RFC 5321 §4.5.3.1.6 says the limit is "not counting the leading
/// dot duplicated for transparency", so the same body is valid for DATA and for BDAT.
///
/// ```
/// use smtp_proto::data::BodyPolicy;
///
/// let policy = BodyPolicy::default().strict().seven_bit();
/// assert!(policy.is_strict());
/// assert!(!policy.allows_8bit());
/// assert_eq!(policy.max_line_length(), Some(998));
/// assert_eq!(policy.without_line_limit().max_line_length(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyPolicy {
    strict: bool,
    max_line_length: Option<usize>,
    allow_8bit: bool,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        Self {
            strict: false,
            max_line_length: Some(MAX_LINE_LENGTH),
            allow_8bit: true,
        }
    }
}

impl BodyPolicy {
    /// Reject bare CR and bare LF ([`DataError::BareCr`](super::DataError::BareCr),
    /// [`DataError::BareLf`](super::DataError::BareLf)) instead of turning them into CRLF.
    pub fn strict(self) -> Self {
        Self {
            strict: true,
            ..self
        }
    }

    /// Reject octets above 127, for a body sent as `BODY=7BIT` (RFC 6152 §3).
    pub fn seven_bit(self) -> Self {
        Self {
            allow_8bit: false,
            ..self
        }
    }

    /// Accept lines of any length (the server may still refuse them).
    pub fn without_line_limit(self) -> Self {
        Self {
            max_line_length: None,
            ..self
        }
    }

    /// Reject lines longer than `limit` octets (excluding CRLF and any stuffed dot).
    pub fn with_max_line_length(self, limit: usize) -> Self {
        Self {
            max_line_length: Some(limit),
            ..self
        }
    }

    /// Whether bare CR and bare LF are rejected rather than canonicalised.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Whether octets above 127 are accepted.
    pub fn allows_8bit(&self) -> bool {
        self.allow_8bit
    }

    /// The line length limit, excluding CRLF and any stuffed dot; `None` for no limit.
    pub fn max_line_length(&self) -> Option<usize> {
        self.max_line_length
    }
}
