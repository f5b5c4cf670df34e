//! The bytes commands wrote and not yet handed out, tagged for redacted logging.

use std::fmt;
use std::time::Instant;

use crate::response::write_escaped;

mod writer;

pub use writer::BodyWriter;

/// What a piece of a transmit is, so that logs can show it safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransmitTag {
    /// A command line: logged as it is (escaped). The `BDAT` lines among the chunks of a
    /// body are commands too (RFC 3030 §2).
    Command,
    /// A line carrying a secret (AUTH with an initial response, SASL responses): only its
    /// public prefix (`AUTH PLAIN`) is ever logged.
    Secret,
    /// Message content (a DATA body with its end-of-data marker, the octets of BDAT
    /// chunks without their `BDAT` lines): logged as its size.
    Body,
}

/// A place in the stream of octets the client writes, counted from the connection's start:
/// what [`Context::position`](super::Context::position) returns and
/// [`Cmd::on_failure`](crate::command::Cmd::on_failure) compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position(pub(crate) u64);

/// One tagged piece of a transmit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    start: u64,
    end: u64,
    tag: TransmitTag,
    /// For secrets: how many leading octets may be logged.
    shown: usize,
    /// The next piece belongs with this one (a `BDAT` line and its chunk): a transmit
    /// limited by `max_group` is never cut between them.
    glued: bool,
}

/// The client's outgoing bytes: a buffer reused across exchanges and the tags of its pieces.
///
/// The octets of a secret piece are zeroed once handed out, before the buffer is written
/// again (a write may reallocate it), compacted or dropped: the buffer is reused for the
/// whole connection, and neither it nor freed memory keeps a credential after it was sent.
/// Each command line is written aside, in a scratch buffer zeroed after a secret, then
/// appended; while a secret is still unsent the buffer is grown by hand, so that the secret
/// is not left behind either. (Message content is not: no command writes a body in the
/// group of a secret line.) `Debug` shows sizes and offsets, never octets.
#[derive(Default)]
pub(crate) struct Outbox {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Stream offset up to which bytes were handed out.
    sent: u64,
    /// Stream offset where the last transmit handed out began.
    last_start: u64,
    segments: Vec<Segment>,
    /// Whether `buf` may still hold the octets of a secret piece, handed out or not.
    secrets: bool,
    /// Where each piece is written before it is appended (empty between writes; zeroed
    /// after a secret).
    scratch: Vec<u8>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("written", &self.written())
            .field("sent", &self.sent)
            .field("buffered", &self.buf.len())
            .field("pieces", &self.segments.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        if self.secrets {
            for segment in &self.segments {
                if segment.tag == TransmitTag::Secret {
                    zero(&mut self.buf, self.base, segment);
                }
            }
        }
    }
}

/// Overwrites the octets of `segment` that are still in `buf` (which starts at stream
/// offset `base`) with zeros.
fn zero(buf: &mut [u8], base: u64, segment: &Segment) {
    let offset = |at: u64| usize::try_from(at.saturating_sub(base)).unwrap_or(usize::MAX);
    let end = offset(segment.end).min(buf.len());
    if let Some(octets) = buf.get_mut(offset(segment.start).min(end)..end) {
        octets.fill(0);
    }
}

impl Outbox {
    /// Stream offset of the end of what was written.
    pub(crate) fn written(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Stream offset of the end of what was handed out.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Stream offset where the last transmit handed out began.
    pub(crate) fn last_start(&self) -> u64 {
        self.last_start
    }

    /// Octets in the buffer: where the next piece will start, for [`Self::roll_back`].
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Octets written and not yet handed out.
    pub(crate) fn unsent(&self) -> u64 {
        self.written() - self.sent
    }

    pub(crate) fn has_unsent(&self) -> bool {
        self.written() > self.sent
    }

    /// Appends a piece written by `write`, tagged. Returns the closure's result and the
    /// range written, relative to the buffer.
    pub(crate) fn write<R>(
        &mut self,
        tag: TransmitTag,
        shown: usize,
        write: impl FnOnce(&mut Vec<u8>) -> R,
    ) -> (R, std::ops::Range<usize>) {
        // A secret already handed out is zeroed now, so that only one still unsent takes
        // the slower path below.
        self.zero_sent_secrets();
        // The closure gets an empty buffer of its own: it cannot see, change or drop what
        // was written before it (a closure that clears its buffer writes its own line).
        let mut piece = std::mem::take(&mut self.scratch);
        if tag == TransmitTag::Secret {
            // Room for the longest SASL line, so that no partial secret is left in a block
            // freed by growing.
            piece.reserve(crate::command::SASL_LINE_LIMIT);
        }
        let result = write(&mut piece);
        let start = self.buf.len();
        if self.secrets {
            // One is still unsent: the buffer is grown by hand.
            self.grow_zeroing(piece.len());
        }
        self.buf.extend_from_slice(&piece);
        if tag == TransmitTag::Secret {
            // All of the scratch buffer: the closure may have written past what it kept.
            piece.clear();
            piece.resize(piece.capacity(), 0);
        }
        piece.clear();
        self.scratch = piece;
        let end = self.buf.len();
        self.secrets |= tag == TransmitTag::Secret;
        self.tag(start..end, tag, shown, false);
        (result, start..end)
    }

    /// Makes room for `additional` more octets; when that needs a bigger buffer, the old
    /// one is zeroed before it is freed (it holds an unsent secret).
    fn grow_zeroing(&mut self, additional: usize) {
        if self.buf.capacity() - self.buf.len() >= additional {
            return;
        }
        let capacity = (self.buf.len() + additional).max(2 * self.buf.capacity());
        let mut grown = Vec::with_capacity(capacity);
        grown.extend_from_slice(&self.buf);
        crate::auth::zero_vec(std::mem::replace(&mut self.buf, grown));
    }

    /// Zeroes the secret pieces handed out, if any are left in the buffer.
    fn zero_sent_secrets(&mut self) {
        if !self.secrets {
            return;
        }
        let mut unsent = false;
        for segment in &self.segments {
            if segment.tag == TransmitTag::Secret {
                if segment.end <= self.sent {
                    zero(&mut self.buf, self.base, segment);
                } else {
                    unsent = true;
                }
            }
        }
        self.secrets = unsent;
    }

    /// Appends message content written by `write` through a [`BodyWriter`], which tags
    /// the command lines among it (`BDAT`) as commands and everything else as body.
    pub(crate) fn write_body<R>(&mut self, write: impl FnOnce(&mut BodyWriter<'_>) -> R) -> R {
        self.zero_sent_secrets();
        let mut writer = BodyWriter::new(self);
        let result = write(&mut writer);
        writer.end();
        result
    }

    /// Records that `range` of the buffer (just written, after every tagged piece) is a
    /// piece of kind `tag`. Nothing is recorded for an empty range.
    fn tag(&mut self, range: std::ops::Range<usize>, tag: TransmitTag, shown: usize, glued: bool) {
        if range.is_empty() {
            return;
        }
        let (s, e) = (self.base + range.start as u64, self.base + range.end as u64);
        match self.segments.last_mut() {
            // Consecutive body pieces are one piece in the log.
            Some(last)
                if last.end == s
                    && last.start >= self.sent
                    && last.tag == TransmitTag::Body
                    && tag == last.tag =>
            {
                last.end = e;
            }
            _ => self.segments.push(Segment {
                start: s,
                end: e,
                tag,
                shown,
                glued,
            }),
        }
    }

    /// The bytes in `range` (relative to the buffer), for checks right after a write.
    pub(crate) fn bytes(&self, range: std::ops::Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Drops the bytes in `range` (the tail just written), for a write that failed a check.
    pub(crate) fn roll_back(&mut self, from: usize) {
        // The refused piece may be a secret: it leaves nothing behind in the spare capacity.
        if let Some(refused) = self.buf.get_mut(from..) {
            refused.fill(0);
        }
        self.buf.truncate(from);
        let end = self.written();
        self.segments.retain(|s| s.start < end);
        if let Some(last) = self.segments.last_mut() {
            last.end = last.end.min(end);
        }
    }

    /// Forgets everything handed out (called before the next hand-out: the adapter has
    /// written it by then). Afterwards every piece in `segments` has unsent octets.
    ///
    /// Octets written since stay where they are until [`COMPACT_AT`] octets were handed out
    /// before them: moving them to the front on every hand-out would copy each mail's body
    /// a second time (it is written after the previous transmit, before the next). Nor are
    /// they moved while more of them are unsent than were handed out: a large content
    /// handed out a block at a time would otherwise be moved once per block (a 100 MiB
    /// body took 4 s of moves), where this moves each octet at most once on average.
    pub(crate) fn compact(&mut self) {
        let done = usize::try_from(self.sent - self.base).unwrap_or(usize::MAX);
        if done == 0 {
            return;
        }
        self.zero_sent_secrets();
        if done >= self.buf.len() {
            self.buf.clear();
            self.base = self.sent;
        } else if done >= COMPACT_AT && done >= self.buf.len() - done {
            let len = self.buf.len();
            self.buf.drain(..done);
            self.base = self.sent;
            if self.secrets {
                // An unsent secret moved to the front: zero the copy its old place kept.
                let kept = self.buf.len();
                self.buf.resize(len, 0);
                self.buf.truncate(kept);
            }
        }
        if self.base == self.sent
            && self.buf.capacity() > RETAIN_MAX
            && self.buf.len() <= RETAIN_MAX / 4
        {
            // A large body went through: give its memory back rather than keep it for the
            // connection's life. What is left may be a secret line: no copy stays behind.
            let mut small = Vec::with_capacity(RETAIN_MAX / 4);
            small.extend_from_slice(&self.buf);
            self.buf.fill(0);
            self.buf = small;
        }
        let sent = self.sent;
        self.segments.retain(|s| s.end > sent);
    }

    /// Hands out the unsent bytes, at most `max` of them unless one piece alone is larger,
    /// cut at piece boundaries.
    pub(crate) fn take(&mut self, max: Option<usize>, write_deadline: Instant) -> Transmit<'_> {
        self.compact();
        let mut end = self.written();
        if let Some(max) = max {
            let limit = self.sent.saturating_add(max as u64);
            if end > limit {
                // The end of the last piece that fits, or of the first piece if none does;
                // never between glued pieces.
                let mut cut = None;
                for segment in &self.segments {
                    if segment.glued {
                        continue;
                    }
                    if segment.end <= limit || cut.is_none() {
                        cut = Some(segment.end);
                    } else {
                        break;
                    }
                }
                end = cut.unwrap_or(end);
            }
        }
        end = self.cut_body_block(end);
        let start = self.sent;
        self.last_start = start;
        let from = usize::try_from(start - self.base).unwrap_or(0);
        let to = usize::try_from(end - self.base).unwrap_or(from);
        // Every piece left after `compact` has unsent octets: the transmit's pieces are the
        // first ones, up to the one `end` falls in.
        let last = self
            .segments
            .iter()
            .position(|s| s.end >= end)
            .map_or(self.segments.len(), |i| i + 1);
        self.sent = end;
        Transmit {
            bytes: self.buf.get(from..to).unwrap_or_default(),
            segments: self.segments.get(..last).unwrap_or_default(),
            start,
            write_deadline,
        }
    }
}

/// Handed-out octets kept in front of unsent ones before the buffer is compacted, unless
/// more are unsent ([`Outbox::compact`]): the buffer holds at most this much, or as much
/// as is unsent, more than the unsent octets.
const COMPACT_AT: usize = 32 * 1024;

/// The most capacity the buffer keeps once everything in it was handed out: two data
/// blocks. Whole bodies over a block are written a block at a time, but a BDAT chunk the
/// framer collected (1 MiB by default) or a caller's own large write still grows it; without
/// this a connection would hold that much for its life.
const RETAIN_MAX: usize = 2 * BODY_BLOCK as usize;

/// The most message content one transmit carries: a data block in the sense of RFC 5321
/// §4.5.3.2.5, each with its own write deadline, so a large body is not one 3-minute write.
pub(crate) const BODY_BLOCK: u64 = 64 * 1024;

impl Outbox {
    /// Moves `end` back so that `[sent, end)` holds at most [`BODY_BLOCK`] octets of body,
    /// and never right after a glued piece (a `BDAT` line stays with its chunk's start).
    fn cut_body_block(&self, end: u64) -> u64 {
        let mut body = 0u64;
        // Where a glued piece right before the current one starts.
        let mut glued_from = None;
        for segment in self.segments.iter() {
            if segment.start >= end {
                continue;
            }
            let from = segment.start.max(self.sent);
            if segment.tag != TransmitTag::Body {
                glued_from = segment.glued.then_some(from);
                continue;
            }
            let to = segment.end.min(end);
            if body + (to - from) > BODY_BLOCK {
                let cut = from + (BODY_BLOCK - body);
                // A full block right before a glued line ends before the line. (The block's
                // body precedes the line, so `line > self.sent` always holds: the check
                // only makes sure that a transmit is never empty.)
                return match glued_from {
                    Some(line) if cut == from && line > self.sent => line,
                    _ => cut,
                };
            }
            body += to - from;
            glued_from = None;
        }
        end
    }
}

/// Bytes to write, as one write: a whole pipelined group leaves together.
///
/// Write all of [`bytes`](Self::bytes) before `write_deadline`, then poll again. Log only
/// [`redacted`](Self::redacted); `Debug` shows that rendering too, never the octets.
#[derive(Clone, Copy)]
pub struct Transmit<'a> {
    bytes: &'a [u8],
    segments: &'a [Segment],
    /// Stream offset of `bytes[0]`.
    start: u64,
    write_deadline: Instant,
}

impl<'a> Transmit<'a> {
    /// The exact bytes to write.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The time by which the write must have completed (RFC 5321 §4.5.3.2.5).
    pub fn write_deadline(&self) -> Instant {
        self.write_deadline
    }

    /// Whether any piece is a secret or message content.
    pub fn is_sensitive(&self) -> bool {
        self.segments.iter().any(|s| s.tag != TransmitTag::Command)
    }

    /// The tags of the pieces, in order, with their lengths.
    pub fn tags(&self) -> impl Iterator<Item = (TransmitTag, usize)> + 'a {
        let transmit = *self;
        self.segments
            .iter()
            .map(move |s| (s.tag, transmit.piece(s).len()))
    }

    /// A rendering safe to log: one line per piece, commands escaped, secrets cut to their
    /// public prefix (not even their length is shown: a LOGIN line's would tell the
    /// password's), bodies as their size.
    ///
    /// ```text
    /// AUTH PLAIN [secret]
    /// MAIL FROM:<a@example.org>
    /// BDAT 1024 LAST
    /// [body, 1024 octets]
    /// ```
    pub fn redacted(&self) -> Redacted<'a> {
        Redacted { transmit: *self }
    }

    /// The part of `segment` inside this transmit.
    fn piece(&self, segment: &Segment) -> &'a [u8] {
        let from = usize::try_from(segment.start.saturating_sub(self.start)).unwrap_or(0);
        let to = usize::try_from(segment.end.saturating_sub(self.start)).unwrap_or(0);
        self.bytes
            .get(from.min(self.bytes.len())..to.min(self.bytes.len()))
            .unwrap_or_default()
    }
}

impl fmt::Debug for Transmit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("start", &self.start)
            .field("len", &self.bytes.len())
            .field("write_deadline", &self.write_deadline)
            .field("redacted", &self.redacted())
            .finish()
    }
}

/// The log-safe rendering of a [`Transmit`]; see [`Transmit::redacted`]. `Debug` quotes
/// the same rendering.
#[derive(Clone, Copy)]
pub struct Redacted<'a> {
    transmit: Transmit<'a>,
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transmit = &self.transmit;
        for (index, segment) in transmit.segments.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            let piece = transmit.piece(segment);
            match segment.tag {
                TransmitTag::Command => {
                    for (i, line) in piece.split_inclusive(|&b| b == b'\n').enumerate() {
                        if i > 0 {
                            f.write_str("\n")?;
                        }
                        write_escaped(f, line.strip_suffix(b"\r\n").unwrap_or(line))?;
                    }
                }
                TransmitTag::Secret => {
                    let shown = piece.get(..segment.shown).unwrap_or_default();
                    write_escaped(f, shown)?;
                    if !shown.is_empty() {
                        f.write_str(" ")?;
                    }
                    f.write_str("[secret]")?;
                }
                TransmitTag::Body => write!(f, "[body, {} octets]", piece.len())?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::BodySink;

    /// Every octet is handed out once, in order, and the buffer stays bounded although
    /// each piece is written after the previous hand-out.
    #[test]
    fn hands_out_each_piece_once_within_bounded_memory() {
        let mut outbox = Outbox::default();
        let deadline = Instant::now();
        let mut position = 0u64;
        for i in 0..200u8 {
            let piece = vec![b'a' + i % 26; 1000 + usize::from(i)];
            outbox.write(TransmitTag::Body, 0, |out| out.extend_from_slice(&piece));
            let line = format!("MAIL FROM:<{i}@example.org>\r\n");
            outbox.write(TransmitTag::Command, 0, |out| {
                out.extend_from_slice(line.as_bytes())
            });
            let transmit = outbox.take(None, deadline);
            assert_eq!(transmit.bytes(), [&piece[..], line.as_bytes()].concat());
            assert_eq!(transmit.start, position);
            position += (piece.len() + line.len()) as u64;
            assert_eq!(outbox.sent(), position);
            assert!(!outbox.has_unsent());
            assert!(
                outbox.buf.len() <= COMPACT_AT + 2 * 1300,
                "{}",
                outbox.buf.len()
            );
        }
    }

    /// A large content handed out a block at a time is moved to the front only once as many
    /// octets were handed out as are left: at most as many octets moved as written.
    #[test]
    fn a_large_content_is_not_moved_once_per_block() {
        let mut outbox = Outbox::default();
        let deadline = Instant::now();
        let size = 1 << 20;
        outbox.write_body(|out| out.put(&vec![b'x'; size]));
        let mut moved = 0;
        let mut handed = 0;
        while outbox.has_unsent() {
            let base = outbox.base;
            handed += outbox.take(None, deadline).bytes().len();
            if outbox.base != base {
                // What is left was moved to the front (before this hand-out was cut).
                moved += outbox.buf.len();
            }
        }
        assert_eq!(handed, size);
        assert!(moved <= size, "{moved} octets moved for {size} written");
    }

    /// Octets written after a hand-out stay where they are (the buffer is not shifted on
    /// every hand-out) until [`COMPACT_AT`] octets were handed out before them; then the
    /// handed-out octets are dropped, so the buffer stays bounded although it never empties.
    #[test]
    fn compacts_only_once_compact_at_octets_were_handed_out() {
        let mut outbox = Outbox::default();
        let deadline = Instant::now();
        let line = |i: usize| format!("X-PAD {i:04} {}\r\n", "x".repeat(987));
        outbox.write(TransmitTag::Command, 0, |out| {
            out.extend_from_slice(line(0).as_bytes())
        });
        let mut compactions = 0;
        for i in 1..200 {
            outbox.write(TransmitTag::Command, 0, |out| {
                out.extend_from_slice(line(i).as_bytes())
            });
            let (base, sent) = (outbox.base, outbox.sent);
            // One line per hand-out: the newest stays unsent.
            let transmit = outbox.take(Some(1000), deadline);
            assert_eq!(transmit.bytes(), line(i - 1).as_bytes());
            let tags: Vec<_> = transmit.tags().collect();
            assert_eq!(tags, [(TransmitTag::Command, 1000)]);
            let expected = if sent - base >= COMPACT_AT as u64 {
                compactions += 1;
                sent
            } else {
                base
            };
            assert_eq!(outbox.base, expected, "hand-out {i}");
            assert!(outbox.has_unsent());
            assert!(
                outbox.buf.len() <= COMPACT_AT + 2000,
                "{}",
                outbox.buf.len()
            );
        }
        assert_eq!(compactions, 6);
    }

    /// A transmit is sensitive when it carries a secret or message content; command lines
    /// alone are not.
    #[test]
    fn sensitive_means_a_secret_or_content() {
        use crate::data::BodySink;
        let deadline = Instant::now();
        let mut outbox = Outbox::default();
        let noop = |out: &mut Vec<u8>| out.extend_from_slice(b"NOOP\r\n");
        outbox.write(TransmitTag::Command, 0, noop);
        outbox.write(TransmitTag::Command, 0, noop);
        assert!(!outbox.take(None, deadline).is_sensitive());
        outbox.write(TransmitTag::Command, 0, noop);
        outbox.write(TransmitTag::Secret, 10, |out| {
            out.extend_from_slice(b"AUTH PLAIN AGFAAGI=\r\n")
        });
        let transmit = outbox.take(None, deadline);
        assert!(transmit.is_sensitive());
        assert_eq!(transmit.redacted().to_string(), "NOOP\nAUTH PLAIN [secret]");
        outbox.write(TransmitTag::Command, 0, noop);
        outbox.write_body(|out| out.put(b"x"));
        assert!(outbox.take(None, deadline).is_sensitive());
    }
}
