//! DATA encoding and BDAT framing throughput, against a plain copy of the same bytes.
//!
//! The body: 1 MiB of text in lines of about 76 octets, 5% of them starting with a dot,
//! 2% ended by a bare LF (the rest CRLF). Run:
//! `cargo bench --manifest-path bench/Cargo.toml --bench data`

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::data::{BdatEncoder, BdatMode, BodyPolicy, BodySummary, DataEncoder, encode_data};

const SIZE: usize = 1 << 20;

/// Deterministic pseudo-random text, so every run measures the same bytes.
fn body() -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let mut next = move |n: u32| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state % n
    };
    let words = [
        "the", "message", "body", "of", "a", "mail", "with", "some", "text", "lorem", "ipsum",
        "dolor", "sit", "amet", "SMTP", "server", "client", "data",
    ];
    let mut out = Vec::with_capacity(SIZE + 100);
    while out.len() < SIZE {
        let start = out.len();
        if next(100) < 5 {
            out.push(b'.');
        }
        let width = 70 + next(13) as usize;
        while out.len() - start < width {
            out.extend_from_slice(words[next(words.len() as u32) as usize].as_bytes());
            out.push(b' ');
        }
        if next(100) < 2 {
            out.push(b'\n');
        } else {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.truncate(SIZE);
    out
}

fn data(c: &mut Criterion) {
    let body = body();
    let policy = BodyPolicy::default();
    let mut group = c.benchmark_group("data");
    group.throughput(Throughput::Bytes(body.len() as u64));
    let mut out = Vec::with_capacity(2 * SIZE);
    group.bench_function("copy", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&body));
            black_box(out.len())
        })
    });
    group.bench_function("encode_whole", |b| {
        b.iter(|| {
            out.clear();
            encode_data(black_box(&body), policy, &mut out).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("encode_8k_chunks", |b| {
        b.iter(|| {
            out.clear();
            let mut encoder = DataEncoder::new(policy);
            for chunk in black_box(&body).chunks(8192) {
                encoder.encode(chunk, &mut out).unwrap();
            }
            encoder.finish(&mut out).unwrap();
            black_box(out.len())
        })
    });
    group.bench_function("summary", |b| {
        b.iter(|| {
            let summary = BodySummary::of(black_box(&body), policy);
            assert!(summary.is_valid());
            black_box(summary.size())
        })
    });
    group.bench_function("bdat_text_64k", |b| {
        let size = NonZeroUsize::new(64 * 1024).unwrap();
        b.iter(|| {
            out.clear();
            let mut framer = BdatEncoder::new(size, BdatMode::Text(policy));
            framer.encode(black_box(&body), &mut out).unwrap();
            framer.finish(&mut out).unwrap();
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, data);
criterion_main!(benches);
