//! `AddressLiteral`: `[1.2.3.4]`, `[IPv6:...]` and `[tag:content]` (RFC 5321 §4.1.3).

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::chars::{is_control_byte, is_dcontent, is_ldh, is_let_dig, refuse_controls};
use super::error::unexpected;
use super::{AddressError, ip};

/// An address literal (RFC 5321 §4.1.3), the bracketed alternative to a domain.
///
/// IPv4 and IPv6 literals hold `std::net` addresses, parsed in every form the RFC allows
/// (IPv6-full, IPv6-comp, IPv6v4-full, IPv6v4-comp); they display in the canonical form of
/// RFC 5952 (`[IPv6:2001:db8::1]`), which the parser accepts back, so display then parse
/// is the identity. The `IPv6` tag is matched without regard to case.
///
/// ```
/// use smtp_proto::syntax::AddressLiteral;
/// use std::net::Ipv6Addr;
/// let lit: AddressLiteral = "[IPv6:2001:db8:0:0:0:0:0:1]".parse()?;
/// assert_eq!(lit, AddressLiteral::Ipv6("2001:db8::1".parse::<Ipv6Addr>().unwrap()));
/// assert_eq!(lit.to_string(), "[IPv6:2001:db8::1]");
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressLiteral {
    /// `[1.2.3.4]`.
    Ipv4(Ipv4Addr),
    /// `[IPv6:...]`.
    Ipv6(Ipv6Addr),
    /// `[tag:content]`: `General-address-literal = Standardized-tag ":" 1*dcontent`.
    General(GeneralLiteral),
}

/// A general address literal's tag and content (RFC 5321 §4.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GeneralLiteral {
    /// `tag ":" content`, without the brackets.
    text: String,
    tag_len: usize,
}

impl GeneralLiteral {
    /// Builds a general literal, checking `Standardized-tag = Ldh-str` and
    /// `1*dcontent` (`%d33-90 / %d94-126`). The tag `IPv6` is refused: it has its own form.
    pub fn new(tag: &str, content: &str) -> Result<Self, AddressError> {
        let text = format!("{tag}:{content}");
        validate_general(&text, tag.len(), 1)?;
        Ok(GeneralLiteral {
            text,
            tag_len: tag.len(),
        })
    }

    /// Builds a general literal that a caller validated already: the tag `IPv6` is not
    /// refused and the tag may start or end with a hyphen.
    ///
    /// Still refused, so that the literal stays one token: an empty tag or content
    /// ([`AddressError::Empty`]), control characters ([`AddressError::Control`]), in the tag
    /// anything but letters, digits and `-`, in the content anything but `dcontent`
    /// (printable ASCII except SP, `[`, `\`, `]`) and the `<` and `>` that would end a
    /// path ([`AddressError::UnexpectedChar`]; non-ASCII included: RFC 6531 §3.3 keeps
    /// literals ASCII).
    pub fn from_unchecked(tag: &str, content: &str) -> Result<Self, AddressError> {
        if tag.is_empty() || content.is_empty() {
            return Err(AddressError::Empty {
                expected: "tag and content of an address literal",
            });
        }
        let text = format!("{tag}:{content}");
        refuse_controls(&text, 1)?;
        if let Some(i) = tag.bytes().position(|b| !is_ldh(b)) {
            return Err(unexpected(
                &text,
                i,
                1,
                "letter, digit or '-' of a literal tag",
            ));
        }
        let content_ok = |b: u8| is_dcontent(b) && b != b'<' && b != b'>';
        if let Some(i) = content.bytes().position(|b| !content_ok(b)) {
            return Err(unexpected(
                &text,
                tag.len() + 1 + i,
                1,
                "dcontent other than '<' and '>'",
            ));
        }
        Ok(GeneralLiteral {
            text,
            tag_len: tag.len(),
        })
    }

    /// The `Standardized-tag`.
    pub fn tag(&self) -> &str {
        self.text.get(..self.tag_len).unwrap_or_default()
    }

    /// The content after the colon.
    pub fn content(&self) -> &str {
        self.text.get(self.tag_len + 1..).unwrap_or_default()
    }
}

impl AddressLiteral {
    /// The IP address, for the IPv4 and IPv6 forms.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            AddressLiteral::Ipv4(a) => Some(IpAddr::V4(*a)),
            AddressLiteral::Ipv6(a) => Some(IpAddr::V6(*a)),
            AddressLiteral::General(_) => None,
        }
    }

    /// Always `false`: address literals are ASCII.
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Builds a literal that a caller validated already, from its bracketed text.
    ///
    /// IPv4 and IPv6 forms (no tag, or the `IPv6` tag) are parsed strictly; anything else
    /// becomes a general literal split at its first colon, checked as
    /// [`GeneralLiteral::from_unchecked`] does (no SP, `<`, `>`, `[`, `]`, controls or
    /// non-ASCII inside). Anything but one `[` at the start and one `]` at the end is
    /// refused.
    pub fn from_unchecked(literal: &str) -> Result<Self, AddressError> {
        refuse_controls(literal, 0)?;
        let strict = literal.parse();
        let inner = literal
            .strip_prefix('[')
            .ok_or_else(|| unexpected(literal, 0, 0, "'['"))?;
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| unexpected(literal, literal.len(), 0, "']'"))?;
        match inner.split_once(':') {
            // Without a tag it can only be IPv4; with the IPv6 tag only IPv6.
            None => strict,
            Some((tag, _)) if tag.eq_ignore_ascii_case("IPv6") => strict,
            // Not the strict parse even when it succeeds: the grammar allows `<` and `>`
            // in dcontent, which must not reach a path unchecked.
            Some((tag, content)) => {
                GeneralLiteral::from_unchecked(tag, content).map(AddressLiteral::General)
            }
        }
    }

    /// Appends the literal with its brackets.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail.
        let _ = write!(VecWriter(out), "{self}");
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self) -> usize {
        let mut counter = Counter(0);
        let _ = write!(counter, "{self}");
        counter.0
    }

    /// Parses all of `s` (brackets included); `base` is its offset in the caller's input.
    pub(crate) fn parse_at(s: &str, base: usize) -> Result<Self, AddressError> {
        let bytes = s.as_bytes();
        if bytes.first() != Some(&b'[') {
            return Err(unexpected(s, 0, base, "'['"));
        }
        let Some(close) = memchr::memchr(b']', bytes) else {
            return Err(match bytes.iter().position(|&b| is_control_byte(b)) {
                Some(i) => unexpected(s, i, base, "']'"),
                None => AddressError::UnexpectedEnd {
                    at: base + s.len(),
                    expected: "']'",
                },
            });
        };
        if close + 1 != s.len() {
            return Err(unexpected(s, close + 1, base, "end of the address literal"));
        }
        let inner = s.get(1..close).unwrap_or_default();
        let inner_base = base + 1;
        match memchr::memchr(b':', inner.as_bytes()) {
            None => {
                if let Some(i) = inner
                    .bytes()
                    .position(|b| !(b.is_ascii_digit() || b == b'.'))
                {
                    return Err(unexpected(
                        inner,
                        i,
                        inner_base,
                        "digit or '.' of an IPv4 address",
                    ));
                }
                ip::parse_ipv4(inner.as_bytes(), inner_base).map(AddressLiteral::Ipv4)
            }
            Some(colon) => {
                let tag = inner.get(..colon).unwrap_or_default();
                if tag.eq_ignore_ascii_case("IPv6") {
                    let addr = inner.get(colon + 1..).unwrap_or_default();
                    if let Some(i) = addr
                        .bytes()
                        .position(|b| !(b.is_ascii_hexdigit() || b == b':' || b == b'.'))
                    {
                        return Err(unexpected(
                            addr,
                            i,
                            inner_base + colon + 1,
                            "hex digit, ':' or '.'",
                        ));
                    }
                    ip::parse_ipv6(addr.as_bytes(), inner_base + colon + 1)
                        .map(AddressLiteral::Ipv6)
                } else {
                    validate_general(inner, colon, inner_base)?;
                    Ok(AddressLiteral::General(GeneralLiteral {
                        text: inner.to_owned(),
                        tag_len: colon,
                    }))
                }
            }
        }
    }
}

/// Checks `tag ":" 1*dcontent` where the colon is at `tag_len`.
fn validate_general(text: &str, tag_len: usize, base: usize) -> Result<(), AddressError> {
    let bytes = text.as_bytes();
    let tag = bytes.get(..tag_len).unwrap_or_default();
    if let Some(i) = tag.iter().position(|&b| !is_ldh(b)) {
        return Err(unexpected(
            text,
            i,
            base,
            "letter, digit or hyphen in the tag",
        ));
    }
    match tag.last() {
        None => return Err(unexpected(text, 0, base, "address literal tag")),
        Some(&b) if !is_let_dig(b) => {
            return Err(unexpected(
                text,
                tag_len - 1,
                base,
                "tag ending in a letter or digit",
            ));
        }
        Some(_) => {}
    }
    if text
        .get(..tag_len)
        .is_some_and(|t| t.eq_ignore_ascii_case("IPv6"))
    {
        return Err(AddressError::ReservedTag { at: base });
    }
    let content = bytes.get(tag_len + 1..).unwrap_or_default();
    if content.is_empty() {
        return Err(unexpected(
            text,
            tag_len + 1,
            base,
            "address literal content",
        ));
    }
    match content.iter().position(|&b| !is_dcontent(b)) {
        Some(i) => Err(unexpected(
            text,
            tag_len + 1 + i,
            base,
            "printable ASCII except '[', '\\', ']'",
        )),
        None => Ok(()),
    }
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(a) => write!(f, "[{a}]"),
            AddressLiteral::Ipv6(a) => write!(f, "[IPv6:{a}]"),
            AddressLiteral::General(g) => write!(f, "[{g}]"),
        }
    }
}

impl fmt::Display for GeneralLiteral {
    /// Writes `tag:content`, without the brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for GeneralLiteral {
    type Err = AddressError;

    /// Parses `tag:content`, without the brackets.
    fn from_str(s: &str) -> Result<Self, AddressError> {
        let tag_len = memchr::memchr(b':', s.as_bytes()).ok_or(AddressError::UnexpectedEnd {
            at: s.len(),
            expected: "':' after the tag",
        })?;
        validate_general(s, tag_len, 0)?;
        Ok(GeneralLiteral {
            text: s.to_owned(),
            tag_len,
        })
    }
}

impl FromStr for AddressLiteral {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        Self::parse_at(s, 0)
    }
}

impl TryFrom<&str> for AddressLiteral {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl TryFrom<String> for AddressLiteral {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl From<IpAddr> for AddressLiteral {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => AddressLiteral::Ipv4(a),
            IpAddr::V6(a) => AddressLiteral::Ipv6(a),
        }
    }
}

impl From<Ipv4Addr> for AddressLiteral {
    fn from(ip: Ipv4Addr) -> Self {
        AddressLiteral::Ipv4(ip)
    }
}

impl From<Ipv6Addr> for AddressLiteral {
    fn from(ip: Ipv6Addr) -> Self {
        AddressLiteral::Ipv6(ip)
    }
}

/// `fmt::Write` into a byte vector, so IP addresses are formatted without a temporary.
pub(crate) struct VecWriter<'a>(pub(crate) &'a mut Vec<u8>);

impl fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `fmt::Write` that only counts octets.
pub(crate) struct Counter(pub(crate) usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}
