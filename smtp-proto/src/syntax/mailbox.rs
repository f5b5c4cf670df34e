//! `Mailbox`: `Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2).

use std::fmt;
use std::str::FromStr;

use super::chars::refuse_controls;
use super::error::unexpected;
use super::{AddressEncoding, AddressError, Host, LocalPart};

/// The longest path, angle brackets included (RFC 5321 §4.5.3.1.3).
pub(crate) const MAX_PATH: usize = 256;

/// A mailbox: `Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2, RFC 6531 §3.3).
///
/// [`FromStr`] takes `local@host` without angle brackets, strictly: local part at most 64
/// octets, and the path it makes (`<local@host>`) at most 256 octets in both the UTF-8 and
/// the A-label form (RFC 5321 §4.5.3.1.3). Equality is structural: the local part is
/// case-sensitive (RFC 5321 §2.4) and kept in its minimal quoting, the domain as given.
///
/// ```
/// use smtp_proto::syntax::{AddressEncoding, Mailbox};
/// let m: Mailbox = "user@bücher.example".parse()?;
/// assert!(!m.needs_smtputf8());
/// let mut out = Vec::new();
/// m.write_to(&mut out, AddressEncoding::Ascii);
/// assert_eq!(out, b"user@xn--bcher-kva.example");
/// assert_eq!(m.encoded_len(AddressEncoding::Ascii), out.len());
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local_part: LocalPart,
    host: Host,
}

impl Mailbox {
    /// Builds a mailbox from checked parts, refusing one whose path would exceed 256 octets.
    pub fn new(local_part: LocalPart, host: Host) -> Result<Self, AddressError> {
        let mailbox = Mailbox { local_part, host };
        mailbox.check_path_length()?;
        Ok(mailbox)
    }

    /// Builds a mailbox that a caller validated already, from `local@host`.
    ///
    /// It splits at the last `@` (a domain holds none; a quoted local part may) and builds
    /// the parts with [`LocalPart::from_unchecked`] and [`Host::from_unchecked`], which say
    /// what each still refuses: no length limits, no fine grammar, but never empty input,
    /// control characters, or a SP, `<` or `>` outside a well-formed quoted local part,
    /// so `<mailbox>` always ends at the `>` the encoder writes. Error offsets are into
    /// `mailbox`.
    pub fn from_unchecked(mailbox: &str) -> Result<Self, AddressError> {
        if mailbox.is_empty() {
            return Err(AddressError::Empty {
                expected: "mailbox",
            });
        }
        refuse_controls(mailbox, 0)?;
        let Some(at) = memchr::memrchr(b'@', mailbox.as_bytes()) else {
            return Err(AddressError::UnexpectedEnd {
                at: mailbox.len(),
                expected: "'@'",
            });
        };
        let local = mailbox.get(..at).unwrap_or_default();
        let host = mailbox.get(at + 1..).unwrap_or_default();
        Ok(Mailbox {
            local_part: LocalPart::from_unchecked(local)?,
            host: Host::from_unchecked(host).map_err(|e| e.shifted(at + 1))?,
        })
    }

    /// The local part.
    pub fn local_part(&self) -> &LocalPart {
        &self.local_part
    }

    /// The part after the `@`.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Splits the mailbox into its parts.
    pub fn into_parts(self) -> (LocalPart, Host) {
        (self.local_part, self.host)
    }

    /// True when the local part is non-ASCII (RFC 6531 §3.2); a non-ASCII domain alone does
    /// not need SMTPUTF8: it is sent as A-labels.
    pub fn needs_smtputf8(&self) -> bool {
        self.local_part.needs_smtputf8()
    }

    /// Appends the mailbox (no angle brackets); with [`AddressEncoding::Ascii`] the domain is
    /// written in A-labels.
    ///
    /// Infallible; callers check [`needs_smtputf8`](Self::needs_smtputf8) first when the
    /// encoding is `Ascii` (a non-ASCII local part is then written as is).
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        out.reserve(self.encoded_len(enc));
        out.extend_from_slice(self.local_part.as_str().as_bytes());
        out.push(b'@');
        self.host.write_to(out, enc);
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        self.local_part.as_str().len() + 1 + self.host.encoded_len(enc)
    }

    /// Refuses a mailbox whose path `<...>` would exceed 256 octets in either encoding.
    fn check_path_length(&self) -> Result<(), AddressError> {
        let host_len = match &self.host {
            Host::Domain(d) => d
                .encoded_len(AddressEncoding::Utf8)
                .max(d.encoded_len(AddressEncoding::Ascii)),
            // Formatted once: a literal is the same in both encodings.
            Host::Literal(l) => l.encoded_len(),
        };
        let len = 2 + self.local_part.as_str().len() + 1 + host_len;
        if len > MAX_PATH {
            return Err(AddressError::PathTooLong { len });
        }
        Ok(())
    }

    /// Parses all of `s` as `local@host`; `base` is its offset in the caller's input.
    pub(crate) fn parse_at(s: &str, base: usize) -> Result<Self, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty {
                expected: "mailbox",
            });
        }
        let (local_part, end) = LocalPart::parse_prefix(s, base)?;
        if s.as_bytes().get(end) != Some(&b'@') {
            return Err(unexpected(s, end, base, "'@' after the local part"));
        }
        let host_text = s.get(end + 1..).unwrap_or_default();
        if host_text.is_empty() {
            return Err(AddressError::UnexpectedEnd {
                at: base + s.len(),
                expected: "domain or address literal after '@'",
            });
        }
        let host = Host::parse_at(host_text, base + end + 1)?;
        let mailbox = Mailbox { local_part, host };
        mailbox.check_path_length()?;
        Ok(mailbox)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local_part, self.host)
    }
}

impl FromStr for Mailbox {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        Self::parse_at(s, 0)
    }
}

impl TryFrom<&str> for Mailbox {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl TryFrom<String> for Mailbox {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        s.parse()
    }
}
