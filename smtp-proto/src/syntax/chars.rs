//! Byte classes of RFC 5321 §4.1.2 and RFC 6531 §3.3, and the control-character guard.

use super::AddressError;

const LET_DIG: u8 = 1;
const LDH: u8 = 2;
const ATEXT: u8 = 4;
const QTEXT: u8 = 8;
const DCONTENT: u8 = 16;

/// One lookup per byte: the grammar's character classes as bit flags.
static CLASSES: [u8; 256] = build_classes();

// Evaluated at compile time: an out-of-range index would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const fn build_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b.is_ascii_alphanumeric() {
            c |= LET_DIG | LDH | ATEXT;
        }
        if b == b'-' {
            c |= LDH;
        }
        // RFC 5322 §3.2.3 atext specials.
        if matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        ) {
            c |= ATEXT;
        }
        // qtextSMTP = %d32-33 / %d35-91 / %d93-126
        if matches!(b, 32..=33 | 35..=91 | 93..=126) {
            c |= QTEXT;
        }
        // dcontent = %d33-90 / %d94-126
        if matches!(b, 33..=90 | 94..=126) {
            c |= DCONTENT;
        }
        table[i] = c;
        i += 1;
    }
    table
}

fn class(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// `Let-dig = ALPHA / DIGIT`.
pub(crate) fn is_let_dig(b: u8) -> bool {
    class(b) & LET_DIG != 0
}

/// `Ldh-str` characters: `ALPHA / DIGIT / "-"`.
pub(crate) fn is_ldh(b: u8) -> bool {
    class(b) & LDH != 0
}

/// ASCII `atext` (RFC 5322 §3.2.3); RFC 6531 adds every non-ASCII character.
pub(crate) fn is_atext(b: u8) -> bool {
    class(b) & ATEXT != 0
}

/// ASCII `qtextSMTP`; RFC 6531 adds every non-ASCII character.
pub(crate) fn is_qtext(b: u8) -> bool {
    class(b) & QTEXT != 0
}

/// `dcontent` of a general address literal.
pub(crate) fn is_dcontent(b: u8) -> bool {
    class(b) & DCONTENT != 0
}

/// C0 controls and DEL: the bytes that could end or corrupt a command line.
pub(crate) fn is_control_byte(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// C0, DEL and C1 controls (RFC 5198 excludes C1 from Net-Unicode).
pub(crate) fn is_control_char(ch: char) -> bool {
    ch.is_control()
}

/// Whether the non-ASCII character starting at byte `i` of `bytes` is a C1 control
/// (U+0080..U+009F, encoded `C2 80`..`C2 9F`).
pub(crate) fn is_c1_at(bytes: &[u8], i: usize) -> bool {
    matches!(bytes.get(i..i + 2), Some([0xc2, 0x80..=0x9f]))
}

/// The one control-character guard of the crate: the byte offset and code point of the
/// first C0 control, DEL or C1 control in `s`, if any.
///
/// C0 and DEL can end or corrupt a command line (CR, LF, NUL). C1 (U+0080..U+009F) is
/// refused too: RFC 5198 §2 excludes it from Net-Unicode, and some servers treat U+0085
/// (NEL) as a line end, which would split one command into two. Every code point found
/// fits in a byte (all are below U+00A0). One byte scan, no decoding.
pub(crate) fn find_control(s: &str) -> Option<(usize, u8)> {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().find_map(|(i, &b)| {
        if is_control_byte(b) {
            Some((i, b))
        } else if b == 0xc2 && is_c1_at(bytes, i) {
            bytes.get(i + 1).map(|&c1| (i, c1))
        } else {
            None
        }
    })
}

/// Refuses any C0 control, DEL or C1 control in `s` ([`find_control`]): the guard of every
/// constructor, unchecked ones included, so that nothing from application input can inject
/// a command.
pub(crate) fn refuse_controls(s: &str, base: usize) -> Result<(), AddressError> {
    match find_control(s) {
        None => Ok(()),
        Some((at, code)) => Err(AddressError::Control {
            at: base + at,
            ch: char::from(code),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_match_the_rfc() {
        assert!(is_atext(b'!') && is_atext(b'~') && !is_atext(b'.') && !is_atext(b'@'));
        assert!(is_qtext(b' ') && !is_qtext(b'"') && !is_qtext(b'\\') && is_qtext(b']'));
        assert!(is_dcontent(b':') && !is_dcontent(b'[') && !is_dcontent(b' '));
        assert!(is_ldh(b'-') && !is_let_dig(b'-') && !is_ldh(b'_'));
        assert!(is_control_byte(b'\r') && is_control_byte(0x7f) && !is_control_byte(b' '));
    }

    #[test]
    fn refuses_c1() {
        assert!(matches!(
            refuse_controls("a\u{85}b", 3),
            Err(AddressError::Control {
                at: 4,
                ch: '\u{85}'
            })
        ));
        assert!(refuse_controls("ü\u{a0}", 0).is_ok());
        assert_eq!(find_control("ab\u{9f}"), Some((2, 0x9f)));
        assert_eq!(find_control("a\x7f"), Some((1, 0x7f)));
        assert_eq!(find_control("\u{a0}\u{100}"), None);
    }

    /// Every byte against the ABNF as the RFCs write it.
    #[test]
    fn every_byte_is_classed_as_the_abnf_says() {
        let in_ranges =
            |b: u8, ranges: &[(u8, u8)]| ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi);
        for b in 0..=255u8 {
            // ALPHA = %x41-5A / %x61-7A, DIGIT = %x30-39 (RFC 5234 B.1).
            let let_dig = in_ranges(b, &[(0x41, 0x5a), (0x61, 0x7a), (0x30, 0x39)]);
            assert_eq!(is_let_dig(b), let_dig, "Let-dig {b:#x}");
            assert_eq!(is_ldh(b), let_dig || b == b'-', "Ldh-str {b:#x}");
            // RFC 5322 §3.2.3.
            let atext = let_dig || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
            assert_eq!(is_atext(b), atext, "atext {b:#x}");
            // RFC 5321 §4.1.2: qtextSMTP = %d32-33 / %d35-91 / %d93-126.
            let qtext = in_ranges(b, &[(32, 33), (35, 91), (93, 126)]);
            assert_eq!(is_qtext(b), qtext, "qtextSMTP {b:#x}");
            // RFC 5321 §4.1.3: dcontent = %d33-90 / %d94-126.
            let dcontent = in_ranges(b, &[(33, 90), (94, 126)]);
            assert_eq!(is_dcontent(b), dcontent, "dcontent {b:#x}");
            assert_eq!(is_control_byte(b), b < 32 || b == 127, "control {b:#x}");
        }
    }

    /// The guard finds exactly C0, DEL and C1, at their offset after non-ASCII text, among
    /// every code point up to U+0100.
    #[test]
    fn the_guard_finds_exactly_the_control_characters() {
        for ch in (0..=0x100).filter_map(char::from_u32) {
            let control = ch.is_control();
            assert_eq!(is_control_char(ch), control, "{ch:?}");
            let code = u8::try_from(u32::from(ch)).ok().filter(|_| control);
            let text = format!("ü{ch}x");
            assert_eq!(find_control(&text), code.map(|c| (2, c)), "{ch:?}");
            let refused = refuse_controls(&text, 10);
            match code {
                Some(c) => assert_eq!(
                    refused,
                    Err(AddressError::Control {
                        at: 12,
                        ch: char::from(c)
                    })
                ),
                None => assert_eq!(refused, Ok(())),
            }
        }
        // C2 at the very end is no C1.
        assert!(!is_c1_at(b"a\xc2", 1));
        assert!(is_c1_at(b"\xc2\x80", 0) && is_c1_at(b"\xc2\x9f", 0));
        assert!(!is_c1_at(b"\xc2\xa0", 0) && !is_c1_at(b"\xc3\x80", 0));
    }
}
