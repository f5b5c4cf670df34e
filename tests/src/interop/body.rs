//! Bodies compared byte for byte with what the oracles (aiosmtpd, smtp-server) stored:
//! leading dots, lone-dot lines, bare LF and CR, 8-bit text, and 5 MiB.
//!
//! The expected bytes come from [`canonical`], written here independently of the core:
//! every CRLF, bare CR and bare LF becomes CRLF and the message ends with CRLF. The oracles
//! store what arrived between the 354 and the final dot, unstuffed, so any difference is
//! the client's (or the wire's).

use smtp_adapter::Security;
use smtp_proto::command::{MailBody, TransactionOptions};

use super::session::find_stored;
use super::setup::{OrFail, builder, ensure, envelope, expect_delivered, message};
use super::{Finder, Servers, Store, Target, token};
use crate::adapter::SmtpAdapter;

/// The size of the large body.
const LARGE: usize = 5 << 20;

/// A short body with every hazard: dot-stuffing on the first body line and a lone dot,
/// bare LF, bare CR, CRLF, a line of dots, and no final line end.
pub fn body_exact_small<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let body = ".first body line starts with a dot\n..two\n.\n...\n. space\nbare LF\n\
                bare CR\rcrlf\r\n.\r\nmixed\r\r\n\nünïcödé\nno final line end";
    exact::<A>(servers, test, target, body.as_bytes())
}

/// 5 MiB of pseudo-random lines (lengths 0 to 998, 8-bit text, leading dots, lone dots,
/// a mix of CRLF, LF and CR line ends).
pub fn body_exact_5mib<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    exact::<A>(servers, test, target, &large_body(LARGE))
}

fn exact<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    text: &[u8],
) -> Result<(), String> {
    let store = target.store(servers);
    ensure!(
        matches!(store, Store::Oracle(_)),
        "{target:?} is not byte-exact"
    );
    let config = builder(servers, target.port(), Security::None)?
        .transaction_options(TransactionOptions::default())
        .build()
        .or_fail("config")?;
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, "");
    sent.extend_from_slice(text);
    let expected = canonical(&sent);
    let verdict = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("rcpt-{token}@example.net")],
        )?;
        let report = A::send_mail(&mut connection, envelope, MailBody::bytes(sent))
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        expect_delivered(&report)?;
        A::quit(connection).await.or_fail("QUIT")?;
        report
            .transactions()
            .last()
            .and_then(|t| t.final_reply())
            .map(ToString::to_string)
            .ok_or_else(|| "no verdict".to_owned())
    })?;
    let stored = find_stored(&finder, &store, &token)?;
    // Both oracles answer "250 OK stored as NNNNNN": the file found by the token must be
    // that one.
    let name = stored
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?");
    ensure!(
        verdict.ends_with(&format!("stored as {name}")),
        "the verdict {verdict:?} names another file than {}",
        stored.path.display()
    );
    if stored.content != expected {
        let at = stored
            .content
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(stored.content.len().min(expected.len()));
        let around = |bytes: &[u8]| {
            let start = at.saturating_sub(20);
            String::from_utf8_lossy(bytes.get(start..(at + 20).min(bytes.len())).unwrap_or(&[]))
                .into_owned()
        };
        return Err(format!(
            "{} differs from the canonical message at octet {at} (stored {} octets, \
             expected {}): stored {:?}, expected {:?}",
            stored.path.display(),
            stored.content.len(),
            expected.len(),
            around(&stored.content),
            around(&expected)
        ));
    }
    Ok(())
}

/// What a correct client puts between the 354 and the final dot, unstuffed: every line
/// end (CRLF, bare CR, bare LF) as CRLF, and a CRLF at the end.
pub(crate) fn canonical(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    let mut bytes = message.iter().peekable();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\r' => {
                bytes.next_if_eq(&&b'\n');
                out.extend_from_slice(b"\r\n");
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// About `size` octets of lines from a fixed xorshift seed (the same every run).
fn large_body(size: usize) -> Vec<u8> {
    const WORDS: [&str; 8] = ["dot", "ütf-8", "smtp", "..", "€", "line", "Ωmega", "x"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(size + 1024);
    while out.len() < size {
        let roll = next();
        match roll % 16 {
            0 => out.push(b'.'),
            1 => out.extend_from_slice(b".."),
            _ => {}
        }
        // Lines up to 998 octets (RFC 5321 §4.5.3.1.6); words are at most 6 octets.
        let limit = if roll % 64 == 5 {
            990
        } else {
            (roll >> 8) as usize % 120
        };
        let mut line = 0;
        while line < limit {
            let word = WORDS[(next() % WORDS.len() as u64) as usize];
            out.extend_from_slice(word.as_bytes());
            out.push(b' ');
            line += word.len() + 1;
        }
        out.extend_from_slice(match (roll >> 20) % 8 {
            0 => b"\n",
            1 => b"\r",
            _ => b"\r\n",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_line_ends() {
        assert_eq!(canonical(b"a\nb\rc\r\nd"), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(canonical(b"a\r\r\n\n"), b"a\r\n\r\n\r\n");
        assert_eq!(canonical(b""), b"\r\n");
        assert_eq!(canonical(b".\r\n"), b".\r\n");
    }

    #[test]
    fn large_body_has_the_hazards_and_short_lines() {
        let body = large_body(1 << 20);
        assert!(body.len() >= 1 << 20);
        let canonical = canonical(&body);
        let lines: Vec<&[u8]> = canonical.split(|&b| b == b'\n').collect();
        assert!(lines.iter().all(|l| l.len() <= 1000));
        assert!(lines.iter().any(|l| l == b".\r"));
        assert!(lines.iter().any(|l| l.starts_with(b"..")));
        assert!(body.windows(2).any(|w| w[0] != b'\r' && w[1] == b'\n'));
        assert!(body.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'));
    }
}
