//! `Host`: what follows the `@` of a mailbox.

use std::fmt;
use std::str::FromStr;

use super::{AddressEncoding, AddressError, AddressLiteral, Domain};

/// The part of a mailbox after the `@`: `Domain / address-literal` (RFC 5321 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, possibly with U-labels.
    Domain(Domain),
    /// An address literal such as `[192.0.2.1]`.
    Literal(AddressLiteral),
}

impl Host {
    /// The domain, if this is one.
    pub fn domain(&self) -> Option<&Domain> {
        match self {
            Host::Domain(d) => Some(d),
            Host::Literal(_) => None,
        }
    }

    /// The address literal, if this is one.
    pub fn address_literal(&self) -> Option<&AddressLiteral> {
        match self {
            Host::Domain(_) => None,
            Host::Literal(l) => Some(l),
        }
    }

    /// Whether the host is ASCII as given.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }

    /// Always `false`: a domain can be written as A-labels (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Builds a host that a caller validated already: an address literal when it starts
    /// with `[` ([`AddressLiteral::from_unchecked`]), else [`Domain::from_unchecked`]; both
    /// refuse empty input, control characters, SP, `<` and `>`.
    pub fn from_unchecked(host: &str) -> Result<Self, AddressError> {
        if host.starts_with('[') {
            AddressLiteral::from_unchecked(host).map(Host::Literal)
        } else {
            Domain::from_unchecked(host).map(Host::Domain)
        }
    }

    /// Appends the host; with [`AddressEncoding::Ascii`] a domain is written as A-labels.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        match self {
            Host::Domain(d) => d.write_to(out, enc),
            Host::Literal(l) => l.write_to(out),
        }
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        match self {
            Host::Domain(d) => d.encoded_len(enc),
            Host::Literal(l) => l.encoded_len(),
        }
    }

    /// Parses all of `s`; `base` is its offset in the caller's input.
    pub(crate) fn parse_at(s: &str, base: usize) -> Result<Self, AddressError> {
        if s.starts_with('[') {
            AddressLiteral::parse_at(s, base).map(Host::Literal)
        } else {
            Domain::parse_at(s, base).map(Host::Domain)
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => d.fmt(f),
            Host::Literal(l) => l.fmt(f),
        }
    }
}

impl FromStr for Host {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        Self::parse_at(s, 0)
    }
}

impl TryFrom<&str> for Host {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl TryFrom<String> for Host {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl From<Domain> for Host {
    fn from(d: Domain) -> Self {
        Host::Domain(d)
    }
}

impl From<AddressLiteral> for Host {
    fn from(l: AddressLiteral) -> Self {
        Host::Literal(l)
    }
}
