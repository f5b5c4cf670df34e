//! `Domain`: RFC 5321 §4.1.2 host names, with RFC 6531 U-labels.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::chars::{is_ldh, is_let_dig, refuse_controls};
use super::error::unexpected;
use super::{AddressEncoding, AddressError, idn, idna2008};

const MAX_LABEL: usize = 63;
const MAX_DOMAIN: usize = 255;

/// A domain name: `sub-domain *("." sub-domain)` (RFC 5321 §4.1.2), where a sub-domain is an
/// LDH label (`Let-dig [Ldh-str]`) or, per RFC 6531 §3.3, a U-label (RFC 5890).
///
/// The domain keeps the form it was given ([`Display`](fmt::Display) and [`as_str`](Self::as_str)
/// show it, case included) and carries its A-label form, computed and validated at parse time,
/// so [`to_ascii`](Self::to_ascii) cannot fail. Limits (RFC 5321 §4.5.3.1.2): labels at
/// most 63 octets (a U-label's A-label, RFC 5890 §4.2), the domain at most 255 octets both
/// as given and as A-labels. No trailing dot.
///
/// Equality and hashing are structural (the text as given): `Example.COM` and `example.com`
/// are different values. [`eq_ignore_case`](Self::eq_ignore_case) compares as DNS does.
///
/// U-labels must already be in IDNA2008 form (lower case, NFC, no mapping needed; ASCII
/// letters may be in either case) and hold only code points that RFC 5892 permits there
/// ([`AddressError::Idna2008`] names the first that it does not: `☃` is DISALLOWED, a
/// middle dot only stands between two `l`); the `idna` crate's UTS #46 processing checks
/// hyphens, Bidi and joiners. Labels starting with `xn--` must be valid A-labels of such
/// U-labels.
///
/// ```
/// use smtp_proto::syntax::Domain;
/// let d: Domain = "bücher.example".parse()?;
/// assert!(!d.is_ascii());
/// assert_eq!(d.to_ascii(), "xn--bcher-kva.example");
/// assert_eq!(d.to_string(), "bücher.example");
/// # Ok::<(), smtp_proto::syntax::AddressError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain {
    text: String,
    /// The A-label form when `text` is not ASCII.
    ascii: Option<String>,
}

impl Domain {
    /// The domain as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the domain is ASCII as given (LDH labels and A-labels only).
    pub fn is_ascii(&self) -> bool {
        self.ascii.is_none()
    }

    /// The A-label form (RFC 5890 §2.3.2.1): the domain itself when it is ASCII, otherwise
    /// each U-label converted; never fails, it was computed when the value was built.
    pub fn to_ascii(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.ascii.as_deref().unwrap_or(&self.text))
    }

    /// Always `false`: without SMTPUTF8 a domain is written as A-labels (RFC 6531 §3.2).
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Compares as DNS does: the A-label forms, ignoring ASCII case (RFC 5321 §2.4).
    pub fn eq_ignore_case(&self, other: &Domain) -> bool {
        self.to_ascii().eq_ignore_ascii_case(&other.to_ascii())
    }

    /// Builds a domain that a caller validated already, skipping the RFC 5321 grammar
    /// (empty labels, hyphen placement, IDNA2008 strictness) and the length limits.
    ///
    /// Still refused, so that the domain stays one token wherever it is written: empty
    /// input ([`AddressError::Empty`]), control characters C0, DEL, C1
    /// ([`AddressError::Control`]) and any ASCII character but letters, digits, `-`, `.` and
    /// `_` ([`AddressError::UnexpectedChar`]: never SP, `<`, `>`, `@`, `[`). A non-ASCII
    /// name is converted to A-labels with lenient UTS #46 processing; if that fails, or
    /// maps a character into one the ASCII rule refuses (a full-width `>`, say), the result
    /// is [`AddressError::InvalidULabel`].
    pub fn from_unchecked(domain: impl Into<String>) -> Result<Self, AddressError> {
        let text = domain.into();
        if text.is_empty() {
            return Err(AddressError::Empty { expected: "domain" });
        }
        refuse_controls(&text, 0)?;
        if let Some(i) = text
            .bytes()
            .position(|b| b.is_ascii() && !is_unchecked_domain_byte(b))
        {
            return Err(unexpected(&text, i, 0, "letter, digit, '-', '.' or '_'"));
        }
        if text.is_ascii() {
            return Ok(Domain { text, ascii: None });
        }
        match idn::to_ascii_lenient(&text, false) {
            Some(ascii) if !ascii.is_empty() && ascii.bytes().all(is_unchecked_domain_byte) => {
                Ok(Domain {
                    text,
                    ascii: Some(ascii),
                })
            }
            _ => Err(AddressError::InvalidULabel { at: 0 }),
        }
    }

    /// `localhost`.
    pub(crate) fn localhost() -> Domain {
        Domain {
            text: "localhost".to_owned(),
            ascii: None,
        }
    }

    /// The same domain in its A-label form (an ASCII domain is returned as is).
    pub(crate) fn into_ascii(self) -> Domain {
        match self.ascii {
            None => self,
            Some(ascii) => Domain {
                text: ascii,
                ascii: None,
            },
        }
    }

    /// Appends the domain: as given with [`AddressEncoding::Utf8`], as A-labels with
    /// [`AddressEncoding::Ascii`].
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        out.extend_from_slice(self.encoded(enc).as_bytes());
    }

    /// The number of octets [`write_to`](Self::write_to) appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        self.encoded(enc).len()
    }

    fn encoded(&self, enc: AddressEncoding) -> &str {
        match (enc, &self.ascii) {
            (AddressEncoding::Ascii, Some(ascii)) => ascii,
            _ => &self.text,
        }
    }

    /// Parses all of `s` as a domain; `base` is the offset of `s` in the caller's input.
    pub(crate) fn parse_at(s: &str, base: usize) -> Result<Self, AddressError> {
        Self::validate(s, base).map(|ascii| Domain {
            text: s.to_owned(),
            ascii,
        })
    }

    /// Checks `s` and returns the A-label form when `s` is not ASCII.
    fn validate(s: &str, base: usize) -> Result<Option<String>, AddressError> {
        if s.is_empty() {
            return Err(AddressError::Empty { expected: "domain" });
        }
        if s.len() > MAX_DOMAIN {
            return Err(AddressError::DomainTooLong { len: s.len() });
        }
        if s.is_ascii() {
            if validate_ascii_labels(s, base)? {
                check_whole_idn(s)?;
            }
            return Ok(None);
        }
        let mut ascii = String::with_capacity(s.len() + 16);
        let mut start = 0;
        for label in s.split('.') {
            if start > 0 {
                ascii.push('.');
            }
            if label.is_ascii() {
                validate_ascii_labels_nonempty(label, base + start)?;
                ascii.push_str(label);
            } else {
                ascii.push_str(&u_label(label, base + start)?);
            }
            start += label.len() + 1;
        }
        if ascii.len() > MAX_DOMAIN {
            return Err(AddressError::DomainTooLong { len: ascii.len() });
        }
        check_whole_idn(&ascii)?;
        Ok(Some(ascii))
    }
}

/// Validates a whole ASCII domain in one pass over its bytes; returns whether it holds an
/// A-label.
fn validate_ascii_labels(s: &str, base: usize) -> Result<bool, AddressError> {
    let mut start = 0;
    let mut has_a_label = false;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b == b'.' {
            has_a_label |= finish_label(s, start, i, base)?;
            start = i + 1;
        } else if i == start {
            if !is_let_dig(b) {
                return Err(unexpected(
                    s,
                    i,
                    base,
                    "letter or digit at the start of a label",
                ));
            }
        } else if !is_ldh(b) {
            return Err(unexpected(s, i, base, "letter, digit, hyphen or dot"));
        }
    }
    Ok(finish_label(s, start, s.len(), base)? | has_a_label)
}

/// Validates one ASCII label of a mixed domain (it holds no dot).
fn validate_ascii_labels_nonempty(label: &str, base: usize) -> Result<(), AddressError> {
    if label.is_empty() {
        return Err(AddressError::EmptyLabel { at: base });
    }
    validate_ascii_labels(label, base).map(drop)
}

/// The rules that span labels (the Bidi rule of RFC 5893 §2 holds for every label of a
/// domain with a right-to-left label), checked on the A-label form.
fn check_whole_idn(ascii: &str) -> Result<(), AddressError> {
    if idn::is_valid_idn_domain(ascii) {
        Ok(())
    } else {
        Err(AddressError::InvalidIdnDomain)
    }
}

/// Checks the label `s[start..end]` once its end is known; returns whether it is an A-label.
fn finish_label(s: &str, start: usize, end: usize, base: usize) -> Result<bool, AddressError> {
    let label = s.get(start..end).unwrap_or_default();
    let at = base + start;
    match label.as_bytes() {
        [] => Err(AddressError::EmptyLabel { at }),
        l if l.len() > MAX_LABEL => Err(AddressError::LabelTooLong { at, len: l.len() }),
        [.., b'-'] => Err(AddressError::LabelEndsWithHyphen { at }),
        [x, n, b'-', b'-', ..]
            if x.eq_ignore_ascii_case(&b'x') && n.eq_ignore_ascii_case(&b'n') =>
        {
            let u_label =
                idn::a_label_to_u_label(label).ok_or(AddressError::InvalidALabel { at })?;
            idna2008::check_u_label(&u_label)
                .map_err(|(_, ch, problem)| AddressError::Idna2008 { at, ch, problem })?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The ASCII characters an unchecked domain may hold: LDH, the dot, and the underscore that
/// real host names sometimes carry; none of them can end a token of a command line.
fn is_unchecked_domain_byte(b: u8) -> bool {
    is_ldh(b) || b == b'.' || b == b'_'
}

/// Checks one non-ASCII label and returns its A-label.
fn u_label(label: &str, at: usize) -> Result<String, AddressError> {
    // Precise errors for what UTS #46 would only call "invalid".
    refuse_controls(label, at)?;
    if let Some(i) = label.bytes().position(|b| b.is_ascii() && !is_ldh(b)) {
        return Err(unexpected(label, i, at, "letter, digit, hyphen or dot"));
    }
    idna2008::check_u_label(label).map_err(|(i, ch, problem)| AddressError::Idna2008 {
        at: at + i,
        ch,
        problem,
    })?;
    let ascii = idn::u_label_to_a_label(label).ok_or(AddressError::InvalidULabel { at })?;
    if ascii.len() > MAX_LABEL {
        return Err(AddressError::LabelTooLong {
            at,
            len: ascii.len(),
        });
    }
    Ok(ascii)
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Domain {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, AddressError> {
        Self::parse_at(s, 0)
    }
}

impl TryFrom<String> for Domain {
    type Error = AddressError;

    fn try_from(s: String) -> Result<Self, AddressError> {
        let ascii = Self::validate(&s, 0)?;
        Ok(Domain { text: s, ascii })
    }
}

impl TryFrom<&str> for Domain {
    type Error = AddressError;

    fn try_from(s: &str) -> Result<Self, AddressError> {
        s.parse()
    }
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        &self.text
    }
}
