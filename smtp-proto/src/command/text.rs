//! The free-text argument of VRFY, EXPN, HELP and NOOP.

use std::fmt;
use std::str::FromStr;

use super::error::CommandError;
use super::line::validate_text;

/// A command argument: the `String` of VRFY, EXPN, HELP and NOOP (RFC 5321 §4.1.1.6-9).
///
/// Any non-empty text without control characters; servers read it in their own ways
/// (a user name, a quoted string, a mailbox). Non-ASCII text needs SMTPUTF8 (RFC 6531 §3.1).
///
/// ```
/// use smtp_proto::command::TextArgument;
/// assert!("Smith".parse::<TextArgument>().is_ok());
/// assert!("a\r\nRSET".parse::<TextArgument>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextArgument(String);

impl TextArgument {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is non-ASCII.
    pub fn needs_smtputf8(&self) -> bool {
        !self.0.is_ascii()
    }
}

impl FromStr for TextArgument {
    type Err = CommandError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_text(s, "argument")?;
        Ok(TextArgument(s.to_owned()))
    }
}

impl TryFrom<&str> for TextArgument {
    type Error = CommandError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for TextArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
