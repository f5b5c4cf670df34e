//! The line builder every command uses: a verb, arguments, CRLF, and the final checks.

use super::error::CommandError;

/// The command line limit, CRLF included (RFC 5321 §4.5.3.1.4).
pub const COMMAND_LINE_LIMIT: usize = 512;

/// Checks a rendered line (CRLF included) before it is appended to the output: its length
/// against `512 + allowance`, and that no CR, LF or NUL occurs before the final CRLF.
///
/// Types validate their content already; the scan is the last line of defence, so that a
/// bug elsewhere can never turn into command injection.
pub(crate) fn check_line(line: &[u8], allowance: usize) -> Result<(), CommandError> {
    let max = COMMAND_LINE_LIMIT + allowance;
    if line.len() > max {
        return Err(CommandError::LineTooLong {
            len: line.len(),
            max,
        });
    }
    check_bytes(line)
}

/// The control scan of [`check_line`] without a length limit.
pub(crate) fn check_bytes(line: &[u8]) -> Result<(), CommandError> {
    let body = line.strip_suffix(b"\r\n").unwrap_or(line);
    match memchr::memchr3(b'\r', b'\n', 0, body) {
        Some(position) => Err(CommandError::InvalidChar {
            what: "command line",
            position,
            ch: char::from(body.get(position).copied().unwrap_or(0)),
        }),
        None => Ok(()),
    }
}

/// Renders `VERB[ arg]...CRLF` into a fresh buffer.
pub(crate) fn render(verb: &str, args: &[&[u8]]) -> Vec<u8> {
    let mut line =
        Vec::with_capacity(verb.len() + 2 + args.iter().map(|a| a.len() + 1).sum::<usize>());
    line.extend_from_slice(verb.as_bytes());
    for arg in args {
        line.push(b' ');
        line.extend_from_slice(arg);
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// Validates a free-text argument: not empty, no control characters (C0, DEL, C1: the
/// crate's one guard, [`crate::syntax::chars::find_control`]). Non-ASCII text is valid; the
/// types that hold it say that it needs SMTPUTF8.
pub(crate) fn validate_text(s: &str, what: &'static str) -> Result<(), CommandError> {
    if s.is_empty() {
        return Err(CommandError::Empty { what });
    }
    match crate::syntax::chars::find_control(s) {
        Some((position, code)) => Err(CommandError::InvalidChar {
            what,
            position,
            ch: char::from(code),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_inclusive() {
        let mut line = vec![b'a'; 510];
        line.extend_from_slice(b"\r\n");
        assert!(check_line(&line, 0).is_ok());
        line.insert(0, b'a');
        assert_eq!(
            check_line(&line, 0),
            Err(CommandError::LineTooLong { len: 513, max: 512 })
        );
        assert!(check_line(&line, 1).is_ok());
    }

    #[test]
    fn scan_finds_injected_controls() {
        assert_eq!(
            check_bytes(b"NOOP a\rb\r\n"),
            Err(CommandError::InvalidChar {
                what: "command line",
                position: 6,
                ch: '\r'
            })
        );
        assert_eq!(
            check_bytes(b"NOOP\0\r\n"),
            Err(CommandError::InvalidChar {
                what: "command line",
                position: 4,
                ch: '\0'
            })
        );
        assert!(check_bytes(b"NOOP\r\n").is_ok());
    }
}
