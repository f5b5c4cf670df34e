//! Splitting an EHLO line into its keyword and parameters (RFC 5321 §4.1.1.1).

use super::Capability;

/// One keyword line of an EHLO reply: the keyword and its raw parameters.
///
/// ```
/// use smtp_proto::response::{Capability, Keyword};
///
/// let k = Keyword::from_text(b"AUTH=LOGIN PLAIN").unwrap();
/// assert_eq!((k.name(), k.params()), ("AUTH", &b"LOGIN PLAIN"[..]));
/// assert_eq!(k.capability(), Some(Capability::Auth));
/// assert!(Keyword::from_text(b"Hello: how are you?").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyword<'a> {
    name: &'a str,
    params: &'a [u8],
}

impl<'a> Keyword<'a> {
    /// Reads a line's text: leading blanks, a keyword (`ALPHA / DIGIT *(ALPHA / DIGIT /
    /// "-")`), then nothing, or a space, tab or `=` (the old `AUTH=` form) and parameters.
    /// `None` when the text does not start with a keyword so delimited.
    pub fn from_text(text: &'a [u8]) -> Option<Self> {
        let (name, params) = split_keyword(text)?;
        // The keyword grammar is ASCII, so this never fails.
        let name = std::str::from_utf8(name).ok()?;
        Some(Self { name, params })
    }

    /// The keyword as sent (any case).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The parameters, blanks around them trimmed; empty when there are none.
    pub fn params(&self) -> &'a [u8] {
        self.params
    }

    /// The parameters split at blanks.
    pub fn words(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        words(self.params)
    }

    /// The known capability this keyword announces, if any.
    pub fn capability(&self) -> Option<Capability> {
        Capability::from_keyword(self.name.as_bytes())
    }
}

/// The bytes of `ehlo-keyword` after its first (RFC 5321 §4.1.1.1): ALPHA, DIGIT, "-".
static KEYWORD_BYTES: [bool; 256] = keyword_bytes();

// Evaluated at compile time: an out-of-range index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const fn keyword_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || b == b'-';
        i += 1;
    }
    table
}

pub(super) fn split_keyword(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let text = match text.first()? {
        b' ' | b'\t' => trim_start(text),
        _ => text,
    };
    if !text.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let end = text
        .iter()
        .position(|&b| KEYWORD_BYTES.get(usize::from(b)) != Some(&true))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    match rest.split_first() {
        None => Some((name, rest)),
        Some((b' ' | b'\t' | b'=', params)) => Some((name, trim(params))),
        Some(_) => None,
    }
}

/// Reads a line's keyword and names its capability in one pass (the hot path of
/// [`EhloData`](super::EhloData)'s construction); the parameters are returned untrimmed.
pub(super) fn classify(text: &[u8]) -> Option<(Option<Capability>, &[u8])> {
    let text = match text.first()? {
        b' ' | b'\t' => trim_start(text),
        _ => text,
    };
    if !text.first()?.is_ascii_alphanumeric() {
        return None;
    }
    let mut packed = 0u64;
    let mut end = text.len();
    for (i, &b) in text.iter().enumerate() {
        if KEYWORD_BYTES.get(usize::from(b)) != Some(&true) {
            end = i;
            break;
        }
        if i < 8 {
            packed |= u64::from(b.to_ascii_uppercase()) << (8 * i);
        }
    }
    let (name, rest) = text.split_at(end);
    let params = match rest.split_first() {
        None => rest,
        Some((b' ' | b'\t' | b'=', params)) => params,
        Some(_) => return None,
    };
    let capability = if end <= 8 {
        Capability::from_packed(packed)
    } else {
        Capability::from_keyword(name)
    };
    Some((capability, params))
}

pub(super) fn words(params: &[u8]) -> impl Iterator<Item = &[u8]> {
    params
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
}

fn is_blank(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text.iter().position(|b| !is_blank(b)).unwrap_or(text.len());
    text.get(start..).unwrap_or_default()
}

pub(super) fn trim(text: &[u8]) -> &[u8] {
    let text = trim_start(text);
    let end = text.iter().rposition(|b| !is_blank(b)).map_or(0, |i| i + 1);
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keyword_lines() {
        let split = |t: &'static [u8]| split_keyword(t);
        assert_eq!(split(b"SIZE 100"), Some((&b"SIZE"[..], &b"100"[..])));
        assert_eq!(split(b"  SIZE\t 100  "), Some((&b"SIZE"[..], &b"100"[..])));
        assert_eq!(split(b"AUTH=LOGIN"), Some((&b"AUTH"[..], &b"LOGIN"[..])));
        assert_eq!(split(b"8BITMIME"), Some((&b"8BITMIME"[..], &b""[..])));
        assert_eq!(split(b"X-FOO "), Some((&b"X-FOO"[..], &b""[..])));
        assert_eq!(split(b""), None);
        assert_eq!(split(b"   "), None);
        assert_eq!(split(b"-FOO"), None);
        assert_eq!(split(b"FOO:bar"), None);
        assert_eq!(split(b"\xffFOO"), None);
    }

    #[test]
    fn words_skip_blanks() {
        let w: Vec<_> = words(b" a \t b  c").collect();
        assert_eq!(w, [&b"a"[..], b"b", b"c"]);
    }
}
