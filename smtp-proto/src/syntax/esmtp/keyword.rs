//! ESMTP keyword (RFC 5321 §4.1.2 `esmtp-keyword`).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::error::{EsmtpError, check_no_controls};

/// An ESMTP parameter keyword: `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")` (RFC 5321 §4.1.2).
///
/// Keywords compare and hash case-insensitively; the spelling given is kept for display.
///
/// ```
/// use smtp_proto::syntax::esmtp::EsmtpKeyword;
/// let k: EsmtpKeyword = "mt-priority".parse().unwrap();
/// assert_eq!(k, "MT-PRIORITY".parse::<EsmtpKeyword>().unwrap());
/// assert!("-X".parse::<EsmtpKeyword>().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct EsmtpKeyword(String);

impl EsmtpKeyword {
    /// Wraps a keyword validated elsewhere.
    ///
    /// Not checked: that the first character is a letter or digit. Still refused, so that
    /// the keyword stays one token and the reserved-keyword check of
    /// [`MailParameters::push_extra`](super::MailParameters::push_extra) is sound: empty
    /// input ([`EsmtpError::Empty`]), control characters ([`EsmtpError::ControlChar`]) and
    /// anything but ALPHA / DIGIT / `-` ([`EsmtpError::InvalidChar`]), so never SP or `=`.
    pub fn from_unchecked(keyword: impl Into<String>) -> Result<Self, EsmtpError> {
        let keyword = keyword.into();
        if keyword.is_empty() {
            return Err(EsmtpError::Empty {
                what: "ESMTP keyword",
            });
        }
        check_no_controls(&keyword)?;
        let bad = keyword
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-'));
        match bad {
            Some((position, ch)) => Err(EsmtpError::InvalidChar {
                what: "ESMTP keyword",
                position,
                ch,
            }),
            None => Ok(EsmtpKeyword(keyword)),
        }
    }

    /// The keyword as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this keyword is `other`, ignoring ASCII case.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }

    /// Never: keywords are ASCII, checked or not ([`from_unchecked`](Self::from_unchecked)
    /// refuses anything else).
    pub fn needs_smtputf8(&self) -> bool {
        false
    }
}

/// Validates `esmtp-keyword`.
pub(crate) fn validate_keyword(s: &str) -> Result<(), EsmtpError> {
    let mut chars = s.char_indices();
    match chars.next() {
        None => {
            return Err(EsmtpError::Empty {
                what: "ESMTP keyword",
            });
        }
        Some((_, c)) if c.is_ascii_alphanumeric() => {}
        Some((position, ch)) => {
            return Err(EsmtpError::InvalidChar {
                what: "ESMTP keyword",
                position,
                ch,
            });
        }
    }
    for (position, ch) in chars {
        if !(ch.is_ascii_alphanumeric() || ch == '-') {
            return Err(EsmtpError::InvalidChar {
                what: "ESMTP keyword",
                position,
                ch,
            });
        }
    }
    Ok(())
}

impl FromStr for EsmtpKeyword {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_keyword(s)?;
        Ok(EsmtpKeyword(s.to_owned()))
    }
}

impl TryFrom<&str> for EsmtpKeyword {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for EsmtpKeyword {
    type Error = EsmtpError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate_keyword(&s)?;
        Ok(EsmtpKeyword(s))
    }
}

impl PartialEq for EsmtpKeyword {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for EsmtpKeyword {}

impl Hash for EsmtpKeyword {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_uppercase());
        }
        state.write_u8(0xFF);
    }
}

impl fmt::Display for EsmtpKeyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_grammar() {
        for ok in ["SIZE", "8BITMIME", "MT-PRIORITY", "X", "a-b-", "0"] {
            assert!(ok.parse::<EsmtpKeyword>().is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_with_position() {
        assert_eq!(
            "".parse::<EsmtpKeyword>(),
            Err(EsmtpError::Empty {
                what: "ESMTP keyword"
            })
        );
        assert_eq!(
            "-A".parse::<EsmtpKeyword>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP keyword",
                position: 0,
                ch: '-'
            })
        );
        assert_eq!(
            "AB_C".parse::<EsmtpKeyword>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP keyword",
                position: 2,
                ch: '_'
            })
        );
    }

    #[test]
    fn unchecked_refuses_controls() {
        assert_eq!(
            EsmtpKeyword::from_unchecked("A\r\nB"),
            Err(EsmtpError::ControlChar {
                position: 1,
                byte: b'\r'
            })
        );
        assert!(EsmtpKeyword::from_unchecked("-LEADING-HYPHEN").is_ok());
        for (bad, position, ch) in [("X_ODD", 1, '_'), ("SIZE=1 BODY", 4, '='), ("A B", 1, ' ')] {
            assert_eq!(
                EsmtpKeyword::from_unchecked(bad),
                Err(EsmtpError::InvalidChar {
                    what: "ESMTP keyword",
                    position,
                    ch
                })
            );
        }
        assert_eq!(
            EsmtpKeyword::from_unchecked(""),
            Err(EsmtpError::Empty {
                what: "ESMTP keyword"
            })
        );
    }

    #[test]
    fn case_insensitive_eq_and_hash() {
        use std::collections::HashSet;
        let a: EsmtpKeyword = "Size".parse().unwrap();
        let b: EsmtpKeyword = "SIZE".parse().unwrap();
        assert_eq!(a, b);
        let set: HashSet<_> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
    }
}
