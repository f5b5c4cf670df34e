//! `LocalPart`: Dot-string or Quoted-string (RFC 5321 §4.1.2, RFC 6531 §3.3).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::AddressError;
use super::chars::{is_atext, is_c1_at, is_qtext, refuse_controls};
use super::error::unexpected;

const MAX_LOCAL_PART: usize = 64;

/// The local part of a mailbox: `Dot-string / Quoted-string` (RFC 5321 §4.1.2), with the
/// UTF-8 characters RFC 6531 §3.3 adds to `atext` and `qtextSMTP`.
///
/// RFC 5321 §4.1.2: "all quoted forms MUST be treated as equivalent, and the sending system
/// SHOULD transmit the form that uses the minimum quoting possible". So a value holds the
/// minimal form: a Dot-string when the content is one, else a Quoted-string escaping only
/// `"` and `\`. `"abc"` parses to the same value as `abc`, [`Display`](fmt::Display) writes
/// `abc`, and display then parse is the identity. Equality is structural on that form and
/// case-sensitive (RFC 5321 §2.4). [`value`](Self::value) gives the unquoted content.
///
/// Strict parsing allows at most 64 octets (RFC 5321 §4.5.3.1.1) as given.
///
/// ```
/// use smtp_proto::syntax::LocalPart;
/// let lp: LocalPart = r#""john\.doe""#.parse()?;
/// assert_eq!(lp.as_str(), "john.doe");
/// let lp: LocalPart = r#""a b\"c""#.parse()?;
/// assert_eq!(lp.as_str(), r#""a b\"c""#);
/// assert_eq!(lp.value(), r#"a b"c"#);
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalPart {
    /// The wire form: minimal for checked values, as given for unchecked ones.
    text: String,
}

impl LocalPart {
    /// The local part as written on the wire.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is written as a Quoted-string.
    pub fn is_quoted(&self) -> bool {
        self.text.starts_with('"')
    }

    /// The content: quotes removed and quoted pairs resolved.
    pub fn value(&self) -> Cow<'_, str> {
        let Some(inner) = self
            .text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
        else {
            return Cow::Borrowed(&self.text);
        };
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        Cow::Owned(unescape(inner))
    }

    /// Whether the local part is non-ASCII and so needs SMTPUTF8 (RFC 6531 §3.2); unlike a
    /// domain it has no ASCII form.
    pub fn needs_smtputf8(&self) -> bool {
        !self.text.is_ascii()
    }

    /// Builds a local part from its content, quoting it only when needed.
    ///
    /// Every printable ASCII character, the space and every non-control non-ASCII character
    /// can be represented; control characters are refused, and so is a result over 64 octets.
    ///
    /// ```
    /// use smtp_proto::syntax::LocalPart;
    /// assert_eq!(LocalPart::from_value("a b")?.as_str(), "\"a b\"");
    /// assert_eq!(LocalPart::from_value("jörg")?.as_str(), "jörg");
    /// # Ok::<(), smtp_proto::syntax::AddressError>(())
    /// ```
    pub fn from_value(value: &str) -> Result<Self, AddressError> {
        refuse_controls(value, 0)?;
        let text = minimal_form(value);
        if text.len() > MAX_LOCAL_PART {
            return Err(AddressError::LocalPartTooLong { len: text.len() });
        }
        Ok(LocalPart { text })
    }

    /// Builds a local part from its wire form (Dot-string or Quoted-string) that a caller
    /// validated already: the length and, for a Dot-string, empty atoms (leading, trailing
    /// or doubled dots) are not checked, and the form is kept as given (so `"abc"` built
    /// this way differs from the checked, minimal `abc`).
    ///
    /// Still refused, so that the local part cannot end the path or the line: empty input
    /// ([`AddressError::Empty`]), control characters C0, DEL, C1 ([`AddressError::Control`]);
    /// a value starting with `"` must be exactly one well-formed Quoted-string
    /// (`qtextSMTP`, `quoted-pairSMTP`, non-ASCII), so that its closing quote really closes
    /// it and the SP or `>` it may hold stay inside ([`AddressError::UnterminatedQuote`],
    /// [`AddressError::UnexpectedChar`]); any other value may hold only `atext`, `.` and
    /// non-ASCII, so never SP, `<`, `>`, `@`, `"` or `\` ([`AddressError::UnexpectedChar`]).
    pub fn from_unchecked(local_part: impl Into<String>) -> Result<Self, AddressError> {
        let text = local_part.into();
        if text.is_empty() {
            return Err(AddressError::Empty {
                expected: "local part",
            });
        }
        refuse_controls(&text, 0)?;
        if text.starts_with('"') {
            let end = scan_quoted(&text, 0)?;
            if end != text.len() {
                return Err(unexpected(&text, end, 0, "end of the quoted local part"));
            }
        } else if let Some(i) = text
            .bytes()
            .position(|b| b.is_ascii() && !(is_atext(b) || b == b'.'))
        {
            return Err(unexpected(&text, i, 0, "atom character or '.'"));
        }
        Ok(LocalPart { text })
    }

    /// Parses a local part at the start of `s` and returns it with the number of bytes it
    /// took; `base` is the offset of `s` in the caller's input. The 64-octet limit is checked.
    pub(crate) fn parse_prefix(s: &str, base: usize) -> Result<(Self, usize), AddressError> {
        let bytes = s.as_bytes();
        let (text, end) = if bytes.first() == Some(&b'"') {
            let end = scan_quoted(s, base)?;
            let inner = s.get(1..end - 1).unwrap_or_default();
            let text = if inner.contains('\\') {
                minimal_form(&unescape(inner))
            } else {
                minimal_form(inner)
            };
            (text, end)
        } else {
            let end = scan_dot_string(s, base)?;
            (s.get(..end).unwrap_or_default().to_owned(), end)
        };
        if end > MAX_LOCAL_PART {
            return Err(AddressError::LocalPartTooLong { len: end });
        }
        Ok((LocalPart { text }, end))
    }
}

/// Scans `Atom *("." Atom)` from the start of `s`; returns where it ends.
fn scan_dot_string(s: &str, base: usize) -> Result<usize, AddressError> {
    let bytes = s.as_bytes();
    let mut atom_start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'.' {
            if i == atom_start {
                return Err(AddressError::EmptyAtom { at: base + i });
            }
            atom_start = i + 1;
        } else if b >= 0x80 {
            if is_c1_at(bytes, i) {
                return Err(unexpected(s, i, base, "atom character"));
            }
        } else if !is_atext(b) {
            break;
        }
        i += 1;
    }
    if i == 0 {
        return Err(unexpected(s, 0, base, "local part (atom or quoted string)"));
    }
    if i == atom_start {
        return Err(AddressError::EmptyAtom { at: base + i });
    }
    Ok(i)
}

/// Scans a Quoted-string from the opening quote at `s[0]`; returns the offset after the
/// closing quote.
fn scan_quoted(s: &str, base: usize) -> Result<usize, AddressError> {
    let bytes = s.as_bytes();
    let mut i = 1;
    loop {
        match bytes.get(i) {
            None => return Err(AddressError::UnterminatedQuote { at: base }),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match bytes.get(i + 1) {
                // quoted-pairSMTP = %d92 %d32-126
                Some(32..=126) => i += 2,
                None => return Err(AddressError::UnterminatedQuote { at: base }),
                Some(_) => {
                    return Err(unexpected(s, i + 1, base, "printable ASCII after '\\'"));
                }
            },
            Some(&b) if b >= 0x80 => {
                if is_c1_at(bytes, i) {
                    return Err(unexpected(s, i, base, "quoted-string character"));
                }
                i += 1;
            }
            Some(&b) if is_qtext(b) => i += 1,
            Some(_) => {
                return Err(unexpected(s, i, base, "quoted-string character"));
            }
        }
    }
}

/// Resolves quoted pairs.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `value` can be written as a Dot-string.
fn is_dot_string(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.first() != Some(&b'.')
        && bytes.last() != Some(&b'.')
        && memchr::memmem::find(bytes, b"..").is_none()
        && bytes.iter().all(|&b| b == b'.' || b >= 0x80 || is_atext(b))
}

/// The minimal wire form of a content (RFC 5321 §4.1.2: minimum quoting).
fn minimal_form(value: &str) -> String {
    if is_dot_string(value) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for LocalPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for LocalPart {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty {
                expected: "local part",
            });
        }
        let (local, end) = Self::parse_prefix(s, 0)?;
        if end != s.len() {
            return Err(unexpected(s, end, 0, "end of the local part"));
        }
        Ok(local)
    }
}

impl TryFrom<&str> for LocalPart {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl TryFrom<String> for LocalPart {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        s.parse()
    }
}
