//! Subject, issuer and expiry of the server's leaf certificate (X.509, RFC 5280 §4.1),
//! read by a small bounds-checked DER walker: peer bytes never panic, anything unexpected
//! gives `None`.
//!
//! A full X.509 parser crate (x509-parser and its nom/asn1-rs/der-parser stack) would add
//! five crates for three fields; the walker reads only the definite-length subset of DER
//! that certificates use.

/// What the JSON's `tls.certificate` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    /// The subject as an RFC 4514 string (`CN=mx.example,O=Example`).
    pub(crate) subject: String,
    /// The issuer, likewise.
    pub(crate) issuer: String,
    /// `notAfter` as RFC 3339 UTC (`2027-01-01T00:00:00Z`).
    pub(crate) not_after: String,
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OID: u8 = 0x06;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// Reads `der` (one certificate); `None` if it is not the shape RFC 5280 §4.1 gives.
pub(crate) fn summarise(der: &[u8]) -> Option<Summary> {
    let (certificate, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = read(rest)?.1;
    }
    let (_serial, rest) = expect(rest, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, rest) = expect(rest, SEQUENCE)?;
    let (subject, _) = expect(rest, SEQUENCE)?;
    let (_not_before, after) = read(validity)?;
    let (not_after, _) = read(after)?;
    Some(Summary {
        subject: name(subject)?,
        issuer: name(issuer)?,
        not_after: time(not_after.tag, not_after.value)?,
    })
}

/// One TLV.
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
}

/// The next TLV of `input` and what follows it (single-byte tags, definite lengths).
fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = rest.get(..count)?;
        let len = bytes.iter().try_fold(0usize, |len, &b| {
            len.checked_mul(256)?.checked_add(usize::from(b))
        })?;
        (len, rest.get(count..)?)
    };
    let value = rest.get(..len)?;
    Some((Tlv { tag, value }, rest.get(len..)?))
}

/// The value of the next TLV, which must have `tag`, and what follows.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (tlv, rest) = read(input)?;
    (tlv.tag == tag).then_some((tlv.value, rest))
}

/// A Name (RDNSequence) as RFC 4514 writes it: last RDN first, `+` inside an RDN.
fn name(mut input: &[u8]) -> Option<String> {
    let mut rdns = Vec::new();
    while !input.is_empty() {
        let (set, rest) = expect(input, SET)?;
        input = rest;
        let mut attributes = Vec::new();
        let mut set = set;
        while !set.is_empty() {
            let (pair, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (oid, rest) = expect(pair, OID)?;
            let (value, _) = read(rest)?;
            attributes.push(format!("{}={}", attribute(oid)?, escape(&string(&value)?)));
        }
        rdns.push(attributes.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// The RFC 4514 short name of an attribute type, or its dotted OID.
fn attribute(oid: &[u8]) -> Option<String> {
    let short = match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "STREET",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => "UID",
        _ => return dotted(oid),
    };
    Some(short.to_owned())
}

/// An OID in dotted decimal (X.690 §8.19).
fn dotted(oid: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in oid {
        value = value.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let (&first, rest) = arcs.split_first()?;
    if oid.last().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut text = format!("{a}.{b}");
    for arc in rest {
        text.push_str(&format!(".{arc}"));
    }
    Some(text)
}

/// A directory string's text (UTF-8, Printable, IA5, Teletex as bytes; BMP as UTF-16).
fn string(tlv: &Tlv<'_>) -> Option<String> {
    match tlv.tag {
        0x0c | 0x13 | 0x14 | 0x16 => Some(String::from_utf8_lossy(tlv.value).into_owned()),
        0x1e => {
            let units: Vec<u16> = tlv
                .value
                .chunks(2)
                .map(|pair| match pair {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => 0xfffd,
                })
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping.
fn escape(value: &str) -> String {
    let last = value.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(value.len());
    for (index, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (index == 0 && matches!(c, ' ' | '#'))
            || (index == last && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02X}", u32::from(c) & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`) as `YYYY-MM-DDTHH:MM:SSZ`.
fn time(tag: u8, value: &[u8]) -> Option<String> {
    let digits = value.strip_suffix(b"Z")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let text = std::str::from_utf8(digits).ok()?;
    let (year, rest) = match (tag, text.len()) {
        (UTC_TIME, 12) => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        (GENERALIZED_TIME, 14) => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let part = |i: usize| rest.get(i..i + 2);
    Some(format!(
        "{year:04}-{}-{}T{}:{}:{}Z",
        part(0)?,
        part(2)?,
        part(4)?,
        part(6)?,
        part(8)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal certificate: issuer CN=Test CA, subject CN=mx.example + O=Ex\,ample,
    /// notAfter 2027-01-01 (UTCTime).
    fn certificate() -> Vec<u8> {
        fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
            assert!(value.len() < 128);
            let mut out = vec![tag, value.len() as u8];
            out.extend_from_slice(value);
            out
        }
        let rdn = |oid: &[u8], value: &[u8]| {
            let mut pair = tlv(OID, oid);
            pair.extend(tlv(0x0c, value));
            tlv(SET, &tlv(SEQUENCE, &pair))
        };
        let issuer = tlv(SEQUENCE, &rdn(&[0x55, 4, 3], b"Test CA"));
        let mut subject = rdn(&[0x55, 4, 10], b"Ex,ample");
        subject.extend(rdn(&[0x55, 4, 3], b"mx.example"));
        let subject = tlv(SEQUENCE, &subject);
        let mut validity = tlv(UTC_TIME, b"250101000000Z");
        validity.extend(tlv(UTC_TIME, b"270101000000Z"));
        let mut tbs = tlv(VERSION, &tlv(INTEGER, &[2]));
        tbs.extend(tlv(INTEGER, &[1]));
        tbs.extend(tlv(SEQUENCE, &tlv(OID, &[0x2a, 0x86, 0x48])));
        tbs.extend(issuer);
        tbs.extend(tlv(SEQUENCE, &validity));
        tbs.extend(subject);
        tlv(SEQUENCE, &tlv(SEQUENCE, &tbs))
    }

    #[test]
    fn reads_subject_issuer_and_expiry() {
        let summary = summarise(&certificate()).unwrap();
        assert_eq!(summary.subject, "CN=mx.example,O=Ex\\,ample");
        assert_eq!(summary.issuer, "CN=Test CA");
        assert_eq!(summary.not_after, "2027-01-01T00:00:00Z");
    }

    #[test]
    fn never_panics_on_truncated_or_altered_bytes() {
        let der = certificate();
        for end in 0..der.len() {
            assert_eq!(summarise(&der[..end]), None, "cut at {end}");
        }
        for index in 0..der.len() {
            for bit in 0..8 {
                let mut bad = der.clone();
                bad[index] ^= 1 << bit;
                let _ = summarise(&bad);
            }
        }
    }

    proptest::proptest! {
        /// Peer bytes never panic: arbitrary input, and a valid certificate with any
        /// byte replaced or any tail cut.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = summarise(&bytes);
            let _ = name(&bytes);
            let _ = dotted(&bytes);
        }

        #[test]
        fn altered_certificates_never_panic(index in 0usize..200, value in proptest::num::u8::ANY, cut in 0usize..200) {
            let mut der = certificate();
            let index = index % der.len();
            der[index] = value;
            der.truncate(cut.max(1).min(der.len()));
            let _ = summarise(&der);
        }
    }

    #[test]
    fn times_and_oids() {
        assert_eq!(
            time(GENERALIZED_TIME, b"20500102030405Z").unwrap(),
            "2050-01-02T03:04:05Z"
        );
        assert_eq!(
            time(UTC_TIME, b"991231235959Z").unwrap(),
            "1999-12-31T23:59:59Z"
        );
        assert_eq!(time(UTC_TIME, b"9912312359Z"), None);
        assert_eq!(
            dotted(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]).unwrap(),
            "1.2.840.113549"
        );
        assert_eq!(dotted(&[0x2a, 0x86]), None);
    }
}
