//! The parser examines each byte a bounded number of times however the input is split:
//! counted, not timed (see `bench/linearity.sh` for instruction counts).

use bytes::BytesMut;

use super::ReplyParser;

/// About `size` bytes of replies of 101 lines each (100 continuation lines).
fn replies(size: usize) -> Vec<u8> {
    let mut one = Vec::new();
    for i in 0..100 {
        one.extend_from_slice(format!("250-2.0.0 continuation line {i:03} ").as_bytes());
        one.resize(one.len() + 60, b'x');
        one.extend_from_slice(b"\r\n");
    }
    one.extend_from_slice(b"250 2.0.0 last line\r\n");
    one.repeat(size.div_ceil(one.len()))
}

/// Feeds `input` in chunks of `chunk` bytes; returns (replies, bytes inspected).
fn inspect(input: &[u8], chunk: usize) -> (usize, u64) {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut count = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(reply) = parser.parse(&mut buf).unwrap() {
            assert_eq!(reply.line_count(), 101);
            count += 1;
        }
    }
    assert!(buf.is_empty());
    (count, parser.inspected)
}

#[test]
fn ten_megabytes_byte_at_a_time_inspects_what_whole_does() {
    let input = replies(10 * 1024 * 1024);
    let (whole_replies, whole) = inspect(&input, input.len());
    let (byte_replies, bytes) = inspect(&input, 1);
    assert_eq!(whole_replies, byte_replies);
    eprintln!(
        "{} bytes: whole inspects {whole}, byte at a time {bytes}",
        input.len()
    );
    // Whole: each byte once plus a few per line; byte at a time: a few more per line.
    assert!(whole >= input.len() as u64, "{whole}");
    assert!(
        bytes <= 2 * whole,
        "byte at a time {bytes} vs whole {whole}"
    );
    assert!(
        whole <= 2 * input.len() as u64,
        "{whole} for {}",
        input.len()
    );
}

#[test]
fn inspection_grows_linearly_with_the_input() {
    let small = replies(1024 * 1024);
    let large = small.repeat(10);
    let (_, one) = inspect(&small, 1);
    let (_, ten) = inspect(&large, 1);
    assert_eq!(ten, 10 * one);
}

/// One byte at a time, only the first byte, each line's separator and line end, and the
/// call after each reply (which finds the buffer empty) reach the scanner; every other call
/// is answered by `parse`'s fast path (a digit of the code, or text that cannot end the
/// line), the next reply's first digit included.
#[test]
fn byte_at_a_time_takes_the_fast_path_for_all_but_the_separators_and_line_ends() {
    let input = replies(1).repeat(3);
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::new();
    let (mut calls, mut count) = (0u64, 0u64);
    for &byte in &input {
        buf.extend_from_slice(&[byte]);
        loop {
            calls += 1;
            if parser.parse(&mut buf).unwrap().is_none() {
                break;
            }
            count += 1;
        }
    }
    assert_eq!(count, 3);
    let scanner = 1 + count * 2 * 101 + count;
    assert_eq!(parser.quiet_calls, calls - scanner);
}
