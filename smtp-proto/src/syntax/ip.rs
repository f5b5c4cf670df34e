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
    let mut head_groups = Groups::default();
    head_groups
        .parse(head, 0, false)
        .map_err(|(at, p)| err(at, p))?;
    let mut tail_groups = Groups::default();
    tail_groups
        .parse(tail, tail_at, true)
        .map_err(|(at, p)| err(at, p))?;
    let count = head_groups.len + tail_groups.len;
    match compression {
        // "::" stands for at least two groups: beside it at most 6 hexadecimal groups, or 4
        // and an IPv4 suffix (which counts as two). Without it, a ninth group was refused
        // where it stands, by `Groups::push`.
        Some(_) if count > 6 => Err(err(0, Ipv6Problem::TooManyGroups)),
        None if count < 8 => Err(err(0, Ipv6Problem::TooFewGroups)),
        _ => {
            let mut groups = head_groups.values;
            let offset = 8 - tail_groups.len;
            for (slot, g) in groups
                .iter_mut()
                .skip(offset)
                .zip(tail_groups.values.iter().take(tail_groups.len))
            {
                *slot = *g;
            }
            Ok(Ipv6Addr::from(groups))
        }
    }
}

/// The 16-bit groups on one side of `::`, at most 8.
#[derive(Default)]
struct Groups {
    values: [u16; 8],
    len: usize,
}

impl Groups {
    /// Parses `IPv6-hex *(":" IPv6-hex)` (empty allowed), with an IPv4 suffix as the last
    /// element when `v4_allowed`; errors carry the offset of the offending group.
    fn parse(&mut self, s: &[u8], at: usize, v4_allowed: bool) -> Result<(), (usize, Ipv6Problem)> {
        if s.is_empty() {
            return Ok(());
        }
        let mut pos = at;
        let mut parts = s.split(|&b| b == b':').peekable();
        while let Some(g) = parts.next() {
            let is_last = parts.peek().is_none();
            if g.contains(&b'.') {
                let octets = parse_ipv4_octets(g)
                    .filter(|_| is_last && v4_allowed)
                    .ok_or((pos, Ipv6Problem::BadIpv4Suffix))?;
                self.push(u16::from_be_bytes([octets[0], octets[1]]), pos)?;
                self.push(u16::from_be_bytes([octets[2], octets[3]]), pos)?;
            } else {
                let value = parse_hex_group(g).ok_or((pos, Ipv6Problem::BadGroup))?;
                self.push(value, pos)?;
            }
            pos += g.len() + 1;
        }
        Ok(())
    }

    fn push(&mut self, value: u16, at: usize) -> Result<(), (usize, Ipv6Problem)> {
        let slot = self
            .values
            .get_mut(self.len)
            .ok_or((at, Ipv6Problem::TooManyGroups))?;
        *slot = value;
        self.len += 1;
        Ok(())
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
