//! A body written piece by piece: streamed by the caller (each piece after
//! [`Output::NeedBody`](crate::client::Output::NeedBody)), or a whole body over one data
//! block pumped from memory a block at a time
//! ([`Context::request_writable`]), so that the client holds about one block of it.

use crate::client::{Context, ReplyKind};
use crate::command::{Bdat, BodyChunk};
use crate::data::{BodySink, END_OF_DATA};
use crate::error::ProtocolError;

use super::MailBody;
use super::chunks::write_chunks;
use super::job::{Expect, Expectations, Job, Stream, mark_data_sent};

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

    /// Writes the pumped body's next block, and its end after the last one. A BDAT framer
    /// holds octets back until a chunk is complete: it is fed block after block until it
    /// writes something, since the driver takes a request to write more after nothing
    /// written as a command that would never write again.
    pub(crate) fn pump_body(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        let before = cx.position();
        loop {
            self.pump_block(cx, expect);
            if self.pump.is_none() || self.stream.is_none() || cx.position() != before {
                return;
            }
        }
    }

    /// Writes the pumped body's next block, and its end after the last one.
    fn pump_block(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
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
        let mut to = bytes.len().min(from.saturating_add(PUMP_BLOCK));
        if let Some(Stream::BdatVerbatim { left, stopping, .. }) = self.stream {
            if stopping {
                // Only the rest of the chunk in progress.
                to = to.min(from.saturating_add(left));
            }
            self.pump = Some(to);
            self.pump_bdat_as_it_is(&bytes, from..to, cx, expect);
            return;
        }
        self.pump = Some(to);
        let block = bytes.get(from..to).unwrap_or_default();
        self.stream_body(BodyChunk::Data(block), cx, expect);
        if to >= bytes.len() {
            self.pump = None;
            self.stream_body(BodyChunk::End, cx, expect);
        }
    }

    /// Writes `range` of a BDAT body sent as it is: each chunk's `BDAT` line where the
    /// chunk begins (`LAST` on the one that reaches the end), then its octets. The reply to
    /// a chunk is expected as soon as its line is written: from its end if that is written
    /// too, else once it is ([`Context::expect_reply_later`], [`Context::end_output`]), so
    /// that a refusal given in the middle of a chunk larger than a block, before the
    /// connection broke, is the mail's verdict as when every chunk was written at once.
    /// Stopping ([`stop_pump`](Self::stop_pump)), the range ends the chunk in progress,
    /// and the pump stops after it.
    fn pump_bdat_as_it_is(
        &mut self,
        bytes: &[u8],
        range: std::ops::Range<usize>,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(Stream::BdatVerbatim {
            chunk_size,
            mut left,
            stopping,
        }) = self.stream
        else {
            return;
        };
        let total = bytes.len();
        let mut at = range.start;
        while at < range.end {
            let begins = left == 0;
            let line = begins.then(|| {
                let size = chunk_size.min(total - at);
                left = size;
                Bdat {
                    size: u64::try_from(size).unwrap_or(u64::MAX),
                    last: at + size == total,
                }
                .line()
            });
            let take = left.min(range.end - at);
            let octets = bytes.get(at..at + take).unwrap_or_default();
            cx.body(|out| {
                if let Some(line) = &line {
                    out.put_command(line.as_ref());
                }
                out.put(octets);
            });
            at += take;
            left -= take;
            let last = at + left == total;
            match (begins, left == 0) {
                (true, ends) => self.expect_chunk(last, !ends, cx, expect),
                (false, true) => self.chunk_written(last, cx),
                (false, false) => {}
            }
        }
        let done = at >= total || (stopping && left == 0);
        self.stream = (!done).then_some(Stream::BdatVerbatim {
            chunk_size,
            left,
            stopping,
        });
        if done {
            self.pump = None;
        } else {
            cx.request_writable();
        }
    }

    /// Expects the reply to a chunk of a body sent as it is, whose line was just written:
    /// from here, its end written with it, or `later`, once its end is
    /// ([`chunk_written`](Self::chunk_written)). The `LAST` chunk's reply is the verdict
    /// (LMTP: one per accepted recipient).
    fn expect_chunk(
        &mut self,
        last: bool,
        later: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if self.txn.is_none() {
            return;
        }
        if last && !later {
            self.last_chunk_written(cx);
        }
        if last && self.plan.lmtp {
            self.expect_lmtp_verdicts(ReplyKind::BdatLast, later, cx, expect);
            return;
        }
        let kind = if last {
            ReplyKind::BdatLast
        } else {
            ReplyKind::Bdat
        };
        if later {
            cx.expect_reply_later(kind);
        } else {
            cx.expect_reply(kind);
        }
        expect.push(Expect::Bdat(self.seq, last));
        if let Some(txn) = self.txn.as_mut() {
            txn.chunks_out += 1;
        }
    }

    /// The end of a chunk whose reply was expected `later` is written: the reply is due
    /// from here.
    fn chunk_written(&mut self, last: bool, cx: &mut Context<'_>) {
        if last {
            self.last_chunk_written(cx);
        }
        cx.end_output();
    }

    /// The body's end is written: the recipients that may get the message are marked.
    fn last_chunk_written(&mut self, cx: &mut Context<'_>) {
        if let Some(txn) = self.txn.as_mut() {
            txn.end_written = true;
            let at = cx.position().0;
            txn.end_at = Some(at);
            mark_data_sent(&mut self.report, txn, at);
        }
    }

    /// Stops a pumped body: a chunk was refused, and no further chunk may follow (RFC 3030
    /// §2). A chunk of a body sent as it is whose line is out but not all its octets is
    /// still pumped to its end, a block at a time, and its reply stays expected: the server
    /// reads the octets its line announced whatever it answered before, and would take
    /// what follows (RSET) as message content. RSET waits for that reply (`on_bdat`: the
    /// stream is over once the chunk is).
    pub(crate) fn stop_pump(&mut self, cx: &mut Context<'_>) {
        match &mut self.stream {
            Some(Stream::BdatVerbatim { left, stopping, .. })
                if *left > 0 && self.pump.is_some() =>
            {
                *stopping = true;
                cx.request_writable();
            }
            _ => {
                self.stream = None;
                self.pump = None;
            }
        }
    }
}
