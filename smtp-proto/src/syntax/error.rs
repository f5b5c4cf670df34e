//! The one error type of the address syntax parsers.

use thiserror::Error;

/// What is wrong with a domain, address literal, local part, mailbox, path or client identity.
///
/// Offsets (`at`) are byte offsets into the string given to the parser (for a path, into the
/// whole path including `<`). Every variant names the first problem found; the input is
/// never repaired silently.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The input is empty.
    #[error("empty input, expected {expected}")]
    Empty {
        /// What was expected.
        expected: &'static str,
    },
    /// A control character (C0, DEL or C1): never allowed, checked or unchecked, so that no
    /// command can be injected (RFC 5321 §4.1.2, SECURITY.md).
    #[error("control character U+{:04X} at offset {at}", u32::from(*ch))]
    Control {
        /// Byte offset of the character.
        at: usize,
        /// The character.
        ch: char,
    },
    /// A character that the grammar does not allow here.
    #[error("unexpected character {ch:?} at offset {at}, expected {expected}")]
    UnexpectedChar {
        /// Byte offset of the character.
        at: usize,
        /// The character.
        ch: char,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// The input ends before the grammar is complete.
    #[error("input ends at offset {at}, expected {expected}")]
    UnexpectedEnd {
        /// Byte offset of the end.
        at: usize,
        /// What was still expected.
        expected: &'static str,
    },
    /// A domain label is empty (leading, trailing or doubled dot; RFC 5321 §4.1.2).
    #[error("empty domain label at offset {at} (leading, trailing or doubled dot)")]
    EmptyLabel {
        /// Byte offset where the label should start.
        at: usize,
    },
    /// A domain label ends with a hyphen (`Ldh-str` ends with `Let-dig`, RFC 5321 §4.1.2).
    #[error("domain label at offset {at} ends with a hyphen")]
    LabelEndsWithHyphen {
        /// Byte offset of the label.
        at: usize,
    },
    /// A domain label (in its A-label form) is longer than 63 octets (RFC 5321 §4.5.3.1.2).
    #[error("domain label at offset {at} is {len} octets long (at most 63)")]
    LabelTooLong {
        /// Byte offset of the label.
        at: usize,
        /// Its length in octets (of the A-label for a U-label).
        len: usize,
    },
    /// The domain (as given or as A-labels) is longer than 255 octets (RFC 5321 §4.5.3.1.2).
    #[error("domain is {len} octets long (at most 255)")]
    DomainTooLong {
        /// Its length in octets.
        len: usize,
    },
    /// A non-ASCII label is not a valid U-label (IDNA2008 as checked by UTS #46 strict
    /// processing, RFC 5890/5891), or is not in its normalised form.
    #[error("label at offset {at} is not a valid U-label (IDNA2008 / UTS #46)")]
    InvalidULabel {
        /// Byte offset of the label.
        at: usize,
    },
    /// A U-label, or the U-label an A-label decodes to, holds a code point that IDNA2008
    /// does not permit (RFC 5892). For a U-label `at` is the code point's offset; for an
    /// A-label, the label's.
    #[error(
        "label at offset {at}: U+{:04X} is {problem} (IDNA2008, RFC 5892)",
        u32::from(*ch)
    )]
    Idna2008 {
        /// Byte offset of the code point (in a U-label) or of the A-label.
        at: usize,
        /// The code point.
        ch: char,
        /// Which rule refuses it.
        problem: IdnaProblem,
    },
    /// An ASCII label starting with `xn--` is not a valid A-label (RFC 5890 §2.3.2.1).
    #[error("label at offset {at} starts with \"xn--\" but is not a valid A-label")]
    InvalidALabel {
        /// Byte offset of the label.
        at: usize,
    },
    /// Each label is valid but the domain as a whole is not: a domain with a right-to-left
    /// label must satisfy the Bidi rule in every label (RFC 5893 §2).
    #[error("the labels of this internationalized domain break the Bidi rule (RFC 5893)")]
    InvalidIdnDomain,
    /// An atom of a Dot-string local part is empty (leading, trailing or doubled dot).
    #[error("empty atom at offset {at} in the local part (leading, trailing or doubled dot)")]
    EmptyAtom {
        /// Byte offset where the atom should start.
        at: usize,
    },
    /// A quoted-string local part is not closed (RFC 5321 §4.1.2).
    #[error("quoted string opened at offset {at} is not closed")]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// The local part is longer than 64 octets (RFC 5321 §4.5.3.1.1).
    #[error("local part is {len} octets long (at most 64)")]
    LocalPartTooLong {
        /// Its length in octets.
        len: usize,
    },
    /// The path is longer than 256 octets including the angle brackets (RFC 5321 §4.5.3.1.3).
    #[error("path is {len} octets long (at most 256 including the angle brackets)")]
    PathTooLong {
        /// Its length in octets (as written, the longer of the UTF-8 and A-label forms).
        len: usize,
    },
    /// An IPv4 address literal is malformed (RFC 5321 §4.1.3).
    #[error("invalid IPv4 address literal at offset {at}")]
    InvalidIpv4 {
        /// Byte offset of the address.
        at: usize,
    },
    /// An IPv6 address literal is malformed (RFC 5321 §4.1.3).
    #[error("invalid IPv6 address literal at offset {at}: {problem}")]
    InvalidIpv6 {
        /// Byte offset of the problem.
        at: usize,
        /// What is wrong.
        problem: Ipv6Problem,
    },
    /// A general address literal uses the tag `IPv6`, which has its own form.
    #[error("address literal tag at offset {at} is \"IPv6\", reserved for IPv6 literals")]
    ReservedTag {
        /// Byte offset of the tag.
        at: usize,
    },
    /// The null path `<>` where a mailbox is required (a forward path).
    #[error("the null path <> is not allowed here")]
    NullPath,
}

/// Why IDNA2008 refuses a code point in a label (RFC 5892 §2-3, Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdnaProblem {
    /// Its derived property is DISALLOWED: a symbol, punctuation, a character that NFKC or
    /// case folding changes (an upper-case letter), an ignorable or an Old Hangul jamo.
    #[error("DISALLOWED")]
    Disallowed,
    /// It is not assigned in the Unicode version this crate's data knows (RFC 5891 §5.4).
    #[error("UNASSIGNED")]
    Unassigned,
    /// It is CONTEXTO and its rule does not hold here (a middle dot not between two `l`, a
    /// Hebrew geresh not after Hebrew, Arabic-Indic digits of both kinds, ...).
    #[error("CONTEXTO and its context rule does not hold")]
    Context,
}

/// What is wrong with an IPv6 address literal (RFC 5321 §4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Ipv6Problem {
    /// More groups than the form allows (8 in full form; at most 6, or 4 before an IPv4
    /// suffix, beside `::`).
    #[error("too many groups")]
    TooManyGroups,
    /// Fewer than 8 groups (6 before an IPv4 suffix) and no `::`.
    #[error("too few groups and no \"::\"")]
    TooFewGroups,
    /// `::` appears more than once.
    #[error("\"::\" appears more than once")]
    DoubleCompression,
    /// A group is empty or is not 1 to 4 hexadecimal digits.
    #[error("a group is not 1 to 4 hexadecimal digits")]
    BadGroup,
    /// The dotted IPv4 suffix is malformed or not last.
    #[error("malformed IPv4 suffix")]
    BadIpv4Suffix,
}

impl AddressError {
    /// The same error with its offset moved by `by`: for an error found in a part (the host
    /// of a mailbox) reported against the whole input.
    pub(crate) fn shifted(self, by: usize) -> Self {
        self.map_offset(|at| at + by)
    }

    /// The same error with its offset (if it has one) changed by `f`: for an error to be
    /// reported against other text than what was parsed, such as the input before a
    /// caller wrapped it in angle brackets (`|at| at.saturating_sub(1)`).
    ///
    /// ```
    /// use smtp_proto::syntax::{AddressError, ForwardPath};
    /// let typed = "b@x..org";
    /// let error = format!("<{typed}>").parse::<ForwardPath>().unwrap_err();
    /// let error = error.map_offset(|at| at.saturating_sub(1).min(typed.len()));
    /// assert!(matches!(error, AddressError::EmptyLabel { at: 4 }));
    /// ```
    #[must_use]
    pub fn map_offset(self, f: impl FnOnce(usize) -> usize) -> Self {
        use AddressError as E;
        match self {
            E::Control { at, ch } => E::Control { at: f(at), ch },
            E::UnexpectedChar { at, ch, expected } => E::UnexpectedChar {
                at: f(at),
                ch,
                expected,
            },
            E::UnexpectedEnd { at, expected } => E::UnexpectedEnd {
                at: f(at),
                expected,
            },
            E::EmptyLabel { at } => E::EmptyLabel { at: f(at) },
            E::LabelEndsWithHyphen { at } => E::LabelEndsWithHyphen { at: f(at) },
            E::LabelTooLong { at, len } => E::LabelTooLong { at: f(at), len },
            E::InvalidULabel { at } => E::InvalidULabel { at: f(at) },
            E::InvalidALabel { at } => E::InvalidALabel { at: f(at) },
            E::Idna2008 { at, ch, problem } => E::Idna2008 {
                at: f(at),
                ch,
                problem,
            },
            E::EmptyAtom { at } => E::EmptyAtom { at: f(at) },
            E::UnterminatedQuote { at } => E::UnterminatedQuote { at: f(at) },
            E::InvalidIpv4 { at } => E::InvalidIpv4 { at: f(at) },
            E::InvalidIpv6 { at, problem } => E::InvalidIpv6 { at: f(at), problem },
            E::ReservedTag { at } => E::ReservedTag { at: f(at) },
            other => other,
        }
    }
}

/// Builds the error for an unexpected byte at `at` in `s` (or its end), naming what the
/// grammar wanted; control characters get their own variant.
pub(crate) fn unexpected(s: &str, at: usize, base: usize, expected: &'static str) -> AddressError {
    match s.get(at..).and_then(|rest| rest.chars().next()) {
        None => AddressError::UnexpectedEnd {
            at: base + at,
            expected,
        },
        Some(ch) if crate::syntax::chars::is_control_char(ch) => {
            AddressError::Control { at: base + at, ch }
        }
        Some(ch) => AddressError::UnexpectedChar {
            at: base + at,
            ch,
            expected,
        },
    }
}
