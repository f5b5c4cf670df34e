//! EHLO and LHLO replies: the server's domain and greeting, typed capabilities and the raw
//! parameters of every keyword (RFC 5321 §4.1.1.1, RFC 2033 §4.1).

mod capability;
mod keywords;
mod params;

use std::borrow::Cow;

pub use capability::Capability;
pub use keywords::Keyword;
pub use params::{AuthMechanisms, FutureRelease, MtPriorityPolicy, ServerLimits};

use super::{ReplyCode, Response};
use keywords::{classify, trim};

/// What a server announced in its reply to EHLO or LHLO (RFC 5321 §4.1.1.1, RFC 2033).
///
/// The first line gives the server's domain and a free-text greeting; every further line
/// whose text starts with a keyword (`ALPHA / DIGIT *(ALPHA / DIGIT / "-")`) announces an
/// extension with optional parameters. Every keyword line is kept, in server order, with
/// its raw parameters ([`keywords`](Self::keywords), [`params`](Self::params)), so unknown
/// extensions stay usable; known ones are typed ([`supports`](Self::supports),
/// [`size_limit`](Self::size_limit), [`auth_mechanisms`](Self::auth_mechanisms), ...).
///
/// Tolerant of real servers, never failing on a line: keywords in any case; the old
/// `AUTH=LOGIN PLAIN` form (merged with `AUTH`); `SIZE` without a number; duplicated
/// keywords (the first line wins for [`params`](Self::params) and the typed parameters,
/// AUTH merges all); extra spaces and tabs; and lines that are not keywords (free text,
/// smtp-sink's empty last line `250 `), which are skipped.
///
/// ```
/// use smtp_proto::response::{Capability, EhloData, Response};
///
/// let reply = Response::parse(b"250-mail.example Hi\r\n250-AUTH=LOGIN\r\n250-auth plain login\r\n250-SIZE\r\n250 X-FOO bar baz\r\n").unwrap();
/// let ehlo = EhloData::from_response(&reply).unwrap();
/// assert_eq!(ehlo.greeting(), "Hi");
/// assert_eq!(ehlo.auth_mechanisms().collect::<Vec<_>>(), ["LOGIN", "PLAIN"]);
/// assert!(ehlo.supports(Capability::Size));
/// assert_eq!(ehlo.size_limit(), None); // SIZE without a number: no limit announced
/// assert_eq!(ehlo.params("x-foo"), Some(&b"bar baz"[..]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhloData {
    response: Response,
    capabilities: u64,
    /// The byte range, in the reply, of the first SIZE line's parameters.
    size: Option<(u32, u32)>,
    auth: Mechanisms,
}

/// Where [`EhloData::auth_mechanisms`] reads the SASL mechanism names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mechanisms {
    /// The byte range, in the reply, of the only AUTH line's parameters, which have no
    /// lower-case letter: the common case, read in place (invalid names and repeats are
    /// skipped while iterating).
    Raw(u32, u32),
    /// Upper-cased, de-duplicated names, each followed by one space: several AUTH lines,
    /// or one that needed fixing.
    Owned(String),
}

/// An EHLO or LHLO reply that cannot describe a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EhloError {
    /// The reply is not a positive completion (`2yz`), so it announces nothing.
    #[error("the EHLO reply {0} is not a positive completion")]
    NotPositive(ReplyCode),
}

impl EhloData {
    /// Reads an EHLO or LHLO reply (a cheap clone of `response` is kept).
    ///
    /// Any `2yz` code is accepted (RFC 5321 §4.1.1.1 says 250); others are an error.
    pub fn from_response(response: &Response) -> Result<Self, EhloError> {
        Self::try_from(response.clone())
    }

    /// The whole reply.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The server's domain or address literal: the first word of the first line (empty
    /// when the line is empty).
    pub fn domain(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.first_line_parts().0)
    }

    /// The free text after the domain on the first line, trimmed.
    pub fn greeting(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.first_line_parts().1)
    }

    fn first_line_parts(&self) -> (&[u8], &[u8]) {
        let text = trim(self.response.first_line().text());
        let end = text.iter().position(|&b| b == b' ' || b == b'\t');
        let (domain, greeting) = text.split_at(end.unwrap_or(text.len()));
        (domain, trim(greeting))
    }

    /// Whether the server announced `capability`.
    pub fn supports(&self, capability: Capability) -> bool {
        self.capabilities & capability.bit() != 0
    }

    /// Whether the server announced the EHLO `keyword` (ASCII case ignored), known to this
    /// crate or not; allocation-free for the known ones.
    pub fn offers(&self, keyword: &str) -> bool {
        match Capability::from_keyword(keyword.as_bytes()) {
            Some(capability) => self.supports(capability),
            None => self.params(keyword).is_some(),
        }
    }

    /// Every announced capability this crate knows, in declaration order.
    pub fn capabilities(&self) -> impl Iterator<Item = Capability> + '_ {
        Capability::ALL
            .iter()
            .copied()
            .filter(|&c| self.supports(c))
    }

    /// Every keyword line after the first, in server order, duplicates included.
    pub fn keywords(&self) -> impl Iterator<Item = Keyword<'_>> + '_ {
        self.response
            .lines()
            .skip(1)
            .filter_map(|line| Keyword::from_text(line.text()))
    }

    /// The raw parameters of the first line with `keyword` (ignoring ASCII case), trimmed;
    /// empty when it has none, `None` when it was not announced.
    pub fn params(&self, keyword: &str) -> Option<&[u8]> {
        // A known keyword that was not announced is on no line: no need to scan them (the
        // typed accessors ask on every mail).
        if Capability::from_keyword(keyword.as_bytes()).is_some_and(|c| !self.supports(c)) {
            return None;
        }
        self.keywords()
            .find(|k| k.name().eq_ignore_ascii_case(keyword))
            .map(|k| k.params())
    }

    /// The SIZE limit in bytes (RFC 1870 §4); `None` when SIZE is absent, has no number, or
    /// announces 0 (no fixed limit) or something that is not a number. With several SIZE
    /// lines, the first that announces a limit counts.
    pub fn size_limit(&self) -> Option<u64> {
        let (start, end) = self.size?;
        params::size(self.slice(start, end))
    }

    /// The SASL mechanisms of every AUTH line (RFC 4954 §3), upper-cased, de-duplicated,
    /// in server order. Names that are not SASL mechanism names (RFC 4422 §3.1: 1 to 20 of
    /// `A-Z 0-9 - _`) are skipped; [`params`](Self::params) still has them.
    pub fn auth_mechanisms(&self) -> AuthMechanisms<'_> {
        let list = match &self.auth {
            Mechanisms::Owned(list) => list.as_bytes(),
            Mechanisms::Raw(start, end) => self.slice(*start, *end),
        };
        AuthMechanisms::new(list)
    }

    fn slice(&self, start: u32, end: u32) -> &[u8] {
        let range = start as usize..end as usize;
        self.response.as_bytes().get(range).unwrap_or_default()
    }

    /// Whether AUTH lists `mechanism` (ignoring ASCII case).
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth_mechanisms()
            .any(|m| m.eq_ignore_ascii_case(mechanism))
    }
}

impl TryFrom<Response> for EhloData {
    type Error = EhloError;

    fn try_from(response: Response) -> Result<Self, Self::Error> {
        if !response.code().is_positive_completion() {
            return Err(EhloError::NotPositive(response.code()));
        }
        let mut capabilities = 0u64;
        let mut size: Option<(u32, u32)> = None;
        let mut raw_auth = None;
        let mut auth = Vec::new();
        for (end, text) in response.rest_texts() {
            let Some((Some(capability), params)) = classify(text) else {
                continue;
            };
            let seen = capabilities & capability.bit() != 0;
            capabilities |= capability.bit();
            // `params` ends the line's text, which ends at `end`.
            let range = || {
                let len = u32::try_from(params.len()).unwrap_or(u32::MAX);
                (end.saturating_sub(len), end)
            };
            match capability {
                Capability::Auth if !seen && !params::has_lowercase(params) => {
                    raw_auth = Some(range());
                }
                Capability::Auth => {
                    if let Some((start, end)) = raw_auth.take() {
                        let first = response.as_bytes().get(start as usize..end as usize);
                        params::add_mechanisms(&mut auth, first.unwrap_or_default());
                    }
                    params::add_mechanisms(&mut auth, params);
                }
                // Duplicated SIZE lines: the first with a limit wins, so that a bare `SIZE`
                // before `SIZE 100` does not read as "no limit".
                Capability::Size => match size {
                    None => size = Some(range()),
                    // Rare, so off the hot path: only a duplicate looks at numbers.
                    Some((start, end)) => {
                        let first = response.as_bytes().get(start as usize..end as usize);
                        if params::size(first.unwrap_or_default()).is_none()
                            && params::size(params).is_some()
                        {
                            size = Some(range());
                        }
                    }
                },
                _ => {}
            }
        }
        let auth = match raw_auth {
            Some((start, end)) => Mechanisms::Raw(start, end),
            // Only ASCII was added, so this never falls back.
            None => Mechanisms::Owned(String::from_utf8(auth).unwrap_or_default()),
        };
        Ok(Self {
            response,
            capabilities,
            size,
            auth,
        })
    }
}
