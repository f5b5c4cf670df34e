//! `ReversePath` and `ForwardPath`: the bracketed paths of MAIL and RCPT (RFC 5321 §4.1.2).

use std::fmt;
use std::str::FromStr;

use super::error::unexpected;
use super::mailbox::MAX_PATH;
use super::{AddressEncoding, AddressError, Domain, Mailbox};

/// The reverse path of `MAIL FROM:` (RFC 5321 §4.1.2): `Path / "<>"`.
///
/// [`FromStr`] takes the wire form with angle brackets. A source route (`<@a,@b:user@c>`)
/// is checked and dropped, as RFC 5321 §4.1.1.3 and Appendix C tell a receiver to do: it is
/// never written back.
///
/// ```
/// use smtp_proto::syntax::{AddressEncoding, ReversePath};
/// let p: ReversePath = "<@relay.example:user@example.com>".parse()?;
/// assert_eq!(p.to_string(), "<user@example.com>");
/// assert_eq!("<>".parse::<ReversePath>()?, ReversePath::Null);
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// The null reverse path `<>`, used for notifications (RFC 5321 §4.5.5).
    Null,
    /// A mailbox.
    Mailbox(Mailbox),
}

/// The forward path of `RCPT TO:` (RFC 5321 §4.1.1.3): `"<Postmaster>"` or a `Path`.
///
/// [`FromStr`] takes the wire form with angle brackets; `<Postmaster>` is matched without
/// regard to case and written `<Postmaster>`. A source route is checked and dropped.
///
/// ```
/// use smtp_proto::syntax::ForwardPath;
/// assert_eq!("<postmaster>".parse::<ForwardPath>()?, ForwardPath::Postmaster);
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (RFC 5321 §4.5.1).
    Postmaster,
    /// A mailbox.
    Mailbox(Mailbox),
}

/// What sits between the angle brackets, the source route already dropped.
enum Inner<'a> {
    Empty,
    Text(&'a str, usize),
}

/// Splits `<[A-d-l ":"] inner>` and checks the brackets, the length and the source route.
fn parse_brackets(s: &str) -> Result<Inner<'_>, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty { expected: "'<'" });
    }
    if s.len() > MAX_PATH {
        return Err(AddressError::PathTooLong { len: s.len() });
    }
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'<') {
        return Err(unexpected(s, 0, 0, "'<'"));
    }
    // A mailbox may hold '>' only inside a quoted local part, so the path ends at the last.
    let Some(close) = memchr::memrchr(b'>', bytes) else {
        return Err(missing_close(s));
    };
    if close + 1 != s.len() {
        return Err(unexpected(s, close + 1, 0, "end of the path after '>'"));
    }
    let inner = s.get(1..close).unwrap_or_default();
    if inner.is_empty() {
        return Ok(Inner::Empty);
    }
    if inner.starts_with('@') {
        let skip = skip_source_route(inner, 1)?;
        let rest = inner.get(skip..).unwrap_or_default();
        return Ok(Inner::Text(rest, 1 + skip));
    }
    Ok(Inner::Text(inner, 1))
}

/// The error for a path without its closing `>`: a control character if there is one.
fn missing_close(s: &str) -> AddressError {
    match s.bytes().position(super::chars::is_control_byte) {
        Some(i) => unexpected(s, i, 0, "'>'"),
        None => AddressError::UnexpectedEnd {
            at: s.len(),
            expected: "'>'",
        },
    }
}

/// Checks `A-d-l ":"` (`At-domain *( "," At-domain )`, `At-domain = "@" Domain`) and
/// returns its length.
fn skip_source_route(s: &str, base: usize) -> Result<usize, AddressError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        if bytes.get(i) != Some(&b'@') {
            return Err(unexpected(s, i, base, "'@' of a source route"));
        }
        let start = i + 1;
        let rest = bytes.get(start..).unwrap_or_default();
        let Some(len) = memchr::memchr2(b',', b':', rest) else {
            return Err(AddressError::UnexpectedEnd {
                at: base + s.len(),
                expected: "':' after the source route",
            });
        };
        if len == 0 {
            return Err(unexpected(s, start, base, "domain of a source route"));
        }
        Domain::parse_at(s.get(start..start + len).unwrap_or_default(), base + start)?;
        i = start + len + 1;
        if rest.get(len) == Some(&b':') {
            return Ok(i);
        }
    }
}

/// Appends `<mailbox>`.
fn write_bracketed(mailbox: &Mailbox, out: &mut Vec<u8>, enc: AddressEncoding) {
    out.reserve(mailbox.encoded_len(enc) + 2);
    out.push(b'<');
    mailbox.write_to(out, enc);
    out.push(b'>');
}

impl ReversePath {
    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(m) => Some(m),
        }
    }

    /// Whether this is the null path `<>`.
    pub fn is_null(&self) -> bool {
        matches!(self, ReversePath::Null)
    }

    /// Builds a path from a mailbox (without angle brackets) that a caller validated
    /// already, as [`Mailbox::from_unchecked`] does: no length limit and no fine grammar,
    /// but empty input, control characters and any `<`, `>` or SP outside a well-formed
    /// quoted local part are refused, so brackets cannot be doubled and the path always ends
    /// at the `>` the encoder writes.
    pub fn from_unchecked(mailbox: &str) -> Result<Self, AddressError> {
        Mailbox::from_unchecked(mailbox).map(ReversePath::Mailbox)
    }

    /// True when the mailbox's local part is non-ASCII (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.mailbox().is_some_and(Mailbox::needs_smtputf8)
    }

    /// Appends the path with its angle brackets (`<>`, `<a@b>`); with
    /// [`AddressEncoding::Ascii`] a domain is written in A-labels.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        match self {
            ReversePath::Null => out.extend_from_slice(b"<>"),
            ReversePath::Mailbox(m) => write_bracketed(m, out, enc),
        }
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        match self {
            ReversePath::Null => 2,
            ReversePath::Mailbox(m) => m.encoded_len(enc) + 2,
        }
    }
}

impl ForwardPath {
    /// The mailbox, unless this is `<Postmaster>`.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(m) => Some(m),
        }
    }

    /// Whether this is `<Postmaster>` without a domain.
    pub fn is_postmaster(&self) -> bool {
        matches!(self, ForwardPath::Postmaster)
    }

    /// Builds a path from a mailbox (without angle brackets) that a caller validated
    /// already, as [`Mailbox::from_unchecked`] does: no length limit and no fine grammar,
    /// but empty input, control characters and any `<`, `>` or SP outside a well-formed
    /// quoted local part are refused, so brackets cannot be doubled and the path always ends
    /// at the `>` the encoder writes.
    pub fn from_unchecked(mailbox: &str) -> Result<Self, AddressError> {
        Mailbox::from_unchecked(mailbox).map(ForwardPath::Mailbox)
    }

    /// True when the mailbox's local part is non-ASCII (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.mailbox().is_some_and(Mailbox::needs_smtputf8)
    }

    /// Appends the path with its angle brackets (`<Postmaster>`, `<a@b>`); with
    /// [`AddressEncoding::Ascii`] a domain is written in A-labels.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        match self {
            ForwardPath::Postmaster => out.extend_from_slice(b"<Postmaster>"),
            ForwardPath::Mailbox(m) => write_bracketed(m, out, enc),
        }
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        match self {
            ForwardPath::Postmaster => "<Postmaster>".len(),
            ForwardPath::Mailbox(m) => m.encoded_len(enc) + 2,
        }
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

impl FromStr for ReversePath {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        match parse_brackets(s)? {
            Inner::Empty => Ok(ReversePath::Null),
            Inner::Text(text, base) => Mailbox::parse_at(text, base).map(ReversePath::Mailbox),
        }
    }
}

impl FromStr for ForwardPath {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        match parse_brackets(s)? {
            Inner::Empty => Err(AddressError::NullPath),
            // A source route before Postmaster is not in the grammar: only `<Postmaster>`.
            Inner::Text(text, 1) if text.eq_ignore_ascii_case("Postmaster") => {
                Ok(ForwardPath::Postmaster)
            }
            Inner::Text(text, base) => Mailbox::parse_at(text, base).map(ForwardPath::Mailbox),
        }
    }
}

impl From<Mailbox> for ReversePath {
    fn from(m: Mailbox) -> Self {
        ReversePath::Mailbox(m)
    }
}

impl From<Mailbox> for ForwardPath {
    fn from(m: Mailbox) -> Self {
        ForwardPath::Mailbox(m)
    }
}

macro_rules! try_from_str {
    ($($t:ty),*) => {$(
        impl TryFrom<&str> for $t {
            type Error = AddressError;

            fn try_from(s: &str) -> Result<Self, AddressError> {
                s.parse()
            }
        }

        impl TryFrom<String> for $t {
            type Error = AddressError;

            fn try_from(s: String) -> Result<Self, AddressError> {
                s.parse()
            }
        }
    )*};
}

try_from_str!(ReversePath, ForwardPath);
