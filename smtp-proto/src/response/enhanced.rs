//! Enhanced mail system status codes: RFC 3463 §2, carried in replies per RFC 2034 §4.

use std::fmt;
use std::str::FromStr;

/// An enhanced status code `class.subject.detail` (RFC 3463 §2), such as `5.1.1`.
///
/// `class` is 2, 4 or 5; `subject` and `detail` have one to three digits (RFC 3463 §2,
/// `1*3digit`; leading zeros are accepted as that grammar allows). RFC 2034 §4 puts it at
/// the start of each reply line's text, followed by a space.
///
/// ```
/// use smtp_proto::response::EnhancedStatus;
///
/// let status: EnhancedStatus = "4.2.2".parse().unwrap();
/// assert_eq!((status.class(), status.subject(), status.detail()), (4, 2, 2));
/// assert_eq!(status.to_string(), "4.2.2");
/// assert!("3.1.1".parse::<EnhancedStatus>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    class: u8,
    subject: u16,
    detail: u16,
}

/// Text that is not an enhanced status code (RFC 3463 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an enhanced status code class.subject.detail (RFC 3463 §2)")]
pub struct InvalidEnhancedStatus;

impl EnhancedStatus {
    /// Builds a status from its parts, checking the ranges of RFC 3463 §2.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Result<Self, InvalidEnhancedStatus> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Ok(Self {
                class,
                subject,
                detail,
            })
        } else {
            Err(InvalidEnhancedStatus)
        }
    }

    /// The class: 2 success, 4 persistent transient failure, 5 permanent failure.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject (RFC 3463 §3: 1 addressing, 2 mailbox, 3 mail system, 4 network and
    /// routing, 5 mail delivery protocol, 6 message content, 7 security or policy).
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail within the subject (RFC 3463 §3.1 to §3.8).
    pub const fn detail(self) -> u16 {
        self.detail
    }

    /// Parses a status at the very start of `text` and returns it with the number of bytes
    /// it used, including the one space after it (RFC 2034 §4). The status must be followed
    /// by a space or end the text; anything else (`2.0.0.1`, `2.0.0,`) is not a status.
    #[inline]
    pub fn parse_prefix(text: &[u8]) -> Option<(Self, usize)> {
        if !matches!(text.first(), Some(b'2' | b'4' | b'5')) {
            return None;
        }
        // The common shape first: one-digit subject and detail (`2.0.0 `).
        if let [
            class @ (b'2' | b'4' | b'5'),
            b'.',
            subject,
            b'.',
            detail,
            rest @ ..,
        ] = text
            && subject.is_ascii_digit()
            && detail.is_ascii_digit()
        {
            let consumed = match rest.first() {
                None => 5,
                Some(b' ') => 6,
                Some(b'0'..=b'9') => return Self::parse_general(text),
                Some(_) => return None,
            };
            let status = Self {
                class: class - b'0',
                subject: u16::from(subject - b'0'),
                detail: u16::from(detail - b'0'),
            };
            return Some((status, consumed));
        }
        Self::parse_general(text)
    }

    fn parse_general(text: &[u8]) -> Option<(Self, usize)> {
        let (&class, rest) = text.split_first()?;
        if !matches!(class, b'2' | b'4' | b'5') || rest.first() != Some(&b'.') {
            return None;
        }
        let (subject, used_subject) = number(rest.get(1..)?)?;
        let rest = rest.get(1 + used_subject..)?;
        if rest.first() != Some(&b'.') {
            return None;
        }
        let (detail, used_detail) = number(rest.get(1..)?)?;
        let len = 2 + used_subject + 1 + used_detail;
        let consumed = match text.get(len) {
            None => len,
            Some(b' ') => len + 1,
            Some(_) => return None,
        };
        let status = Self {
            class: class - b'0',
            subject,
            detail,
        };
        Some((status, consumed))
    }
}

/// Reads one to three digits; a fourth digit means it is not a status subject or detail.
fn number(text: &[u8]) -> Option<(u16, usize)> {
    let mut value: u16 = 0;
    let mut used = 0;
    for &b in text.iter().take(4) {
        if !b.is_ascii_digit() {
            break;
        }
        value = value * 10 + u16::from(b - b'0');
        used += 1;
    }
    matches!(used, 1..=3).then_some((value, used))
}

impl FromStr for EnhancedStatus {
    type Err = InvalidEnhancedStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Self::parse_prefix(s.as_bytes()) {
            Some((status, used)) if used == s.len() && !s.ends_with(' ') => Ok(status),
            _ => Err(InvalidEnhancedStatus),
        }
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(text: &str) -> Option<(String, usize)> {
        EnhancedStatus::parse_prefix(text.as_bytes()).map(|(s, n)| (s.to_string(), n))
    }

    #[test]
    fn rfc_3463_and_2034_examples() {
        // RFC 2034 §9 examples and RFC 3463 §3 codes.
        assert_eq!(prefix("2.1.0 Sender ok"), Some(("2.1.0".into(), 6)));
        assert_eq!(prefix("5.1.1 User unknown"), Some(("5.1.1".into(), 6)));
        assert_eq!(prefix("2.6.0 Message accepted"), Some(("2.6.0".into(), 6)));
        assert_eq!(prefix("4.2.2"), Some(("4.2.2".into(), 5)));
        assert_eq!(prefix("5.7.123 x"), Some(("5.7.123".into(), 8)));
        assert_eq!(prefix("4.999.999 x"), Some(("4.999.999".into(), 10)));
    }

    #[test]
    fn not_a_status() {
        for text in [
            "", "2", "2.", "2.1", "2.1.", "3.1.1 x", "1.0.0", "2.1000.0", "2.0.1000", "2.a.0",
            "2.0.0.1", "2.0.0,", "Ok", " 2.0.0", "2..0", "2x1.1", "2x1.1 x", "21.1.1", "2.10.1x",
            "2.1.10x", "4.100.0.",
        ] {
            assert_eq!(prefix(text), None, "{text:?}");
        }
    }

    #[test]
    fn from_str_is_exact() {
        assert_eq!("5.7.8".parse(), EnhancedStatus::new(5, 7, 8));
        assert_eq!(
            "5.7.8 ".parse::<EnhancedStatus>(),
            Err(InvalidEnhancedStatus)
        );
        assert_eq!(EnhancedStatus::new(3, 0, 0), Err(InvalidEnhancedStatus));
        assert_eq!(EnhancedStatus::new(2, 1000, 0), Err(InvalidEnhancedStatus));
    }
}
