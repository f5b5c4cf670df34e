//! The message: read once from `--body-file` (or stdin), or a small generated test
//! message; checked against the body rules before anything is sent.

use std::io::Read;
use std::path::Path;

use smtp_proto::data::{BodyPolicy, BodySummary};
use smtp_proto::response::Bytes;

use crate::plan::{UsageError, usage};

/// The largest message read: it is held in memory, so `--body-file /dev/zero` or an
/// endless pipe ends in a usage error instead of exhausting memory. Far above what
/// servers accept (SIZE limits are tens of megabytes).
pub(crate) const MAX_BODY: usize = 1 << 30;

/// How much is read at a time.
const READ_BLOCK: u64 = 1 << 20;

/// The message bytes: the file, stdin for `-`, or a generated test message. Unless
/// `binary`, reading stops at the first octet [`check`] would refuse (a NUL, a line
/// already over the limit), so that [`check`] reports it without the rest being read.
pub(crate) fn load(
    path: Option<&Path>,
    binary: bool,
    from: &str,
    to: &[String],
) -> Result<Bytes, UsageError> {
    let Some(path) = path else {
        return Ok(generated(from, to).into());
    };
    let read = if path == Path::new("-") {
        read_capped(std::io::stdin().lock(), binary, MAX_BODY)
            .map_err(|e| usage(format!("--body-file -: reading stdin: {e}")))
    } else {
        std::fs::File::open(path)
            .and_then(|file| read_capped(file, binary, MAX_BODY))
            .map_err(|e| usage(format!("--body-file {}: {e}", path.display())))
    };
    match read? {
        Some(bytes) => Ok(bytes.into()),
        None => Err(usage(format!(
            "--body-file {}: the message is over {} MiB, the most this command reads",
            path.display(),
            MAX_BODY >> 20
        ))),
    }
}

/// Reads to the end, or up to the first octet a text body may not have; `None` past `cap`
/// octets.
fn read_capped(
    mut reader: impl Read,
    binary: bool,
    cap: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    // Where the line being read begins.
    let mut line_start = 0;
    loop {
        let from = bytes.len();
        if (&mut reader).take(READ_BLOCK).read_to_end(&mut bytes)? == 0 {
            return Ok(Some(bytes));
        }
        if bytes.len() > cap {
            return Ok(None);
        }
        if binary {
            continue;
        }
        let new = bytes.get(from..).unwrap_or_default();
        if let Some(lf) = new.iter().rposition(|&b| b == b'\n') {
            line_start = from + lf + 1;
        }
        // 998 octets, its CR and one more: over the limit whatever follows.
        if new.contains(&0) || bytes.len() - line_start > 1000 {
            return Ok(Some(bytes));
        }
    }
}

/// Refuses a body the client would refuse on the wire (NUL, a line over 998 octets), so
/// that it is a usage error found before connecting.
pub(crate) fn check(bytes: &[u8]) -> Result<(), UsageError> {
    match BodySummary::of(bytes, BodyPolicy::default()).violation() {
        Some(violation) => Err(usage(format!("the message cannot be sent: {violation}"))),
        None => Ok(()),
    }
}

/// A small RFC 5322 message naming the envelope, ASCII only when the addresses are. The
/// `To:` field is folded, one address per line (RFC 5322 §2.2.3), so that any number of
/// recipients keeps every line far under 998 octets.
fn generated(from: &str, to: &[String]) -> Vec<u8> {
    let from = if from.is_empty() { "<>" } else { from };
    let mut message = format!(
        "From: {from}\r\nTo: {}\r\nSubject: smtp test message\r\n\
         X-Mailer: smtp-cli {}\r\n\r\nThis is a test message sent by the smtp command.\r\n",
        to.join(",\r\n "),
        env!("CARGO_PKG_VERSION"),
    );
    message.retain(|c| c != '\0');
    message.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_message_passes_the_checks() {
        let message = generated("a@example.org", &["b@example.net".into()]);
        assert!(check(&message).is_ok());
        assert!(message.starts_with(b"From: a@example.org\r\nTo: b@example.net\r\n"));
    }

    #[test]
    fn many_recipients_fold_the_to_field() {
        let to: Vec<String> = (0..500)
            .map(|i| format!("recipient-number-{i}@example.net"))
            .collect();
        let message = generated("a@example.org", &to);
        assert!(check(&message).is_ok());
        let text = String::from_utf8(message).unwrap();
        assert!(text.contains(
            "To: recipient-number-0@example.net,\r\n recipient-number-1@example.net,\r\n"
        ));
        assert!(text.lines().all(|line| line.len() <= 78), "{text}");
    }

    /// An endless source stops at its first refused octet (a NUL, a line that can only be
    /// too long), or past the cap; what was read is what `check` refuses.
    #[test]
    fn reading_stops_at_a_refused_octet_or_the_cap() {
        const CAP: usize = 3 << 20;
        let read = read_capped(std::io::repeat(0), false, CAP)
            .unwrap()
            .unwrap();
        assert_eq!(read.len() as u64, READ_BLOCK);
        assert!(check(&read).is_err());

        let read = read_capped(std::io::repeat(b'x'), false, CAP)
            .unwrap()
            .unwrap();
        assert_eq!(read.len() as u64, READ_BLOCK);
        assert!(check(&read).is_err());

        // Short lines, or anything binary: read up to the cap, and refused past it.
        let endless = || std::io::repeat(b'\n');
        assert!(read_capped(endless(), false, CAP).unwrap().is_none());
        assert!(
            read_capped(std::io::repeat(0), true, CAP)
                .unwrap()
                .is_none()
        );
        let read = read_capped(endless().take(CAP as u64), false, CAP)
            .unwrap()
            .unwrap();
        assert_eq!(read.len(), CAP);
        assert!(check(&read).is_ok());

        // A line end in the block just read restarts the count.
        let mut text = vec![b'x'; 990];
        text.extend_from_slice(b"\r\n");
        text.extend(std::iter::repeat_n(b'y', 990));
        let read = read_capped(&text[..], false, CAP).unwrap().unwrap();
        assert_eq!(read, text);
    }

    #[test]
    fn nul_and_long_lines_are_usage_errors() {
        assert!(check(b"a\0b\r\n").is_err());
        let long = vec![b'x'; 999];
        assert!(check(&long).is_err());
        assert!(check(&vec![b'x'; 998]).is_ok());
    }
}
