//! Values of the typed RCPT parameters: NOTIFY (RFC 3461 §4.1) and RRVS (RFC 7293 §3).

use std::fmt;
use std::str::FromStr;

use super::datetime::DateTime;
use super::error::EsmtpError;

/// The NOTIFY parameter value (RFC 3461 §4.1): `NEVER`, or a set of conditions.
///
/// ```
/// use smtp_proto::syntax::esmtp::Notify;
/// let n: Notify = "delay,SUCCESS".parse().unwrap();
/// assert_eq!(n.to_string(), "SUCCESS,DELAY");
/// assert!("NEVER,DELAY".parse::<Notify>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NEVER`: no DSN in any case.
    Never,
    /// At least one of SUCCESS, FAILURE, DELAY.
    On(NotifyOn),
}

/// The conditions of a NOTIFY other than NEVER; at least one is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NotifyOn {
    success: bool,
    failure: bool,
    delay: bool,
}

impl NotifyOn {
    /// A set of conditions; `None` if all are false (that is [`Notify::Never`]'s job).
    pub fn new(success: bool, failure: bool, delay: bool) -> Option<Self> {
        (success || failure || delay).then_some(NotifyOn {
            success,
            failure,
            delay,
        })
    }

    /// `SUCCESS` is set.
    pub fn has_success(self) -> bool {
        self.success
    }

    /// `FAILURE` is set.
    pub fn has_failure(self) -> bool {
        self.failure
    }

    /// `DELAY` is set.
    pub fn has_delay(self) -> bool {
        self.delay
    }
}

impl FromStr for Notify {
    type Err = EsmtpError;

    /// Parses case-insensitively; a repeated condition or NEVER with another is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("NEVER") {
            return Ok(Notify::Never);
        }
        let bad = |reason| EsmtpError::invalid_value("NOTIFY", s, reason);
        let (mut success, mut failure, mut delay) = (false, false, false);
        for item in s.split(',') {
            let flag = if item.eq_ignore_ascii_case("SUCCESS") {
                &mut success
            } else if item.eq_ignore_ascii_case("FAILURE") {
                &mut failure
            } else if item.eq_ignore_ascii_case("DELAY") {
                &mut delay
            } else if item.eq_ignore_ascii_case("NEVER") {
                return Err(bad("NEVER cannot be combined"));
            } else {
                return Err(bad("not NEVER or a list of SUCCESS, FAILURE, DELAY"));
            };
            if *flag {
                return Err(bad("a condition is repeated"));
            }
            *flag = true;
        }
        NotifyOn::new(success, failure, delay)
            .map(Notify::On)
            .ok_or_else(|| bad("empty"))
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notify::Never => f.write_str("NEVER"),
            Notify::On(on) => {
                let items = [
                    (on.success, "SUCCESS"),
                    (on.failure, "FAILURE"),
                    (on.delay, "DELAY"),
                ];
                let mut first = true;
                for (_, name) in items.iter().filter(|(set, _)| *set) {
                    if !first {
                        f.write_str(",")?;
                    }
                    f.write_str(name)?;
                    first = false;
                }
                Ok(())
            }
        }
    }
}

/// What the server does when it cannot check RRVS (RFC 7293 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RrvsAction {
    /// `C`: continue delivery.
    Continue,
    /// `R`: reject (the default when no action is given).
    Reject,
}

/// The RRVS parameter value: `date-time [";" ("C" / "R")]` (RFC 7293 §3.1).
///
/// ```
/// use smtp_proto::syntax::esmtp::{Rrvs, RrvsAction};
/// let r: Rrvs = "2014-04-03T23:01:00Z;C".parse().unwrap();
/// assert_eq!(r.action(), Some(RrvsAction::Continue));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rrvs {
    since: DateTime,
    action: Option<RrvsAction>,
}

impl Rrvs {
    /// The recipient must have been valid since `since`.
    pub fn new(since: DateTime, action: Option<RrvsAction>) -> Self {
        Rrvs { since, action }
    }

    /// The moment since which the mailbox must have been held by the same user.
    pub fn since(&self) -> &DateTime {
        &self.since
    }

    /// The no-support action, if given.
    pub fn action(&self) -> Option<RrvsAction> {
        self.action
    }
}

impl FromStr for Rrvs {
    type Err = EsmtpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // ABNF strings are case-insensitive (RFC 5234 §2.3): `;c` is `;C`.
        let (time, action) = match s.split_once(';') {
            None => (s, None),
            Some((time, action)) if action.eq_ignore_ascii_case("C") => {
                (time, Some(RrvsAction::Continue))
            }
            Some((time, action)) if action.eq_ignore_ascii_case("R") => {
                (time, Some(RrvsAction::Reject))
            }
            Some(_) => return Err(EsmtpError::invalid_value("RRVS", s, "action is not C or R")),
        };
        Ok(Rrvs {
            since: time.parse()?,
            action,
        })
    }
}

impl fmt::Display for Rrvs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            None => write!(f, "{}", self.since),
            Some(RrvsAction::Continue) => write!(f, "{};C", self.since),
            Some(RrvsAction::Reject) => write!(f, "{};R", self.since),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_forms() {
        assert_eq!("never".parse::<Notify>().unwrap(), Notify::Never);
        let all: Notify = "FAILURE,DELAY,SUCCESS".parse().unwrap();
        assert_eq!(all.to_string(), "SUCCESS,FAILURE,DELAY");
        for bad in [
            "",
            "SUCCESS,",
            "SUCCESS,SUCCESS",
            "DELAY,NEVER",
            "ALWAYS",
            "SUCCESS, DELAY",
        ] {
            assert!(
                matches!(
                    bad.parse::<Notify>(),
                    Err(EsmtpError::InvalidValue {
                        keyword: "NOTIFY",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn rrvs_forms() {
        let r: Rrvs = "2014-04-03T23:01:00Z".parse().unwrap();
        assert_eq!(r.action(), None);
        assert_eq!(r.to_string(), "2014-04-03T23:01:00Z");
        assert!("2014-04-03T23:01:00Z;X".parse::<Rrvs>().is_err());
        assert!("2014-04-03T23:01:00Z;".parse::<Rrvs>().is_err());
    }
}
