//! Runs one benchmark case a fixed number of times, for `bench/instructions.sh` to count
//! instructions with callgrind: a deterministic comparison on a loaded machine, where
//! wall-clock times are noisy. The inputs are those of `benches/reply.rs`.
//!
//! Usage: instructions one_line|ehlo_12_lines|multiline_64_lines ours|stalwart|none N

use std::hint::black_box;

use smtp_proto::response::{BytesMut, EhloData, ReplyParser};
use stalwart_smtp_proto::EhloResponse;
use stalwart_smtp_proto::response::parser::ResponseReceiver;

#[path = "../benches/reply/inputs.rs"]
mod inputs;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, side, n] = args.as_slice() else {
        eprintln!("usage: instructions CASE ours|stalwart|none N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N");
    let multi = inputs::multiline_64();
    let (input, is_ehlo): (&[u8], bool) = match case.as_str() {
        "one_line" => (inputs::ONE_LINE, false),
        "ehlo_12_lines" => (inputs::EHLO_12, true),
        _ => (&multi, false),
    };
    match (side.as_str(), is_ehlo) {
        ("ours", false) => {
            let mut parser = ReplyParser::new();
            let mut buf = BytesMut::with_capacity(8192);
            for _ in 0..n {
                buf.extend_from_slice(black_box(input));
                black_box(parser.parse(&mut buf).unwrap().unwrap());
            }
        }
        ("ours", true) => {
            let mut parser = ReplyParser::new();
            let mut buf = BytesMut::with_capacity(8192);
            for _ in 0..n {
                buf.extend_from_slice(black_box(input));
                let reply = parser.parse(&mut buf).unwrap().unwrap();
                black_box(EhloData::try_from(reply).unwrap());
            }
        }
        ("stalwart", false) => {
            let mut receiver = ResponseReceiver::default();
            for _ in 0..n {
                black_box(receiver.parse(&mut black_box(input).iter()).unwrap());
                receiver.reset();
            }
        }
        ("stalwart", true) => {
            for _ in 0..n {
                black_box(EhloResponse::parse(&mut black_box(input).iter()).unwrap());
            }
        }
        _ => {}
    }
}
