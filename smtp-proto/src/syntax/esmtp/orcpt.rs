//! The ORCPT parameter value: `addr-type ";" xtext` (RFC 3461 §4.2), and the `utf-8`
//! address type with its `\x{HEX}` escapes (RFC 6533 §3).

use std::fmt;
use std::str::FromStr;

use super::error::{EsmtpError, check_no_controls};
use super::param::shift;
use super::xtext::{decode_xtext, encode_xtext, is_xchar, xtext_encoded_len};
use crate::syntax::AddressEncoding;

/// The longest ORCPT value (`addr-type;address`, the value after `ORCPT=`), RFC 3461 §4.2:
/// bounds both the ASCII form written and the form received, which may be longer (`+41`
/// for `A`).
pub const ORCPT_MAX_LEN: usize = 500;

/// The original recipient of the ORCPT parameter (RFC 3461 §4.2, RFC 6533 §3).
///
/// Holds the address type (lower-cased; types are case-insensitive) and the decoded address.
/// The `rfc822` type (and any other but `utf-8`) carries printable US-ASCII encoded as xtext;
/// the `utf-8` type carries any Unicode address, written as `utf-8-addr-xtext` (ASCII only,
/// non-ASCII as `\x{HEX}`) under [`AddressEncoding::Ascii`] and as `utf-8-addr-unitext`
/// (raw UTF-8) under [`AddressEncoding::Utf8`]. [`fmt::Display`] gives the ASCII form.
///
/// ```
/// use smtp_proto::syntax::esmtp::OriginalRecipient;
/// let o = OriginalRecipient::new("Bob+Ann@example.org").unwrap();
/// assert_eq!(o.to_string(), "rfc822;Bob+2BAnn@example.org");
/// let u = OriginalRecipient::new("jösé@example.org").unwrap();
/// assert_eq!(u.to_string(), "utf-8;j\\x{F6}s\\x{E9}@example.org");
/// assert_eq!(u.to_string().parse::<OriginalRecipient>().unwrap(), u);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OriginalRecipient {
    addr_type: String,
    address: String,
}

impl OriginalRecipient {
    /// An original recipient of type `rfc822` if `address` is ASCII, `utf-8` otherwise.
    pub fn new(address: &str) -> Result<Self, EsmtpError> {
        let addr_type = if address.is_ascii() {
            "rfc822"
        } else {
            "utf-8"
        };
        Self::with_type(addr_type, address)
    }

    /// An original recipient of the given address type (RFC 3461 §4.2 `addr-type`).
    pub fn with_type(addr_type: &str, address: &str) -> Result<Self, EsmtpError> {
        validate_addr_type(addr_type)?;
        if address.is_empty() {
            return Err(EsmtpError::Empty {
                what: "ORCPT address",
            });
        }
        check_no_controls(address)?;
        let addr_type = addr_type.to_ascii_lowercase();
        if addr_type != "utf-8" {
            if let Some((position, ch)) = address.char_indices().find(|(_, c)| !c.is_ascii()) {
                if addr_type == "rfc822" {
                    return Err(EsmtpError::NonAsciiRfc822);
                }
                return Err(EsmtpError::InvalidChar {
                    what: "ORCPT address",
                    position,
                    ch,
                });
            }
        }
        let orcpt = OriginalRecipient {
            addr_type,
            address: address.to_owned(),
        };
        let len = orcpt.encoded_len(AddressEncoding::Ascii);
        if len > ORCPT_MAX_LEN {
            return Err(EsmtpError::TooLong {
                what: "ORCPT value",
                len,
                max: ORCPT_MAX_LEN,
            });
        }
        Ok(orcpt)
    }

    /// An original recipient validated elsewhere: skips the address-type grammar, the
    /// ASCII rule of `rfc822` and the length limit, but still refuses control characters
    /// (C0, DEL, C1) in the address (written as xtext, so SP, `=` and `+` are encoded), and
    /// in the type (written as is) empty input and anything but xtext characters other than
    /// `;`, so that the type cannot end the value or the line.
    pub fn from_unchecked(addr_type: &str, address: &str) -> Result<Self, EsmtpError> {
        if addr_type.is_empty() {
            return Err(EsmtpError::Empty {
                what: "ORCPT address type",
            });
        }
        check_no_controls(address)?;
        let bad = |c: char| !u8::try_from(c).is_ok_and(is_xchar) || c == ';';
        if let Some((position, ch)) = addr_type.char_indices().find(|&(_, c)| bad(c)) {
            return Err(EsmtpError::InvalidChar {
                what: "ORCPT address type",
                position,
                ch,
            });
        }
        Ok(OriginalRecipient {
            addr_type: addr_type.to_ascii_lowercase(),
            address: address.to_owned(),
        })
    }

    /// The address type, lower-cased (`rfc822`, `utf-8`, ...).
    pub fn addr_type(&self) -> &str {
        &self.addr_type
    }

    /// The decoded address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Never: every ORCPT has an all-ASCII form (`utf-8-addr-xtext`), used under
    /// [`AddressEncoding::Ascii`].
    pub fn needs_smtputf8(&self) -> bool {
        false
    }

    fn is_utf8_type(&self) -> bool {
        self.addr_type == "utf-8"
    }

    /// Appends `addr-type;encoded-address`; `enc` picks the `utf-8` form (see the type docs).
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        out.extend_from_slice(self.addr_type.as_bytes());
        out.push(b';');
        if self.is_utf8_type() {
            let unitext = matches!(enc, AddressEncoding::Utf8);
            let mut buf = [0u8; 4];
            for c in self.address.chars() {
                if needs_escape(c, unitext) {
                    out.extend_from_slice(format!("\\x{{{:02X}}}", u32::from(c)).as_bytes());
                } else {
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        } else {
            encode_xtext(self.address.as_bytes(), out);
        }
    }

    /// The number of octets [`OriginalRecipient::write_to`] appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        let body = if self.is_utf8_type() {
            let unitext = matches!(enc, AddressEncoding::Utf8);
            self.address
                .chars()
                .map(|c| {
                    if needs_escape(c, unitext) {
                        4 + format!("{:02X}", u32::from(c)).len()
                    } else {
                        c.len_utf8()
                    }
                })
                .sum()
        } else {
            xtext_encoded_len(self.address.as_bytes())
        };
        self.addr_type.len() + 1 + body
    }
}

/// `addr-type = atom` (RFC 3461 §4.2), without `+` and `=` so that it stays valid xtext.
fn validate_addr_type(s: &str) -> Result<(), EsmtpError> {
    if s.is_empty() {
        return Err(EsmtpError::Empty {
            what: "ORCPT address type",
        });
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*-/?^_`{|}~".contains(c);
    match s.char_indices().find(|&(_, c)| !atext(c)) {
        Some((position, ch)) => Err(EsmtpError::InvalidChar {
            what: "ORCPT address type",
            position,
            ch,
        }),
        None => Ok(()),
    }
}

/// Whether the `utf-8` address encoder writes `c` as `\x{HEX}`: everything but QCHAR
/// (`%x21-2a / %x2c-3c / %x3e-5b / %x5d-7e`), and non-ASCII unless writing unitext.
fn needs_escape(c: char, unitext: bool) -> bool {
    if c.is_ascii() {
        !matches!(c, '!'..='~') || matches!(c, '+' | '=' | '\\')
    } else {
        !unitext
    }
}

/// Decodes `utf-8-addr-xtext` / `utf-8-addr-unitext` (RFC 6533 §3). Escapes must be
/// canonical: 2 to 6 hex digits, no superfluous leading zero, and only for a character that
/// the ASCII form must escape. The digits may be lower case: HEXPOINT is written with
/// HEXDIG and quoted strings, which RFC 5234 §2.3 makes case-insensitive (the encoder
/// writes upper case).
fn decode_utf8_address(s: &str) -> Result<String, EsmtpError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((position, c)) = chars.next() {
        if c == '\\' {
            let bad = EsmtpError::BadUnicodeEscape { position };
            let rest = s
                .get(position + 1..)
                .and_then(|r| r.strip_prefix("x{"))
                .ok_or(bad.clone())?;
            let close = rest.find('}').ok_or(bad.clone())?;
            let hex = rest.get(..close).ok_or(bad.clone())?;
            let canonical = (2..=6).contains(&hex.len())
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
                && (hex.len() == 2 || !hex.starts_with('0'));
            let decoded = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
            match decoded {
                Some(d) if canonical && needs_escape(d, false) => out.push(d),
                _ => return Err(bad),
            }
            let end = position + 3 + close + 1;
            while chars.next_if(|&(p, _)| p < end).is_some() {}
        } else if !needs_escape(c, true) {
            out.push(c);
        } else {
            return Err(EsmtpError::InvalidChar {
                what: "ORCPT utf-8 address",
                position,
                ch: c,
            });
        }
    }
    Ok(out)
}

impl FromStr for OriginalRecipient {
    type Err = EsmtpError;

    /// Parses the ORCPT value as it appears after `ORCPT=`. The value as received is
    /// bounded at [`ORCPT_MAX_LEN`] octets (RFC 3461 §4.2), as its ASCII form is.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > ORCPT_MAX_LEN {
            return Err(EsmtpError::TooLong {
                what: "ORCPT value",
                len: s.len(),
                max: ORCPT_MAX_LEN,
            });
        }
        let (addr_type, encoded) = s.split_once(';').ok_or(EsmtpError::MissingAddrType)?;
        validate_addr_type(addr_type)?;
        let offset = addr_type.len() + 1;
        let address = if addr_type.eq_ignore_ascii_case("utf-8") {
            decode_utf8_address(encoded).map_err(|e| shift(e, offset))?
        } else {
            let bytes = decode_xtext(encoded).map_err(|e| shift(e, offset))?;
            String::from_utf8(bytes).map_err(|_| EsmtpError::InvalidUtf8)?
        };
        OriginalRecipient::with_type(addr_type, &address)
    }
}

impl TryFrom<&str> for OriginalRecipient {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for OriginalRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(self.encoded_len(AddressEncoding::Ascii));
        self.write_to(&mut out, AddressEncoding::Ascii);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(o: &OriginalRecipient, enc: AddressEncoding) -> String {
        let mut out = Vec::new();
        o.write_to(&mut out, enc);
        assert_eq!(out.len(), o.encoded_len(enc));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn utf8_forms() {
        let o = OriginalRecipient::new("ü ser+x=y\\z@bücher.example").unwrap();
        assert_eq!(
            encode(&o, AddressEncoding::Ascii),
            "utf-8;\\x{FC}\\x{20}ser\\x{2B}x\\x{3D}y\\x{5C}z@b\\x{FC}cher.example"
        );
        assert_eq!(
            encode(&o, AddressEncoding::Utf8),
            "utf-8;ü\\x{20}ser\\x{2B}x\\x{3D}y\\x{5C}z@bücher.example"
        );
        for enc in [AddressEncoding::Ascii, AddressEncoding::Utf8] {
            assert_eq!(encode(&o, enc).parse::<OriginalRecipient>().unwrap(), o);
        }
        let astral = OriginalRecipient::new("\u{1F600}@x").unwrap();
        assert_eq!(
            encode(&astral, AddressEncoding::Ascii),
            "utf-8;\\x{1F600}@x"
        );
    }

    #[test]
    fn escapes_take_either_case_and_are_written_upper_case() {
        let lower: OriginalRecipient = "utf-8;a\\x{e9}\\x{1f600}\\x{2b}".parse().unwrap();
        let upper: OriginalRecipient = "utf-8;a\\x{E9}\\x{1F600}\\x{2B}".parse().unwrap();
        assert_eq!(lower, upper);
        assert_eq!(lower.address(), "a\u{e9}\u{1F600}+");
        assert_eq!(lower.to_string(), "utf-8;a\\x{E9}\\x{1F600}\\x{2B}");
    }

    #[test]
    fn rejects_non_canonical_escapes() {
        for (bad, pos) in [
            ("utf-8;a\\x{0E9}", 7),
            ("utf-8;a\\x{0e9}", 7),
            ("utf-8;a\\X{E9}", 7),
            ("utf-8;a\\x{41}", 7),
            ("utf-8;a\\x{D800}", 7),
            ("utf-8;a\\x{E9", 7),
            ("utf-8;a\\y", 7),
            ("utf-8;a\\x{1234567}", 7),
        ] {
            assert_eq!(
                bad.parse::<OriginalRecipient>(),
                Err(EsmtpError::BadUnicodeEscape { position: pos }),
                "{bad}"
            );
        }
        assert_eq!(
            "utf-8;a+b".parse::<OriginalRecipient>(),
            Err(EsmtpError::InvalidChar {
                what: "ORCPT utf-8 address",
                position: 7,
                ch: '+'
            })
        );
    }

    #[test]
    fn rfc822_rules() {
        assert_eq!(
            "rfc822".parse::<OriginalRecipient>(),
            Err(EsmtpError::MissingAddrType)
        );
        assert_eq!(
            "rfc822;a+C3+A9".parse::<OriginalRecipient>(),
            Err(EsmtpError::NonAsciiRfc822)
        );
        assert_eq!(
            "rfc822;a+0Ab".parse::<OriginalRecipient>(),
            Err(EsmtpError::ControlChar {
                position: 1,
                byte: 10
            })
        );
        let o: OriginalRecipient = "RFC822;Bob@Example.org".parse().unwrap();
        assert_eq!(o.addr_type(), "rfc822");
        assert_eq!(
            OriginalRecipient::new(&format!("{}@b", "a".repeat(492))),
            Err(EsmtpError::TooLong {
                what: "ORCPT value",
                len: 500 + 1,
                max: 500
            })
        );
        assert!(OriginalRecipient::new(&format!("{}@b", "a".repeat(491))).is_ok());
    }

    #[test]
    fn addr_type_is_an_atom_without_plus_or_equals() {
        for (addr_type, position, ch) in [
            ("rfc 822", 3, ' '),
            ("rfc822+x", 6, '+'),
            ("x=y", 1, '='),
            ("a\"b", 1, '"'),
            ("ütf-8", 0, 'ü'),
        ] {
            let refused = Err(EsmtpError::InvalidChar {
                what: "ORCPT address type",
                position,
                ch,
            });
            assert_eq!(
                OriginalRecipient::with_type(addr_type, "a@b"),
                refused,
                "{addr_type}"
            );
            assert_eq!(
                format!("{addr_type};a@b").parse::<OriginalRecipient>(),
                refused,
                "{addr_type}"
            );
        }
        let empty = Err(EsmtpError::Empty {
            what: "ORCPT address type",
        });
        assert_eq!(OriginalRecipient::with_type("", "a@b"), empty);
        assert_eq!(";a@b".parse::<OriginalRecipient>(), empty);
        let other = OriginalRecipient::with_type("X-Local!#$%&'*-/?^_`{|}~", "a@b").unwrap();
        assert_eq!(other.addr_type(), "x-local!#$%&'*-/?^_`{|}~");
        assert_eq!(other.to_string().parse::<OriginalRecipient>(), Ok(other));
    }

    #[test]
    fn never_needs_smtputf8() {
        for address in ["a@b", "jösé@example.org", "\u{1F600}@x"] {
            let orcpt = OriginalRecipient::new(address).unwrap();
            assert!(!orcpt.needs_smtputf8(), "{address}");
            assert!(orcpt.to_string().is_ascii(), "{address}");
        }
    }
}
