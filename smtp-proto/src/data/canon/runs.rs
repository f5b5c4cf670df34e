//! The run path: whole runs of lines copied at once, stopping only where output differs.
//!
//! Valid canonical text with bare LFs and stuffed dots needs no decision at most LFs. So
//! instead of visiting each line, the block is checked as a whole:
//!
//! - line length, by jumping: from a line start, the last LF within `limit + 2` octets
//!   (`memrchr`, which finds it in the last line of the window) proves every line up to it
//!   short enough, so one search covers a dozen typical lines;
//! - line ends and dots, by one pass over adjacent octet pairs in 128-octet groups, plain
//!   code that the compiler vectorises: a group's CRs and LFs are only visited (`memchr2`)
//!   when a CR in it is not followed by LF, an LF not preceded by CR, or an LF by a dot.
//!
//! Anything that is not a plain copy, a stuffed dot or a lenient bare LF (an error, a bare
//! CR, a line that may be too long) sends the block back to the exact paths.

use super::{Canonicalizer, span};
use crate::data::BodySink;

/// Octet pairs checked per group before a branch: large enough to amortise the reduction,
/// small enough that a flagged group is cheap to walk.
const GROUP: usize = 128;

impl Canonicalizer {
    /// Canonicalises `input[start..]` when it is valid and holds no bare CR; `None` when it
    /// needs the exact paths, and the caller must then discard what was written.
    ///
    /// `input[start]` never follows a CR: a CR held from the previous chunk was resolved.
    pub(super) fn feed_runs<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        start: usize,
        out: &mut S,
    ) -> Option<()> {
        let rest = input.get(start..)?;
        // A final CR waits for the next chunk; it is not content of the last line.
        let (held, body) = match rest.split_last() {
            Some((b'\r', body)) => (true, body),
            _ => (false, rest),
        };
        if held && body.last() == Some(&b'\r') {
            // A CR before the held one is bare; the pair scan below stops short of it.
            return None;
        }
        let last_line = match self.policy.max_line_length() {
            Some(limit) => lines_fit(body, self.line_len, limit)?,
            None => last_line(body, self.line_len),
        };
        if self.stuff_dots {
            self.copy_runs::<true, S>(body, out)?;
        } else {
            self.copy_runs::<false, S>(body, out)?;
        }
        if let Some(&last) = body.last() {
            self.at_line_start = last == b'\n';
        }
        self.line_len = last_line;
        self.pending_cr = held;
        Some(())
    }

    /// Writes `body`, with a dot before each dot starting a line (`DOTS`) and a CR before
    /// each bare LF; `None` at a bare CR, or at a bare LF in strict mode.
    fn copy_runs<const DOTS: bool, S: BodySink + ?Sized>(
        &self,
        body: &[u8],
        out: &mut S,
    ) -> Option<()> {
        let mut copied = 0;
        if let Some(&first) = body.first() {
            // The octet before the body ended a line (or is the CR of a CRLF just written),
            // or there is none: an LF here is bare.
            if first == b'\n' {
                self.lenient_lf(body, 0, &mut copied, out)?;
            } else if DOTS && first == b'.' && self.at_line_start {
                out.put(b".");
            }
        }
        let mut at = 1;
        while at < body.len() {
            let end = at.saturating_add(GROUP).min(body.len());
            let previous = body.get(at.wrapping_sub(1)..end.wrapping_sub(1))?;
            let current = body.get(at..end)?;
            let flagged = match (
                <&[u8; GROUP]>::try_from(previous),
                <&[u8; GROUP]>::try_from(current),
            ) {
                (Ok(previous), Ok(current)) => needs_work::<DOTS>(previous, current),
                _ => needs_work::<DOTS>(previous, current),
            };
            if flagged {
                copied = self.walk_group::<DOTS, S>(body, (at, end), copied, out)?;
            }
            at = end;
        }
        out.put(span(body, copied, body.len()));
        Some(())
    }

    /// The pairs ending in `body[at..end]` of a flagged group: each CR must be followed
    /// by LF, a bare LF is written as CRLF and a dot after an LF is stuffed (`DOTS`).
    /// Returns where the unwritten run now starts; `None` as for [`Self::copy_runs`].
    fn walk_group<const DOTS: bool, S: BodySink + ?Sized>(
        &self,
        body: &[u8],
        (at, end): (usize, usize),
        mut copied: usize,
        out: &mut S,
    ) -> Option<usize> {
        let from = at.wrapping_sub(1);
        // Only CRs and LFs start a pair that needs work, a handful per group.
        for special in memchr::memchr2_iter(b'\r', b'\n', body.get(from..end)?) {
            let here = from.saturating_add(special);
            let next = here.saturating_add(1);
            let following = if next < end { body.get(next) } else { None };
            if body.get(here) == Some(&b'\r') {
                if following.is_some_and(|&octet| octet != b'\n') {
                    return None;
                }
                continue;
            }
            // An LF at `from` belongs to the previous group's pairs (or the first octet).
            if here >= at && body.get(here.wrapping_sub(1)) != Some(&b'\r') {
                self.lenient_lf(body, here, &mut copied, out)?;
            }
            if DOTS && following == Some(&b'.') {
                out.put(span(body, copied, next));
                out.put(b".");
                copied = next;
            }
        }
        Some(copied)
    }

    /// A bare LF at `at`, written as CRLF; `None` in strict mode (the exact paths report it).
    fn lenient_lf<S: BodySink + ?Sized>(
        &self,
        body: &[u8],
        at: usize,
        copied: &mut usize,
        out: &mut S,
    ) -> Option<()> {
        if self.policy.is_strict() {
            return None;
        }
        out.put(span(body, *copied, at));
        out.put(b"\r\n");
        *copied = at.saturating_add(1);
        Some(())
    }
}

/// Whether any pair (`previous[i]`, `current[i]`) is a CR without LF, an LF without CR, or
/// (`DOTS`) an LF then a dot. No early exit, so that the loop vectorises.
#[inline(always)]
fn needs_work<const DOTS: bool>(previous: &[u8], current: &[u8]) -> bool {
    let mut flags = 0u8;
    for (&before, &octet) in previous.iter().zip(current) {
        flags |= u8::from((before == b'\r') != (octet == b'\n'));
        if DOTS {
            flags |= u8::from(before == b'\n') & u8::from(octet == b'.');
        }
    }
    flags != 0
}

/// With no line limit: the content octets of the last, unterminated line of `body`, of
/// which `carried` came before it.
fn last_line(body: &[u8], carried: usize) -> usize {
    match memchr::memrchr(b'\n', body) {
        Some(lf) => body.len().saturating_sub(lf.saturating_add(1)),
        None => carried.saturating_add(body.len()),
    }
}

/// Whether every line of `body` (free of bare CRs, its first line `carried` octets long
/// before it) has at most `limit` content octets: the length of its last, unterminated
/// line if so, `None` if a line may be longer.
///
/// A line ending at an LF has at most `limit + 1` octets before that LF (its CR included).
/// So from a line start `s`, the last LF at or before `s + limit + 1` proves every line up
/// to it short enough (only the first of them can reach `limit + 1` octets, and then only
/// with its CR), and the next line starts after it. `None` is sometimes a false alarm (a
/// line of `limit + 1` octets without CR whose window holds an earlier LF): the exact
/// paths then decide.
fn lines_fit(body: &[u8], carried: usize, limit: usize) -> Option<usize> {
    // The first position not yet proven, and the last where the current line's LF may be.
    let mut proven = 0;
    let mut deadline = limit.checked_sub(carried)?.saturating_add(1);
    let mut line_start = None;
    loop {
        let end = deadline.saturating_add(1).min(body.len());
        let Some(lf) = memchr::memrchr(b'\n', body.get(proven..end)?) else {
            break;
        };
        let lf = proven.saturating_add(lf);
        if lf == deadline && body.get(lf.wrapping_sub(1)) != Some(&b'\r') {
            return None;
        }
        proven = lf.saturating_add(1);
        line_start = Some(proven);
        deadline = proven.saturating_add(limit).saturating_add(1);
    }
    let last = match line_start {
        Some(start) => body.len().saturating_sub(start),
        None => carried.saturating_add(body.len()),
    };
    (last <= limit).then_some(last)
}
