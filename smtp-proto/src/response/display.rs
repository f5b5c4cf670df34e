//! A reply as a short, safe string for error messages and logs.

use std::fmt::{self, Write};

use super::Response;

/// How many bytes of reply text [`Response`]'s `Display` shows before it truncates.
pub const DISPLAY_MAX_TEXT: usize = 256;

/// Writes `code text / text / ...`: the lines joined on one line, at most
/// [`DISPLAY_MAX_TEXT`] bytes of text, then `… (N more bytes)`.
///
/// Control characters (C0, DEL, C1), the Unicode line and paragraph separators, Unicode
/// bidirectional controls and invalid UTF-8 are escaped (`\r`, `\n`, `\t`, `\xNN`,
/// `\u{NNNN}`) so that a server cannot forge log lines or hide text in an error message.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())?;
        let mut budget = DISPLAY_MAX_TEXT;
        let mut omitted = 0usize;
        for (index, text) in self.text_lines().enumerate() {
            if budget == 0 {
                omitted = omitted.saturating_add(text.len());
                continue;
            }
            f.write_str(if index == 0 { " " } else { " / " })?;
            let shown = text.len().min(budget);
            let (head, tail) = text.split_at(shown);
            write_escaped(f, head)?;
            budget -= shown;
            omitted = omitted.saturating_add(tail.len());
        }
        if omitted > 0 {
            write!(f, "… ({omitted} more bytes)")?;
        }
        Ok(())
    }
}

/// `Response { code: 250, lines: ["2.1.0 Ok"] }`: the code and every line's whole text
/// (not UTF-8: shown lossily), without the parser's offsets into the raw bytes.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Lines<'a>(&'a Response);
        impl fmt::Debug for Lines<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.text_lines().map(String::from_utf8_lossy))
                    .finish()
            }
        }
        f.debug_struct("Response")
            .field("code", &self.code().get())
            .field("lines", &Lines(self))
            .finish()
    }
}

/// Peer text made safe for a one-line message, a log or a terminal: shown as
/// [`Response`]'s `Display` shows reply text. CR, LF and tab become `\r`, `\n`, `\t`, a
/// backslash `\\`, other controls, bidirectional controls and the Unicode line
/// separators `\x..` or `\u{....}` ([`is_unsafe_to_show`]), invalid UTF-8 `\x..` byte by
/// byte.
///
/// ```
/// use smtp_proto::response::Escaped;
/// assert_eq!(Escaped(b"fa\x1b[2Jke\\").to_string(), "fa\\x1b[2Jke\\\\");
/// assert_eq!(Escaped("a\u{202e}b".as_bytes()).to_string(), "a\\u{202e}b");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0)
    }
}

/// Writes `bytes` with everything unsafe for a one-line message escaped.
pub(crate) fn write_escaped(f: &mut impl Write, mut bytes: &[u8]) -> fmt::Result {
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(valid) => return write_str_escaped(f, valid),
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                write_str_escaped(f, std::str::from_utf8(valid).unwrap_or_default())?;
                // A truncated multi-byte sequence at the very end (error_len None) is shown
                // byte by byte too: the display may have cut it.
                let bad = error.error_len().unwrap_or(rest.len()).min(rest.len());
                let (invalid, rest) = rest.split_at(bad);
                for b in invalid {
                    write!(f, "\\x{b:02x}")?;
                }
                bytes = rest;
            }
        }
    }
    Ok(())
}

fn write_str_escaped(f: &mut impl Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '\r' => f.write_str("\\r")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\\' => f.write_str("\\\\")?,
            c if c.is_ascii_control() => write!(f, "\\x{:02x}", c as u32)?,
            c if is_unsafe_to_show(c) => write!(f, "\\u{{{:04x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Characters that must not reach a log or a terminal as they are: controls (C0, DEL, C1),
/// the Unicode line and paragraph separators, and bidirectional controls (the "Trojan
/// Source" class, CVE-2021-42574).
pub fn is_unsafe_to_show(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_line_separator(c)
}

/// U+2028 and U+2029, which log viewers and terminals may show as line breaks.
fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that reorder displayed text (the "Trojan Source" class, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(input: &[u8]) -> String {
        Response::parse(input).unwrap().to_string()
    }

    #[test]
    fn one_and_many_lines() {
        assert_eq!(shown(b"250 2.0.0 Ok\r\n"), "250 2.0.0 Ok");
        assert_eq!(shown(b"250\r\n"), "250 ");
        assert_eq!(shown(b"421-a\r\n421 b\r\n"), "421 a / b");
    }

    #[test]
    fn escapes_controls_and_invalid_utf8() {
        assert_eq!(
            shown(b"550 a\x1b[31m\x7f\\b\xff\xc3\xa9\xe2\x80\xae\r\r\n"),
            "550 a\\x1b[31m\\x7f\\\\b\\xffé\\u{202e}\\r"
        );
    }

    /// C1 controls (U+0080-U+009F) are escaped as code points, not as bytes.
    #[test]
    fn escapes_c1_controls_as_code_points() {
        assert_eq!(
            shown("550 a\u{80}b\u{85}c\u{9f}\u{a0}\r\n".as_bytes()),
            "550 a\\u{0080}b\\u{0085}c\\u{009f}\u{a0}"
        );
    }

    /// The Unicode line and paragraph separators would start a new line in some viewers.
    #[test]
    fn escapes_unicode_line_separators() {
        assert_eq!(
            shown("550 a\u{2028}250 forged\u{2029}b\r\n".as_bytes()),
            "550 a\\u{2028}250 forged\\u{2029}b"
        );
    }

    #[test]
    fn debug_shows_code_and_lines_not_offsets() {
        let reply = Response::parse(b"250-mx.example\r\n250 2.1.0 Ok \x1b\xff\r\n").unwrap();
        assert_eq!(
            format!("{reply:?}"),
            "Response { code: 250, lines: [\"mx.example\", \"2.1.0 Ok \\u{1b}\u{fffd}\"] }"
        );
    }

    #[test]
    fn truncates_long_replies() {
        let mut input = Vec::new();
        for _ in 0..10 {
            input.extend_from_slice(b"250-");
            input.extend_from_slice(&[b'x'; 100]);
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b"250 end\r\n");
        let text = shown(&input);
        assert!(text.ends_with("… (747 more bytes)"), "{text}");
        assert_eq!(text.matches('x').count(), DISPLAY_MAX_TEXT);
    }
}
