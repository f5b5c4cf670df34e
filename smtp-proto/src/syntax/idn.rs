//! IDNA glue over the `idna` crate (UTS #46 processing; `idna2008` adds the code point
//! rules that UTS #46 does not check).

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// The A-label of one U-label, or `None` when the label is not a valid U-label in its
/// normalised form (RFC 5891 §4: NFC, no mapping needed, hyphen rules, Bidi, CONTEXTJ).
///
/// UTS #46 would silently map (case-fold, width-fold, NFC, turn U+3002 into a dot); a strict
/// parse must not change what the user wrote, so the label is accepted only when decoding
/// its A-label gives the label back (ASCII case aside: DNS ignores it).
pub(crate) fn u_label_to_a_label(label: &str) -> Option<String> {
    let uts46 = Uts46::new();
    let ascii = uts46
        .to_ascii(
            label.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            // The caller reports an over-long A-label precisely.
            DnsLength::Ignore,
        )
        .ok()?;
    if ascii.contains('.') {
        return None;
    }
    let (unicode, result) = uts46.to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
    result.ok()?;
    if !unicode.eq_ignore_ascii_case(label) {
        return None;
    }
    Some(ascii.into_owned())
}

/// The U-label of an ASCII label beginning with `xn--`, or `None` when it is not a valid
/// A-label (RFC 5890 §2.3.2.1): its Punycode must decode to a valid U-label (as UTS #46
/// checks it; the caller adds RFC 5892's code point rules) that encodes back to the same
/// label.
pub(crate) fn a_label_to_u_label(label: &str) -> Option<String> {
    let uts46 = Uts46::new();
    let ascii = uts46
        .to_ascii(
            label.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Verify,
        )
        .ok()?;
    if !ascii.eq_ignore_ascii_case(label) || ascii.contains('.') {
        return None;
    }
    let (unicode, result) = uts46.to_unicode(label.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
    result.ok()?;
    Some(unicode.into_owned())
}

/// Whether a domain in A-label form passes the rules that span labels (the Bidi rule of
/// RFC 5893 §2 for a domain with any right-to-left label); per-label rules, hyphens
/// included, were checked already, and LDH labels may legitimately hold `--` at 3-4.
pub(crate) fn is_valid_idn_domain(ascii: &str) -> bool {
    Uts46::new()
        .to_ascii(
            ascii.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .is_ok()
}

/// Lenient UTS #46 conversion of a whole name (mapping allowed), for host names read from
/// the OS and for unchecked domains: the result still has to pass the strict LDH check.
pub(crate) fn to_ascii_lenient(name: &str, std3: bool) -> Option<String> {
    let deny = if std3 {
        AsciiDenyList::STD3
    } else {
        AsciiDenyList::EMPTY
    };
    Uts46::new()
        .to_ascii(name.as_bytes(), deny, Hyphens::Allow, DnsLength::Ignore)
        .ok()
        .map(|c| c.into_owned())
}
