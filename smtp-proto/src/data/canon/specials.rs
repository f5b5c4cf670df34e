//! The general path: a decision at every CR and LF, for chunks holding a bare CR.

use super::{Canonicalizer, span};
use crate::data::{BodySink, DataError};

impl Canonicalizer {
    /// Canonicalises `input[start..]`, which holds no NUL and no forbidden 8-bit octet.
    pub(super) fn feed_specials<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        start: usize,
        out: &mut S,
    ) -> Result<(), DataError> {
        // input[copied..pos] is canonical and not yet written.
        let mut pos = start;
        let mut copied = start;
        let rest = input.get(start..).unwrap_or_default();
        let mut specials =
            memchr::memchr2_iter(b'\r', b'\n', rest).map(|i| start.saturating_add(i));
        loop {
            // Skip the LF of a CRLF already consumed.
            let special = specials.by_ref().find(|&i| i >= pos);
            let end = special.unwrap_or(input.len());
            self.content(input, (pos, end), &mut copied, out)?;
            let Some(i) = special else {
                out.put(span(input, copied, input.len()));
                return Ok(());
            };
            if input.get(i) == Some(&b'\n') {
                self.bare_lf(input, i, &mut copied, out)?;
                pos = i.saturating_add(1);
                continue;
            }
            match input.get(i.saturating_add(1)) {
                Some(b'\n') => {
                    // Canonical CRLF: stays in the copied run.
                    self.start_line();
                    pos = i.saturating_add(2);
                }
                Some(_) => {
                    out.put(span(input, copied, i));
                    self.bare_cr(self.offset_of(i), out)?;
                    pos = i.saturating_add(1);
                    copied = pos;
                }
                None => {
                    out.put(span(input, copied, i));
                    self.pending_cr = true;
                    return Ok(());
                }
            }
        }
    }
}
