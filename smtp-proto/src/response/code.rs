//! Reply codes, their class (first digit) and category (second digit): RFC 5321 §4.2.

use std::fmt;

/// A validated SMTP reply code: three digits, the first 2-5, the second 0-5.
///
/// RFC 5321 §4.2 gives the grammar `Reply-code = %x32-35 %x30-35 %x30-39`, so `250`, `354`,
/// `421` and `559` are valid and `199`, `600` or `260` are not. 1yz codes (positive
/// preliminary) are not used by SMTP (RFC 5321 §4.2.1) and are rejected too.
///
/// ```
/// use smtp_proto::response::{ReplyClass, ReplyCode};
///
/// let code = ReplyCode::new(452).unwrap();
/// assert_eq!(code.class(), ReplyClass::TransientNegative);
/// assert!(ReplyCode::new(260).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

/// A number that is not a valid reply code (RFC 5321 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not an SMTP reply code (RFC 5321 §4.2: first digit 2-5, second digit 0-5)")]
pub struct InvalidReplyCode(pub u16);

impl ReplyCode {
    /// `220` Service ready (greeting, and the answer to STARTTLS).
    pub const SERVICE_READY: Self = Self(220);
    /// `221` Service closing transmission channel (the answer to QUIT).
    pub const SERVICE_CLOSING: Self = Self(221);
    /// `235` Authentication succeeded (RFC 4954 §6).
    pub const AUTH_SUCCEEDED: Self = Self(235);
    /// `250` Requested mail action okay, completed.
    pub const OK: Self = Self(250);
    /// `334` Server challenge during AUTH (RFC 4954 §4).
    pub const AUTH_CHALLENGE: Self = Self(334);
    /// `354` Start mail input (the answer to DATA).
    pub const START_MAIL_INPUT: Self = Self(354);
    /// `421` Service not available, closing transmission channel.
    pub const SERVICE_NOT_AVAILABLE: Self = Self(421);
    /// `554` Transaction failed (also "no SMTP service here" as a greeting).
    pub const TRANSACTION_FAILED: Self = Self(554);

    /// Validates `code` (RFC 5321 §4.2).
    pub const fn new(code: u16) -> Result<Self, InvalidReplyCode> {
        if Self::is_valid(code) {
            Ok(Self(code))
        } else {
            Err(InvalidReplyCode(code))
        }
    }

    /// Builds a code from three octets the caller checked are ASCII digits (the reply
    /// parser; the server's `Reply` reader).
    pub(crate) const fn from_digits(d0: u8, d1: u8, d2: u8) -> Result<Self, InvalidReplyCode> {
        let code = (d0.wrapping_sub(b'0') as u16) * 100
            + (d1.wrapping_sub(b'0') as u16) * 10
            + d2.wrapping_sub(b'0') as u16;
        Self::new(code)
    }

    const fn is_valid(code: u16) -> bool {
        matches!(code / 100, 2..=5) && (code / 10) % 10 <= 5
    }

    /// The code as a number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit's meaning (RFC 5321 §4.2.1).
    pub const fn class(self) -> ReplyClass {
        match self.0 / 100 {
            2 => ReplyClass::PositiveCompletion,
            3 => ReplyClass::PositiveIntermediate,
            4 => ReplyClass::TransientNegative,
            _ => ReplyClass::PermanentNegative,
        }
    }

    /// The second digit's meaning (RFC 5321 §4.2.1).
    pub const fn category(self) -> ReplyCategory {
        match (self.0 / 10) % 10 {
            0 => ReplyCategory::Syntax,
            1 => ReplyCategory::Information,
            2 => ReplyCategory::Connections,
            3 => ReplyCategory::Unspecified3,
            4 => ReplyCategory::Unspecified4,
            _ => ReplyCategory::MailSystem,
        }
    }

    /// `2yz` or `3yz`: the command was accepted (completely or so far).
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// `2yz`: positive completion.
    pub const fn is_positive_completion(self) -> bool {
        self.0 / 100 == 2
    }

    /// `3yz`: positive intermediate, the server waits for more (354, 334).
    pub const fn is_positive_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// `4yz` or `5yz`: the command was refused.
    pub const fn is_negative(self) -> bool {
        self.0 >= 400
    }

    /// `4yz`: transient failure, the same command may succeed later.
    pub const fn is_transient(self) -> bool {
        self.0 / 100 == 4
    }

    /// `5yz`: permanent failure, do not repeat the same command unchanged.
    pub const fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }

    /// The first digit (2-5).
    pub const fn first_digit(self) -> u8 {
        (self.0 / 100) as u8
    }
}

impl TryFrom<u16> for ReplyCode {
    type Error = InvalidReplyCode;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        Self::new(code)
    }
}

impl From<ReplyCode> for u16 {
    fn from(code: ReplyCode) -> Self {
        code.0
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The class of a reply: its first digit (RFC 5321 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyClass {
    /// `2yz`: the requested action has been completed.
    PositiveCompletion,
    /// `3yz`: accepted, the server waits for further information (354, 334).
    PositiveIntermediate,
    /// `4yz`: not accepted, the error condition is temporary.
    TransientNegative,
    /// `5yz`: not accepted, do not repeat the exact request.
    PermanentNegative,
}

/// The category of a reply: its second digit (RFC 5321 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyCategory {
    /// `x0z`: syntax errors, unimplemented or superfluous commands.
    Syntax,
    /// `x1z`: replies to requests for information (status, help).
    Information,
    /// `x2z`: the transmission channel.
    Connections,
    /// `x3z`: unspecified by RFC 5321 (used by AUTH, RFC 4954).
    Unspecified3,
    /// `x4z`: unspecified by RFC 5321.
    Unspecified4,
    /// `x5z`: the state of the receiver mail system.
    MailSystem,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_rfc_5321_grammar() {
        for ok in [200, 211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 559] {
            assert_eq!(ReplyCode::new(ok).unwrap().get(), ok);
        }
        for bad in [0, 99, 196, 199, 260, 560, 600, 999, 1250] {
            assert_eq!(ReplyCode::new(bad), Err(InvalidReplyCode(bad)), "{bad}");
        }
    }

    #[test]
    fn class_and_category() {
        let c = |n| ReplyCode::new(n).unwrap();
        assert_eq!(c(250).class(), ReplyClass::PositiveCompletion);
        assert_eq!(c(354).class(), ReplyClass::PositiveIntermediate);
        assert_eq!(c(421).class(), ReplyClass::TransientNegative);
        assert_eq!(c(550).class(), ReplyClass::PermanentNegative);
        assert_eq!(c(500).category(), ReplyCategory::Syntax);
        assert_eq!(c(214).category(), ReplyCategory::Information);
        assert_eq!(c(421).category(), ReplyCategory::Connections);
        assert_eq!(c(535).category(), ReplyCategory::Unspecified3);
        assert_eq!(c(550).category(), ReplyCategory::MailSystem);
        assert!(c(354).is_positive() && c(354).is_positive_intermediate());
        assert!(c(452).is_transient() && c(452).is_negative() && !c(452).is_permanent());
        assert_eq!(c(541).category(), ReplyCategory::Unspecified4);
        assert_eq!(c(559).category(), ReplyCategory::MailSystem);
    }

    /// Each predicate at the edges of its class: the last code of one class and the first
    /// of the next.
    #[test]
    fn predicates_at_the_class_edges() {
        let c = |n| ReplyCode::new(n).unwrap();
        type Row = (u16, [bool; 6], u8);
        // positive, completion, intermediate, negative, transient, permanent; first digit.
        let table: [Row; 6] = [
            (200, [true, true, false, false, false, false], 2),
            (259, [true, true, false, false, false, false], 2),
            (300, [true, false, true, false, false, false], 3),
            (359, [true, false, true, false, false, false], 3),
            (400, [false, false, false, true, true, false], 4),
            (500, [false, false, false, true, false, true], 5),
        ];
        for (n, expected, digit) in table {
            let code = c(n);
            let found = [
                code.is_positive(),
                code.is_positive_completion(),
                code.is_positive_intermediate(),
                code.is_negative(),
                code.is_transient(),
                code.is_permanent(),
            ];
            assert_eq!(found, expected, "{n}");
            assert_eq!(code.first_digit(), digit, "{n}");
        }
        assert!(c(459).is_transient() && !c(459).is_permanent());
        assert!(c(559).is_permanent() && c(559).is_negative());
    }
}
