//! Replies the server writes: single and multiline, with an optional enhanced status code
//! (RFC 5321 §4.2, RFC 2034 §4, RFC 3463).

use std::fmt::Write as _;

use crate::response::{EnhancedStatus, ReplyCode};

/// The longest reply line allowed on the wire, CRLF included (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE: usize = 512;

/// A reply text that cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A CR, LF, NUL or other control byte would change the framing (RFC 5321 §4.2).
    #[error("control byte 0x{byte:02X} at offset {at} in reply text")]
    Control {
        /// Byte offset in the text.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// The text given to [`Reply::from_str`](std::str::FromStr::from_str) does not start
    /// with a reply code from 200 to 599 followed by a space or its end.
    #[error("reply must start with a code from 200 to 599: {0:?}")]
    Code(String),
    /// The line, with code, status and CRLF, exceeds 512 octets (RFC 5321 §4.5.3.1.5).
    #[error("reply line of {len} octets exceeds 512 (RFC 5321 §4.5.3.1.5)")]
    TooLong {
        /// The encoded line length.
        len: usize,
    },
}

/// One reply: a code, an optional enhanced status repeated on every line, one or more
/// text lines (RFC 5321 §4.2.1: `code-text` on all lines but the last, `code SP text` last).
///
/// ```
/// use smtp_proto::response::{EnhancedStatus, ReplyCode};
/// use smtp_proto::server::Reply;
/// let reply = Reply::new(ReplyCode::OK, "example.org")?
///     .with_line("PIPELINING")?
///     .with_status(EnhancedStatus::new(2, 0, 0)?)?;
/// assert_eq!(reply.to_bytes(), b"250-2.0.0 example.org\r\n250 2.0.0 PIPELINING\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    status: Option<EnhancedStatus>,
    lines: Vec<String>,
}

impl Reply {
    /// A one-line reply; the text must be free of control bytes and fit the line limit.
    pub fn new(code: ReplyCode, text: &str) -> Result<Self, ReplyError> {
        let reply = Self {
            code,
            status: None,
            lines: Vec::new(),
        };
        reply.with_line(text)
    }

    /// Appends a text line, making the reply multiline.
    pub fn with_line(mut self, text: &str) -> Result<Self, ReplyError> {
        check_text(text)?;
        self.lines.push(text.to_owned());
        self.check_lengths()?;
        Ok(self)
    }

    /// Sets the enhanced status written at the start of every line (RFC 2034 §4).
    pub fn with_status(mut self, status: EnhancedStatus) -> Result<Self, ReplyError> {
        self.status = Some(status);
        self.check_lengths()?;
        Ok(self)
    }

    /// Builds a reply from text known to be valid (crate-internal replies only).
    pub(crate) fn fixed(code: u16, status: (u8, u16, u16), text: &'static str) -> Self {
        Self {
            code: ReplyCode::new(code).unwrap_or(ReplyCode::TRANSACTION_FAILED),
            status: EnhancedStatus::new(status.0, status.1, status.2).ok(),
            lines: vec![text.to_owned()],
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status, if any.
    pub fn status(&self) -> Option<EnhancedStatus> {
        self.status
    }

    /// The text lines, without code and status.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let mut head = String::new();
            let sep = if i == last { ' ' } else { '-' };
            let _ = write!(head, "{}{sep}", self.code.get());
            if let Some(status) = self.status {
                let _ = write!(head, "{status} ");
            }
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    fn check_lengths(&self) -> Result<(), ReplyError> {
        let head = 4 + self.status.map_or(0, |s| s.to_string().len() + 1);
        match self.lines.iter().map(|l| head + l.len() + 2).max() {
            Some(len) if len > MAX_REPLY_LINE => Err(ReplyError::TooLong { len }),
            _ => Ok(()),
        }
    }
}

/// Parses `"550 5.1.1 no such user"`: a code, an optional enhanced status (RFC 3463), the
/// text; `\n` in the text separates the lines of a multiline reply.
///
/// ```
/// use smtp_proto::server::Reply;
/// let reply: Reply = "550 5.1.1 no such user".parse()?;
/// assert_eq!(reply.to_bytes(), b"550 5.1.1 no such user\r\n");
/// let reply: Reply = "250 first\nsecond".parse()?;
/// assert_eq!(reply.to_bytes(), b"250-first\r\n250 second\r\n");
/// # Ok::<(), smtp_proto::server::ReplyError>(())
/// ```
impl std::str::FromStr for Reply {
    type Err = ReplyError;

    fn from_str(text: &str) -> Result<Self, ReplyError> {
        let bad = || ReplyError::Code(text.chars().take(40).collect());
        let (code, rest) = text.split_at_checked(3).ok_or_else(bad)?;
        let code = match *code.as_bytes() {
            [d0, d1, d2] if [d0, d1, d2].iter().all(u8::is_ascii_digit) => {
                ReplyCode::from_digits(d0, d1, d2).ok()
            }
            _ => None,
        }
        .ok_or_else(bad)?;
        let rest = match rest.strip_prefix(' ') {
            Some(rest) => rest,
            None if rest.is_empty() => rest,
            None => return Err(bad()),
        };
        let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let (status, rest) = match word.parse::<EnhancedStatus>() {
            Ok(status) => (Some(status), tail),
            Err(_) => (None, rest),
        };
        let mut lines = rest.split('\n');
        let mut reply = Self::new(code, lines.next().unwrap_or_default())?;
        for line in lines {
            reply = reply.with_line(line)?;
        }
        match status {
            Some(status) => reply.with_status(status),
            None => Ok(reply),
        }
    }
}

/// Writes the form [`FromStr`](std::str::FromStr) reads, `"550 5.1.1 no such user"`: the
/// code, the enhanced status if any, the text, lines separated by `\n`. Parsing it gives the
/// same reply back, except for a reply without an enhanced status whose text starts with
/// one (`Reply::new(250, "2.0.0 ok")`): the form cannot tell them apart, and `FromStr`
/// reads a status.
///
/// ```
/// use smtp_proto::server::Reply;
/// let reply: Reply = "250 2.0.0 first\nsecond".parse()?;
/// assert_eq!(reply.to_string(), "250 2.0.0 first\nsecond");
/// # Ok::<(), smtp_proto::server::ReplyError>(())
/// ```
impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.get())?;
        if let Some(status) = self.status {
            write!(f, " {status}")?;
        }
        f.write_str(" ")?;
        f.write_str(&self.lines.join("\n"))
    }
}

fn check_text(text: &str) -> Result<(), ReplyError> {
    match text
        .bytes()
        .enumerate()
        .find(|(_, b)| b.is_ascii_control() && *b != b'\t')
    {
        Some((at, byte)) => Err(ReplyError::Control { at, byte }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_ambiguous_only_for_status_like_text_without_status() {
        let reply = Reply::new(ReplyCode::OK, "2.0.0 ok").unwrap();
        let back: Reply = reply.to_string().parse().unwrap();
        assert_eq!(back.status(), Some(EnhancedStatus::new(2, 0, 0).unwrap()));
        assert_ne!(back, reply);
    }

    #[test]
    fn display_is_what_from_str_reads() {
        for text in [
            "550 5.1.1 no such user",
            "250 first\nsecond",
            "250 ",
            "421 4.3.2 a\n\nb",
        ] {
            let reply: Reply = text.parse().unwrap();
            assert_eq!(reply.to_string(), text);
            assert_eq!(reply.to_string().parse::<Reply>().unwrap(), reply);
        }
    }

    #[test]
    fn single_line_without_status() {
        let r = Reply::new(ReplyCode::SERVICE_READY, "mx ESMTP").unwrap();
        assert_eq!(r.to_bytes(), b"220 mx ESMTP\r\n");
    }

    #[test]
    fn refuses_crlf_injection() {
        assert_eq!(
            Reply::new(ReplyCode::OK, "ok\r\n250 forged"),
            Err(ReplyError::Control { at: 2, byte: b'\r' })
        );
    }

    #[test]
    fn parses_code_status_and_lines() {
        let r: Reply = "421 4.3.2 closing".parse().unwrap();
        assert_eq!(r.code().get(), 421);
        assert_eq!(r.status().map(|s| s.to_string()), Some("4.3.2".into()));
        assert_eq!(r.lines(), ["closing"]);
        let r: Reply = "250".parse().unwrap();
        assert_eq!(r.to_bytes(), b"250 \r\n");
        let r: Reply = "250 5x ok".parse().unwrap();
        assert_eq!(r.status(), None);
        assert_eq!(r.lines(), ["5x ok"]);
        for bad in [
            "", "55", "abc x", "199 x", "600 x", "260 x", "2500 x", "+50 x", "-50 x", "2:0 x",
        ] {
            assert!(
                matches!(bad.parse::<Reply>(), Err(ReplyError::Code(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "250 a\rb".parse::<Reply>(),
            Err(ReplyError::Control { .. })
        ));
    }

    #[test]
    fn refuses_overlong_line() {
        let text = "x".repeat(507);
        assert_eq!(
            Reply::new(ReplyCode::OK, &text),
            Err(ReplyError::TooLong { len: 513 })
        );
        assert!(Reply::new(ReplyCode::OK, &text[1..]).is_ok());
        // The enhanced status and its space count too: "550 5.1.1 " is 10 octets.
        let longest = format!("550 5.1.1 {}", "x".repeat(500));
        assert_eq!(longest.parse::<Reply>().unwrap().to_bytes().len(), 512);
        assert_eq!(
            format!("{longest}x").parse::<Reply>(),
            Err(ReplyError::TooLong { len: 513 })
        );
    }
}
