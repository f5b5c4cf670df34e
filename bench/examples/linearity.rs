//! Feeds N MiB of multiline replies (101 lines each) to the reply parser, whole or one
//! byte at a time, for `bench/linearity.sh` to count instructions with callgrind.
//!
//! Usage: linearity MIB whole|byte|none|feed
//! (`none` only builds the input; `feed` also appends it to a buffer one byte at a time,
//! without parsing: the baselines for the parser's own cost)

use smtp_proto::response::{BytesMut, ReplyParser};

fn input(mib: usize) -> Vec<u8> {
    let mut one = Vec::new();
    for i in 0..100 {
        one.extend_from_slice(format!("250-2.0.0 continuation line {i:03} ").as_bytes());
        one.resize(one.len() + 60, b'x');
        one.extend_from_slice(b"\r\n");
    }
    one.extend_from_slice(b"250 2.0.0 last line\r\n");
    one.repeat((mib << 20).div_ceil(one.len()))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let mode = args.next().unwrap_or_else(|| "whole".into());
    let input = input(mib);
    let chunk = match mode.as_str() {
        "whole" => input.len(),
        "byte" => 1,
        "feed" => {
            let mut buf = BytesMut::with_capacity(64 * 1024);
            for &byte in &input {
                buf.extend_from_slice(&[byte]);
                if buf.len() >= 32 * 1024 {
                    buf.clear();
                }
            }
            std::hint::black_box(&buf);
            return;
        }
        _ => {
            std::hint::black_box(&input);
            return;
        }
    };
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut replies = 0usize;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(reply) = parser.parse(&mut buf).expect("valid replies") {
            std::hint::black_box(&reply);
            replies += 1;
        }
    }
    eprintln!("{mode}: {} bytes, {replies} replies", input.len());
}
