//! The streaming text canonicaliser shared by DATA and BDAT: CRLF line ends, NUL, line
//! length and 8-bit checks, optional dot-stuffing.
//!
//! Canonical input is copied in whole runs: output diverges from input only at a stuffed
//! dot or a bare CR/LF, the only places a run is cut. Three loops do the work, each
//! handing the block to the next when it cannot decide it alone:
//!
//! - [`runs`], the fast path for valid text without bare CR, which never visits lines one
//!   by one (a vectorised pass over octet pairs, and line lengths proved a dozen lines at
//!   a time);
//! - [`lines`], which visits only the LFs (`memchr`, one match per line) and trusts that
//!   every CR ends a CRLF; a vectorised count of the CRs checks that trust at the end, and
//!   if it was misplaced the chunk is rolled back and redone by
//! - [`specials`], the general path, which stops at every CR and LF (`memchr2`).
//!
//! NUL and forbidden 8-bit octets are found first, by whole-block scans, and cut the block.

mod lines;
mod runs;
mod specials;

use super::{BodyPolicy, BodySink, DataError};

/// Input is processed in blocks of this size: each is scanned up to four times (NUL,
/// 8-bit, LFs, CR count), from L1/L2 cache rather than memory.
const BLOCK: usize = 16 * 1024;

/// Canonicalisation state carried between chunks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Canonicalizer {
    policy: BodyPolicy,
    stuff_dots: bool,
    at_line_start: bool,
    /// A CR ended the previous chunk: whether it is bare depends on the next octet.
    pending_cr: bool,
    /// Canonical content octets of the current line so far (no CRLF, no stuffed dot).
    line_len: usize,
    /// Input octets consumed by earlier calls, for error offsets.
    offset: u64,
    error: Option<DataError>,
}

impl Canonicalizer {
    /// A canonicaliser at the start of a body; `stuff_dots` for DATA, not for BDAT.
    pub(crate) fn new(policy: BodyPolicy, stuff_dots: bool) -> Self {
        Self {
            policy,
            stuff_dots,
            at_line_start: true,
            pending_cr: false,
            line_len: 0,
            offset: 0,
            error: None,
        }
    }

    /// Whether everything written so far ends a line (or nothing was written): the end of
    /// data then needs no CRLF of its own. Meaningful after [`Self::finish`].
    pub(crate) fn is_at_line_start(&self) -> bool {
        self.at_line_start
    }

    /// Canonicalises `input` into `out`. On error, `out` has gained the encoding of every
    /// octet before the offending one and nothing else; the error then sticks.
    pub(crate) fn feed<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        // Blocks small enough to stay in cache across the several passes over each.
        for block in input.chunks(BLOCK) {
            let result = self.feed_chunk(block, out);
            self.offset = self.offset.saturating_add(block.len() as u64);
            if let Err(error) = result {
                self.error = Some(error);
                return Err(error);
            }
        }
        Ok(())
    }

    /// Resolves a CR left at the very end of the body (bare, so an error in strict mode).
    pub(crate) fn finish<S: BodySink + ?Sized>(&mut self, out: &mut S) -> Result<(), DataError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.pending_cr {
            let result = self.bare_cr(self.offset.saturating_sub(1), out);
            if let Err(error) = result {
                self.error = Some(error);
                return Err(error);
            }
        }
        Ok(())
    }

    fn feed_chunk<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        // A NUL or forbidden 8-bit octet ends what can be processed; the prefix before it
        // is handled first so that earlier violations win and the output holds all of it.
        let nul_at = memchr::memchr(0, input);
        let eight_bit_at = if self.policy.allows_8bit() || input.is_ascii() {
            None
        } else {
            input.iter().position(|b| !b.is_ascii())
        };
        let stop = match (nul_at, eight_bit_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let clean = match stop {
            Some(at) => input.get(..at).unwrap_or_default(),
            None => input,
        };
        self.feed_clean(clean, out)?;
        let Some(at) = stop else {
            return Ok(());
        };
        let offset = self.offset.saturating_add(at as u64);
        if self.pending_cr {
            // The CR is followed by the offending octet, so it is bare.
            self.bare_cr(offset.saturating_sub(1), out)?;
        }
        Err(match input.get(at).copied().unwrap_or_default() {
            0 => DataError::Nul { offset },
            octet => DataError::EightBit { offset, octet },
        })
    }

    /// Input free of NUL and of forbidden 8-bit octets: resolve a held CR, then the fast
    /// path, falling back to the general one.
    fn feed_clean<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        let mut start = 0;
        if self.pending_cr {
            match input.first() {
                None => return Ok(()),
                Some(b'\n') => {
                    self.pending_cr = false;
                    out.put(b"\r\n");
                    self.start_line();
                    start = 1;
                }
                Some(_) => self.bare_cr(self.offset.saturating_sub(1), out)?,
            }
        }
        let saved = *self;
        let mark = out.len();
        if self.feed_runs(input, start, out).is_some() {
            return Ok(());
        }
        // An error, a bare CR or a long line: discard the runs and decide line by line.
        *self = saved;
        out.truncate(mark);
        match self.feed_lines(input, start, out) {
            Some(result) => result,
            None => {
                // A bare CR: the fast path's output is wrong, redo the chunk stepwise.
                *self = saved;
                out.truncate(mark);
                self.feed_specials(input, start, out)
            }
        }
    }

    /// Content octets `input[from..to]` of the current line: the line-length check and the
    /// dot-stuffing. `copied` is where the not yet written run of `input` starts.
    fn content<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        (from, to): (usize, usize),
        copied: &mut usize,
        out: &mut S,
    ) -> Result<(), DataError> {
        let run = to.saturating_sub(from);
        if run == 0 {
            return Ok(());
        }
        let limit = self.policy.max_line_length().unwrap_or(usize::MAX);
        let allowed = limit.saturating_sub(self.line_len);
        if allowed > 0 {
            if self.at_line_start && self.stuff_dots && input.get(from) == Some(&b'.') {
                out.put(span(input, *copied, from));
                out.put(b".");
                *copied = from;
            }
            self.at_line_start = false;
        }
        if run > allowed {
            let end = from.saturating_add(allowed);
            out.put(span(input, *copied, end));
            *copied = end;
            return Err(DataError::LineTooLong {
                offset: self.offset_of(end),
                limit,
            });
        }
        self.line_len = self.line_len.saturating_add(run);
        Ok(())
    }

    /// A bare LF at `at`: CRLF in lenient mode, an error in strict mode.
    fn bare_lf<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        at: usize,
        copied: &mut usize,
        out: &mut S,
    ) -> Result<(), DataError> {
        out.put(span(input, *copied, at));
        *copied = at;
        if self.policy.is_strict() {
            return Err(DataError::BareLf {
                offset: self.offset_of(at),
            });
        }
        out.put(b"\r\n");
        *copied = at.saturating_add(1);
        self.start_line();
        Ok(())
    }

    /// A CR not followed by LF: CRLF in lenient mode, an error in strict mode.
    fn bare_cr<S: BodySink + ?Sized>(&mut self, offset: u64, out: &mut S) -> Result<(), DataError> {
        self.pending_cr = false;
        if self.policy.is_strict() {
            return Err(DataError::BareCr { offset });
        }
        out.put(b"\r\n");
        self.start_line();
        Ok(())
    }

    fn start_line(&mut self) {
        self.at_line_start = true;
        self.line_len = 0;
    }

    /// The body offset of `input[at]` for the chunk being fed.
    fn offset_of(&self, at: usize) -> u64 {
        self.offset.saturating_add(at as u64)
    }
}

/// `input[from..to]`, empty when out of range (never, by construction of the callers).
fn span(input: &[u8], from: usize, to: usize) -> &[u8] {
    input.get(from..to).unwrap_or_default()
}
