//! xtext (RFC 3461 §4) and the ENVID value built on it (RFC 3461 §4.4).

use std::fmt;
use std::str::FromStr;

use super::error::{EsmtpError, check_no_controls};

/// Whether `b` is an `xchar`: `%d33-42 / %d44-60 / %d62-126`, written as itself in xtext.
pub fn is_xchar(b: u8) -> bool {
    (33..=126).contains(&b) && b != b'+' && b != b'='
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the xtext encoding of `input`: `+XX` (upper-case hex) for `+`, `=` and every
/// octet outside %d33-126, the octet itself otherwise (RFC 3461 §4).
///
/// ```
/// use smtp_proto::syntax::esmtp::encode_xtext;
/// let mut out = Vec::new();
/// encode_xtext(b"a+b=c d", &mut out);
/// assert_eq!(out, b"a+2Bb+3Dc+20d");
/// ```
pub fn encode_xtext(input: &[u8], out: &mut Vec<u8>) {
    for &b in input {
        if is_xchar(b) {
            out.push(b);
        } else {
            out.push(b'+');
            out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(b & 0x0F)).copied().unwrap_or(b'0'));
        }
    }
}

/// The number of octets [`encode_xtext`] appends for `input`.
pub fn xtext_encoded_len(input: &[u8]) -> usize {
    input.iter().map(|&b| if is_xchar(b) { 1 } else { 3 }).sum()
}

/// Decodes xtext strictly: only `xchar`s and `+XX` with upper-case hex digits (RFC 3461 §4).
///
/// ```
/// use smtp_proto::syntax::esmtp::decode_xtext;
/// assert_eq!(decode_xtext("a+2Bb").unwrap(), b"a+b");
/// assert!(decode_xtext("a+2b").is_err());
/// assert!(decode_xtext("a=b").is_err());
/// ```
pub fn decode_xtext(input: &str) -> Result<Vec<u8>, EsmtpError> {
    let mut out = Vec::with_capacity(input.len());
    let bytes = input.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            let hi = bytes.get(i + 1).and_then(|&h| upper_hex_value(h));
            let lo = bytes.get(i + 2).and_then(|&h| upper_hex_value(h));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(EsmtpError::BadHexChar { position: i }),
            }
            i += 3;
        } else if is_xchar(b) {
            out.push(b);
            i += 1;
        } else {
            let ch = input
                .get(i..)
                .and_then(|s| s.chars().next())
                .unwrap_or('\u{FFFD}');
            return Err(EsmtpError::InvalidChar {
                what: "xtext",
                position: i,
                ch,
            });
        }
    }
    Ok(out)
}

/// The value of an upper-case hexadecimal digit.
pub(crate) fn upper_hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The longest ENVID, counted on its xtext form (RFC 3461 §4.4).
pub const ENVID_MAX_LEN: usize = 100;

/// The envelope identifier of the ENVID parameter (RFC 3461 §4.4).
///
/// Holds the decoded text (printable US-ASCII, %d32-126); [`fmt::Display`] and
/// [`EnvId::write_to`] give the xtext form, and [`FromStr`] parses that xtext form. The
/// xtext form is at most [`ENVID_MAX_LEN`] characters.
///
/// ```
/// use smtp_proto::syntax::esmtp::EnvId;
/// let id = EnvId::new("QQ 314159").unwrap();
/// assert_eq!(id.to_string(), "QQ+20314159");
/// assert_eq!("QQ+20314159".parse::<EnvId>().unwrap(), id);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvId(String);

impl EnvId {
    /// An envelope identifier from its decoded text.
    pub fn new(text: &str) -> Result<Self, EsmtpError> {
        if text.is_empty() {
            return Err(EsmtpError::Empty { what: "ENVID" });
        }
        check_no_controls(text)?;
        if let Some((position, ch)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
            return Err(EsmtpError::InvalidChar {
                what: "ENVID",
                position,
                ch,
            });
        }
        let len = xtext_encoded_len(text.as_bytes());
        if len > ENVID_MAX_LEN {
            return Err(EsmtpError::TooLong {
                what: "ENVID",
                len,
                max: ENVID_MAX_LEN,
            });
        }
        Ok(EnvId(text.to_owned()))
    }

    /// An identifier validated elsewhere: skips the printable-ASCII and length rules. It is
    /// written as xtext, which encodes SP, `=` and `+`, so only empty input
    /// ([`EsmtpError::Empty`]) and control characters C0, DEL, C1
    /// ([`EsmtpError::ControlChar`]) are refused.
    pub fn from_unchecked(text: impl Into<String>) -> Result<Self, EsmtpError> {
        let text = text.into();
        if text.is_empty() {
            return Err(EsmtpError::Empty { what: "ENVID" });
        }
        check_no_controls(&text)?;
        Ok(EnvId(text))
    }

    /// The decoded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Never: the xtext form is ASCII whatever the text.
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    /// Appends the xtext form.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        encode_xtext(self.0.as_bytes(), out);
    }

    /// The length of the xtext form.
    pub fn encoded_len(&self) -> usize {
        xtext_encoded_len(self.0.as_bytes())
    }
}

impl FromStr for EnvId {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > ENVID_MAX_LEN {
            return Err(EsmtpError::TooLong {
                what: "ENVID",
                len: s.len(),
                max: ENVID_MAX_LEN,
            });
        }
        let decoded = String::from_utf8(decode_xtext(s)?).map_err(|_| EsmtpError::InvalidUtf8)?;
        EnvId::new(&decoded)
    }
}

impl TryFrom<&str> for EnvId {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for EnvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.write_to(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_specials_and_non_ascii() {
        let mut out = Vec::new();
        encode_xtext("é+=\r".as_bytes(), &mut out);
        assert_eq!(out, b"+C3+A9+2B+3D+0D");
        assert_eq!(xtext_encoded_len("é+=\r".as_bytes()), out.len());
    }

    #[test]
    fn decode_rejects_precisely() {
        assert_eq!(
            decode_xtext("ab+4"),
            Err(EsmtpError::BadHexChar { position: 2 })
        );
        assert_eq!(
            decode_xtext("+4g"),
            Err(EsmtpError::BadHexChar { position: 0 })
        );
        assert_eq!(
            decode_xtext("aé"),
            Err(EsmtpError::InvalidChar {
                what: "xtext",
                position: 1,
                ch: 'é'
            })
        );
        assert_eq!(
            decode_xtext("a\r\n"),
            Err(EsmtpError::InvalidChar {
                what: "xtext",
                position: 1,
                ch: '\r'
            })
        );
        assert_eq!(decode_xtext("").unwrap(), b"");
    }

    #[test]
    fn envid_limits() {
        assert!(EnvId::new(&"a".repeat(100)).is_ok());
        assert_eq!(
            EnvId::new(&"a".repeat(101)),
            Err(EsmtpError::TooLong {
                what: "ENVID",
                len: 101,
                max: 100
            })
        );
        assert_eq!(
            EnvId::new(&"+".repeat(34)),
            Err(EsmtpError::TooLong {
                what: "ENVID",
                len: 102,
                max: 100
            })
        );
        assert_eq!(
            "+0D".parse::<EnvId>(),
            Err(EsmtpError::ControlChar {
                position: 0,
                byte: 13
            })
        );
        assert_eq!(EnvId::new(""), Err(EsmtpError::Empty { what: "ENVID" }));
    }

    #[test]
    fn envid_xtext_as_received_is_bounded_at_100() {
        // The form received is bounded, not only the canonical one: `+41` is `A`, so this
        // 101-character value would re-encode in 99 characters.
        let at_limit = format!("+41{}", "a".repeat(97));
        assert_eq!(at_limit.len(), 100);
        assert_eq!(at_limit.parse::<EnvId>().map(|id| id.encoded_len()), Ok(98));
        let over = format!("+41{}", "a".repeat(98));
        assert_eq!(
            over.parse::<EnvId>(),
            Err(EsmtpError::TooLong {
                what: "ENVID",
                len: 101,
                max: 100
            })
        );
    }

    #[test]
    fn envid_never_needs_smtputf8() {
        let unchecked = EnvId::from_unchecked("jösé").unwrap();
        assert!(!unchecked.needs_smtputf8());
        let mut out = Vec::new();
        unchecked.write_to(&mut out);
        assert_eq!(out, b"j+C3+B6s+C3+A9");
        assert!(!EnvId::new("plain").unwrap().needs_smtputf8());
    }
}
