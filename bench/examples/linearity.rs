//! Feeds N MiB of multiline replies (101 lines each) to the reply parser, whole or one
//! byte at a time, for `bench/linearity.sh` to count instructions with callgrind.
//!
//! Usage: linearity MIB whole|byte|none|copy|feed|stalwart-whole|stalwart-byte [LINES [PAD] | DIR]
//! (`none` only builds the input; `copy` also copies it into the read buffer at once and
//! `feed` appends it one byte at a time, without parsing: the baselines for the parser's own
//! cost, whole and byte at a time; `stalwart-*` run Stalwart's
//! `smtp-proto` 0.2 byte-by-byte state machine on the same input, for comparison; it
//! refuses replies over 4 KiB, so compare with LINES = 39 continuation lines, not 100;
//! PAD is how many `x` each continuation line has after its 36-byte text, default 60:
//! 98-byte lines; DIR instead of LINES: the EHLO replies of a corpus directory such as
//! `smtp-proto/tests/data/ehlo`, real servers' continuation lines)

use smtp_proto::response::{BytesMut, ReplyParser};
use stalwart_smtp_proto::Error as StalwartError;
use stalwart_smtp_proto::response::parser::ResponseReceiver;

fn input(mib: usize, lines: usize, padding: usize) -> Vec<u8> {
    let mut one = Vec::new();
    for i in 0..lines {
        one.extend_from_slice(format!("250-2.0.0 continuation line {i:03} ").as_bytes());
        one.resize(one.len() + padding, b'x');
        one.extend_from_slice(b"\r\n");
    }
    one.extend_from_slice(b"250 2.0.0 last line\r\n");
    one.repeat((mib << 20).div_ceil(one.len()))
}

/// The EHLO replies of the corpus in `dir` (`smtp-proto/tests/data/ehlo`), CRLF-ended,
/// repeated to `mib` MiB.
fn corpus(mib: usize, dir: &str) -> Vec<u8> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the EHLO corpus")
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read(&file).expect("a corpus file");
        for line in text.split(|&b| b == b'\n') {
            if !line.is_empty() && !line.starts_with(b"#") {
                all.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
                all.extend_from_slice(b"\r\n");
            }
        }
    }
    all.repeat((mib << 20).div_ceil(all.len()))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let mode = args.next().unwrap_or_else(|| "whole".into());
    let shape = args.next().unwrap_or_else(|| "100".into());
    let padding: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let input = match shape.parse() {
        Ok(lines) => input(mib, lines, padding),
        Err(_) => corpus(mib, &shape),
    };
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut replies = 0usize;
    // A macro rather than a closure, so that `parse` is inlined into each loop as it would
    // be into a read loop (a closure call costs more than the fast path it calls).
    macro_rules! parse {
        ($buf:expr) => {
            while let Some(reply) = parser.parse($buf).expect("valid replies") {
                std::hint::black_box(&reply);
                replies += 1;
            }
        };
    }
    match mode.as_str() {
        "whole" => {
            buf.extend_from_slice(&input);
            parse!(&mut buf);
        }
        // Both append one byte at a time the same way; `feed` only keeps the buffer from
        // growing instead of parsing, so that the difference is the parser's own work.
        "byte" => {
            for &byte in &input {
                buf.extend_from_slice(&[byte]);
                parse!(&mut buf);
            }
        }
        "copy" => {
            buf.extend_from_slice(&input);
            std::hint::black_box(&buf);
        }
        "feed" => {
            for &byte in &input {
                buf.extend_from_slice(&[byte]);
                if std::hint::black_box(buf.len()) >= 16 * 1024 {
                    buf.clear();
                }
            }
        }
        "stalwart-whole" => replies = stalwart(&input, input.len()),
        "stalwart-byte" => replies = stalwart(&input, 1),
        _ => {
            std::hint::black_box(&input);
            return;
        }
    }
    eprintln!("{mode}: {} bytes, {replies} replies", input.len());
}

/// Stalwart's receiver fed `chunk` bytes at a time (its parser keeps its own state, so it
/// needs no buffer).
fn stalwart(input: &[u8], chunk: usize) -> usize {
    let mut receiver = ResponseReceiver::default();
    let mut replies = 0;
    for piece in input.chunks(chunk) {
        let mut bytes = piece.iter();
        loop {
            match receiver.parse(&mut bytes) {
                Ok(reply) => {
                    std::hint::black_box(&reply);
                    receiver.reset();
                    replies += 1;
                }
                Err(StalwartError::NeedsMoreData { .. }) => break,
                Err(error) => panic!("{error}"),
            }
        }
    }
    replies
}
