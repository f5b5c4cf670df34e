//! `ClientId`: the argument of EHLO, HELO and LHLO (RFC 5321 §4.1.1.1).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::chars::refuse_controls;
use super::{AddressEncoding, AddressError, AddressLiteral, Domain, Host, idn};

/// How the client names itself in EHLO/HELO/LHLO: `Domain / address-literal`
/// (RFC 5321 §4.1.1.1), always ASCII.
///
/// A domain is held in LDH or A-label form: U-labels are converted to A-labels at
/// construction (RFC 6531 §3.7.1: EHLO carries no UTF-8), so [`Display`](fmt::Display)
/// shows exactly what is sent and display then parse is the identity.
///
/// ```
/// use smtp_proto::syntax::ClientId;
/// assert_eq!("bücher.example".parse::<ClientId>()?.to_string(), "xn--bcher-kva.example");
/// assert_eq!(ClientId::from_host_name("192.0.2.7")?.to_string(), "[192.0.2.7]");
/// assert_eq!(ClientId::localhost().to_string(), "localhost");
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientId {
    /// A domain here is always ASCII.
    host: Host,
}

impl ClientId {
    /// `localhost`, for clients that know no better name.
    pub fn localhost() -> Self {
        ClientId {
            host: Host::Domain(Domain::localhost()),
        }
    }

    /// Converts a host name as an operating system reports it: an IP address becomes an
    /// address literal; a name may hold Unicode (mapped leniently with UTS #46, then
    /// converted to A-labels) and one trailing dot (dropped); the result must be a valid
    /// RFC 5321 domain. No IO: the adapters read the OS host name.
    ///
    /// A name that is not a valid domain (an underscore, say) is an error; callers may then
    /// fall back to [`ClientId::localhost`] or to an address literal of the local address.
    pub fn from_host_name(name: &str) -> Result<Self, AddressError> {
        refuse_controls(name, 0)?;
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Ok(ClientId::from(ip));
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_ascii() {
            return Domain::parse_at(name, 0).map(ClientId::from);
        }
        let ascii =
            idn::to_ascii_lenient(name, true).ok_or(AddressError::InvalidULabel { at: 0 })?;
        Domain::parse_at(&ascii, 0).map(ClientId::from)
    }

    /// Builds an identity that a caller validated already: an address literal when it starts
    /// with `[`, else a domain (converted to A-labels), as [`Host::from_unchecked`] does.
    /// Empty input (`EHLO ` with nothing after it), control characters, SP, `<`, `>` and
    /// anything else [`Domain::from_unchecked`] or [`AddressLiteral::from_unchecked`]
    /// refuses is refused.
    pub fn from_unchecked(id: &str) -> Result<Self, AddressError> {
        Host::from_unchecked(id).map(ClientId::from)
    }

    /// The domain or address literal.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The domain (ASCII), if this is one.
    pub fn domain(&self) -> Option<&Domain> {
        self.host.domain()
    }

    /// The address literal, if this is one.
    pub fn address_literal(&self) -> Option<&AddressLiteral> {
        self.host.address_literal()
    }

    /// Always `false`: the client identity is always ASCII.
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Appends the identity as sent after `EHLO `.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        self.host.write_to(out, AddressEncoding::Ascii);
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self) -> usize {
        self.host.encoded_len(AddressEncoding::Ascii)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.host.fmt(f)
    }
}

impl FromStr for ClientId {
    type Err = AddressError;

    /// Parses a domain (U-labels allowed, converted) or an address literal, strictly.
    fn from_str(s: &str) -> Result<Self, AddressError> {
        Host::parse_at(s, 0).map(ClientId::from)
    }
}

impl TryFrom<&str> for ClientId {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl TryFrom<String> for ClientId {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl From<Host> for ClientId {
    /// A domain is converted to its A-label form.
    fn from(host: Host) -> Self {
        match host {
            Host::Domain(d) => ClientId::from(d),
            Host::Literal(l) => ClientId::from(l),
        }
    }
}

impl From<Domain> for ClientId {
    /// The domain is converted to its A-label form.
    fn from(domain: Domain) -> Self {
        ClientId {
            host: Host::Domain(domain.into_ascii()),
        }
    }
}

impl From<AddressLiteral> for ClientId {
    fn from(literal: AddressLiteral) -> Self {
        ClientId {
            host: Host::Literal(literal),
        }
    }
}

impl From<IpAddr> for ClientId {
    fn from(ip: IpAddr) -> Self {
        ClientId::from(AddressLiteral::from(ip))
    }
}
