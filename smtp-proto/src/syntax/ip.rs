//! The IPv4 and IPv6 forms of RFC 5321 §4.1.3, parsed byte by byte.
//!
//! The RFC is stricter than `std`'s parsers in one way that matters: `::` stands for at
//! least two groups, so at most 6 groups (4 before an IPv4 suffix) may stand beside it.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{AddressError, Ipv6Problem};

/// `IPv4-address-literal = Snum 3("." Snum)`, `Snum = 1*3DIGIT` with a value of 0 to 255.
pub(crate) fn parse_ipv4(s: &[u8], base: usize) -> Result<Ipv4Addr, AddressError> {
    parse_ipv4_octets(s)
        .map(Ipv4Addr::from)
        .ok_or(AddressError::InvalidIpv4 { at: base })
}

fn parse_ipv4_octets(s: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for octet in &mut octets {
        *octet = parse_snum(parts.next()?)?;
    }
    match parts.next() {
        None => Some(octets),
        Some(_) => None,
    }
}

fn parse_snum(s: &[u8]) -> Option<u8> {
    if s.is_empty() || s.len() > 3 {
        return None;
    }
    let mut value: u16 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u16::from(b - b'0');
    }
    u8::try_from(value).ok()
}

/// `IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp` (RFC 5321 §4.1.3).
pub(crate) fn parse_ipv6(s: &[u8], base: usize) -> Result<Ipv6Addr, AddressError> {
    let err = |at: usize, problem| AddressError::InvalidIpv6 {
        at: base + at,
        problem,
    };
    let compression = memchr::memmem::find(s, b"::");
    let (head, tail, tail_at) = match compression {
        Some(p) => {
            let tail = s.get(p + 2..).unwrap_or_default();
            if let Some(q) = memchr::memmem::find(tail, b"::") {
                return Err(err(p + 2 + q, Ipv6Problem::DoubleCompression));
            }
            (s.get(..p).unwrap_or_default(), tail, p + 2)
        }
        None => (&[][..], s, 0),
    };
    let mut groups = [0u16; 8];
    let mut count = 0usize;
    let mut head_groups = 0usize;
    if !head.is_empty() {
        for (i, g) in head.split(|&b| b == b':').enumerate() {
            let value = parse_hex_group(g).ok_or_else(|| {
                let problem = if g.contains(&b'.') {
                    Ipv6Problem::BadIpv4Suffix
                } else {
                    Ipv6Problem::BadGroup
                };
                err(0, problem)
            })?;
            if let Some(slot) = groups.get_mut(i) {
                *slot = value;
            }
            head_groups += 1;
        }
    }
    count += head_groups;
    // The tail is written right-aligned once its length is known.
    let mut tail_groups = [0u16; 8];
    let mut tail_count = 0usize;
    if !tail.is_empty() {
        let mut parts = tail.split(|&b| b == b':').peekable();
        while let Some(g) = parts.next() {
            let last = parts.peek().is_none();
            if last && g.contains(&b'.') {
                let v4 =
                    parse_ipv4_octets(g).ok_or_else(|| err(tail_at, Ipv6Problem::BadIpv4Suffix))?;
                for pair in v4.chunks_exact(2) {
                    if let (Some(slot), [hi, lo]) = (tail_groups.get_mut(tail_count), pair) {
                        *slot = u16::from_be_bytes([*hi, *lo]);
                    }
                    tail_count += 1;
                }
            } else {
                let value = parse_hex_group(g).ok_or_else(|| {
                    let problem = if g.contains(&b'.') {
                        Ipv6Problem::BadIpv4Suffix
                    } else {
                        Ipv6Problem::BadGroup
                    };
                    err(tail_at, problem)
                })?;
                if let Some(slot) = tail_groups.get_mut(tail_count) {
                    *slot = value;
                }
                tail_count += 1;
            }
            if count + tail_count > 8 {
                return Err(err(0, Ipv6Problem::TooManyGroups));
            }
        }
    }
    count += tail_count;
    match compression {
        // "::" stands for at least two groups: beside it at most 6 hexadecimal groups, or 4
        // and an IPv4 suffix (which counts as two).
        Some(_) if count > 6 => Err(err(0, Ipv6Problem::TooManyGroups)),
        None if count > 8 => Err(err(0, Ipv6Problem::TooManyGroups)),
        None if count < 8 => Err(err(0, Ipv6Problem::TooFewGroups)),
        _ => {
            let offset = 8 - tail_count;
            for (slot, g) in groups
                .iter_mut()
                .skip(offset)
                .zip(tail_groups.iter().take(tail_count))
            {
                *slot = *g;
            }
            Ok(Ipv6Addr::from(groups))
        }
    }
}

/// `IPv6-hex = 1*4HEXDIG`.
fn parse_hex_group(g: &[u8]) -> Option<u16> {
    if g.is_empty() || g.len() > 4 {
        return None;
    }
    let mut value: u16 = 0;
    for &b in g {
        let digit = char::from(b).to_digit(16)?;
        value = (value << 4) | u16::try_from(digit).ok()?;
    }
    Some(value)
}
