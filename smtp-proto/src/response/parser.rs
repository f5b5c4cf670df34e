//! The incremental reply parser: RFC 5321 §4.2 over a growing read buffer.

use bytes::BytesMut;
use memchr::memchr;

use super::reply::LineSpan;
use super::{EnhancedStatus, ReplyCode, ReplyError, ReplyLimits, Response};

/// How far [`find_line_end`] looks word by word before handing over to memchr.
const SHORT_SCAN: usize = 64;

/// The first LF in `window`. Most reply lines are short, and memchr's setup costs more
/// than it saves on a few dozen bytes: those are scanned eight at a time here.
fn find_line_end(window: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LFS: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let short = window.get(..SHORT_SCAN).unwrap_or(window);
    let mut chunks = short.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ LFS;
        // Sets the high bit of the first zero byte (an LF) and maybe of later ones.
        let zero = word.wrapping_sub(ONES) & !word & HIGHS;
        if zero != 0 {
            return Some(offset + (zero.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    if let Some(i) = chunks.remainder().iter().position(|&b| b == b'\n') {
        return Some(offset + i);
    }
    match window.get(short.len()..) {
        Some(rest) if !rest.is_empty() => memchr(b'\n', rest).map(|i| short.len() + i),
        _ => None,
    }
}

/// The shortest line header: three digits and a separator or line end.
const HEADER_LEN: usize = 4;

/// The bytes of a line's text that need no check but "is it the line end".
static TEXT: [bool; 256] = byte_set(0, 255, b'\n');

/// The bytes of a line's code that need no check before the separator arrives.
static DIGITS: [bool; 256] = byte_set(b'0', b'9', b'\n');

/// The bytes `first..=last` but `except`.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, index < 256"
)]
const fn byte_set(first: u8, last: u8, except: u8) -> [bool; 256] {
    let mut set = [false; 256];
    let mut byte = first as usize;
    while byte <= last as usize {
        set[byte] = byte != except as usize;
        byte += 1;
    }
    set
}

/// Parses server replies from a read buffer, however the bytes arrive.
///
/// Call [`parse`](Self::parse) after each read with the same [`BytesMut`] the bytes were
/// appended to. It returns `Ok(Some(reply))` and removes exactly that reply's bytes from
/// the front of the buffer, `Ok(None)` when the buffer holds no complete reply yet, or a
/// fatal [`ReplyError`]. The parser remembers how far it has scanned, so each byte is
/// examined a bounded number of times however the input is split, and the time to parse
/// is linear in the input. Between calls, only append to the buffer: bytes already
/// scanned must not change. (If the buffer is shorter than what was scanned, the parser
/// starts over; it never panics.)
///
/// What it accepts (RFC 5321 §4.2):
/// - `code SP text CRLF` and continuation lines `code "-" text CRLF`, every line with the
///   same code;
/// - a code-only line (`250\r\n`) and empty text (`250 \r\n`), both final lines;
/// - **leniency**: a line may end in a bare LF as well as CRLF; any byte other than LF may
///   appear in the text (it is kept as is: `Display` escapes it).
///
/// What is fatal ([`ReplyError`]), reported as soon as the buffered bytes prove it (an
/// error in a code, once the byte after the code is in: the fast path checks a line's
/// head in one step there, and a server that stops after three digits is a timeout):
/// a code that is not three digits; a first digit outside 2-5 or a second digit outside
/// 0-5 (the grammar of RFC 5321 §4.2; 1yz is not used by SMTP); a byte after the code other
/// than space, `-` or the line end; a continuation line with another code; a line, a reply
/// or a line count over [`ReplyLimits`]. An oversized line is refused once the limit's
/// worth of bytes is buffered without its end, so at most the limit plus one read is ever
/// held. After an error the parser keeps returning it: the connection must be closed.
///
/// When the connection ends, a non-empty buffer means a reply was cut short.
///
/// ```
/// use bytes::BytesMut;
/// use smtp_proto::response::ReplyParser;
///
/// let mut parser = ReplyParser::new();
/// let mut buf = BytesMut::new();
/// buf.extend_from_slice(b"250-smtp.example.com\r\n250-SIZE 1000");
/// assert!(parser.parse(&mut buf).unwrap().is_none());
/// buf.extend_from_slice(b"0\r\n250 8BITMIME\r\n354 go");
/// let reply = parser.parse(&mut buf).unwrap().unwrap();
/// assert_eq!(reply.line_count(), 3);
/// assert_eq!(&buf[..], b"354 go"); // the next reply stays in the buffer
/// ```
#[derive(Clone, Debug)]
pub struct ReplyParser {
    limits: ReplyLimits,
    /// Bytes from the buffer's start already examined for a line end.
    scanned: usize,
    /// Where the current, incomplete line starts.
    line_start: usize,
    /// Whether the current line's code and separator have been checked.
    header_done: bool,
    /// Set when the last call ended waiting inside a line, 0 otherwise: one more byte
    /// that leaves the buffer shorter than this and is in [`quiet`](Self::quiet) needs
    /// no other check ([`parse`](Self::parse)'s fast path).
    quiet_end: usize,
    /// In a line's text, every byte but LF (`quiet_end` is where the line or the reply
    /// reaches its limit); in its code, the digits (`quiet_end` is the code's end: its
    /// value is checked with the separator).
    quiet: &'static [bool; 256],
    /// Whether the current line is the reply's last (space separator or code only).
    is_last: bool,
    code: Option<ReplyCode>,
    /// The first line's code as sent, to check continuation lines with one comparison.
    digits: [u8; 3],
    first: Option<LineSpan>,
    rest: Vec<LineSpan>,
    failed: Option<ReplyError>,
    /// Bytes examined, for the linearity test.
    #[cfg(test)]
    pub(crate) inspected: u64,
    /// Calls that [`parse`](Self::parse)'s fast path answered, for the linearity test.
    #[cfg(test)]
    pub(crate) quiet_calls: u64,
    /// Lines [`whole_lines`](Self::whole_lines) took, for the test that it runs.
    #[cfg(test)]
    pub(crate) whole_lines_taken: u64,
}

impl Default for ReplyParser {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyParser {
    /// A parser with the default [`ReplyLimits`].
    pub fn new() -> Self {
        Self::with_limits(ReplyLimits::DEFAULT)
    }

    /// A parser with the given limits (which can only be lower than the defaults).
    pub fn with_limits(limits: ReplyLimits) -> Self {
        Self {
            limits,
            scanned: 0,
            line_start: 0,
            header_done: false,
            quiet_end: 0,
            quiet: &TEXT,
            is_last: false,
            code: None,
            digits: [0; 3],
            first: None,
            rest: Vec::new(),
            failed: None,
            #[cfg(test)]
            inspected: 0,
            #[cfg(test)]
            quiet_calls: 0,
            #[cfg(test)]
            whole_lines_taken: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> ReplyLimits {
        self.limits
    }

    /// Takes the next complete reply off the front of `buf`, if there is one.
    #[inline]
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Response>, ReplyError> {
        // A server that trickles its reply makes one call per byte: a byte of a line's
        // text or code that cannot end the line, complete the code or reach a limit
        // costs about ten instructions here instead of a call into the scanner
        // (`bench/linearity.sh`).
        let len = buf.len();
        if len < self.quiet_end
            && len == self.scanned.wrapping_add(1)
            && let Some(&byte) = buf.last()
            && self.quiet.get(usize::from(byte)) == Some(&true)
        {
            self.scanned = len;
            #[cfg(test)]
            {
                self.inspected += 1;
                self.quiet_calls += 1;
            }
            return Ok(None);
        }
        self.parse_slow(buf)
    }

    /// [`parse`](Self::parse) for every case but one more quiet byte.
    #[inline(never)]
    fn parse_slow(&mut self, buf: &mut BytesMut) -> Result<Option<Response>, ReplyError> {
        // Only a call that ends waiting inside a line sets them again (`scan`).
        self.quiet_end = 0;
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if buf.len() < self.scanned {
            self.reset();
        }
        match self.scan(buf) {
            Ok(None) => Ok(None),
            Ok(Some(end)) => Ok(self.finish(buf, end)),
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    fn reset(&mut self) {
        self.scanned = 0;
        self.line_start = 0;
        self.header_done = false;
        self.is_last = false;
        self.code = None;
        self.first = None;
        self.rest.clear();
    }

    /// Splits the complete reply (`..end`) off the buffer.
    fn finish(&mut self, buf: &mut BytesMut, end: usize) -> Option<Response> {
        let code = self.code.take()?;
        let first = self.first.take()?;
        let rest = std::mem::take(&mut self.rest);
        self.reset();
        let raw = buf.split_to(end.min(buf.len())).freeze();
        Some(Response::new(code, raw, first, rest))
    }

    fn line_number(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len() + 1
    }

    /// Scans the new bytes; returns the end of the reply once its last line is complete.
    fn scan(&mut self, data: &[u8]) -> Result<Option<usize>, ReplyError> {
        loop {
            // Bytes past the next line's header: a whole line may be there (never when
            // they arrive one at a time).
            if !self.header_done
                && self.first.is_some()
                && data.len() > self.line_start + HEADER_LEN
                && let Some(end) = self.whole_lines(data)?
            {
                return Ok(Some(end));
            }
            if !self.header_done && !self.check_header(data)? {
                // What is there of the code is digits (or `check_header` failed).
                self.scanned = data.len();
                self.quiet_end = self.line_start + HEADER_LEN;
                self.quiet = &DIGITS;
                return Ok(None);
            }
            let line_limit = self.line_start.saturating_add(self.limits.max_line_len());
            let limit = line_limit.min(self.limits.max_reply_len());
            let window_end = data.len().min(limit);
            let window = data.get(self.scanned..window_end).unwrap_or_default();
            let found = find_line_end(window);
            #[cfg(test)]
            {
                // memchr reads up to and including the line end it finds.
                self.inspected += found.map_or(window.len(), |i| i + 1) as u64;
            }
            let Some(offset) = found else {
                self.scanned = window_end.max(self.scanned);
                if window_end < limit {
                    self.quiet_end = limit;
                    self.quiet = &TEXT;
                    return Ok(None);
                }
                return Err(if line_limit <= self.limits.max_reply_len() {
                    ReplyError::LineTooLong {
                        line: self.line_number(),
                        limit: self.limits.max_line_len(),
                    }
                } else {
                    ReplyError::ReplyTooLong {
                        limit: self.limits.max_reply_len(),
                    }
                });
            };
            let lf = self.scanned + offset;
            if let Some(end) = self.end_line(data, lf)? {
                return Ok(Some(end));
            }
        }
    }

    /// The common case of whole input in one tight loop: further lines that are buffered
    /// whole, carry the reply's code and a plain separator, and stay within every limit.
    /// Returns the reply's end once its last line is taken. It stops at the first line it
    /// cannot take whole (not fully buffered, another code or separator, a limit reached),
    /// leaving that line to the general scan, which then does exactly what it would have
    /// done without this loop. Only called between lines, after the first line.
    fn whole_lines(&mut self, data: &[u8]) -> Result<Option<usize>, ReplyError> {
        let [d0, d1, d2] = self.digits;
        let more = u32::from_le_bytes([d0, d1, d2, b'-']);
        let last = u32::from_le_bytes([d0, d1, d2, b' ']);
        let max_line = self.limits.max_line_len();
        let max_reply = self.limits.max_reply_len();
        let max_lines = self.limits.max_lines();
        let mut start = self.line_start;
        while let Some(&head) = data.get(start..).and_then(|line| line.first_chunk()) {
            let head = u32::from_le_bytes(head);
            let is_last = head == last;
            // This line's number is the first line, `rest` and itself.
            if !is_last && (head != more || self.rest.len() + 2 >= max_lines) {
                break;
            }
            let text_start = start + HEADER_LEN;
            let window_end = data
                .len()
                .min(start.saturating_add(max_line).min(max_reply));
            let Some(offset) = data.get(text_start..window_end).and_then(find_line_end) else {
                break;
            };
            #[cfg(test)]
            {
                // As the general scan counts: the head and the search.
                self.inspected += (HEADER_LEN + offset + 1) as u64;
                self.whole_lines_taken += 1;
            }
            let lf = text_start + offset;
            let span = self.line_span(data, text_start, lf);
            self.rest.push(span);
            start = lf + 1;
            if is_last {
                self.is_last = true;
                return Ok(Some(start));
            }
            // The next line needs at least a header (as `end_line` refuses).
            if start.saturating_add(HEADER_LEN) > max_reply {
                return Err(ReplyError::ReplyTooLong { limit: max_reply });
            }
        }
        if start != self.line_start {
            self.line_start = start;
            self.scanned = start;
        }
        Ok(None)
    }

    /// Checks the current line's code and separator once enough bytes are there; returns
    /// whether the line may continue (`false`: wait for more bytes).
    fn check_header(&mut self, data: &[u8]) -> Result<bool, ReplyError> {
        let line = data.get(self.line_start..).unwrap_or_default();
        let head = line.get(..HEADER_LEN).unwrap_or(line);
        #[cfg(test)]
        {
            self.inspected += head.len() as u64;
        }
        // The common case: a further line with the reply's code and a plain separator.
        if let (Some(_), Some(&[d0, d1, d2, separator @ (b' ' | b'-')])) =
            (self.code, line.get(..HEADER_LEN))
            && [d0, d1, d2] == self.digits
        {
            self.is_last = separator == b' ';
            return self.accept_header();
        }
        let line_no = self.line_number();
        // A line end among the first three bytes is a non-digit like any other.
        let digits = head.get(..3).unwrap_or(head);
        if let Some(position) = digits.iter().position(|b| !b.is_ascii_digit()) {
            let byte = digits.get(position).copied().unwrap_or_default();
            return Err(ReplyError::NotDigit {
                line: line_no,
                position,
                byte,
            });
        }
        let [d0, d1, d2, separator] = *head else {
            return Ok(false);
        };
        let found = ReplyCode::from_digits(d0, d1, d2).map_err(|e| ReplyError::CodeOutOfRange {
            line: line_no,
            code: e.0,
        })?;
        match self.code {
            None => {
                self.code = Some(found);
                self.digits = [d0, d1, d2];
            }
            Some(expected) if expected != found => {
                return Err(ReplyError::CodeMismatch {
                    line: line_no,
                    expected: expected.get(),
                    found: found.get(),
                });
            }
            Some(_) => {}
        }
        self.is_last = match separator {
            b' ' | b'\n' => true,
            b'\r' => match line.get(HEADER_LEN) {
                None => return Ok(false),
                Some(b'\n') => true,
                Some(&byte) => {
                    return Err(ReplyError::BadSeparator {
                        line: line_no,
                        byte,
                    });
                }
            },
            b'-' => false,
            byte => {
                return Err(ReplyError::BadSeparator {
                    line: line_no,
                    byte,
                });
            }
        };
        self.accept_header()
    }

    /// Marks the current line's header as checked, refusing a line too many.
    fn accept_header(&mut self) -> Result<bool, ReplyError> {
        if !self.is_last && self.line_number() >= self.limits.max_lines() {
            return Err(ReplyError::TooManyLines {
                limit: self.limits.max_lines(),
            });
        }
        self.header_done = true;
        // The separator is never a line end that the scan for one could miss: a code-only
        // line's LF is at index 3 or 4, both at or after `scanned`.
        self.scanned = self.scanned.max(self.line_start + 3);
        Ok(true)
    }

    /// The text of the line ending at `lf` (from `text_start`, its CR left out) and the
    /// enhanced status it starts with. Always inlined: it is the body of both line loops.
    #[inline(always)]
    fn line_span(&mut self, data: &[u8], text_start: usize, lf: usize) -> LineSpan {
        let mut text_end = lf;
        if lf > text_start && data.get(lf - 1) == Some(&b'\r') {
            text_end = lf - 1;
        }
        let text = data.get(text_start..text_end).unwrap_or_default();
        let (status, status_len) = match EnhancedStatus::parse_prefix(text) {
            Some((status, len)) => (Some(status), u8::try_from(len).unwrap_or(0)),
            None => (None, 0),
        };
        #[cfg(test)]
        {
            self.inspected += text.len().min(12) as u64;
        }
        LineSpan {
            start: u32::try_from(text_start).unwrap_or(u32::MAX),
            end: u32::try_from(text_end).unwrap_or(u32::MAX),
            status,
            status_len,
        }
    }

    /// Records the line ending at `lf`; returns the reply's end if it was the last line.
    fn end_line(&mut self, data: &[u8], lf: usize) -> Result<Option<usize>, ReplyError> {
        let span = self.line_span(data, (self.line_start + HEADER_LEN).min(lf), lf);
        if self.first.is_none() {
            self.first = Some(span);
            if !self.is_last {
                self.rest.reserve(16);
            }
        } else {
            self.rest.push(span);
        }
        let next = lf + 1;
        if self.is_last {
            return Ok(Some(next));
        }
        self.line_start = next;
        self.scanned = next;
        self.header_done = false;
        // The next line needs at least a header: refuse now if that cannot fit.
        if next.saturating_add(HEADER_LEN) > self.limits.max_reply_len() {
            return Err(ReplyError::ReplyTooLong {
                limit: self.limits.max_reply_len(),
            });
        }
        Ok(None)
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
