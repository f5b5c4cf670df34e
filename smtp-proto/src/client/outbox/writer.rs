//! The sink a command writes message content into: the outbox, with the `BDAT` lines among
//! the chunks tagged as commands.

use std::fmt;

use crate::data::BodySink;

use super::{Outbox, TransmitTag};

/// Where a command writes message content ([`Context::body`](super::super::Context::body)):
/// appends to the client's outgoing bytes, tagged for the log.
///
/// Octets written with [`put`](BodySink::put) are message content, logged as their size;
/// a line written with [`put_command`](BodySink::put_command) (the `BDAT <n>[ LAST]` line
/// the [`BdatEncoder`](crate::data::BdatEncoder) writes before each chunk, RFC 3030 §2) is
/// logged as the command it is. So a redacted transcript of a BDAT transfer reads
///
/// ```text
/// BDAT 1024 LAST
/// [body, 1024 octets]
/// ```
///
/// A `BDAT` line always leaves in the same transmit as the start of its chunk. A chunk
/// over 64 KiB leaves in several transmits (one data block each, with its own write
/// deadline), so its log shows its size in those blocks: `BDAT 1048576`, then
/// `[body, 65536 octets]` in each of 16 transmits.
///
/// [`len`](BodySink::len) and [`truncate`](BodySink::truncate) count only the octets written
/// through this writer, so an encoder's rollback can never reach what was written before.
pub struct BodyWriter<'a> {
    outbox: &'a mut Outbox,
    /// Buffer offset where this writer's octets begin.
    start: usize,
    /// Buffer offset where the body octets not yet tagged begin.
    body_from: usize,
}

impl<'a> BodyWriter<'a> {
    pub(super) fn new(outbox: &'a mut Outbox) -> Self {
        let start = outbox.buf.len();
        Self {
            outbox,
            start,
            body_from: start,
        }
    }

    /// Where the next octet written will stand in the connection's output: recorded before
    /// a `BDAT` line, it is where the chunk before that line ends, so that the reply to that
    /// chunk can be expected there ([`Context::expect_reply_at`](super::super::Context::expect_reply_at)).
    pub fn position(&self) -> super::Position {
        super::Position(self.outbox.written())
    }

    /// Tags the body octets written since the last command line.
    pub(super) fn end(&mut self) {
        let end = self.outbox.buf.len();
        self.outbox
            .tag(self.body_from..end, TransmitTag::Body, 0, false);
        self.body_from = end;
    }
}

impl BodySink for BodyWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.outbox.buf.extend_from_slice(bytes);
    }

    fn put_command(&mut self, line: &[u8]) {
        self.end();
        let from = self.outbox.buf.len();
        self.outbox.buf.extend_from_slice(line);
        let to = self.outbox.buf.len();
        // Glued: the chunk follows in the same write, and the two leave together.
        self.outbox.tag(from..to, TransmitTag::Command, 0, true);
        self.body_from = to;
    }

    fn reserve(&mut self, additional: usize) {
        self.outbox.buf.reserve(additional);
    }

    fn len(&self) -> usize {
        self.outbox.buf.len().saturating_sub(self.start)
    }

    fn truncate(&mut self, len: usize) {
        let to = self.start.saturating_add(len);
        if to < self.outbox.buf.len() {
            self.outbox.roll_back(to);
            self.body_from = self.body_from.min(to);
        }
    }
}

impl fmt::Debug for BodyWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyWriter")
            .field("written", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;
    use std::time::Instant;

    use proptest::prelude::*;

    use super::*;
    use crate::data::{BdatEncoder, BdatMode, BodyPolicy, DataEncoder, encode_data};

    fn text(size: usize) -> BdatEncoder {
        BdatEncoder::new(
            NonZeroUsize::new(size).unwrap(),
            BdatMode::Text(BodyPolicy::default()),
        )
    }

    fn command(outbox: &mut Outbox, line: &str) {
        outbox.write(TransmitTag::Command, 0, |out| {
            out.extend_from_slice(line.as_bytes())
        });
    }

    /// Everything unsent, handed out at once: its bytes, tags and log.
    fn take_all(outbox: &mut Outbox) -> (Vec<u8>, Vec<(TransmitTag, usize)>, String) {
        let t = outbox.take(None, Instant::now());
        (
            t.bytes().to_vec(),
            t.tags().collect(),
            t.redacted().to_string(),
        )
    }

    /// The log of each transmit, handed out `max` octets at most, until nothing is unsent.
    fn transmits(outbox: &mut Outbox, max: Option<usize>) -> Vec<String> {
        let deadline = Instant::now();
        let mut logs = Vec::new();
        while outbox.has_unsent() {
            logs.push(outbox.take(max, deadline).redacted().to_string());
        }
        logs
    }

    #[test]
    fn bdat_lines_render_as_commands_and_chunks_as_their_sizes() {
        let mut outbox = Outbox::default();
        command(&mut outbox, "MAIL FROM:<a@example.org>\r\n");
        let chunks = outbox.write_body(|out| {
            let mut framer = text(4);
            framer.encode(b"ab\ncd\r\n.x", out).unwrap();
            let earlier = framer.chunks_written();
            earlier + framer.finish_counted(out).unwrap()
        });
        assert_eq!(chunks, 3);
        let (bytes, tags, log) = take_all(&mut outbox);
        assert_eq!(
            bytes,
            b"MAIL FROM:<a@example.org>\r\nBDAT 4\r\nab\r\nBDAT 4\r\ncd\r\n\
              BDAT 2 LAST\r\n.x"
                .as_slice()
        );
        use TransmitTag::{Body, Command};
        assert_eq!(
            tags,
            [
                (Command, 27),
                (Command, 8),
                (Body, 4),
                (Command, 8),
                (Body, 4),
                (Command, 13),
                (Body, 2)
            ]
        );
        assert_eq!(
            log,
            "MAIL FROM:<a@example.org>\nBDAT 4\n[body, 4 octets]\nBDAT 4\n[body, 4 octets]\n\
             BDAT 2 LAST\n[body, 2 octets]"
        );
    }

    #[test]
    fn a_short_last_chunk_and_an_empty_body() {
        let mut outbox = Outbox::default();
        outbox.write_body(|out| {
            let mut framer = text(10);
            framer.encode(b"Subject: s\r\n\r\nbody\r\n", out).unwrap();
            framer.finish(out).unwrap();
        });
        assert_eq!(
            take_all(&mut outbox).2,
            "BDAT 10\n[body, 10 octets]\nBDAT 10 LAST\n[body, 10 octets]"
        );
        outbox.write_body(|out| {
            let mut framer = text(10);
            framer.encode(b"hello\r\n", out).unwrap();
            framer.finish(out).unwrap();
        });
        assert_eq!(take_all(&mut outbox).2, "BDAT 7 LAST\n[body, 7 octets]");
        outbox.write_body(|out| text(10).finish(out).unwrap());
        let (bytes, tags, log) = take_all(&mut outbox);
        assert_eq!(bytes, b"BDAT 0 LAST\r\n");
        assert_eq!(tags, [(TransmitTag::Command, 13)]);
        assert_eq!(log, "BDAT 0 LAST");
    }

    /// A streamed body: each piece is its own write; a flush sends what is staged, and
    /// the end after it is `BDAT 0 LAST` (RFC 3030 §2).
    #[test]
    fn streamed_pieces_and_bdat_0_last_after_a_flush() {
        let mut outbox = Outbox::default();
        let mut framer = text(8);
        outbox.write_body(|out| framer.encode(b"0123456789", out).unwrap());
        outbox.write_body(|out| framer.flush(out).unwrap());
        assert_eq!(
            take_all(&mut outbox).2,
            "BDAT 8\n[body, 8 octets]\nBDAT 2\n[body, 2 octets]"
        );
        outbox.write_body(|out| framer.finish(out).unwrap());
        let (bytes, _, log) = take_all(&mut outbox);
        assert_eq!(bytes, b"BDAT 0 LAST\r\n");
        assert_eq!(log, "BDAT 0 LAST");
    }

    /// DATA writes no command line: its body and end-of-data marker are one body piece,
    /// merged with the body written before it while unsent.
    #[test]
    fn a_data_body_stays_one_piece() {
        let mut outbox = Outbox::default();
        let mut encoder = DataEncoder::new(BodyPolicy::default());
        outbox.write_body(|out| encoder.encode(b".a\nb", out).unwrap());
        outbox.write_body(|out| encoder.finish(out).unwrap());
        let (bytes, tags, log) = take_all(&mut outbox);
        assert_eq!(bytes, b"..a\r\nb\r\n.\r\n");
        assert_eq!(tags, [(TransmitTag::Body, 11)]);
        assert_eq!(log, "[body, 11 octets]");
    }

    /// A data block holds up to 64 KiB of body: exactly that much leaves whole, with the
    /// command after it (the next mail's MAIL rides with the end of data); one octet more
    /// leaves in the next transmit, the command with it.
    #[test]
    fn a_data_block_holds_64_kib_of_body_and_the_commands_after_it() {
        for (body, logs) in [
            (64 * 1024, &["[body, 65536 octets]\nQUIT"][..]),
            (
                64 * 1024 + 1,
                &["[body, 65536 octets]", "[body, 1 octets]\nQUIT"],
            ),
        ] {
            let mut outbox = Outbox::default();
            outbox.write_body(|out| out.put(&vec![b'x'; body]));
            command(&mut outbox, "QUIT\r\n");
            assert_eq!(transmits(&mut outbox, None), logs, "{body} octets");
        }
    }

    /// A command piece of several lines (a custom encoder's `put_command`) is logged one
    /// line per line, each escaped.
    #[test]
    fn a_command_piece_of_several_lines_logs_each_line() {
        let mut outbox = Outbox::default();
        outbox.write_body(|out| {
            out.put_command(b"X-ONE\r\nX-TWO\tx\r\n");
            out.put(b"abc");
        });
        let (_, tags, log) = take_all(&mut outbox);
        assert_eq!(tags, [(TransmitTag::Command, 16), (TransmitTag::Body, 3)]);
        assert_eq!(log, "X-ONE\nX-TWO\\tx\n[body, 3 octets]");
    }

    /// The encoders' rollback (a bare CR sends the fast path back) stays inside the write.
    #[test]
    fn truncation_reaches_only_this_writers_octets() {
        let mut outbox = Outbox::default();
        command(&mut outbox, "RSET\r\n");
        outbox.write_body(|out| {
            assert_eq!(out.len(), 0);
            out.put_command(b"BDAT 3\r\n");
            out.put(b"abc");
            assert_eq!(out.len(), 11);
            assert_eq!(format!("{out:?}"), "BodyWriter { written: 11, .. }");
            out.truncate(8);
            out.truncate(100);
            out.put(b"xyz");
            out.truncate(0);
            assert!(out.is_empty());
            out.put_command(b"BDAT 2 LAST\r\n");
            out.put(b"ok");
        });
        let (bytes, _, log) = take_all(&mut outbox);
        assert_eq!(bytes, b"RSET\r\nBDAT 2 LAST\r\nok");
        assert_eq!(log, "RSET\nBDAT 2 LAST\n[body, 2 octets]");
        // A bare CR makes the DATA encoder roll back and redo its block.
        let body = b"a\rb\r\n";
        let mut expected = Vec::new();
        encode_data(body, BodyPolicy::default(), &mut expected).unwrap();
        let mut outbox = Outbox::default();
        command(&mut outbox, "DATA\r\n");
        outbox.write_body(|out| encode_data(body, BodyPolicy::default(), out).unwrap());
        let (bytes, tags, _) = take_all(&mut outbox);
        assert_eq!(bytes, [b"DATA\r\n".as_slice(), &expected].concat());
        assert_eq!(
            tags,
            [
                (TransmitTag::Command, 6),
                (TransmitTag::Body, expected.len())
            ]
        );
    }

    /// With a group limit, a transmit is cut at piece ends but never between a `BDAT`
    /// line and its chunk.
    #[test]
    fn a_group_limit_never_separates_a_line_from_its_chunk() {
        let mut outbox = Outbox::default();
        command(&mut outbox, "MAIL FROM:<a@example.org>\r\n");
        command(&mut outbox, "RCPT TO:<b@example.net>\r\n");
        outbox.write_body(|out| {
            let mut framer = text(100);
            framer.encode(&[b'x'; 150], out).unwrap();
            framer.finish(out).unwrap();
        });
        assert_eq!(
            transmits(&mut outbox, Some(60)),
            [
                "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.net>",
                "BDAT 100\n[body, 100 octets]",
                "BDAT 50 LAST\n[body, 50 octets]",
            ]
        );
    }

    /// A group limit that everything unsent fits in hands it all out, a last `BDAT 0 LAST`
    /// line included (glued, but with no chunk after it).
    #[test]
    fn a_group_limit_that_everything_fits_in_hands_out_everything() {
        let mut outbox = Outbox::default();
        command(&mut outbox, "MAIL FROM:<a@example.org>\r\n");
        outbox.write_body(|out| text(10).finish(out).unwrap());
        let all = b"MAIL FROM:<a@example.org>\r\nBDAT 0 LAST\r\n";
        let t = outbox.take(Some(all.len()), Instant::now());
        assert_eq!(t.bytes(), all);
        assert_eq!(
            t.redacted().to_string(),
            "MAIL FROM:<a@example.org>\nBDAT 0 LAST"
        );
        assert!(!outbox.has_unsent());
    }

    /// `len` octets of 80-octet text lines.
    fn lines(len: usize) -> Vec<u8> {
        [&[b'x'; 78][..], b"\r\n"].concat().repeat(len / 80)
    }

    /// 100 KiB of text in BDAT chunks of `chunk` octets, as it leaves the outbox.
    fn bdat_blocks(chunk: usize) -> Vec<String> {
        let mut outbox = Outbox::default();
        outbox.write_body(|out| {
            let mut framer = text(chunk);
            framer.encode(&lines(100 * 1024), out).unwrap();
            framer.finish(out).unwrap();
        });
        transmits(&mut outbox, None)
    }

    /// The 64 KiB data-block cut never leaves a `BDAT` line at the end of a transmit,
    /// without its chunk, and otherwise cuts where the block is full.
    #[test]
    fn a_data_block_cut_never_ends_after_a_bdat_line() {
        assert_eq!(
            bdat_blocks(64 * 1024),
            [
                "BDAT 65536\n[body, 65536 octets]",
                "BDAT 36864 LAST\n[body, 36864 octets]",
            ]
        );
        // A chunk larger than a data block leaves in blocks, its line with the first.
        assert_eq!(
            bdat_blocks(100 * 1024),
            [
                "BDAT 102400 LAST\n[body, 65536 octets]",
                "[body, 36864 octets]"
            ]
        );
        // A block can end inside a chunk whose line it carries, after an earlier chunk.
        assert_eq!(
            bdat_blocks(40 * 1024),
            [
                "BDAT 40960\n[body, 40960 octets]\nBDAT 40960\n[body, 24576 octets]",
                "[body, 16384 octets]\nBDAT 20480 LAST\n[body, 20480 octets]"
            ]
        );
    }

    proptest! {
        /// Through the outbox, the BDAT framer writes the same octets as into a `Vec`;
        /// every command piece is one `BDAT` line and the body piece after it has the size
        /// that line announces.
        #[test]
        fn tags_follow_the_framing(
            body in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a')], 0..200),
            size in 1usize..40,
            cut in 0usize..200,
        ) {
            let (head, tail) = body.split_at(cut.min(body.len()));
            let mut expected = Vec::new();
            let mut framer = text(size);
            framer.encode(head, &mut expected).unwrap();
            framer.encode(tail, &mut expected).unwrap();
            framer.finish(&mut expected).unwrap();

            let mut outbox = Outbox::default();
            let mut framer = text(size);
            outbox.write_body(|out| framer.encode(head, out).unwrap());
            outbox.write_body(|out| framer.encode(tail, out).unwrap());
            outbox.write_body(|out| framer.finish(out).unwrap());
            let t = outbox.take(None, Instant::now());
            prop_assert_eq!(t.bytes(), expected.as_slice());
            let mut rest = t.bytes();
            let mut announced = None;
            for (tag, len) in t.tags() {
                let (piece, tail) = rest.split_at(len);
                rest = tail;
                match tag {
                    TransmitTag::Command => {
                        prop_assert_eq!(announced, None, "a chunk is missing");
                        let line = std::str::from_utf8(piece).unwrap();
                        let words = line.strip_prefix("BDAT ").unwrap().strip_suffix("\r\n").unwrap();
                        let count: usize = words.trim_end_matches(" LAST").parse().unwrap();
                        announced = (count > 0).then_some(count);
                    }
                    TransmitTag::Body => {
                        prop_assert_eq!(announced.take(), Some(len));
                    }
                    TransmitTag::Secret => prop_assert!(false, "no secret in a body"),
                }
            }
            prop_assert!(rest.is_empty());
            prop_assert_eq!(announced, None);
        }
    }
}
