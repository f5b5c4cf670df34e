//! The fast path: one `memchr` match per line, on the bet that every CR ends a CRLF.

use super::{Canonicalizer, span};
use crate::data::{BodySink, DataError};

impl Canonicalizer {
    /// Canonicalises `input[start..]` assuming it holds no bare CR; `None` when a count of
    /// the CRs proves otherwise, and the caller must then discard what was written.
    ///
    /// Every LF is visited; a CR right before it makes a CRLF (kept in the copied run), any
    /// other LF is bare. Some CRs are only ever skipped over, so the CRs before the point
    /// reached (an error, or the end) are counted at that point: if there are more than the
    /// CRLFs seen (plus a CR held at the end), one of them was bare.
    pub(super) fn feed_lines<S: BodySink + ?Sized>(
        &mut self,
        input: &[u8],
        start: usize,
        out: &mut S,
    ) -> Option<Result<(), DataError>> {
        let mut copied = start;
        let mut line_start = start;
        let mut crlfs = 0usize;
        for lf in memchr::memchr_iter(b'\n', input.get(start..)?) {
            let lf = start.saturating_add(lf);
            let has_cr = lf > line_start && input.get(lf.wrapping_sub(1)) == Some(&b'\r');
            let end = if has_cr { lf.wrapping_sub(1) } else { lf };
            if let Err(error) = self.content(input, (line_start, end), &mut copied, out) {
                // The offending "content" octet may itself be a bare CR.
                return no_bare_cr(input, (start, copied.saturating_add(1)), crlfs)
                    .then_some(Err(error));
            }
            if has_cr {
                crlfs = crlfs.saturating_add(1);
                self.start_line();
            } else if let Err(error) = self.bare_lf(input, lf, &mut copied, out) {
                return no_bare_cr(input, (start, lf), crlfs).then_some(Err(error));
            }
            line_start = lf.saturating_add(1);
        }
        let held = input.len() > line_start && input.last() == Some(&b'\r');
        let end = if held {
            input.len().saturating_sub(1)
        } else {
            input.len()
        };
        if let Err(error) = self.content(input, (line_start, end), &mut copied, out) {
            // The offending "content" octet may itself be a bare CR.
            return no_bare_cr(input, (start, copied.saturating_add(1)), crlfs)
                .then_some(Err(error));
        }
        out.put(span(input, copied, end));
        self.pending_cr = held;
        no_bare_cr(input, (start, input.len()), crlfs + usize::from(held)).then_some(Ok(()))
    }
}

/// Whether `input[from..to]` holds exactly `expected` CRs: all of them accounted for.
fn no_bare_cr(input: &[u8], (from, to): (usize, usize), expected: usize) -> bool {
    memchr::memchr_iter(b'\r', span(input, from, to)).count() == expected
}
