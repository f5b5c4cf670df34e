//! RFC 3339 §5.6 `date-time`, the value of HOLDUNTIL (RFC 4865) and RRVS (RFC 7293).

use std::fmt;
use std::str::FromStr;

use super::error::EsmtpError;

/// A validated RFC 3339 §5.6 `date-time`, e.g. `2026-11-29T11:00:00Z`.
///
/// Kept as written (this crate does no time arithmetic), so [`fmt::Display`] and
/// [`DateTime::as_str`] give the text parsed. Fields are range-checked, including the day of
/// the month in leap years; `T` and `Z` may be lower case, as RFC 3339 §5.6 allows ("t",
/// "z"; neither RFC 4865 nor RFC 7293 restricts that), and are kept in the case given;
/// fractional seconds are allowed.
///
/// ```
/// use smtp_proto::syntax::esmtp::DateTime;
/// assert!("2014-04-03T23:01:00Z".parse::<DateTime>().is_ok());
/// let lower: DateTime = "2014-04-03t23:01:00z".parse().unwrap();
/// assert_eq!(lower.to_string(), "2014-04-03t23:01:00z");
/// assert!("2024-02-29T12:00:00.25+05:30".parse::<DateTime>().is_ok());
/// assert!("2023-02-29T12:00:00Z".parse::<DateTime>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime(String);

impl DateTime {
    /// A date-time validated elsewhere.
    ///
    /// Not checked: the field layout and ranges. Still refused, so that the value stays one
    /// token of HOLDUNTIL or RRVS: empty input ([`EsmtpError::Empty`]), control characters
    /// ([`EsmtpError::ControlChar`]) and any character outside the RFC 3339 §5.6 alphabet
    /// (digits, `-`, `:`, `.`, `+`, `T`, `Z`, `t`, `z`; [`EsmtpError::InvalidChar`]), so
    /// never SP, `=` or the `;` that separates the RRVS action.
    pub fn from_unchecked(text: impl Into<String>) -> Result<Self, EsmtpError> {
        let text = text.into();
        if text.is_empty() {
            return Err(EsmtpError::Empty { what: "date-time" });
        }
        super::error::check_no_controls(&text)?;
        let bad = text.char_indices().find(|&(_, c)| {
            !(c.is_ascii_digit() || matches!(c, '-' | ':' | '.' | '+' | 'T' | 'Z' | 't' | 'z'))
        });
        match bad {
            Some((position, ch)) => Err(EsmtpError::InvalidChar {
                what: "date-time",
                position,
                ch,
            }),
            None => Ok(DateTime(text)),
        }
    }

    /// The date-time as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn digits(s: &str, start: usize, n: usize) -> Option<u32> {
    let part = s.get(start..start + n)?;
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

fn expect(s: &str, at: usize, c: u8) -> Option<()> {
    (s.as_bytes().get(at) == Some(&c)).then_some(())
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse(s: &str) -> Option<()> {
    let year = digits(s, 0, 4)?;
    expect(s, 4, b'-')?;
    let month = digits(s, 5, 2)?;
    expect(s, 7, b'-')?;
    let day = digits(s, 8, 2)?;
    expect(s, 10, b'T').or_else(|| expect(s, 10, b't'))?;
    let hour = digits(s, 11, 2)?;
    expect(s, 13, b':')?;
    let minute = digits(s, 14, 2)?;
    expect(s, 16, b':')?;
    let second = digits(s, 17, 2)?;
    let ok = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !ok {
        return None;
    }
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = frac.get(n..)?;
    }
    match rest.as_bytes().first() {
        Some(b'Z' | b'z') if rest.len() == 1 => Some(()),
        Some(b'+' | b'-') if rest.len() == 6 => {
            let h = digits(rest, 1, 2)?;
            expect(rest, 3, b':')?;
            let m = digits(rest, 4, 2)?;
            (h <= 23 && m <= 59).then_some(())
        }
        _ => None,
    }
}

impl FromStr for DateTime {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Bounded so that a hostile fraction cannot make a value of unbounded length.
        if s.len() > 64 {
            return Err(EsmtpError::TooLong {
                what: "date-time",
                len: s.len(),
                max: 64,
            });
        }
        parse(s)
            .map(|()| DateTime(s.to_owned()))
            .ok_or_else(|| EsmtpError::invalid_value("date-time", s, "not an RFC 3339 date-time"))
    }
}

impl TryFrom<&str> for DateTime {
    type Error = EsmtpError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        for ok in [
            "1985-04-12T23:20:50.52Z",
            "1996-12-19T16:39:57-08:00",
            "1990-12-31T23:59:60Z",
            "2000-02-29T00:00:00Z",
            "2026-01-01T00:00:00+23:59",
            "2026-01-01T00:00:00-00:00",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00z",
            "2026-01-01t00:00:00.5z",
            "2026-01-01t00:00:00+01:00",
        ] {
            let parsed = ok.parse::<DateTime>();
            assert_eq!(parsed.as_ref().map(DateTime::as_str), Ok(ok), "{ok}");
            assert_eq!(parsed.map(|d| d.to_string()).as_deref(), Ok(ok));
        }
        for bad in [
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01x00:00:00Z",
            "2026-01-01T00:00:00x",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00Z ",
            "2026-01-01T00:00:00+01:00x",
            "2026-01-01T00:00:00+01:0",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+01:60",
            "2026-01-01T00:00:00-24:59",
            "",
        ] {
            assert!(
                matches!(
                    bad.parse::<DateTime>(),
                    Err(EsmtpError::InvalidValue { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn length_is_bounded_at_64() {
        // "2026-01-01T00:00:00." is 20 bytes and "Z" one: a 43-digit fraction makes 64.
        let at_limit = format!("2026-01-01T00:00:00.{}Z", "5".repeat(43));
        assert_eq!(at_limit.len(), 64);
        assert_eq!(
            at_limit.parse::<DateTime>().map(|d| d.as_str().len()),
            Ok(64)
        );
        let over = format!("2026-01-01T00:00:00.{}Z", "5".repeat(44));
        assert_eq!(
            over.parse::<DateTime>(),
            Err(EsmtpError::TooLong {
                what: "date-time",
                len: 65,
                max: 64
            })
        );
    }
}
