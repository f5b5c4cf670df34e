//! DATA encoder: known answers, every published SMTP smuggling sequence, error placement,
//! and properties (round trip through a strict decoder, no early end, split invariance).

#[path = "data_support/mod.rs"]
mod support;

use proptest::prelude::*;
use smtp_proto::data::{BodyPolicy, DataEncoder, DataError, encode_data};
use support::{body_strategy, canonical, decode, encode_bytewise, encode_split, partial, stored};

fn lenient() -> BodyPolicy {
    BodyPolicy::default()
}

fn strict() -> BodyPolicy {
    BodyPolicy::default().strict()
}

fn encode(body: &[u8], policy: BodyPolicy) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    encode_data(body, policy, &mut out).map(|()| out)
}

#[test]
fn known_answers() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b"a\n", b"a\r\n.\r\n"),
        (b"a\r", b"a\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b".\r\n", b"..\r\n.\r\n"),
        (b"..x\r\n.y", b"...x\r\n..y\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
        (b"\r\n\r\n", b"\r\n\r\n.\r\n"),
        (b"a.b\r\n .c", b"a.b\r\n .c\r\n.\r\n"),
        (b"x\r\r\ny", b"x\r\n\r\ny\r\n.\r\n"),
        (b"x\n\ry", b"x\r\n\r\ny\r\n.\r\n"),
        (b"caf\xc3\xa9", b"caf\xc3\xa9\r\n.\r\n"),
    ];
    for (body, wire) in cases {
        assert_eq!(encode(body, lenient()).unwrap(), *wire, "{body:?}");
        assert_eq!(encode_bytewise(body, lenient()), (wire.to_vec(), Ok(())));
    }
}

/// The published smuggling sequences (SEC Consult 2023, CVE-2023-51764/51765/51766) and
/// variants, each between two lines of text.
const SMUGGLING: &[&[u8]] = &[
    b"\n.\n",
    b"\r.\r",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r\n.\r",
    b"\r.\n",
    b"\r\n.\r\n",
    b"\n.\r",
    b"\r.\r\n",
    b"\r\n\x00.\r\n",
    b"\r\n.\x00\r\n",
    b"\x00\r\n.\r\n",
    b"\r\n.\r\n\x00",
];

fn smuggling_bodies() -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    for seq in SMUGGLING {
        let mut body = b"Subject: hi\r\n\r\nbody".to_vec();
        body.extend_from_slice(seq);
        body.extend_from_slice(b"MAIL FROM:<evil@example.org>\r\n");
        bodies.push(body);
        // At the very start and at the very end, too.
        bodies.push(seq.to_vec());
        bodies.push([b"x".as_slice(), seq].concat());
    }
    bodies
}

/// Encodes `body` split at every single position and at every pair of positions.
fn check_every_split(body: &[u8], policy: BodyPolicy) {
    let expected = canonical(body, policy);
    let whole = encode_split(body, policy, &[]);
    match &expected {
        Ok(canon) => {
            let (message, end) = decode(&whole.0).expect("end of data");
            assert_eq!(end, whole.0.len(), "early end of data in {body:?}");
            assert_eq!(message, stored(canon.clone()));
        }
        Err(error) => {
            assert_eq!(whole.1, Err(*error), "{body:?}");
            assert_eq!(whole.0, partial(body, error.offset()), "{body:?}");
            assert_eq!(decode(&whole.0), None, "end of data after {error}");
        }
    }
    for i in 0..=body.len() {
        for j in i..=body.len() {
            assert_eq!(
                encode_split(body, policy, &[i, j]),
                whole,
                "{body:?} at {i},{j}"
            );
        }
    }
    assert_eq!(encode_bytewise(body, policy), whole);
}

#[test]
fn smuggling_sequences_lenient() {
    for body in smuggling_bodies() {
        check_every_split(&body, lenient());
    }
}

#[test]
fn smuggling_sequences_strict() {
    for body in smuggling_bodies() {
        check_every_split(&body, strict());
    }
}

#[test]
fn smuggling_lone_dot_lines_are_stuffed() {
    let wire = encode(b"a\n.\nb\r.\rc\r\n.\r\n", lenient()).unwrap();
    assert_eq!(wire, b"a\r\n..\r\nb\r\n..\r\nc\r\n..\r\n.\r\n");
}

#[test]
fn strict_rejects_bare_line_ends() {
    let cases: &[(&[u8], DataError)] = &[
        (b"a\nb", DataError::BareLf { offset: 1 }),
        (b"a\rb", DataError::BareCr { offset: 1 }),
        (b"a\r", DataError::BareCr { offset: 1 }),
        (b"a\r\n.\n", DataError::BareLf { offset: 4 }),
        (b"a\r\r\n", DataError::BareCr { offset: 1 }),
        (b"\n", DataError::BareLf { offset: 0 }),
    ];
    for (body, error) in cases {
        assert_eq!(encode(body, strict()), Err(*error), "{body:?}");
        assert_eq!(encode_bytewise(body, strict()).1, Err(*error), "{body:?}");
    }
}

#[test]
fn nul_is_rejected_in_both_modes() {
    for policy in [lenient(), strict()] {
        let (out, result) = encode_bytewise(b"ab\r\n.\x00\r\n", policy);
        assert_eq!(result, Err(DataError::Nul { offset: 5 }));
        assert_eq!(out, b"ab\r\n..");
    }
}

#[test]
fn line_length_limit_excludes_crlf_and_stuffed_dot() {
    let line = |n: usize| vec![b'.'; n];
    let ok = [line(998), b"\r\n".to_vec()].concat();
    let wire = encode(&ok, lenient()).unwrap();
    assert_eq!(wire.len(), 1 + 998 + 2 + 3, "stuffed dot not counted");
    let long = line(999);
    let (out, result) = encode_bytewise(&long, lenient());
    assert_eq!(
        result,
        Err(DataError::LineTooLong {
            offset: 998,
            limit: 998
        })
    );
    assert_eq!(out.len(), 999, "stuffed dot and 998 octets, no terminator");
    assert!(encode(&long, lenient().without_line_limit()).is_ok());
    assert_eq!(
        encode(b"abc\r\nabcd", lenient().with_max_line_length(3)),
        Err(DataError::LineTooLong {
            offset: 8,
            limit: 3
        })
    );
}

#[test]
fn seven_bit_rejects_8bit_octets() {
    let policy = lenient().seven_bit();
    assert_eq!(
        encode(b"ok\r\ncaf\xc3\xa9", policy),
        Err(DataError::EightBit {
            offset: 7,
            octet: 0xC3
        })
    );
    // A CR before the 8-bit octet is bare: written as CRLF in lenient mode, an error first
    // in strict mode.
    let (out, result) = encode_split(b"a\r\xff", policy, &[2]);
    assert_eq!(result.unwrap_err().offset(), 2);
    assert_eq!(out, b"a\r\n");
    let (out, result) = encode_split(b"a\r\xff", policy.strict(), &[2]);
    assert_eq!(result, Err(DataError::BareCr { offset: 1 }));
    assert_eq!(out, b"a");
}

#[test]
fn errors_are_sticky_and_never_end_the_data() {
    let mut out = Vec::new();
    let mut encoder = DataEncoder::new(strict());
    encoder.encode(b"line one\r\n", &mut out).unwrap();
    encoder.encode(b"line two\r", &mut out).unwrap();
    assert_eq!(out, b"line one\r\nline two", "held CR not written");
    let error = encoder.encode(b".", &mut out).unwrap_err();
    assert_eq!(error, DataError::BareCr { offset: 18 });
    assert_eq!(
        out, b"line one\r\nline two",
        "no terminator for the offending line"
    );
    assert_eq!(encoder.encode(b"\r\n.\r\n", &mut out), Err(error));
    assert_eq!(encoder.finish(&mut out), Err(error));
    assert_eq!(out, b"line one\r\nline two");
}

#[test]
fn held_cr_is_bare_at_finish_in_strict_mode() {
    let mut out = Vec::new();
    let mut encoder = DataEncoder::new(strict());
    encoder.encode(b"x\r", &mut out).unwrap();
    assert_eq!(
        encoder.finish(&mut out),
        Err(DataError::BareCr { offset: 1 })
    );
    assert_eq!(out, b"x");
}

#[test]
fn writes_into_bytes_mut_after_existing_content() {
    let mut out = bytes::BytesMut::from(&b"DATA\r\n"[..]);
    encode_data(b".a\nb", lenient(), &mut out).unwrap();
    assert_eq!(&out[..], b"DATA\r\n..a\r\nb\r\n.\r\n");
}

/// A bare CR sends the fast path back to the mark it took: in a `BytesMut` that already
/// holds octets, only what the fast path wrote is dropped.
#[test]
fn a_bare_cr_rolls_back_only_this_calls_octets_in_bytes_mut() {
    let mut out = bytes::BytesMut::from(&b"DATA\r\n"[..]);
    encode_data(b".a\nb\rc", lenient(), &mut out).unwrap();
    assert_eq!(&out[..], b"DATA\r\n..a\r\nb\r\nc\r\n.\r\n");
}

/// Bodies longer than the encoder's internal 16 KiB blocks, with the interesting octets
/// straddling the block boundaries.
#[test]
fn large_bodies_across_internal_blocks() {
    const B: usize = 16 * 1024;
    for seq in SMUGGLING
        .iter()
        .copied()
        .chain([b"\r".as_slice(), b"\n", b"\r\n", b"."])
    {
        for shift in 0..seq.len() + 1 {
            let mut body: Vec<u8> = b"0123456789abcdefghijklmnopqrstuvwxyz.\r\n"
                .iter()
                .copied()
                .cycle()
                .take(3 * B)
                .collect();
            for k in 1..3 {
                let at = k * B - shift;
                body[at..at + seq.len()].copy_from_slice(seq);
            }
            for policy in [lenient(), strict()] {
                let (wire, result) = encode_split(&body, policy, &[]);
                match canonical(&body, policy) {
                    Ok(canon) => {
                        assert_eq!(result, Ok(()));
                        let (message, end) = decode(&wire).expect("end of data");
                        assert_eq!(end, wire.len());
                        assert_eq!(message, stored(canon));
                    }
                    Err(error) => {
                        assert_eq!(result, Err(error));
                        assert_eq!(wire, partial(&body, error.offset()));
                    }
                }
                assert_eq!(
                    encode_split(&body, policy, &[B - 1, 2 * B + 1]),
                    (wire, result)
                );
            }
        }
    }
    let long = vec![b'x'; 2 * B];
    assert_eq!(
        encode(&long, lenient().with_max_line_length(B + 5)),
        Err(DataError::LineTooLong {
            offset: (B + 5) as u64,
            limit: B + 5
        })
    );
}

fn policy_strategy() -> impl Strategy<Value = BodyPolicy> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), (0usize..12).prop_map(Some)],
    )
        .prop_map(|(strict, seven, limit)| {
            let mut policy = BodyPolicy::default();
            if strict {
                policy = policy.strict();
            }
            if seven {
                policy = policy.seven_bit();
            }
            match limit {
                Some(limit) => policy.with_max_line_length(limit),
                None => policy,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decoder_recovers_the_canonical_body(body in body_strategy(), policy in policy_strategy()) {
        let (wire, result) = encode_split(&body, policy, &[]);
        match canonical(&body, policy) {
            Ok(canon) => {
                prop_assert_eq!(result, Ok(()));
                let (message, end) = decode(&wire).expect("end of data");
                prop_assert_eq!(end, wire.len(), "early end of data");
                prop_assert_eq!(message, stored(canon));
            }
            Err(error) => {
                prop_assert_eq!(result, Err(error));
                prop_assert_eq!(decode(&wire), None);
                prop_assert_eq!(wire, partial(&body, error.offset()));
            }
        }
    }

    #[test]
    fn no_lone_dot_line_before_the_end(body in body_strategy()) {
        for policy in [lenient(), strict()] {
            let (wire, result) = encode_split(&body, policy, &[]);
            let lines: Vec<&[u8]> = wire.split(|&b| b == b'\n').collect();
            let lone = lines.iter().position(|l| *l == b".\r");
            if result.is_ok() {
                prop_assert_eq!(lone, Some(lines.len() - 2), "lone dot before the end");
                prop_assert!(wire.ends_with(b".\r\n"));
            } else {
                prop_assert_eq!(lone, None, "end of data after an error");
            }
        }
    }

    #[test]
    fn output_does_not_depend_on_chunking(
        body in body_strategy(),
        policy in policy_strategy(),
        mut splits in proptest::collection::vec(0usize..200, 0..8),
    ) {
        splits.sort_unstable();
        let whole = encode_split(&body, policy, &[]);
        prop_assert_eq!(&encode_split(&body, policy, &splits), &whole);
        prop_assert_eq!(&encode_bytewise(&body, policy), &whole);
    }
}
