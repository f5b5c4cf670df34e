//! BDAT framing (RFC 3030): exact frames, counts after canonicalisation, held CR, binary
//! mode, violations, and properties (payloads == canonical body, counts == lengths, one
//! LAST at the end, split invariance).

#[path = "data_support/mod.rs"]
mod support;

use std::num::NonZeroUsize;

use proptest::prelude::*;
use smtp_proto::data::{BdatEncoder, BdatMode, BodyPolicy, DataError};
use support::{body_strategy, canonical, frame_split, parse_frames, payload};

fn text() -> BdatMode {
    BdatMode::Text(BodyPolicy::default())
}

fn strict() -> BdatMode {
    BdatMode::Text(BodyPolicy::default().strict())
}

fn frame(body: &[u8], size: usize, mode: BdatMode) -> Vec<u8> {
    let (out, result) = frame_split(body, size, mode, &[]);
    result.unwrap();
    out
}

#[test]
fn known_frames() {
    assert_eq!(frame(b"", 4, text()), b"BDAT 0 LAST\r\n");
    assert_eq!(frame(b"abc", 4, text()), b"BDAT 3 LAST\r\nabc");
    assert_eq!(frame(b"abcd", 4, text()), b"BDAT 4 LAST\r\nabcd");
    assert_eq!(
        frame(b"abcdefghij", 4, text()),
        b"BDAT 4\r\nabcdBDAT 4\r\nefghBDAT 2 LAST\r\nij"
    );
    // No dot-stuffing, no CRLF added at the end.
    assert_eq!(frame(b".\r\n.", 10, text()), b"BDAT 4 LAST\r\n.\r\n.");
}

#[test]
fn counts_are_of_canonical_octets() {
    // "a\nb" is 3 octets of input but 4 on the wire.
    assert_eq!(frame(b"a\nb", 100, text()), b"BDAT 4 LAST\r\na\r\nb");
    assert_eq!(
        frame(b"\n\n\n", 4, text()),
        b"BDAT 4\r\n\r\n\r\nBDAT 2 LAST\r\n\r\n"
    );
}

#[test]
fn cr_at_chunk_end_waits_for_the_next_octet() {
    let size = NonZeroUsize::new(2).unwrap();
    let mut framer = BdatEncoder::new(size, text());
    let mut out = Vec::new();
    framer.encode(b"ab\r", &mut out).unwrap();
    assert_eq!(out, b"", "the full chunk is held until more follows");
    framer.encode(b"\n", &mut out).unwrap();
    assert_eq!(out, b"BDAT 2\r\nab");
    framer.encode(b"c\r", &mut out).unwrap();
    assert_eq!(out, b"BDAT 2\r\nabBDAT 2\r\n\r\n");
    framer.finish(&mut out).unwrap();
    // The held CR becomes CRLF at the end and straddles the last two chunks.
    assert_eq!(
        out,
        b"BDAT 2\r\nabBDAT 2\r\n\r\nBDAT 2\r\nc\rBDAT 1 LAST\r\n\n"
    );
}

#[test]
fn flush_sends_short_chunks_and_finish_may_send_bdat_0_last() {
    let size = NonZeroUsize::new(4).unwrap();
    let mut framer = BdatEncoder::new(size, text());
    let mut out = Vec::new();
    framer.flush(&mut out).unwrap();
    assert_eq!(out, b"", "nothing staged, nothing sent");
    assert_eq!(framer.chunks_written(), 0);
    framer.encode(b"abcdef\r", &mut out).unwrap();
    framer.flush(&mut out).unwrap();
    assert_eq!(out, b"BDAT 4\r\nabcdBDAT 2\r\nef", "the held CR stays held");
    // One reply is awaited per chunk: the count must follow every BDAT line written.
    assert_eq!(framer.chunks_written(), 2);
    framer.encode(b"\n", &mut out).unwrap();
    framer.flush(&mut out).unwrap();
    assert_eq!(framer.chunks_written(), 3);
    assert_eq!(framer.finish_counted(&mut out), Ok(1));
    assert_eq!(
        out,
        b"BDAT 4\r\nabcdBDAT 2\r\nefBDAT 2\r\n\r\nBDAT 0 LAST\r\n"
    );

    let mut framer = BdatEncoder::new(size, strict());
    let mut out = Vec::new();
    let error = framer.encode(b"a\nb", &mut out).unwrap_err();
    assert_eq!(framer.flush(&mut out), Err(error));
    assert_eq!(out, b"");
}

#[test]
fn binary_mode_passes_every_octet() {
    let body = b"\x00\r.\n\xff\r\n.\r\n!";
    let wire = frame(body, 5, BdatMode::Binary);
    assert_eq!(
        wire,
        [
            b"BDAT 5\r\n".as_slice(),
            &body[..5],
            b"BDAT 5\r\n",
            &body[5..10],
            b"BDAT 1 LAST\r\n!"
        ]
        .concat()
    );
}

#[test]
fn violations_write_nothing_and_no_last() {
    let size = NonZeroUsize::new(3).unwrap();
    let mut framer = BdatEncoder::new(size, strict());
    let mut out = Vec::new();
    framer.encode(b"abcdefg", &mut out).unwrap();
    assert_eq!(out, b"BDAT 3\r\nabcBDAT 3\r\ndef");
    let before = out.clone();
    let error = framer.encode(b"h\ni", &mut out).unwrap_err();
    assert_eq!(error, DataError::BareLf { offset: 8 });
    assert_eq!(out, before, "no chunk written by the failing call");
    assert_eq!(framer.encode(b"x", &mut out), Err(error));
    assert_eq!(framer.finish(&mut out), Err(error));
    assert_eq!(out, before, "never a LAST");

    for (body, mode, error) in [
        (b"ab\0".as_slice(), text(), DataError::Nul { offset: 2 }),
        (b"ab\r", strict(), DataError::BareCr { offset: 2 }),
        (
            b"\xe9",
            BdatMode::Text(BodyPolicy::default().seven_bit()),
            DataError::EightBit {
                offset: 0,
                octet: 0xE9,
            },
        ),
        (
            &[b'x'; 999],
            text(),
            DataError::LineTooLong {
                offset: 998,
                limit: 998,
            },
        ),
    ] {
        let (out, result) = frame_split(body, 2, mode, &[]);
        assert_eq!(result, Err(error));
        assert!(parse_frames(&out).iter().all(|f| !f.last));
    }
}

fn mode_strategy() -> impl Strategy<Value = BdatMode> {
    prop_oneof![
        Just(BdatMode::Binary),
        (any::<bool>(), any::<bool>(), 0usize..12).prop_map(|(strict, seven, limit)| {
            let mut policy = BodyPolicy::default().with_max_line_length(limit);
            if strict {
                policy = policy.strict();
            }
            if seven {
                policy = policy.seven_bit();
            }
            BdatMode::Text(policy)
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn frames_carry_the_canonical_body(
        body in body_strategy(),
        mode in mode_strategy(),
        size in 1usize..10,
        mut splits in proptest::collection::vec(0usize..200, 0..8),
    ) {
        splits.sort_unstable();
        let expected = match mode {
            BdatMode::Text(policy) => canonical(&body, policy),
            _ => Ok(body.clone()),
        };
        let (wire, result) = frame_split(&body, size, mode, &splits);
        let frames = parse_frames(&wire);
        for frame in &frames {
            prop_assert_eq!(frame.count, frame.payload.len());
            prop_assert!(frame.count <= size);
        }
        match expected {
            Ok(canon) => {
                prop_assert_eq!(result, Ok(()));
                let lasts: Vec<usize> = frames.iter().enumerate()
                    .filter(|(_, f)| f.last).map(|(i, _)| i).collect();
                prop_assert_eq!(lasts, vec![frames.len() - 1]);
                prop_assert_eq!(payload(&frames), canon);
                prop_assert_eq!(frame_split(&body, size, mode, &[]), (wire, Ok(())));
            }
            Err(error) => {
                prop_assert_eq!(result, Err(error));
                prop_assert!(frames.iter().all(|f| !f.last));
                // Only octets before the violation, and never the offending line's end.
                let before = &body[..error.offset() as usize];
                let lenient = BodyPolicy::default().without_line_limit();
                let prefix = canonical(before, lenient).unwrap();
                prop_assert!(prefix.starts_with(&payload(&frames)));
            }
        }
    }
}
