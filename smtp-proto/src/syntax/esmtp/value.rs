//! ESMTP value (RFC 5321 §4.1.2 `esmtp-value`, widened by RFC 6531 §3.3).

use std::fmt;
use std::str::FromStr;

use super::error::{EsmtpError, check_no_controls};

/// An ESMTP parameter value: `1*(%d33-60 / %d62-126)`, plus non-ASCII UTF-8 (RFC 6531 §3.3).
///
/// Compared exactly (case-sensitive): the meaning of a value is up to its extension.
///
/// ```
/// use smtp_proto::syntax::esmtp::EsmtpValue;
/// assert!("8BITMIME".parse::<EsmtpValue>().is_ok());
/// assert!("a=b".parse::<EsmtpValue>().is_err());
/// assert!("ü".parse::<EsmtpValue>().unwrap().needs_smtputf8());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EsmtpValue(String);

impl EsmtpValue {
    /// Wraps a value validated elsewhere.
    ///
    /// The `esmtp-value` grammar is exactly what keeps the value one token (it excludes SP,
    /// `=` and controls), so nothing of it is skipped: empty input ([`EsmtpError::Empty`]),
    /// control characters C0, DEL and C1 ([`EsmtpError::ControlChar`]), SP and `=`
    /// ([`EsmtpError::InvalidChar`]) are refused; non-ASCII UTF-8 is accepted (RFC 6531 §3.3)
    /// and needs SMTPUTF8 on the wire.
    pub fn from_unchecked(value: impl Into<String>) -> Result<Self, EsmtpError> {
        let value = value.into();
        validate_value(&value)?;
        Ok(EsmtpValue(value))
    }

    /// The value as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the value carries non-ASCII characters, allowed only under SMTPUTF8.
    pub fn needs_smtputf8(&self) -> bool {
        !self.0.is_ascii()
    }
}

/// Validates `esmtp-value` (RFC 6531 form).
pub(crate) fn validate_value(s: &str) -> Result<(), EsmtpError> {
    if s.is_empty() {
        return Err(EsmtpError::Empty {
            what: "ESMTP value",
        });
    }
    check_no_controls(s)?;
    match s
        .char_indices()
        .find(|&(_, c)| !matches!(c, '!'..='<' | '>'..='~') && c.is_ascii())
    {
        Some((position, ch)) => Err(EsmtpError::InvalidChar {
            what: "ESMTP value",
            position,
            ch,
        }),
        None => Ok(()),
    }
}

impl FromStr for EsmtpValue {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_value(s)?;
        Ok(EsmtpValue(s.to_owned()))
    }
}

impl TryFrom<&str> for EsmtpValue {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for EsmtpValue {
    type Error = EsmtpError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate_value(&s)?;
        Ok(EsmtpValue(s))
    }
}

impl fmt::Display for EsmtpValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert!("!<>~".parse::<EsmtpValue>().is_ok());
        assert_eq!(
            "a b".parse::<EsmtpValue>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP value",
                position: 1,
                ch: ' '
            })
        );
        assert_eq!(
            "ab=".parse::<EsmtpValue>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP value",
                position: 2,
                ch: '='
            })
        );
        assert_eq!(
            "".parse::<EsmtpValue>(),
            Err(EsmtpError::Empty {
                what: "ESMTP value"
            })
        );
    }

    #[test]
    fn refuses_c1_checked_or_not() {
        let c1 = Err(EsmtpError::ControlChar {
            position: 1,
            byte: 0x85,
        });
        assert_eq!("a\u{85}b".parse::<EsmtpValue>(), c1);
        assert_eq!(EsmtpValue::from_unchecked("a\u{85}b"), c1);
        assert_eq!(
            EsmtpValue::from_unchecked("1 BODY"),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP value",
                position: 1,
                ch: ' '
            })
        );
        assert_eq!(
            EsmtpValue::from_unchecked(""),
            Err(EsmtpError::Empty {
                what: "ESMTP value"
            })
        );
    }

    #[test]
    fn unchecked_refuses_nul_and_del() {
        assert_eq!(
            EsmtpValue::from_unchecked("a\0"),
            Err(EsmtpError::ControlChar {
                position: 1,
                byte: 0
            })
        );
        assert_eq!(
            EsmtpValue::from_unchecked("\x7F"),
            Err(EsmtpError::ControlChar {
                position: 0,
                byte: 0x7F
            })
        );
    }
}
