//! The message: read once from `--body-file` (or stdin), or a small generated test
//! message; checked against the body rules before anything is sent.

use std::io::Read;
use std::path::Path;

use smtp_proto::data::{BodyPolicy, BodySummary};
use smtp_proto::response::Bytes;

use crate::plan::{UsageError, usage};

/// The message bytes: the file, stdin for `-`, or a generated test message.
pub(crate) fn load(path: Option<&Path>, from: &str, to: &[String]) -> Result<Bytes, UsageError> {
    match path {
        Some(path) if path == Path::new("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| usage(format!("--body-file -: reading stdin: {e}")))?;
            Ok(bytes.into())
        }
        Some(path) => std::fs::read(path)
            .map(Bytes::from)
            .map_err(|e| usage(format!("--body-file {}: {e}", path.display()))),
        None => Ok(generated(from, to).into()),
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

    #[test]
    fn nul_and_long_lines_are_usage_errors() {
        assert!(check(b"a\0b\r\n").is_err());
        let long = vec![b'x'; 999];
        assert!(check(&long).is_err());
        assert!(check(&vec![b'x'; 998]).is_ok());
    }
}
