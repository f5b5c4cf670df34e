//! Values of the typed MAIL and RCPT parameters: BODY, RET, MT-PRIORITY, BY, HOLDFOR /
//! HOLDUNTIL, NOTIFY and RRVS.

use std::fmt;
use std::str::FromStr;

use super::datetime::DateTime;
use super::error::EsmtpError;

/// The BODY parameter value (RFC 6152 §2, RFC 3030 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`: the body is 7-bit ASCII (RFC 6152).
    SevenBit,
    /// `8BITMIME`: the body may contain octets above 127 in lines (RFC 6152).
    EightBitMime,
    /// `BINARYMIME`: arbitrary octets, sent with BDAT only (RFC 3030 §3).
    BinaryMime,
}

impl Body {
    /// The value as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        }
    }
}

/// The RET parameter value (RFC 3461 §4.3): what a failure DSN returns of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`: the whole message.
    Full,
    /// `HDRS`: only the headers.
    Hdrs,
}

impl Ret {
    /// The value as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Hdrs => "HDRS",
        }
    }
}

macro_rules! keyword_enum_parse {
    ($ty:ty, $kw:literal, $($text:literal => $variant:expr),+) => {
        impl FromStr for $ty {
            type Err = EsmtpError;

            /// Parses the value, ignoring ASCII case.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(if s.eq_ignore_ascii_case($text) { return Ok($variant); })+
                Err(EsmtpError::invalid_value($kw, s, concat!("not one of ", $($text, " "),+)))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum_parse!(Body, "BODY", "7BIT" => Body::SevenBit, "8BITMIME" => Body::EightBitMime,
    "BINARYMIME" => Body::BinaryMime);
keyword_enum_parse!(Ret, "RET", "FULL" => Ret::Full, "HDRS" => Ret::Hdrs);

/// The MT-PRIORITY value, -9 (lowest) to 9 (highest) (RFC 6710 §3).
///
/// ```
/// use smtp_proto::syntax::esmtp::MtPriority;
/// assert_eq!("-3".parse::<MtPriority>().unwrap().value(), -3);
/// assert!(MtPriority::new(10).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MtPriority(i8);

impl MtPriority {
    /// A priority in -9..=9.
    pub fn new(value: i8) -> Result<Self, EsmtpError> {
        if (-9..=9).contains(&value) {
            Ok(MtPriority(value))
        } else {
            Err(EsmtpError::invalid_value(
                "MT-PRIORITY",
                &value.to_string(),
                "outside -9..9",
            ))
        }
    }

    /// The priority.
    pub fn value(self) -> i8 {
        self.0
    }
}

impl FromStr for MtPriority {
    type Err = EsmtpError;

    /// Parses `"0" / ["+" / "-"] %x31-39`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || EsmtpError::invalid_value("MT-PRIORITY", s, "not a priority -9..9");
        let (negative, digit) = match s.as_bytes() {
            [b'0'] => return Ok(MtPriority(0)),
            [b'-', d @ b'1'..=b'9'] => (true, d),
            [b'+', d @ b'1'..=b'9'] | [d @ b'1'..=b'9'] => (false, d),
            _ => return Err(bad()),
        };
        let v = i8::try_from(digit - b'0').map_err(|_| bad())?;
        Ok(MtPriority(if negative { -v } else { v }))
    }
}

impl fmt::Display for MtPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// When a held message is released (RFC 4865 §3, FUTURERELEASE).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FutureRelease {
    /// `HOLDFOR=seconds`.
    For(HoldFor),
    /// `HOLDUNTIL=date-time` (RFC 3339, as corrected by erratum 2040).
    Until(DateTime),
}

impl FutureRelease {
    /// The largest HOLDFOR interval.
    pub const MAX_SECONDS: u32 = HoldFor::MAX;

    /// `HOLDFOR` or `HOLDUNTIL`.
    pub fn keyword(&self) -> &'static str {
        match self {
            FutureRelease::For(_) => "HOLDFOR",
            FutureRelease::Until(_) => "HOLDUNTIL",
        }
    }

    /// Parses the value of HOLDFOR.
    pub fn parse_for(s: &str) -> Result<Self, EsmtpError> {
        parse_digits(s, 9, "HOLDFOR").map(|seconds| FutureRelease::For(HoldFor(seconds)))
    }

    /// Parses the value of HOLDUNTIL.
    pub fn parse_until(s: &str) -> Result<Self, EsmtpError> {
        s.parse().map(FutureRelease::Until)
    }
}

impl fmt::Display for FutureRelease {
    /// The value only (without keyword).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureRelease::For(s) => write!(f, "{s}"),
            FutureRelease::Until(t) => write!(f, "{t}"),
        }
    }
}

/// A HOLDFOR interval in seconds: `1*9DIGIT` (RFC 4865 §3), so at most 999 999 999.
///
/// ```
/// use smtp_proto::syntax::esmtp::HoldFor;
/// assert_eq!(HoldFor::new(3600).unwrap().seconds(), 3600);
/// assert!(HoldFor::new(1_000_000_000).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HoldFor(u32);

impl HoldFor {
    /// The largest interval nine digits can write.
    pub const MAX: u32 = 999_999_999;

    /// An interval of `seconds`, refused above [`MAX`](Self::MAX).
    pub fn new(seconds: u32) -> Result<Self, EsmtpError> {
        if seconds <= Self::MAX {
            Ok(HoldFor(seconds))
        } else {
            Err(EsmtpError::invalid_value(
                "HOLDFOR",
                &seconds.to_string(),
                "more than 9 decimal digits",
            ))
        }
    }

    /// The interval in seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl fmt::Display for HoldFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Parses `1*max DIGIT` as u32.
fn parse_digits(s: &str, max: usize, keyword: &'static str) -> Result<u32, EsmtpError> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EsmtpError::invalid_value(
            keyword,
            s,
            "not 1 to 9 decimal digits",
        ));
    }
    s.parse()
        .map_err(|_| EsmtpError::invalid_value(keyword, s, "not a number"))
}

/// What happens when a DELIVERBY deadline passes (RFC 2852 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByMode {
    /// `N`: notify (a delayed DSN) and keep trying.
    Notify,
    /// `R`: return the message as undeliverable.
    Return,
}

/// The BY parameter value: `by-time ";" by-mode [by-trace]` (RFC 2852 §4).
///
/// ```
/// use smtp_proto::syntax::esmtp::{ByMode, DeliverBy};
/// let by: DeliverBy = "120;RT".parse().unwrap();
/// assert_eq!((by.seconds(), by.mode(), by.trace()), (120, ByMode::Return, true));
/// assert!("0;R".parse::<DeliverBy>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    seconds: i32,
    mode: ByMode,
    trace: bool,
}

impl DeliverBy {
    /// A deadline in seconds (`-999999999..=999999999`); with [`ByMode::Return`] it must be
    /// positive, since a message cannot be returned before it was sent (RFC 2852 §4).
    pub fn new(seconds: i32, mode: ByMode, trace: bool) -> Result<Self, EsmtpError> {
        if !(-999_999_999..=999_999_999).contains(&seconds) {
            return Err(EsmtpError::invalid_value(
                "BY",
                &seconds.to_string(),
                "more than 9 digits",
            ));
        }
        if mode == ByMode::Return && seconds <= 0 {
            return Err(EsmtpError::invalid_value(
                "BY",
                &seconds.to_string(),
                "R mode needs a positive time",
            ));
        }
        Ok(DeliverBy {
            seconds,
            mode,
            trace,
        })
    }

    /// The deadline in seconds from now (may be negative in N mode).
    pub fn seconds(self) -> i32 {
        self.seconds
    }

    /// The by-mode.
    pub fn mode(self) -> ByMode {
        self.mode
    }

    /// Whether trace information was requested (`T`).
    pub fn trace(self) -> bool {
        self.trace
    }
}

impl FromStr for DeliverBy {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason| EsmtpError::invalid_value("BY", s, reason);
        let (time, mode) = s
            .split_once(';')
            .ok_or_else(|| bad("missing ';' and by-mode"))?;
        let (negative, digits) = match time.as_bytes().first() {
            Some(b'-') => (true, time.get(1..).unwrap_or("")),
            Some(b'+') => (false, time.get(1..).unwrap_or("")),
            _ => (false, time),
        };
        let magnitude =
            i32::try_from(parse_digits(digits, 9, "BY")?).map_err(|_| bad("out of range"))?;
        let seconds = if negative { -magnitude } else { magnitude };
        let (mode, trace) = match mode {
            "N" | "n" => (ByMode::Notify, false),
            "R" | "r" => (ByMode::Return, false),
            "NT" | "nt" | "Nt" | "nT" => (ByMode::Notify, true),
            "RT" | "rt" | "Rt" | "rT" => (ByMode::Return, true),
            _ => return Err(bad("by-mode is not N, R, NT or RT")),
        };
        DeliverBy::new(seconds, mode, trace)
    }
}

impl fmt::Display for DeliverBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            ByMode::Notify => "N",
            ByMode::Return => "R",
        };
        write!(
            f,
            "{};{}{}",
            self.seconds,
            mode,
            if self.trace { "T" } else { "" }
        )
    }
}
