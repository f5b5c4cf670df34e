//! The byte escapes of transcript text, both ways.
//!
//! Only the backslash is special. `\r`, `\n`, `\t`, `\0`, `\s` (a space, for trailing
//! spaces that editors strip), `\\`, `\xHH` (any octet), and `\{TEXT*N}`: `TEXT` (itself
//! escaped; `\}` and `\*` inside it) repeated `N` times, for reply floods.

use std::fmt::Write;

/// The most octets one repetition may produce (16 MiB): a typo cannot exhaust memory.
const MAX_REPEAT_OCTETS: usize = 16 << 20;

/// Decodes transcript text into the octets it stands for.
///
/// Everything but `\` stands for its own UTF-8 octets. The error says what is wrong and at
/// which character.
///
/// ```
/// use smtp_proto::testing::unescape;
///
/// assert_eq!(unescape(r"250 ok\r\n").unwrap(), b"250 ok\r\n");
/// assert_eq!(unescape(r"a\x00\s").unwrap(), b"a\0 ");
/// assert_eq!(unescape(r"\{ab*3}.").unwrap(), b"ababab.");
/// assert!(unescape(r"\q").is_err());
/// ```
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some((_, kind)) = chars.next() else {
            return Err(format!("a lone backslash ends the text (character {at})"));
        };
        match kind {
            'r' => out.push(b'\r'),
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            's' => out.push(b' '),
            '\\' => out.push(b'\\'),
            '*' => out.push(b'*'),
            '}' => out.push(b'}'),
            'x' => {
                let hex: String = (0..2)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                let octet = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit()))
                    .ok_or_else(|| format!("\\x needs two hex digits at character {at}"))?;
                out.push(octet);
            }
            '{' => {
                let rest = text.get(at + 2..).unwrap_or_default();
                let inner = repetition_body(rest)
                    .ok_or_else(|| format!("unterminated \\{{ at character {at}"))?;
                // Skip the repeated text and its closing brace.
                for _ in 0..=inner.chars().count() {
                    chars.next();
                }
                out.extend_from_slice(&repeat(inner, at)?);
            }
            other => return Err(format!("unknown escape \\{other} at character {at}")),
        }
    }
    Ok(out)
}

/// The text of a `\{...}` up to its closing brace (escaped braces skipped).
fn repetition_body(rest: &str) -> Option<&str> {
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '}' => return rest.get(..i),
            _ => {}
        }
    }
    None
}

/// `TEXT*N`: the last unescaped `*` separates the count.
fn repeat(inner: &str, at: usize) -> Result<Vec<u8>, String> {
    let star = last_unescaped_star(inner)
        .ok_or_else(|| format!("\\{{TEXT*N}} without *N at character {at}"))?;
    let (unit, count) = (
        inner.get(..star).unwrap_or_default(),
        inner.get(star + 1..).unwrap_or_default(),
    );
    let count: usize = count
        .parse()
        .map_err(|_| format!("bad repetition count {count:?} at character {at}"))?;
    let unit = unescape(unit)?;
    if unit.len().saturating_mul(count) > MAX_REPEAT_OCTETS {
        return Err(format!("repetition over 16 MiB at character {at}"));
    }
    Ok(unit.repeat(count))
}

fn last_unescaped_star(inner: &str) -> Option<usize> {
    let mut escaped = false;
    let mut last = None;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' => last = Some(i),
            _ => {}
        }
    }
    last
}

/// Renders octets in transcript escapes: printable text as itself, the rest escaped, and
/// runs of 16 or more equal octets shortened to `\{X*N}`.
///
/// `unescape(&escape(b))` is `b` for every `b`.
///
/// ```
/// use smtp_proto::testing::{escape, unescape};
///
/// assert_eq!(escape(b"250 ok\r\n"), r"250 ok\r\n");
/// assert_eq!(escape(b"a\\b\x01"), r"a\\b\x01");
/// assert_eq!(escape(&[b'x'; 100]), r"\{x*100}");
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (plain, run) = rest.split_at(next_run_start(rest));
        escape_into(&mut out, plain);
        let Some(&first) = run.first() else { break };
        let count = run.iter().take_while(|&&b| b == first).count();
        out.push_str("\\{");
        match first {
            b'*' => out.push_str("\\*"),
            b'}' => out.push_str("\\}"),
            _ => escape_into(&mut out, &[first]),
        }
        let _ = write!(out, "*{count}}}");
        rest = run.get(count..).unwrap_or_default();
    }
    out
}

/// Where the first run of 16 or more equal octets starts (or the end).
fn next_run_start(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let run = bytes.iter().skip(i).take_while(|&&x| x == b).count();
        if run >= 16 {
            return i;
        }
        i += run;
    }
    bytes.len()
}

fn escape_into(out: &mut String, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(valid) => (valid, &[][..]),
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                (std::str::from_utf8(valid).unwrap_or_default(), rest)
            }
        };
        for c in valid.chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() || (c as u32) < 0x20 => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        if let Some((&bad, tail)) = rest.split_first() {
            let _ = write!(out, "\\x{bad:02x}");
            bytes = tail;
        } else {
            bytes = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let samples: [&[u8]; 6] = [
            b"",
            b"250 ok\r\n",
            b"\x00\x7f\xff\xc3",
            "café\u{202e}".as_bytes(),
            b"250-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n250 end",
            b"**}}\\\\{{",
        ];
        for sample in samples {
            assert_eq!(unescape(&escape(sample)).unwrap(), sample, "{sample:?}");
        }
    }

    #[test]
    fn repetition_counts_exactly() {
        assert_eq!(
            unescape(r"\{250-x\r\n*3}").unwrap(),
            b"250-x\r\n250-x\r\n250-x\r\n"
        );
        assert_eq!(unescape(r"\{a\*b*2}").unwrap(), b"a*ba*b");
        assert_eq!(unescape(r"\{\}*2}").unwrap(), b"}}");
        assert!(unescape(r"\{abc}").is_err());
        assert!(unescape(r"\{a*x}").is_err());
        assert!(unescape(r"\{a*99999999999}").is_err());
    }

    proptest::proptest! {
        #[test]
        fn unescape_inverts_escape(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            proptest::prop_assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn unescape_inverts_escape_of_runs(byte in proptest::prelude::any::<u8>(), n in 0usize..100, tail in proptest::prelude::any::<u8>()) {
            let mut bytes = vec![byte; n];
            bytes.push(tail);
            proptest::prop_assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn bad_escapes_say_where() {
        assert_eq!(
            unescape(r"ab\q").unwrap_err(),
            r"unknown escape \q at character 2"
        );
        assert!(unescape(r"\x4").is_err());
        assert!(unescape(r"\x+f").is_err());
        assert!(unescape("x\\").is_err());
    }
}
