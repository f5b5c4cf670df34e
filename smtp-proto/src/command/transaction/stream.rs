//! A body written piece by piece: streamed by the caller (each piece after
//! [`Output::NeedBody`](crate::client::Output::NeedBody)), or a whole body over one data
//! block pumped from memory a block at a time
//! ([`Context::request_writable`]), so that the client holds about one block of it.

use crate::client::Context;
use crate::command::{Bdat, BodyChunk};
use crate::data::{BodySink, END_OF_DATA};
use crate::error::ProtocolError;

use super::MailBody;
use super::chunks::write_chunks;
use super::job::{Expectations, Job, Stream};

/// The most octets of a pumped body encoded per call: one data block, so that the outgoing
/// buffer holds at most about two (the top-up comes while less than a block is unsent).
const PUMP_BLOCK: usize = crate::client::BODY_BLOCK as usize;

impl Job {
    /// Hands one piece of the body to its encoder, then asks for the next one: from the
    /// caller for a streamed body, room to write for a pumped one.
    pub(crate) fn stream_body(
        &mut self,
        chunk: BodyChunk<'_>,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        match (stream, chunk) {
            (Stream::Data(mut encoder), BodyChunk::Data(bytes)) => {
                match cx.body(|out| encoder.encode(bytes, out)) {
                    Ok(()) => {
                        self.stream = Some(Stream::Data(encoder));
                        self.ask_more(cx);
                    }
                    Err(error) => expect.fatal(ProtocolError::BodyAborted(error)),
                }
            }
            (Stream::Data(encoder), BodyChunk::End) => match cx.body(|out| encoder.finish(out)) {
                Ok(()) => self.data_end_written(cx, expect),
                Err(error) => expect.fatal(ProtocolError::BodyAborted(error)),
            },
            (Stream::Verbatim { crlf }, BodyChunk::Data(bytes)) => {
                cx.body(|out| out.put(bytes));
                self.stream = Some(Stream::Verbatim { crlf });
                self.ask_more(cx);
            }
            (Stream::Verbatim { crlf }, BodyChunk::End) => {
                cx.body(|out| {
                    if crlf {
                        out.put(b"\r\n");
                    }
                    out.put(END_OF_DATA);
                });
                self.data_end_written(cx, expect);
            }
            (Stream::BdatVerbatim { .. }, _) => {
                // Only ever pumped (`pump_bdat_as_it_is`), never handed pieces.
                expect.fatal(ProtocolError::Misuse("a body piece for a pumped BDAT body"));
            }
            (Stream::Bdat(mut framer), chunk) => {
                let mut ends = std::mem::take(&mut self.chunk_ends);
                let last = matches!(chunk, BodyChunk::End);
                let result = write_chunks(cx, &mut ends, |out| match chunk {
                    BodyChunk::Data(bytes) => framer.encode(bytes, out).map(|()| Some(framer)),
                    BodyChunk::End => framer.finish(out).map(|()| None),
                });
                match result {
                    Ok(framer) => {
                        self.expect_chunks(&ends, last, cx, expect);
                        if let Some(framer) = framer {
                            self.stream = Some(Stream::Bdat(framer));
                            self.ask_more(cx);
                        }
                    }
                    Err(error) => self.abort_stream(error, cx, expect),
                }
                self.chunk_ends = ends;
            }
        }
    }

    /// After a piece: the caller is asked for the next one of a streamed body; a pumped
    /// body asks for room to write its next block, unless its end follows at once.
    fn ask_more(&self, cx: &mut Context<'_>) {
        match (self.pump, &self.body) {
            (None, _) => cx.request_body(),
            (Some(done), MailBody::Bytes(bytes) | MailBody::Binary(bytes))
                if done >= bytes.len() => {}
            (Some(_), _) => cx.request_writable(),
        }
    }

    /// Starts pumping the whole body through `stream`, from its first block.
    pub(crate) fn start_pump(
        &mut self,
        stream: Stream,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        self.stream = Some(stream);
        self.pump = Some(0);
        self.pump_body(cx, expect);
    }

    /// Writes the pumped body's next block, and its end after the last one.
    pub(crate) fn pump_body(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        let (Some(from), MailBody::Bytes(bytes) | MailBody::Binary(bytes)) =
            (self.pump, &self.body)
        else {
            self.pump = None;
            return;
        };
        if self.stream.is_none() {
            // Stopped: a refused chunk or an aborted transfer.
            self.pump = None;
            return;
        }
        let bytes = bytes.clone();
        let to = bytes.len().min(from.saturating_add(PUMP_BLOCK));
        self.pump = Some(to);
        if let Some(Stream::BdatVerbatim { chunk_size, left }) = self.stream {
            self.pump_bdat_as_it_is(&bytes, from..to, chunk_size, left, cx, expect);
            return;
        }
        let block = bytes.get(from..to).unwrap_or_default();
        self.stream_body(BodyChunk::Data(block), cx, expect);
        if to >= bytes.len() {
            self.pump = None;
            self.stream_body(BodyChunk::End, cx, expect);
        }
    }

    /// Writes `range` of a BDAT body sent as it is: each chunk's `BDAT` line where the
    /// chunk begins (`LAST` on the one that reaches the end), then its octets; the reply
    /// to each chunk is expected from where it ends, the last one's as the verdict.
    fn pump_bdat_as_it_is(
        &mut self,
        bytes: &[u8],
        range: std::ops::Range<usize>,
        chunk_size: usize,
        mut left: usize,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let total = bytes.len();
        let mut ends = std::mem::take(&mut self.chunk_ends);
        ends.clear();
        let mut at = range.start;
        cx.body(|out| {
            while at < range.end {
                if left == 0 {
                    let size = chunk_size.min(total - at);
                    let last = at + size == total;
                    let size_u64 = u64::try_from(size).unwrap_or(u64::MAX);
                    out.put_command(
                        Bdat {
                            size: size_u64,
                            last,
                        }
                        .line()
                        .as_ref(),
                    );
                    left = size;
                }
                let take = left.min(range.end - at);
                out.put(bytes.get(at..at + take).unwrap_or_default());
                at += take;
                left -= take;
                if left == 0 {
                    ends.push(out.position());
                }
            }
        });
        let done = at >= total;
        self.stream = (!done).then_some(Stream::BdatVerbatim { chunk_size, left });
        if done {
            self.pump = None;
        }
        self.expect_chunks(&ends, done, cx, expect);
        self.chunk_ends = ends;
        if !done {
            cx.request_writable();
        }
    }
}
