//! The encoders' run path (whole runs of lines copied at once, line lengths proved by
//! jumps): its edge cases against the octet-by-octet reference, on bodies long enough to
//! span its 128-octet groups and 16 KiB blocks.

#[path = "data_support/mod.rs"]
mod support;

use proptest::prelude::*;
use smtp_proto::data::{BdatMode, BodyPolicy, MAX_LINE_LENGTH};
use support::*;

/// The size of the canonicaliser's blocks, where a line's length is carried over.
const BLOCK: usize = 16 * 1024;

/// The exact DATA wire (or error and partial wire) the reference gives for `body`.
fn expected(body: &[u8], policy: BodyPolicy) -> (Vec<u8>, Result<(), smtp_proto::data::DataError>) {
    match canonical(body, policy) {
        Ok(canon) => {
            let mut wire = stuff(&stored(canon));
            wire.extend_from_slice(b".\r\n");
            (wire, Ok(()))
        }
        Err(error) => (partial(body, error.offset()), Err(error)),
    }
}

/// DATA whole and split at `splits`, and BDAT text framing, all agree with the reference.
fn check(body: &[u8], policy: BodyPolicy, splits: &[usize]) {
    let want = expected(body, policy);
    assert_eq!(encode_split(body, policy, &[]), want, "whole, {policy:?}");
    assert_eq!(
        encode_split(body, policy, splits),
        want,
        "split at {splits:?}"
    );
    let (wire, result) = frame_split(body, 4096, BdatMode::Text(policy), splits);
    match canonical(body, policy) {
        Ok(canon) => {
            assert_eq!(result, Ok(()));
            assert_eq!(payload(&parse_frames(&wire)), canon, "BDAT payload");
        }
        Err(error) => {
            assert_eq!(result, Err(error), "BDAT error");
            // Earlier calls may have sent full chunks, but only of octets before the error.
            let frames = parse_frames(&wire);
            assert!(
                frames.iter().all(|frame| !frame.last),
                "LAST after an error"
            );
            let lenient = BodyPolicy::default().without_line_limit();
            let before = canonical(&body[..error.offset() as usize], lenient).unwrap();
            assert!(
                before.starts_with(&payload(&frames)),
                "BDAT sent the error's line"
            );
        }
    }
}

fn policies() -> [BodyPolicy; 3] {
    let lenient = BodyPolicy::default();
    [lenient, lenient.strict(), lenient.without_line_limit()]
}

/// A body of short CRLF lines with one line of `len` content octets (dot-led or not, ended
/// by `end`) starting at `at`.
fn with_line(at: usize, len: usize, dot: bool, end: &[u8]) -> Vec<u8> {
    let mut body: Vec<u8> = b"short line of text\r\n"
        .iter()
        .copied()
        .cycle()
        .take(at)
        .collect();
    let mut line = vec![b'x'; len];
    if dot && len > 0 {
        line[0] = b'.';
    }
    body.extend_from_slice(&line);
    body.extend_from_slice(end);
    body.extend_from_slice(b"tail\r\n.\r\nend\n");
    body
}

#[test]
fn lines_at_the_limit_across_blocks_and_chunks() {
    for len in [MAX_LINE_LENGTH - 1, MAX_LINE_LENGTH, MAX_LINE_LENGTH + 1] {
        for end in [b"\r\n".as_slice(), b"\n", b"\r", b"\r\r\n"] {
            for dot in [false, true] {
                // The line starts before, ends at, and ends after the block boundary.
                for at in [
                    BLOCK - len / 2,
                    BLOCK - len - 2,
                    BLOCK - len - 1,
                    BLOCK - len,
                    BLOCK - 1,
                    BLOCK,
                    BLOCK + 1,
                    3,
                ] {
                    let body = with_line(at, len, dot, end);
                    let splits = [at + 1, at + len, at + len + 1, BLOCK + 7];
                    for policy in policies() {
                        check(&body, policy, &splits);
                    }
                }
            }
        }
    }
}

#[test]
fn long_lines_carried_over_chunk_ends() {
    // The line's octets arrive over several chunks: its length is carried between calls.
    for len in [MAX_LINE_LENGTH, MAX_LINE_LENGTH + 1] {
        for end in [b"\r\n".as_slice(), b"\n"] {
            let body = with_line(40, len, true, end);
            for step in [1, 7, 128, 500, 997, 998, 999, 1000] {
                let splits: Vec<usize> = (40 + step..body.len()).step_by(step).collect();
                check(&body, BodyPolicy::default(), &splits);
                check(&body, BodyPolicy::default().strict(), &splits);
            }
        }
    }
}

#[test]
fn events_at_every_position_of_a_group() {
    // Each special sequence at every offset around the 128-octet groups of the pair scan,
    // and split there: a pair may straddle two groups or two chunks.
    let specials: [&[u8]; 8] = [
        b"\r\n.",
        b"\n.",
        b"\r\r\n",
        b"\r.",
        b"\n\n",
        b"\r\n\r\n.",
        b"\r",
        b".",
    ];
    for special in specials {
        for at in 0..300 {
            let mut body: Vec<u8> = b"abcdefghij\r\n"
                .iter()
                .copied()
                .cycle()
                .take(400)
                .collect();
            body[at..at + special.len()].copy_from_slice(special);
            for policy in policies() {
                check(&body, policy, &[at, at + 1]);
            }
        }
    }
}

#[test]
fn a_limit_as_large_as_memory_is_no_limit() {
    let body = with_line(100, 3 * BLOCK, true, b"\n");
    for limit in [usize::MAX, usize::MAX - 1, 3 * BLOCK, 3 * BLOCK - 1] {
        check(
            &body,
            BodyPolicy::default().with_max_line_length(limit),
            &[BLOCK],
        );
    }
}

fn long_body_strategy() -> impl Strategy<Value = Vec<u8>> {
    let atom = prop_oneof![
        6 => proptest::collection::vec(b'a'..=b'e', 0..80),
        2 => (990usize..1003).prop_map(|n| vec![b'x'; n]),
        6 => Just(b"\r\n".to_vec()),
        2 => Just(b"\r\n.".to_vec()),
        1 => Just(b"\n.".to_vec()),
        1 => Just(b".".to_vec()),
        1 => Just(b"\r".to_vec()),
        2 => Just(b"\n".to_vec()),
        1 => Just(vec![0u8]),
        1 => Just(vec![0xC3, 0xA9]),
    ];
    proptest::collection::vec(atom, 0..200).prop_map(|atoms| atoms.concat())
}

fn long_policy_strategy() -> impl Strategy<Value = BodyPolicy> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some(MAX_LINE_LENGTH)),
            (0usize..100).prop_map(Some),
            (990usize..1003).prop_map(Some),
        ],
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
                None => policy.without_line_limit(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn long_bodies_match_the_reference(
        body in long_body_strategy(),
        policy in long_policy_strategy(),
        mut splits in proptest::collection::vec(0usize..40_000, 0..6),
    ) {
        splits.sort_unstable();
        check(&body, policy, &splits);
    }
}
