//! ESMTP parameter (RFC 5321 §4.1.2 `esmtp-param`).

use std::fmt;
use std::str::FromStr;

use super::error::EsmtpError;
use super::keyword::EsmtpKeyword;
use super::value::EsmtpValue;

/// One ESMTP parameter: `esmtp-keyword ["=" esmtp-value]` (RFC 5321 §4.1.2).
///
/// The raw form, for extensions this crate has no typed parameter for.
///
/// ```
/// use smtp_proto::syntax::esmtp::EsmtpParam;
/// let p: EsmtpParam = "X-TAG=abc".parse().unwrap();
/// assert_eq!(p.to_string(), "X-TAG=abc");
/// assert!("X-TAG=".parse::<EsmtpParam>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EsmtpParam {
    keyword: EsmtpKeyword,
    value: Option<EsmtpValue>,
}

impl EsmtpParam {
    /// A parameter from its validated parts.
    pub fn new(keyword: EsmtpKeyword, value: Option<EsmtpValue>) -> Self {
        EsmtpParam { keyword, value }
    }

    /// The keyword.
    pub fn keyword(&self) -> &EsmtpKeyword {
        &self.keyword
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&EsmtpValue> {
        self.value.as_ref()
    }

    /// Whether the value carries non-ASCII characters (RFC 6531 §3.3).
    pub fn needs_smtputf8(&self) -> bool {
        self.keyword.needs_smtputf8() || self.value.as_ref().is_some_and(EsmtpValue::needs_smtputf8)
    }

    /// Appends `keyword[=value]` to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.keyword.as_str().as_bytes());
        if let Some(value) = &self.value {
            out.push(b'=');
            out.extend_from_slice(value.as_str().as_bytes());
        }
    }

    /// The number of octets [`EsmtpParam::write_to`] appends.
    pub fn encoded_len(&self) -> usize {
        self.keyword.as_str().len() + self.value.as_ref().map_or(0, |v| 1 + v.as_str().len())
    }
}

impl FromStr for EsmtpParam {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            None => Ok(EsmtpParam {
                keyword: s.parse()?,
                value: None,
            }),
            Some((keyword, value)) => {
                let keyword = keyword.parse()?;
                let value = value.parse().map_err(|e| shift(e, s.len() - value.len()))?;
                Ok(EsmtpParam {
                    keyword,
                    value: Some(value),
                })
            }
        }
    }
}

/// Moves an error position from a sub-slice to the whole input.
pub(crate) fn shift(e: EsmtpError, offset: usize) -> EsmtpError {
    match e {
        EsmtpError::InvalidChar { what, position, ch } => EsmtpError::InvalidChar {
            what,
            position: position + offset,
            ch,
        },
        EsmtpError::ControlChar { position, byte } => EsmtpError::ControlChar {
            position: position + offset,
            byte,
        },
        EsmtpError::BadHexChar { position } => EsmtpError::BadHexChar {
            position: position + offset,
        },
        EsmtpError::BadUnicodeEscape { position } => EsmtpError::BadUnicodeEscape {
            position: position + offset,
        },
        other => other,
    }
}

impl TryFrom<&str> for EsmtpParam {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for EsmtpParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={}", self.keyword, v),
            None => write!(f, "{}", self.keyword),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_with_and_without_value() {
        let p: EsmtpParam = "SMTPUTF8".parse().unwrap();
        assert!(p.value().is_none());
        let p: EsmtpParam = "SIZE=1000".parse().unwrap();
        assert_eq!(p.value().unwrap().as_str(), "1000");
        assert_eq!(p.encoded_len(), 9);
        let mut out = Vec::new();
        p.write_to(&mut out);
        assert_eq!(out, b"SIZE=1000");
    }

    #[test]
    fn error_positions_are_absolute() {
        assert_eq!(
            "AB=c d".parse::<EsmtpParam>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP value",
                position: 4,
                ch: ' '
            })
        );
        assert_eq!(
            "AB=c=d".parse::<EsmtpParam>(),
            Err(EsmtpError::InvalidChar {
                what: "ESMTP value",
                position: 4,
                ch: '='
            })
        );
    }
}
