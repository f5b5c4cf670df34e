//! A complete server reply: its code and its lines, kept as slices of the read buffer.

use std::borrow::Cow;

use bytes::Bytes;

use super::{EnhancedStatus, ReplyCode, ReplyError, ReplyLimits, ReplyParser, RetryAdvice, advice};

/// A complete SMTP reply: one code and one or more lines of text (RFC 5321 §4.2).
///
/// The reply's bytes are a [`Bytes`] slice of the read buffer (no copy); lines are offsets
/// into it. Each line whose text starts with an enhanced status code (RFC 3463 §2, RFC
/// 2034 §4) has it parsed; the others have none.
///
/// ```
/// use smtp_proto::response::Response;
///
/// let reply = Response::parse(b"550-5.1.1 No such user\r\n550 5.1.1 Try again\r\n").unwrap();
/// assert_eq!(reply.code().get(), 550);
/// assert!(reply.is_permanent());
/// assert_eq!(reply.enhanced_status().unwrap().to_string(), "5.1.1");
/// assert_eq!(reply.first_line().message(), b"No such user");
/// assert_eq!(reply.to_string(), "550 5.1.1 No such user / 5.1.1 Try again");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    code: ReplyCode,
    raw: Bytes,
    first: LineSpan,
    rest: Vec<LineSpan>,
}

/// Where one line's text lies in the reply's bytes (separator and line end excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineSpan {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) status: Option<EnhancedStatus>,
    /// Bytes of the enhanced status and its trailing space at the start of the text.
    pub(crate) status_len: u8,
}

/// Why [`Response::parse`] refused its input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseResponseError {
    /// The bytes are not a valid reply.
    #[error(transparent)]
    Invalid(#[from] ReplyError),
    /// The bytes end before the reply's last line does.
    #[error("the reply is incomplete")]
    Incomplete,
    /// Bytes follow the reply's last line.
    #[error("{0} bytes follow the end of the reply")]
    TrailingBytes(usize),
}

impl Response {
    pub(crate) fn new(code: ReplyCode, raw: Bytes, first: LineSpan, rest: Vec<LineSpan>) -> Self {
        Self {
            code,
            raw,
            first,
            rest,
        }
    }

    /// Parses exactly one complete reply with the default [`ReplyLimits`].
    ///
    /// For tests and for replies that arrive whole; a connection uses [`ReplyParser`].
    pub fn parse(input: &[u8]) -> Result<Self, ParseResponseError> {
        let mut buf = bytes::BytesMut::from(input);
        let mut parser = ReplyParser::with_limits(ReplyLimits::DEFAULT);
        match parser.parse(&mut buf)? {
            Some(_) if !buf.is_empty() => Err(ParseResponseError::TrailingBytes(buf.len())),
            Some(reply) => Ok(reply),
            None => Err(ParseResponseError::Incomplete),
        }
    }

    /// The reply code, the same on every line.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// `2yz` or `3yz` (RFC 5321 §4.2.1).
    pub fn is_positive(&self) -> bool {
        self.code.is_positive()
    }

    /// `2yz`: positive completion.
    pub fn is_positive_completion(&self) -> bool {
        self.code.is_positive_completion()
    }

    /// `3yz`: positive intermediate (354, 334).
    pub fn is_positive_intermediate(&self) -> bool {
        self.code.is_positive_intermediate()
    }

    /// `4yz` or `5yz`.
    pub fn is_negative(&self) -> bool {
        self.code.is_negative()
    }

    /// `4yz`: transient failure.
    pub fn is_transient(&self) -> bool {
        self.code.is_transient()
    }

    /// `5yz`: permanent failure.
    pub fn is_permanent(&self) -> bool {
        self.code.is_permanent()
    }

    /// The first line's enhanced status code, if its text starts with one.
    pub fn enhanced_status(&self) -> Option<EnhancedStatus> {
        self.first.status
    }

    /// What a client should do about this reply; see [`RetryAdvice`] for the table.
    pub fn retry_advice(&self) -> RetryAdvice {
        advice::advise(self.code, self.first.status)
    }

    /// The number of lines, at least one.
    pub fn line_count(&self) -> usize {
        1 + self.rest.len()
    }

    /// The first line.
    pub fn first_line(&self) -> ReplyLine<'_> {
        ReplyLine {
            raw: &self.raw,
            span: &self.first,
        }
    }

    /// The line at `index` (from 0), if there is one.
    pub fn line(&self, index: usize) -> Option<ReplyLine<'_>> {
        let span = match index.checked_sub(1) {
            None => &self.first,
            Some(i) => self.rest.get(i)?,
        };
        Some(ReplyLine {
            raw: &self.raw,
            span,
        })
    }

    /// Every line, in order.
    pub fn lines(&self) -> Lines<'_> {
        Lines {
            reply: self,
            next: 0,
        }
    }

    /// Every line's text (after the code and separator, without the line end).
    pub fn text_lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.lines().map(|line| line.text())
    }

    /// The text of every line after the first with the offset of its end in the reply's
    /// bytes, for the EHLO reader's hot loop.
    pub(crate) fn rest_texts(&self) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        self.rest.iter().map(|span| {
            let text = self
                .raw
                .get(span.start as usize..span.end as usize)
                .unwrap_or_default();
            (span.end, text)
        })
    }

    /// Every line's text as a string, invalid UTF-8 replaced (U+FFFD).
    pub fn text_lossy_lines(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.lines().map(|line| line.text_lossy())
    }

    /// The reply exactly as received, every line's code and line end included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The reply as received, as a cheap clone of the read buffer's slice.
    pub fn to_bytes(&self) -> Bytes {
        self.raw.clone()
    }
}

/// One line of a [`Response`].
#[derive(Clone, Copy, Debug)]
pub struct ReplyLine<'a> {
    raw: &'a Bytes,
    span: &'a LineSpan,
}

impl<'a> ReplyLine<'a> {
    fn range(&self, skip: u32) -> std::ops::Range<usize> {
        let start = self.span.start.saturating_add(skip).min(self.span.end);
        start as usize..self.span.end as usize
    }

    /// The text after the code and separator, without the line end; may be empty.
    pub fn text(&self) -> &'a [u8] {
        self.raw.get(self.range(0)).unwrap_or_default()
    }

    /// [`text`](Self::text) as a string, invalid UTF-8 replaced (U+FFFD).
    pub fn text_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.text())
    }

    /// The enhanced status code at the start of the text, if any (RFC 2034 §4).
    pub fn enhanced_status(&self) -> Option<EnhancedStatus> {
        self.span.status
    }

    /// The text without the leading enhanced status code and its space.
    pub fn message(&self) -> &'a [u8] {
        self.raw
            .get(self.range(u32::from(self.span.status_len)))
            .unwrap_or_default()
    }

    /// [`text`](Self::text) as a [`Bytes`] slice sharing the read buffer (no copy).
    pub fn text_bytes(&self) -> Bytes {
        let range = self.range(0);
        if range.end <= self.raw.len() && range.start <= range.end {
            self.raw.slice(range)
        } else {
            Bytes::new()
        }
    }
}

/// The iterator over a reply's lines, from [`Response::lines`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    reply: &'a Response,
    next: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = ReplyLine<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.reply.line(self.next)?;
        self.next += 1;
        Some(line)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.reply.line_count().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Lines<'_> {}
