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

/// Names the capability a line announces, without building the keyword map: the hot path
/// of [`EhloData`](super::EhloData)'s construction. Returns the capability (if the line
/// starts with a known keyword) and the untrimmed parameters (meaningful only with a
/// capability); agrees with [`split_keyword`] followed by [`Capability::from_keyword`].
///
/// The first eight bytes are loaded as one word, upper-cased and matched as an integer:
/// a keyword ending in them is masked to its length, a longer one is named by its first
/// eight bytes and its tail compared directly, so no byte is scanned one at a time. A NUL
/// ends the candidate like the zero padding does but is no delimiter, so it never passes
/// for the padding (`SIZE\0`); an invalid keyword never equals a known one.
pub(super) fn classify(text: &[u8]) -> Option<(Option<Capability>, &[u8])> {
    let text = match text.first()? {
        b' ' | b'\t' => trim_start(text),
        _ => text,
    };
    let head = load(text);
    // The first byte below `!` or `=` (the zero padding counts): a keyword ends there,
    // and only where it is a blank, `=` or the end of the text.
    let end = first_delimiter(head);
    if end < 8 {
        if !matches!(text.get(end), None | Some(b' ' | b'\t' | b'=')) {
            return Some((None, &[]));
        }
        // Every byte before `end` is non-zero, so only a keyword of that length can match.
        let mask = (1u64 << (8 * end)) - 1;
        let capability = Capability::from_packed(to_upper(head & mask));
        return Some((capability, text.get(end + 1..).unwrap_or_default()));
    }
    let Some(capability) = Capability::from_packed(to_upper(head)) else {
        return Some((None, &[]));
    };
    let keyword = capability.keyword().as_bytes();
    let len = keyword.len();
    let delimited = matches!(text.get(len), None | Some(b' ' | b'\t' | b'='));
    let tail_matches = match (text.get(8..len), keyword.get(8..)) {
        (Some(tail), Some(expected)) => tail.eq_ignore_ascii_case(expected),
        _ => false,
    };
    if delimited && tail_matches {
        Some((Some(capability), text.get(len + 1..).unwrap_or_default()))
    } else {
        Some((None, &[]))
    }
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The first eight bytes of `text` as a little-endian word, zero-padded.
fn load(text: &[u8]) -> u64 {
    if let Some(head) = text.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    let mut bytes = [0u8; 8];
    for (dst, src) in bytes.iter_mut().zip(text) {
        *dst = *src;
    }
    u64::from_le_bytes(bytes)
}

/// The index of the first byte of `word` below `!` (blanks, controls, the zero padding)
/// or equal to `=`, 8 when there is none.
fn first_delimiter(word: u64) -> usize {
    // The lowest flagged byte is exact in both tests (borrows only propagate upwards).
    let below = word.wrapping_sub(ONES * u64::from(b'!')) & !word & HIGHS;
    let x = word ^ (ONES * u64::from(b'='));
    let equals = x.wrapping_sub(ONES) & !x & HIGHS;
    ((below | equals).trailing_zeros() / 8) as usize
}

/// `word` with its bytes `a`-`z` upper-cased, the others unchanged.
fn to_upper(word: u64) -> u64 {
    let seven = word & !HIGHS;
    let from_a = seven.wrapping_add(ONES * u64::from(0x80 - b'a'));
    let past_z = seven.wrapping_add(ONES * u64::from(0x80 - b'z' - 1));
    let lower = from_a & !past_z & !word & HIGHS;
    word - (lower >> 2)
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
    fn classify_agrees_with_the_keyword_map() {
        let lines: &[&[u8]] = &[
            b"SIZE 100",
            b"size",
            b"Size=1",
            b"SIZE:1",
            b"SIZEX",
            b"SIZ",
            b"  auth plain",
            b"\tSTARTTLS",
            b"8bitmime",
            b"PIPELINING",
            b"pipelining x",
            b"PIPELININGX",
            b"ENHANCEDSTATUSCODES",
            b"EnhancedStatusCodes ",
            b"XFORWARD NAME",
            b"xclient",
            b"MT-PRIORITY MIXER",
            b"NO-SOLICITING",
            b"X-FOO",
            b"",
            b" ",
            b"=",
            b"S\xc9ZE",
            b"\xffSIZE",
            b"SIZE\x00",
            b"SIZ\xc5",
            b"LIMITS RCPTMAX=1",
            b"DELIVERBY 9",
            b"DELIVERBY=9",
            b"ENHANCEDSTATUSCODES=x",
            b"SIZE=100",
            b"SIZE\x01",
            b"SIZE\x0b100",
            b"STARTTLS\x00",
            b"STARTTLS\x7f",
            b"PIPELINING\x00",
            b"PIPELINING\tx",
            b"PIPELININ",
            b"ENHANCEDSTATUSCODE",
            b"ENHANCEDSTATUSCODESS",
            b"ETRN\x00x",
            b"\x00",
            b"AUTH=PLAIN",
            b"Starttls",
            b"8BITMIM\xc5",
        ];
        for &line in lines {
            let split = split_keyword(line);
            let expected = split.and_then(|(k, _)| Capability::from_keyword(k));
            let (found, params) = classify(line).unwrap_or((None, &[]));
            assert_eq!(found, expected, "{}", String::from_utf8_lossy(line));
            if found.is_some() {
                // The parameters, once trimmed, are the keyword map's.
                let expected = split.map(|(_, params)| params);
                assert_eq!(
                    Some(trim(params)),
                    expected,
                    "{}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        assert_eq!(
            to_upper(u64::from_le_bytes(*b"az`{AZ@\xe1")),
            u64::from_le_bytes(*b"AZ`{AZ@\xe1")
        );
    }

    #[test]
    fn a_keyword_names_its_capability_and_splits_its_parameters() {
        let auth = Keyword::from_text(b" auth=LOGIN \t PLAIN ").unwrap();
        assert_eq!(
            (auth.name(), auth.params()),
            ("auth", &b"LOGIN \t PLAIN"[..])
        );
        assert_eq!(auth.capability(), Some(Capability::Auth));
        assert_eq!(auth.words().collect::<Vec<_>>(), [&b"LOGIN"[..], b"PLAIN"]);
        let unknown = Keyword::from_text(b"X-FOO").unwrap();
        assert_eq!(unknown.capability(), None);
        assert_eq!(unknown.words().count(), 0);
    }

    #[test]
    fn words_skip_blanks() {
        let w: Vec<_> = words(b" a \t b  c").collect();
        assert_eq!(w, [&b"a"[..], b"b", b"c"]);
    }
}
