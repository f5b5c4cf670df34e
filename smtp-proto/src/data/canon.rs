//! The streaming text canonicaliser shared by DATA and BDAT: CRLF line ends, NUL, line
//! length and 8-bit checks, optional dot-stuffing.
//!
//! Fast path: canonical input is copied in whole runs (`put` of the longest unchanged span);
//! output diverges from input only at a stuffed dot or a bare CR/LF, the only places a span
//! is cut. `memchr3` over CR, LF and NUL finds every place where a decision is needed.

use super::{BodyPolicy, BodySink, DataError};

/// Canonicalisation state carried between chunks.
#[derive(Clone, Debug)]
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
        let result = self.feed_chunk(input, out);
        self.offset = self.offset.saturating_add(input.len() as u64);
        if let Err(error) = result {
            self.error = Some(error);
        }
        result
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
        // A forbidden 8-bit octet ends what can be processed; handle the clean prefix first
        // so that earlier violations win and the output holds everything before it.
        let eight_bit_at = if self.policy.allows_8bit() || input.is_ascii() {
            None
        } else {
            input.iter().position(|b| !b.is_ascii())
        };
        let clean = match eight_bit_at {
            Some(at) => input.get(..at).unwrap_or_default(),
            None => input,
        };
        self.feed_clean(clean, out)?;
        if let Some(at) = eight_bit_at {
            let offset = self.offset.saturating_add(at as u64);
            if self.pending_cr {
                // The CR is followed by the 8-bit octet, so it is bare.
                self.bare_cr(offset.saturating_sub(1), out)?;
            }
            let octet = input.get(at).copied().unwrap_or_default();
            return Err(DataError::EightBit { offset, octet });
        }
        Ok(())
    }

    /// The main loop over input free of forbidden 8-bit octets.
    fn feed_clean<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        out: &mut S,
    ) -> Result<(), DataError> {
        let base = self.offset;
        let at = |i: usize| base.saturating_add(i as u64);
        // input[copied..pos] is canonical and not yet written.
        let mut pos = 0;
        let mut copied = 0;
        if self.pending_cr {
            match input.first() {
                None => return Ok(()),
                Some(b'\n') => {
                    self.pending_cr = false;
                    out.put(b"\r\n");
                    self.start_line();
                    pos = 1;
                    copied = 1;
                }
                Some(_) => self.bare_cr(base.saturating_sub(1), out)?,
            }
        }
        let limit = self.policy.max_line_length().unwrap_or(usize::MAX);
        let mut specials = memchr::memchr3_iter(b'\r', b'\n', b'\0', input);
        loop {
            let special = loop {
                match specials.next() {
                    // Skip the LF of a CRLF already consumed.
                    Some(i) if i < pos => continue,
                    other => break other,
                }
            };
            let end = special.unwrap_or(input.len());
            let run = end.saturating_sub(pos);
            if run > 0 {
                let allowed = limit.saturating_sub(self.line_len);
                if allowed > 0 {
                    if self.at_line_start && self.stuff_dots && input.get(pos) == Some(&b'.') {
                        out.put(span(input, copied, pos));
                        out.put(b".");
                        copied = pos;
                    }
                    self.at_line_start = false;
                }
                if run > allowed {
                    out.put(span(input, copied, pos.saturating_add(allowed)));
                    return Err(DataError::LineTooLong {
                        offset: at(pos.saturating_add(allowed)),
                        limit,
                    });
                }
                self.line_len = self.line_len.saturating_add(run);
            }
            let Some(i) = special else {
                out.put(span(input, copied, input.len()));
                return Ok(());
            };
            match input.get(i) {
                Some(b'\r') => match input.get(i.saturating_add(1)) {
                    Some(b'\n') => {
                        // Canonical CRLF: stays in the span.
                        self.start_line();
                        pos = i.saturating_add(2);
                    }
                    Some(_) => {
                        out.put(span(input, copied, i));
                        self.bare_cr(at(i), out)?;
                        pos = i.saturating_add(1);
                        copied = pos;
                    }
                    None => {
                        out.put(span(input, copied, i));
                        self.pending_cr = true;
                        return Ok(());
                    }
                },
                Some(b'\n') => {
                    out.put(span(input, copied, i));
                    if self.policy.is_strict() {
                        return Err(DataError::BareLf { offset: at(i) });
                    }
                    out.put(b"\r\n");
                    self.start_line();
                    pos = i.saturating_add(1);
                    copied = pos;
                }
                _ => {
                    out.put(span(input, copied, i));
                    return Err(DataError::Nul { offset: at(i) });
                }
            }
        }
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
}

/// `input[from..to]`, empty when out of range (never, by construction of the callers).
fn span(input: &[u8], from: usize, to: usize) -> &[u8] {
    input.get(from..to).unwrap_or_default()
}
