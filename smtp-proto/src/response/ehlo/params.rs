//! Typed EHLO parameters: SIZE, AUTH, LIMITS, FUTURERELEASE, DELIVERBY, MT-PRIORITY,
//! XCLIENT and XFORWARD.

use super::keywords::words;
use super::{Capability, EhloData};

/// The SASL mechanisms announced by AUTH, from [`EhloData::auth_mechanisms`].
#[derive(Clone, Debug)]
pub struct AuthMechanisms<'a> {
    /// The whole list, to recognise a name already yielded.
    list: &'a [u8],
    /// Where the next name is looked for.
    rest: &'a [u8],
}

impl<'a> AuthMechanisms<'a> {
    /// Iterates over `list`'s blank-separated names that have no lower-case letter,
    /// skipping invalid names and repeats: exactly what [`add_mechanisms`] keeps, so the
    /// list may be one AUTH line's parameters as sent or the merged, owned list.
    pub(super) fn new(list: &'a [u8]) -> Self {
        Self { list, rest: list }
    }
}

impl<'a> Iterator for AuthMechanisms<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let start = self.rest.iter().position(|&b| b != b' ' && b != b'\t')?;
            let word = self.rest.get(start..).unwrap_or_default();
            let len = word
                .iter()
                .position(|&b| b == b' ' || b == b'\t')
                .unwrap_or(word.len());
            let (name, rest) = word.split_at(len);
            self.rest = rest;
            // RFC 4422 §3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA / DIGIT / "-" / "_".
            let valid = name.len() <= 20
                && name.iter().all(|&b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !valid || self.is_repeat(name) {
                continue;
            }
            // Valid names are ASCII, so this never fails.
            if let Ok(name) = std::str::from_utf8(name) {
                return Some(name);
            }
        }
    }
}

impl AuthMechanisms<'_> {
    /// Whether `name`, which just ended where `rest` starts, occurs earlier in the list.
    fn is_repeat(&self, name: &[u8]) -> bool {
        let before = self.list.len() - self.rest.len().min(self.list.len());
        let earlier = self
            .list
            .get(..before.saturating_sub(name.len()))
            .unwrap_or_default();
        words(earlier).any(|w| w == name)
    }
}

/// Whether `params` has an ASCII lower-case letter, eight bytes at a time: without one,
/// AUTH's parameters are read in place by [`AuthMechanisms`].
pub(super) fn has_lowercase(params: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let lower = |word: u64| {
        let seven = word & !HIGHS;
        let from_a = seven.wrapping_add(ONES * u64::from(0x80 - b'a'));
        let past_z = seven.wrapping_add(ONES * u64::from(0x80 - b'z' - 1));
        from_a & !past_z & !word & HIGHS
    };
    let mut chunks = params.chunks_exact(8);
    for chunk in &mut chunks {
        if lower(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]))) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(u8::is_ascii_lowercase)
}

/// Adds AUTH's mechanisms to `list`, upper-cased, once each, each followed by a space.
pub(super) fn add_mechanisms(list: &mut Vec<u8>, params: &[u8]) {
    list.reserve(params.len() + 1);
    for word in words(params) {
        // RFC 4422 §3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA / DIGIT / "-" / "_".
        if word.len() > 20 {
            continue;
        }
        let start = list.len();
        let mut valid = true;
        for &b in word {
            valid &= b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            list.push(b.to_ascii_uppercase());
        }
        if valid && !is_known(list, start) {
            list.push(b' ');
        } else {
            list.truncate(start);
        }
    }
}

/// Whether the (upper-case) name after `start` is already in the list before it.
fn is_known(list: &[u8], start: usize) -> bool {
    let (mut known, new) = list.split_at(start.min(list.len()));
    while !known.is_empty() {
        let len = known.iter().position(|&b| b == b' ').unwrap_or(known.len());
        let (entry, tail) = known.split_at(len);
        if entry == new {
            return true;
        }
        known = tail.get(1..).unwrap_or_default();
    }
    false
}

/// SIZE's optional number (RFC 1870 §4): 0 means no fixed limit.
pub(super) fn size(params: &[u8]) -> Option<u64> {
    // The first word, without the generic word splitter: this is on the EHLO hot path.
    let start = params.iter().position(|&b| b != b' ' && b != b'\t')?;
    let word = params.get(start..).unwrap_or_default();
    let len = word
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .unwrap_or(word.len());
    number(word.get(..len).unwrap_or_default()).filter(|&n| n > 0)
}

/// A decimal number of at most `u64::MAX`, digits only.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// The limits of RFC 9422 §4 announced by `LIMITS`; each is `None` when not announced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerLimits {
    /// `RCPTMAX`: the most RCPT commands per transaction.
    pub rcpt_max: Option<u32>,
    /// `MAILMAX`: the most transactions per session.
    pub mail_max: Option<u32>,
    /// `RCPTDOMAINMAX`: the most recipient domains per transaction.
    pub rcpt_domain_max: Option<u32>,
}

/// FUTURERELEASE's parameters (RFC 4865 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutureRelease<'a> {
    /// The longest release interval in seconds, if announced as a number.
    pub max_interval: Option<u64>,
    /// The latest release date-time (RFC 3339), as sent.
    pub max_datetime: Option<&'a str>,
}

/// The priority assignment policy announced by MT-PRIORITY (RFC 6710 §3, §9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MtPriorityPolicy {
    /// No policy named (RFC 6710 §3: the server's is unspecified).
    Unspecified,
    /// `MIXER` (RFC 6710 Appendix A).
    Mixer,
    /// `STANAG4406` (RFC 6710 Appendix B).
    Stanag4406,
    /// `NSEP` (RFC 6710 Appendix C).
    Nsep,
    /// Another, unregistered policy name; see [`EhloData::params`].
    Other,
}

impl EhloData {
    /// LIMITS' values (RFC 9422 §4), `None` when LIMITS was not announced. Unknown or
    /// malformed `name=value` pairs are skipped.
    pub fn limits(&self) -> Option<ServerLimits> {
        // Asked before every mail: without LIMITS, no line needs to be looked at.
        if !self.supports(Capability::Limits) {
            return None;
        }
        let mut limits = ServerLimits::default();
        for pair in words(self.params(Capability::Limits.keyword())?) {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (name, value) = pair.split_at(eq);
            let value = value
                .get(1..)
                .and_then(number)
                .and_then(|n| u32::try_from(n).ok());
            let slot = if name.eq_ignore_ascii_case(b"RCPTMAX") {
                &mut limits.rcpt_max
            } else if name.eq_ignore_ascii_case(b"MAILMAX") {
                &mut limits.mail_max
            } else if name.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                &mut limits.rcpt_domain_max
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = value;
            }
        }
        Some(limits)
    }

    /// FUTURERELEASE's parameters (RFC 4865 §3), `None` when not announced.
    pub fn future_release(&self) -> Option<FutureRelease<'_>> {
        let mut words = words(self.params(Capability::FutureRelease.keyword())?);
        Some(FutureRelease {
            max_interval: words.next().and_then(number),
            max_datetime: words.next().and_then(|w| std::str::from_utf8(w).ok()),
        })
    }

    /// DELIVERBY's minimum by-time in seconds (RFC 2852 §4), `None` when DELIVERBY is not
    /// announced or has no (numeric) minimum; see [`supports`](Self::supports).
    pub fn deliver_by_min_time(&self) -> Option<u64> {
        words(self.params(Capability::DeliverBy.keyword())?)
            .next()
            .and_then(number)
    }

    /// MT-PRIORITY's policy (RFC 6710 §3), `None` when MT-PRIORITY is not announced.
    pub fn mt_priority_policy(&self) -> Option<MtPriorityPolicy> {
        let params = self.params(Capability::MtPriority.keyword())?;
        let Some(name) = words(params).next() else {
            return Some(MtPriorityPolicy::Unspecified);
        };
        Some(match name.to_ascii_uppercase().as_slice() {
            b"MIXER" => MtPriorityPolicy::Mixer,
            b"STANAG4406" => MtPriorityPolicy::Stanag4406,
            b"NSEP" => MtPriorityPolicy::Nsep,
            _ => MtPriorityPolicy::Other,
        })
    }

    /// XCLIENT's attribute names (Postfix XCLIENT_README), as sent; empty when absent.
    pub fn xclient_attributes(&self) -> impl Iterator<Item = &str> + '_ {
        self.attribute_names(Capability::XClient)
    }

    /// XFORWARD's attribute names (Postfix XFORWARD_README), as sent; empty when absent.
    pub fn xforward_attributes(&self) -> impl Iterator<Item = &str> + '_ {
        self.attribute_names(Capability::XForward)
    }

    fn attribute_names(&self, capability: Capability) -> impl Iterator<Item = &str> + '_ {
        words(self.params(capability.keyword()).unwrap_or_default())
            .filter_map(|w| std::str::from_utf8(w).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The list as merged from several AUTH lines, for comparison.
    fn merged(params: &[u8]) -> Vec<String> {
        let mut list = Vec::new();
        add_mechanisms(&mut list, params);
        let list = String::from_utf8(list).unwrap();
        list.split_ascii_whitespace().map(String::from).collect()
    }

    #[test]
    fn in_place_list_skips_invalid_names_and_repeats() {
        let params = b" PLAIN\tLOGIN PLAIN X\xffY ABCDEFGHIJKLMNOPQRSTU CRAM-MD5 A\x0cB LOGIN ";
        assert!(!has_lowercase(params));
        let found: Vec<&str> = AuthMechanisms::new(params).collect();
        assert_eq!(found, ["PLAIN", "LOGIN", "CRAM-MD5"]);
        assert_eq!(merged(params), found);
        // RFC 4422 §3.1 allows 20 characters: kept both ways, the 21st is one too many.
        let twenty = b"ABCDEFGHIJKLMNOPQRST ABCDEFGHIJKLMNOPQRSTU";
        let found: Vec<&str> = AuthMechanisms::new(twenty).collect();
        assert_eq!(found, ["ABCDEFGHIJKLMNOPQRST"]);
        assert_eq!(merged(twenty), found);
        assert_eq!(merged(b"abcdefghijklmnopqrst abcdefghijklmnopqrstu"), found);
        assert!(has_lowercase(b"PLAIN LOGIN XOAUTH2 OAUTHBEARER login"));
    }

    #[test]
    fn every_byte_is_judged_alone_in_a_word_and_in_the_tail() {
        for byte in 0..=u8::MAX {
            for at in 0..9 {
                let mut params = *b"PLAIN-X_9";
                params[at] = byte;
                assert_eq!(
                    has_lowercase(&params),
                    byte.is_ascii_lowercase(),
                    "{byte:#x} at {at}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn in_place_list_equals_the_merged_list(
            params in prop::collection::vec(prop::sample::select(b"AB-_1 \t\x0c\xff~".to_vec()), 0..48)
        ) {
            let found: Vec<String> = AuthMechanisms::new(&params).map(String::from).collect();
            prop_assert_eq!(found, merged(&params));
        }

        #[test]
        fn finds_every_lowercase_letter(params in prop::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(has_lowercase(&params), params.iter().any(u8::is_ascii_lowercase));
        }
    }
}
