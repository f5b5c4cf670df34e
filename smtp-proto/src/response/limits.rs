//! Bounds on what a server may send as one reply, and the parser's fatal errors.

/// Size limits for one reply, enforced by [`ReplyParser`](super::ReplyParser).
///
/// The defaults are generous against RFC 5321 §4.5.3.1.5 (a reply line is at most 512
/// octets): a line of at most 8 KiB, a reply of at most 64 KiB and 1000 lines. Limits can
/// only be made **smaller**: a larger value given to a `with_*` method is clamped to the
/// default, so no configuration can let a flooding server use more memory. Values are also
/// clamped from below to what the shortest valid reply needs (`250\r\n`: 5 bytes, 1 line).
///
/// Lengths count every byte of the line or reply, the reply code and the line ends
/// included.
///
/// ```
/// use smtp_proto::response::ReplyLimits;
///
/// let limits = ReplyLimits::DEFAULT.with_max_line_len(512).with_max_lines(100_000);
/// assert_eq!(limits.max_line_len(), 512);
/// assert_eq!(limits.max_lines(), 1000); // clamped: limits only go down
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLimits {
    max_line_len: usize,
    max_reply_len: usize,
    max_lines: usize,
}

/// The shortest line and reply: `250\r\n`.
const MIN_LEN: usize = 5;

impl ReplyLimits {
    /// The default and largest limits: 8 KiB lines, 64 KiB replies, 1000 lines.
    pub const DEFAULT: Self = Self {
        max_line_len: 8 * 1024,
        max_reply_len: 64 * 1024,
        max_lines: 1000,
    };

    /// Sets the longest accepted line, line end included, clamped to 5..=8192.
    #[must_use]
    pub const fn with_max_line_len(mut self, len: usize) -> Self {
        self.max_line_len = clamp(len, MIN_LEN, Self::DEFAULT.max_line_len);
        self
    }

    /// Sets the longest accepted reply, line ends included, clamped to 5..=65536.
    #[must_use]
    pub const fn with_max_reply_len(mut self, len: usize) -> Self {
        self.max_reply_len = clamp(len, MIN_LEN, Self::DEFAULT.max_reply_len);
        self
    }

    /// Sets the largest accepted number of lines in one reply, clamped to 1..=1000.
    #[must_use]
    pub const fn with_max_lines(mut self, lines: usize) -> Self {
        self.max_lines = clamp(lines, 1, Self::DEFAULT.max_lines);
        self
    }

    /// The longest accepted line in bytes, line end included.
    pub const fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// The longest accepted reply in bytes, line ends included.
    pub const fn max_reply_len(&self) -> usize {
        self.max_reply_len
    }

    /// The largest accepted number of lines in one reply.
    pub const fn max_lines(&self) -> usize {
        self.max_lines
    }
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

const fn clamp(value: usize, min: usize, max: usize) -> usize {
    if value < min {
        min
    } else if value > max {
        max
    } else {
        value
    }
}

/// A reply the server must not have sent: always fatal for the connection.
///
/// Line numbers count from 1 within the reply. The parser stops at the first byte that
/// proves the error, so which error is reported never depends on how the input was split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A reply line does not start with three digits (RFC 5321 §4.2).
    #[error(
        "reply line {line}: byte {byte:#04x} at position {position} where a digit of the reply code was expected"
    )]
    NotDigit {
        /// The line within the reply, from 1.
        line: usize,
        /// The position of the byte within the line, from 0.
        position: usize,
        /// The offending byte.
        byte: u8,
    },
    /// The code's first digit is outside 2-5 or its second digit outside 0-5 (RFC 5321
    /// §4.2: `Reply-code = %x32-35 %x30-35 %x30-39`).
    #[error("reply line {line}: {code} is not an SMTP reply code (first digit 2-5, second 0-5)")]
    CodeOutOfRange {
        /// The line within the reply, from 1.
        line: usize,
        /// The three digits read.
        code: u16,
    },
    /// The byte after the code is not a space, a hyphen or the line end (RFC 5321 §4.2).
    #[error(
        "reply line {line}: byte {byte:#04x} after the reply code where a space, a hyphen or the line end was expected"
    )]
    BadSeparator {
        /// The line within the reply, from 1.
        line: usize,
        /// The offending byte.
        byte: u8,
    },
    /// A continuation line carries another code than the first line (RFC 5321 §4.2.1).
    #[error("reply line {line}: code {found} differs from the reply's code {expected}")]
    CodeMismatch {
        /// The line within the reply, from 2.
        line: usize,
        /// The first line's code.
        expected: u16,
        /// This line's code.
        found: u16,
    },
    /// A line is longer than [`ReplyLimits::max_line_len`].
    #[error("reply line {line} is longer than {limit} bytes")]
    LineTooLong {
        /// The line within the reply, from 1.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The reply is longer than [`ReplyLimits::max_reply_len`].
    #[error("reply is longer than {limit} bytes")]
    ReplyTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The reply has more lines than [`ReplyLimits::max_lines`].
    #[error("reply has more than {limit} lines")]
    TooManyLines {
        /// The limit in force.
        limit: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_only_go_down() {
        let l = ReplyLimits::DEFAULT
            .with_max_line_len(1 << 20)
            .with_max_reply_len(1 << 30)
            .with_max_lines(usize::MAX);
        assert_eq!(l, ReplyLimits::DEFAULT);
        let l = ReplyLimits::DEFAULT
            .with_max_line_len(0)
            .with_max_reply_len(1)
            .with_max_lines(0);
        assert_eq!(
            (l.max_line_len(), l.max_reply_len(), l.max_lines()),
            (5, 5, 1)
        );
        let l = ReplyLimits::default().with_max_line_len(512);
        assert_eq!(l.max_line_len(), 512);
    }

    #[test]
    fn errors_say_where() {
        let e = ReplyError::NotDigit {
            line: 2,
            position: 1,
            byte: b'x',
        };
        assert_eq!(
            e.to_string(),
            "reply line 2: byte 0x78 at position 1 where a digit of the reply code was expected"
        );
    }
}
