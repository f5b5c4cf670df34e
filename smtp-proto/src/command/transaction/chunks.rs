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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::client::{Client, ClientConfig, Output};
    use crate::command::{Cmd, Step};
    use crate::response::Response;

    /// Writes chunks the way an encoder may (a line rolled back with `truncate` included)
    /// and finishes with the ends `write_chunks` noted.
    struct Probe;

    impl Cmd for Probe {
        type Output = Vec<Position>;

        fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<Position>> {
            let mut ends = vec![Position(99)];
            write_chunks(cx, &mut ends, |out| {
                out.put_command(b"BDAT 3\r\n");
                out.put(b"abc");
                let mark = out.len();
                out.put_command(b"BDAT 2 LAST\r\n");
                out.put(b"xy");
                // Rolled back: that line starts no chunk.
                out.truncate(mark);
                assert_eq!(out.len(), mark);
                out.put_command(b"BDAT 1 LAST\r\n");
                out.put(b"z");
            });
            Step::Done(Ok(ends))
        }

        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<Vec<Position>> {
            Step::Fatal(crate::error::ProtocolError::Misuse("no reply is awaited"))
        }
    }

    #[test]
    fn each_chunk_ends_where_the_next_line_begins_or_with_the_write() {
        let mut client = Client::new(ClientConfig::default());
        let mut exchange = client.send(Probe);
        let now = Instant::now();
        let Ok(Output::Transmit(transmit)) = exchange.poll_output(now) else {
            panic!("the chunks are written first");
        };
        assert_eq!(transmit.bytes(), b"BDAT 3\r\nabcBDAT 1 LAST\r\nz");
        let Ok(Output::Done(Ok(ends))) = exchange.poll_output(now) else {
            panic!("the probe finishes");
        };
        // "BDAT 3\r\nabc" ends at 11; "BDAT 1 LAST\r\nz" at 25. What the caller's vector
        // held before is gone.
        assert_eq!(ends, [Position(11), Position(25)]);
    }
}
