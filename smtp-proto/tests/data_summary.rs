//! BodySummary: SIZE= (RFC 1870), BODY=8BITMIME (RFC 6152), validity, and agreement with
//! the encoders.

#[path = "data_support/mod.rs"]
mod support;

use proptest::prelude::*;
use smtp_proto::data::{BodyPolicy, BodySummary, DataError};
use support::{body_strategy, canonical, encode_split, stored};

#[test]
fn sizes_count_canonical_octets_before_stuffing() {
    let summary = BodySummary::of(b".a\nb", BodyPolicy::default());
    // "..a\r\nb\r\n.\r\n" on the wire; RFC 1870 counts ".a\r\nb\r\n".
    assert_eq!(summary.size(), 7);
    assert_eq!(summary.bdat_size(), 5);
    assert!(!summary.has_8bit());
    assert!(summary.is_valid());
    assert_eq!(summary.violation(), None);

    let summary = BodySummary::of(b"a\r\n", BodyPolicy::default());
    assert_eq!((summary.size(), summary.bdat_size()), (3, 3));
    let summary = BodySummary::of(b"", BodyPolicy::default());
    assert_eq!((summary.size(), summary.bdat_size()), (0, 0));
    let summary = BodySummary::of(b"a\r", BodyPolicy::default());
    assert_eq!((summary.size(), summary.bdat_size()), (3, 3));
}

#[test]
fn reports_8bit_and_the_first_violation() {
    let summary = BodySummary::of(b"caf\xc3\xa9\r\n", BodyPolicy::default());
    assert!(summary.has_8bit());
    assert!(summary.is_valid());
    let summary = BodySummary::of(b"caf\xc3\xa9\r\n", BodyPolicy::default().seven_bit());
    assert!(summary.has_8bit());
    assert_eq!(
        summary.violation(),
        Some(DataError::EightBit {
            offset: 3,
            octet: 0xC3
        })
    );
    let summary = BodySummary::of(b"a\nb\0", BodyPolicy::default().strict());
    assert_eq!(summary.violation(), Some(DataError::BareLf { offset: 1 }));
    assert!(!summary.is_valid());
    let long = [b'z'; 1200];
    assert_eq!(
        BodySummary::of(&long, BodyPolicy::default()).violation(),
        Some(DataError::LineTooLong {
            offset: 998,
            limit: 998
        })
    );
    assert!(BodySummary::of(&long, BodyPolicy::default().without_line_limit()).is_valid());
}

/// The summary counts into a counter that the encoders' fast path rolls back at a bare CR:
/// the rollback must keep what the earlier 16 KiB blocks counted.
#[test]
fn a_bare_cr_past_the_first_block_keeps_the_earlier_blocks_counted() {
    let mut body = b"a\r\n".repeat(6000);
    body.extend_from_slice(b"b\rc");
    let summary = BodySummary::of(&body, BodyPolicy::default());
    assert!(summary.is_valid());
    // "b\rc" becomes "b\r\nc"; DATA adds the last line's CRLF.
    assert_eq!(summary.bdat_size(), 18_004);
    assert_eq!(summary.size(), 18_006);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn summary_agrees_with_the_encoder(
        body in body_strategy(),
        strict in any::<bool>(),
        seven in any::<bool>(),
        limit in 0usize..10,
    ) {
        let mut policy = BodyPolicy::default().with_max_line_length(limit);
        if strict { policy = policy.strict(); }
        if seven { policy = policy.seven_bit(); }
        let summary = BodySummary::of(&body, policy);
        let (_, result) = encode_split(&body, policy, &[]);
        prop_assert_eq!(summary.violation(), result.err());
        prop_assert_eq!(summary.has_8bit(), body.iter().any(|b| *b >= 0x80));
        if let Ok(canon) = canonical(&body, policy) {
            prop_assert_eq!(summary.bdat_size(), canon.len() as u64);
            prop_assert_eq!(summary.size(), stored(canon).len() as u64);
        }
    }
}
