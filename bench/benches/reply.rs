//! Reply and EHLO parsing: this crate against Stalwart's `smtp-proto` 0.2, same inputs,
//! full parse to a typed value on both sides, framing included on both sides.
//!
//! Ours, per iteration: append the bytes to the connection's read buffer (a memcpy, as a
//! socket read would do), take the `Response` off it with `ReplyParser` (code check on
//! every line, line offsets, enhanced status codes; the reply keeps a `Bytes` slice of the
//! buffer and one `Vec` of line offsets), and for EHLO build `EhloData` from it: the typed
//! capability set, and the byte ranges of the first SIZE and AUTH lines' parameters (the
//! getters read the number and the mechanism names from them; every keyword and its
//! parameters stay reachable in server order through the reply's lines).
//! Stalwart's: for plain replies, `ResponseReceiver` over the bytes (framing, code, its
//! enhanced status, the text copied into its own `String`); for EHLO, `EhloResponse::parse`,
//! which frames the reply and classifies keywords in one pass into a `String` host name,
//! capability bits, AUTH mechanism bits, SIZE and the other typed parameters, without
//! keeping unknown keywords. Both reuse their parser across iterations, as a connection
//! would. `bench/instructions.sh` counts instructions for the same cases (repeatable on a
//! shared machine; the primary measure).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::response::{BytesMut, EhloData, ReplyParser};
use stalwart_smtp_proto::EhloResponse;
use stalwart_smtp_proto::response::parser::ResponseReceiver;

#[path = "reply/inputs.rs"]
mod inputs;
use inputs::{EHLO_12, ONE_LINE, multiline_64};

fn ours_reply(input: &[u8]) -> impl FnMut() + '_ {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::with_capacity(8192);
    move || {
        buf.extend_from_slice(black_box(input));
        let reply = parser.parse(&mut buf).unwrap().unwrap();
        black_box(reply);
    }
}

fn ours_ehlo(input: &[u8]) -> impl FnMut() + '_ {
    let mut parser = ReplyParser::new();
    let mut buf = BytesMut::with_capacity(8192);
    move || {
        buf.extend_from_slice(black_box(input));
        let reply = parser.parse(&mut buf).unwrap().unwrap();
        black_box(EhloData::try_from(reply).unwrap());
    }
}

fn stalwart_reply(input: &[u8]) -> impl FnMut() + '_ {
    let mut receiver = ResponseReceiver::default();
    move || {
        let reply = receiver.parse(&mut black_box(input).iter()).unwrap();
        receiver.reset();
        black_box(reply);
    }
}

fn stalwart_ehlo(input: &[u8]) -> impl FnMut() + '_ {
    move || {
        black_box(EhloResponse::parse(&mut black_box(input).iter()).unwrap());
    }
}

fn bench(c: &mut Criterion) {
    let multi = multiline_64();
    let cases: [(&str, &[u8], bool); 3] = [
        ("one_line", ONE_LINE, false),
        ("ehlo_12_lines", EHLO_12, true),
        ("multiline_64_lines", &multi, false),
    ];
    for (name, input, is_ehlo) in cases {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(input.len() as u64));
        if is_ehlo {
            group.bench_function("ours", |b| b.iter(ours_ehlo(input)));
            group.bench_function("stalwart", |b| b.iter(stalwart_ehlo(input)));
        } else {
            group.bench_function("ours", |b| b.iter(ours_reply(input)));
            group.bench_function("stalwart", |b| b.iter(stalwart_reply(input)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
