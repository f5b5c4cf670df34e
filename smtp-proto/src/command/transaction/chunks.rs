//! Where each BDAT chunk of one write ends, so that its reply is awaited from there.
//!
//! A server answers a chunk once it has it (RFC 3030 §2), not once the chunks written
//! after it arrived too: with a group limit (an adapter that cannot read while it writes)
//! the first chunk may leave with MAIL and RCPT and be answered before the rest leaves.

use crate::client::{BodyWriter, Context, Position};
use crate::data::BodySink;

/// A [`BodyWriter`] that notes where each `BDAT` line begins: where the chunk before it
/// ends.
struct Noting<'w, 'a> {
    out: &'w mut BodyWriter<'a>,
    starts: &'w mut Vec<Position>,
}

impl BodySink for Noting<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out.put(bytes);
    }

    fn put_command(&mut self, line: &[u8]) {
        self.starts.push(self.out.position());
        self.out.put_command(line);
    }

    fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    fn len(&self) -> usize {
        self.out.len()
    }

    fn truncate(&mut self, len: usize) {
        self.out.truncate(len);
        // A line rolled back starts no chunk.
        let end = self.out.position();
        self.starts.retain(|&start| start < end);
    }
}

/// Writes message content with `write` (a [`BdatEncoder`](crate::data::BdatEncoder) call)
/// and leaves in `ends` where each chunk it wrote ends, in order: where the next `BDAT`
/// line begins, and the end of the write for the last one. `ends` is cleared first (the
/// caller keeps it, so that a streamed body does not allocate per piece).
pub(crate) fn write_chunks<R>(
    cx: &mut Context<'_>,
    ends: &mut Vec<Position>,
    write: impl FnOnce(&mut dyn BodySink) -> R,
) -> R {
    ends.clear();
    let result = cx.body(|out| {
        write(&mut Noting {
            out,
            starts: &mut *ends,
        })
    });
    // Chunk k ends where line k + 1 begins; the last ends with the write.
    if !ends.is_empty() {
        ends.remove(0);
        ends.push(cx.position());
    }
    result
}
