//! Bodies compared byte for byte with what the oracles (aiosmtpd, smtp-server) stored:
//! leading dots, lone-dot lines, bare LF and CR, 8-bit text, and 5 MiB.
//!
//! The expected bytes come from [`canonical`], written here independently of the core:
//! every CRLF, bare CR and bare LF becomes CRLF and the message ends with CRLF. The oracles
//! store what arrived between the 354 and the final dot, unstuffed, so any difference is
//! the client's (or the wire's).

use std::path::Path;

use smtp_adapter::{ConnectionConfig, Security};
use smtp_proto::command::{LogicError, MailBody, Noop, TransactionOptions};
use smtp_proto::data::DataError;

use super::session::find_stored;
use super::setup::{OrFail, builder, ensure, envelope, expect_delivered, message};
use super::store::find;
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
    let config = plain(servers, target.port(), false)?;
    exact::<A>(servers, test, target, &config, body.as_bytes())
}

/// 5 MiB of pseudo-random lines (lengths 0 to 998, 8-bit text, leading dots, lone dots,
/// a mix of CRLF, LF and CR line ends).
pub fn body_exact_5mib<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = plain(servers, target.port(), false)?;
    exact::<A>(servers, test, target, &config, &large_body(LARGE))
}

/// The same 5 MiB over implicit TLS (many TLS records, the writes of the TLS stream).
pub fn body_exact_5mib_tls<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let port = target.implicit_tls_port().ok_or("no implicit TLS port")?;
    let config = builder(servers, port, Security::ImplicitTls)?
        .build()
        .or_fail("config")?;
    exact::<A>(servers, test, target, &config, &large_body(LARGE))
}

/// Lines of exactly 998 octets (RFC 5321 §4.5.3.1.6), one starting with a dot (999 on
/// the wire after stuffing, which the RFC does not count): accepted and stored exactly.
pub fn body_longest_lines<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let body = format!("{}\n.{}\nend\n", "a".repeat(998), "b".repeat(997));
    let config = plain(servers, target.port(), false)?;
    exact::<A>(servers, test, target, &config, body.as_bytes())
}

/// A line of 999 octets: `LogicError::Body(LineTooLong)` before a byte is written, and
/// the connection is still usable.
pub fn body_line_too_long<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = plain(servers, target.port(), false)?;
    let token = token();
    let mut sent = message(test, &token, "");
    sent.extend_from_slice(format!("{}\n", "c".repeat(999)).as_bytes());
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("rcpt-{token}@example.net")],
        )?;
        match A::send_mail(&mut connection, envelope, MailBody::bytes(sent)).await {
            Ok(Err(LogicError::Body(DataError::LineTooLong { .. }))) => {}
            other => return Err(format!("expected LineTooLong, got {other:?}")),
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(noop.code().get() == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// The 5 MiB body over BDAT (1 MiB chunks, nothing dot-stuffed) to Postfix or Exim: the
/// stored body (after the header, LF line ends) is the canonical body.
pub fn body_bdat_5mib<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let store = target.store(servers);
    ensure!(
        matches!(store, Store::Maildir(_)),
        "{target:?} has no Maildir"
    );
    let config = plain(servers, target.port(), true)?;
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, "");
    sent.extend_from_slice(&large_body(LARGE));
    let expected = canonical(&sent);
    let verdict = send::<A>(&config, &token, sent)?;
    ensure!(
        verdict.contains("bytes queued") || verdict.contains("byte chunk"),
        "the verdict {verdict:?} is not a BDAT LAST reply"
    );
    let stored = find_stored(&finder, &store, &token)?;
    let stored_body = body(&stored.content, b"\n\n").ok_or("no body stored")?;
    let expected_body: Vec<u8> = body(&expected, b"\r\n\r\n")
        .ok_or("no body sent")?
        .iter()
        .copied()
        .filter(|&b| b != b'\r')
        .collect();
    compare(&stored.path, stored_body, &expected_body)
}

/// What follows the first `separator` (the end of the header).
pub(crate) fn body<'a>(message: &'a [u8], separator: &[u8]) -> Option<&'a [u8]> {
    find(message, separator).and_then(|at| message.get(at + separator.len()..))
}

/// Plaintext, with or without BDAT.
fn plain(servers: &Servers, port: u16, bdat: bool) -> Result<ConnectionConfig, String> {
    let options = TransactionOptions {
        prefer_bdat: bdat,
        ..TransactionOptions::default()
    };
    builder(servers, port, Security::None)?
        .transaction_options(options)
        .build()
        .or_fail("config")
}

fn exact<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    config: &ConnectionConfig,
    text: &[u8],
) -> Result<(), String> {
    let store = target.store(servers);
    ensure!(
        matches!(store, Store::Oracle(_)),
        "{target:?} is not byte-exact"
    );
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, "");
    sent.extend_from_slice(text);
    let expected = canonical(&sent);
    let verdict = send::<A>(config, &token, sent)?;
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
    compare(&stored.path, &stored.content, &expected)
}

/// Sends `message` from `sender-TOKEN` to `rcpt-TOKEN`; returns the verdict.
fn send<A: SmtpAdapter>(
    config: &ConnectionConfig,
    token: &str,
    message: Vec<u8>,
) -> Result<String, String> {
    A::block_on(async {
        let mut connection = A::connect(config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("rcpt-{token}@example.net")],
        )?;
        let report = A::send_mail(&mut connection, envelope, MailBody::bytes(message))
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
    })
}

/// `Err` naming the first differing octet unless `stored == expected`.
pub(crate) fn compare(path: &Path, stored: &[u8], expected: &[u8]) -> Result<(), String> {
    if stored == expected {
        return Ok(());
    }
    let at = stored
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(stored.len().min(expected.len()));
    let around = |bytes: &[u8]| {
        let start = at.saturating_sub(20);
        let end = (at + 20).min(bytes.len());
        String::from_utf8_lossy(bytes.get(start..end).unwrap_or(&[])).into_owned()
    };
    Err(format!(
        "{} differs from the canonical message at octet {at} (stored {} octets, expected \
         {}): stored {:?}, expected {:?}",
        path.display(),
        stored.len(),
        expected.len(),
        around(stored),
        around(expected)
    ))
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
pub(crate) fn large_body(size: usize) -> Vec<u8> {
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
