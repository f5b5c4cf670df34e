//! End to end: what the servers stored equals what the library promises, for streamed
//! bodies in odd pieces, IDN envelopes, several mails with refusals and resets between,
//! and bodies over the server's limit.

use std::num::NonZeroUsize;

use smtp_adapter::{Error, Security};
use smtp_proto::command::{
    Envelope, LogicError, MailBody, MailReport, Noop, Outcome, StreamedBody, TransactionOptions,
};

use super::body::{body, canonical, compare, large_body};
use super::session::{find_stored, wait_for};
use super::setup::{
    OrFail, builder, code_of, describe, ensure, envelope, expect_delivered, message,
};
use super::store::contains;
use super::{Finder, Servers, Store, Target, token};
use crate::adapter::{Pieces, SmtpAdapter};

/// The envelope of the mail marked `token`: its sender and its one recipient name it.
fn token_envelope(token: &str) -> Result<Envelope, String> {
    envelope(
        &format!("sender-{token}@example.org"),
        &[format!("rcpt-{token}@example.net")],
    )
}

/// Sends the mail marked `token` with its body streamed from `body`, then QUIT: the report,
/// or why there is none.
fn stream_and_quit<A: SmtpAdapter>(
    config: &smtp_adapter::ConnectionConfig,
    token: &str,
    body: Pieces,
    declaration: StreamedBody,
) -> Result<MailReport, String> {
    A::block_on(async {
        let mut connection = A::connect(config).await.or_fail("connect")?;
        let envelope = token_envelope(token)?;
        let report = A::send_mail_streamed(&mut connection, envelope, body, declaration)
            .await
            .or_fail("send_mail_streamed")?
            .or_fail("send_mail_streamed before a byte was sent")?;
        A::quit(connection).await.or_fail("QUIT")?;
        Ok::<_, String>(report)
    })
}

/// Piece sizes that cut CRLF pairs, dots and their lines, and BDAT chunks anywhere.
pub const ODD: &[usize] = &[1, 2, 3, 5, 7, 11, 13, 4093, 1, 16385, 2, 65537, 9];

/// The hazards of DATA and BDAT at every place a piece can cut them.
const HAZARDS: &str = ".first\n..two\n.\n...\n. x\nbare LF\nbare CR\rcrlf\r\n.\r\nmixed\r\r\n\n\
                       ünïcödé\r\n.\r\n";

/// Plaintext, BDAT on or off, small BDAT chunks so that many chunk boundaries fall inside
/// the body's pieces.
fn config(
    servers: &Servers,
    target: Target,
    bdat: bool,
) -> Result<smtp_adapter::ConnectionConfig, String> {
    let options = TransactionOptions {
        prefer_bdat: bdat,
        bdat_chunk_size: NonZeroUsize::new(8191).ok_or("chunk")?,
        ..TransactionOptions::default()
    };
    builder(servers, target.port(), Security::None)?
        .transaction_options(options)
        .build()
        .or_fail("config")
}

/// The stored copy is the canonical message: byte for byte at the oracles, the body with LF
/// line ends at Postfix and Exim (which add trace headers and store LF).
fn check_stored(finder: &Finder, store: &Store, token: &str, sent: &[u8]) -> Result<(), String> {
    let stored = find_stored(finder, store, token)?;
    let expected = canonical(sent);
    match store {
        Store::Oracle(_) => compare(&stored.path, &stored.content, &expected),
        Store::Maildir(_) => {
            let stored_body = body(&stored.content, b"\n\n").ok_or("no body stored")?;
            let expected_body: Vec<u8> = body(&expected, b"\r\n\r\n")
                .ok_or("no body sent")?
                .iter()
                .copied()
                .filter(|&b| b != b'\r')
                .collect();
            compare(&stored.path, stored_body, &expected_body)
        }
        _ => Err("no byte-comparable store".into()),
    }
}

/// A message of about 1 MiB with every hazard at its start and end, streamed through the
/// adapter's reader API in pieces of `sizes`: the stored copy is the canonical message, the
/// same as for a whole body.
pub fn streamed_exact<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    sizes: &[usize],
    bdat: bool,
) -> Result<(), String> {
    let config = config(servers, target, bdat)?;
    streamed_exact_with::<A>(servers, test, target, sizes, &config)
}

/// [`streamed_exact`] over implicit TLS, and without PIPELINING (a streamed body then goes
/// by DATA even where CHUNKING is offered).
pub fn streamed_exact_tls_unpipelined<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    pipelining: bool,
) -> Result<(), String> {
    let port = target.implicit_tls_port().ok_or("no implicit TLS port")?;
    let options = TransactionOptions {
        pipelining,
        bdat_chunk_size: NonZeroUsize::new(8191).ok_or("chunk")?,
        ..TransactionOptions::default()
    };
    let config = builder(servers, port, Security::ImplicitTls)?
        .transaction_options(options)
        .build()
        .or_fail("config")?;
    streamed_exact_with::<A>(servers, test, target, ODD, &config)
}

fn streamed_exact_with<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    sizes: &[usize],
    config: &smtp_adapter::ConnectionConfig,
) -> Result<(), String> {
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, HAZARDS);
    sent.extend_from_slice(&large_body(1 << 20));
    sent.extend_from_slice(HAZARDS.as_bytes());
    sent.extend_from_slice(b"no final line end");
    let declaration = StreamedBody {
        eight_bit: true,
        ..StreamedBody::default()
    };
    let body = Pieces::new(sent.clone(), sizes);
    let report = stream_and_quit::<A>(config, &token, body, declaration)?;
    expect_delivered(&report)?;
    check_stored(&finder, &store, &token, &sent)
}

/// A body that ends in a bare CR, streamed with the CR alone in the last piece: the CR is
/// a line end (CRLF), and the end of data follows it directly.
pub fn streamed_final_cr<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    let config = config(servers, target, bdat)?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let sent = message(test, &token, "last line ends in a bare CR\r");
    let len = sent.len();
    let body = Pieces::new(sent.clone(), &[len - 1, 1]);
    let report = stream_and_quit::<A>(&config, &token, body, StreamedBody::default())?;
    expect_delivered(&report)?;
    check_stored(&finder, &store, &token, &sent)
}

/// IDN domains to a server without SMTPUTF8 (smtp-sink): sent as A-labels
/// (`xn--bcher-kva.example`, `xn--fsqu00a.example`) without `SMTPUTF8`, and delivered.
pub fn idn_a_labels<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let report = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("s-{token}@bücher.example"),
            &[format!("r-{token}@例子.example")],
        )?;
        let body = MailBody::bytes(message(test, &token, "IDN envelope.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        A::quit(connection).await.or_fail("QUIT")?;
        Ok::<_, String>(report)
    })?;
    expect_delivered(&report)?;
    let stored = finder.find_one(&token, wait_for(&store))?;
    if let Store::Oracle(_) = store {
        let from = format!("\"s-{token}@xn--bcher-kva.example\"");
        let to = format!("\"r-{token}@xn--fsqu00a.example\"");
        ensure!(
            stored.meta.contains(&from)
                && stored.meta.contains(&to)
                && stored.meta.contains("\"smtputf8\": false"),
            "expected A-labels without SMTPUTF8: {}",
            stored.meta
        );
        return Ok(());
    }
    let text = String::from_utf8_lossy(&stored.content);
    let mail = format!("X-Mail-Args: <s-{token}@xn--bcher-kva.example>\n");
    let rcpt = format!("X-Rcpt-Args: <r-{token}@xn--fsqu00a.example>\n");
    ensure!(
        text.contains(&mail) && text.contains(&rcpt),
        "{}: expected {mail:?} and {rcpt:?} in the dump: {}",
        stored.path.display(),
        text.lines().take(6).collect::<Vec<_>>().join(" | ")
    );
    Ok(())
}

/// A streamed body that breaks its declaration (an 8-bit octet, declared 7-bit) after 300
/// KiB: aborted, nothing stored; over BDAT the connection then carries the next mail,
/// which is stored alone and whole.
pub fn streamed_abort_stores_nothing<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    let config = config(servers, target, bdat)?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let second = super::token();
    let mut sent = message(test, &token, "");
    sent.extend(std::iter::repeat_n(b"abcdefghij\r\n".as_slice(), 300 * 1024 / 12).flatten());
    sent.extend_from_slice("8-bit: é\r\nrest\r\n".as_bytes());
    let next = message(test, &second, "The mail after an aborted one.\n");
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let first = token_envelope(&token)?;
        let body = Pieces::new(sent.clone(), ODD);
        let result =
            A::send_mail_streamed(&mut connection, first, body, StreamedBody::default()).await;
        match &result {
            Ok(Ok(report)) if report.outcome() == Outcome::Delivered => {
                return Err("a body that broke its declaration was delivered".to_owned());
            }
            _ => {}
        }
        if bdat && A::is_usable(&connection) {
            let again = envelope(
                &format!("sender-{second}@example.org"),
                &[format!("rcpt-{second}@example.net")],
            )?;
            let report = A::send_mail(&mut connection, again, MailBody::bytes(next.clone()))
                .await
                .or_fail("send_mail after the abort")?
                .or_fail("send_mail after the abort, before a byte")?;
            expect_delivered(&report)?;
            A::quit(connection).await.or_fail("QUIT")?;
        }
        Ok::<_, String>(())
    })?;
    if bdat {
        // The next mail arrives alone: no octet of the aborted one before it.
        check_stored(&finder, &store, &second, &next)?;
    }
    none_stored(&finder, &store, &token)
}

/// Eight mails over one connection through `send_all_mails` (the next one riding with the
/// previous end of data; over BDAT a reset after each refusal): a refused sender, every
/// recipient refused, one of two refused. Every accepted mail is stored exactly once per
/// accepted recipient, with its own body; no refused mail is stored.
pub fn mails_stored_once<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    ensure!(
        target.has_magic_addresses(),
        "{target:?}: no magic addresses"
    );
    let config = config(servers, target, bdat)?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let tokens: Vec<String> = (0..8).map(|_| token()).collect();
    let mut mails = Vec::new();
    let mut expected = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let from = match i {
            1 => format!("reject-{token}@example.org"),
            _ => format!("sender-{token}@example.org"),
        };
        let (to, copies, outcome) = match i {
            3 => (
                vec![format!("reject-{token}@example.net")],
                0,
                Outcome::Rejected,
            ),
            5 => (
                vec![
                    format!("a-{token}@example.net"),
                    format!("reject-{token}@example.net"),
                    format!("b-{token}@example.net"),
                ],
                2,
                Outcome::Partial,
            ),
            1 => (vec![format!("a-{token}@example.net")], 0, Outcome::Rejected),
            _ => (
                vec![format!("a-{token}@example.net")],
                1,
                Outcome::Delivered,
            ),
        };
        // Bodies of different sizes so that a chunk or a marker in the wrong place shows.
        let text = format!("Mail {i}.\n.{}\n", "x".repeat(i * 397 % 990));
        let body = message(test, token, &text);
        expected.push((copies, outcome, body.clone()));
        mails.push((envelope(&from, &to)?, MailBody::bytes(body)));
    }
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let results = A::send_all_mails(&mut connection, mails).await;
        ensure!(results.len() == 8, "{} results for 8 mails", results.len());
        for (i, (result, (_, outcome, _))) in results.iter().zip(&expected).enumerate() {
            let report: &MailReport = match result {
                Ok(Ok(report)) => report,
                other => return Err(format!("mail {i}: {other:?}")),
            };
            ensure!(
                report.outcome() == *outcome,
                "mail {i}: {:?}, expected {outcome:?}: {}",
                report.outcome(),
                describe(report)
            );
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(code_of(&noop) == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })?;
    for (i, (token, (copies, _, sent))) in tokens.iter().zip(&expected).enumerate() {
        // The oracles store one copy per message, the MTAs one per recipient.
        let copies = match &store {
            Store::Oracle(_) => (*copies).min(1),
            _ => *copies,
        };
        let found = finder
            .find(token, copies, wait_for(&store))
            .map_err(|e| format!("mail {i}: {e}"))?;
        let wanted = canonical(sent);
        for stored in &found {
            let ok = match &store {
                Store::Oracle(_) => stored.content == wanted,
                _ => {
                    let lf: Vec<u8> = wanted.iter().copied().filter(|&b| b != b'\r').collect();
                    let tail = body(&lf, b"\n\n").unwrap_or_default();
                    stored.content.ends_with(tail)
                        && contains(&stored.content, format!("X-Test-Id: {token}").as_bytes())
                }
            };
            ensure!(ok, "mail {i}: {} is not its message", stored.path.display());
        }
    }
    Ok(())
}

/// A streamed 11 MB body (no size hint) to a server whose SIZE is 10485760: the server's
/// refusal is reported as a rejection (not delivered, nothing stored), and the connection
/// stays usable for the next mail (BDAT) or is closed cleanly (DATA).
pub fn streamed_over_limit<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    let mut config = config(servers, target, bdat)?;
    if bdat {
        let options = TransactionOptions {
            bdat_chunk_size: NonZeroUsize::new(1 << 20).ok_or("chunk")?,
            ..config.transaction_options()
        };
        config = builder(servers, target.port(), Security::None)?
            .transaction_options(options)
            .build()
            .or_fail("config")?;
    }
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, "");
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    while sent.len() < 11_000_000 {
        sent.extend_from_slice(line);
    }
    let result = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = token_envelope(&token)?;
        let body = Pieces::new(sent, &[65536]);
        let result =
            A::send_mail_streamed(&mut connection, envelope, body, StreamedBody::default()).await;
        Ok::<_, String>(result)
    })?;
    match &result {
        Ok(Ok(report)) => ensure!(
            report.outcome() == Outcome::Rejected,
            "outcome {:?}: {}",
            report.outcome(),
            describe(report)
        ),
        other => {
            let interrupted: Vec<_> = other
                .as_ref()
                .err()
                .map(|e| {
                    e.reports()
                        .iter()
                        .map(|r| (r.outcome(), describe(r)))
                        .collect()
                })
                .unwrap_or_default();
            return Err(format!(
                "expected a rejection, got {:?}; interrupted reports {interrupted:?}",
                other.as_ref().map_err(Error::to_string)
            ));
        }
    }
    none_stored(&finder, &store, &token)
}

/// `Err` if a message with `token` was stored (after waiting for an MTA's delivery).
fn none_stored(finder: &Finder, store: &Store, token: &str) -> Result<(), String> {
    if matches!(store, Store::Maildir(_)) {
        std::thread::sleep(std::time::Duration::from_secs(4));
    }
    let found = finder.find(token, 0, std::time::Duration::ZERO)?;
    match found.first() {
        Some(stored) => Err(format!(
            "a refused or aborted mail was stored: {}",
            stored.path.display()
        )),
        None => Ok(()),
    }
}

/// The body source fails after 200 KiB ending in a complete line: the mail is not
/// delivered (the connection is dropped without an end of data), nothing is stored.
pub fn streamed_source_error<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
    tls: bool,
) -> Result<(), String> {
    let config = if tls {
        let port = target.implicit_tls_port().ok_or("no implicit TLS port")?;
        let options = TransactionOptions {
            prefer_bdat: bdat,
            bdat_chunk_size: NonZeroUsize::new(8191).ok_or("chunk")?,
            ..TransactionOptions::default()
        };
        builder(servers, port, Security::ImplicitTls)?
            .transaction_options(options)
            .build()
            .or_fail("config")?
    } else {
        config(servers, target, bdat)?
    };
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let mut sent = message(test, &token, "");
    let head = sent.len();
    sent.extend(std::iter::repeat_n(b"abcdefghij\r\n".as_slice(), 200 * 1024 / 12).flatten());
    let fail_at = head + 200 * 1024 / 12 * 12;
    sent.extend_from_slice(b"never read\r\n");
    let result = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = token_envelope(&token)?;
        let body = Pieces::new(sent.clone(), &[4096]).failing_at(fail_at);
        Ok::<_, String>(
            A::send_mail_streamed(&mut connection, envelope, body, StreamedBody::default()).await,
        )
    })?;
    match &result {
        Err(error) if matches!(error.cause(), Error::Body(_)) => {}
        other => {
            return Err(format!(
                "expected Error::Body, got {:?}",
                other.as_ref().map(|r| r.as_ref().map(|r| r.outcome()))
            ));
        }
    }
    none_stored(&finder, &store, &token)
}

/// A first mail whose SIZE fits the limit but which Postfix refuses at its end (its own
/// trace headers push it over `message_size_limit`), followed by two small mails on the
/// same connection (the next riding with the refused end of data): the first is
/// rejected and not stored, the others delivered and stored once each, whole.
pub fn refused_at_end_then_more<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    const LIMIT: usize = 10_485_760;
    let mut config = config(servers, target, bdat)?;
    let options = TransactionOptions {
        bdat_chunk_size: NonZeroUsize::new(1 << 20).ok_or("chunk")?,
        ..config.transaction_options()
    };
    config = builder(servers, target.port(), Security::None)?
        .transaction_options(options)
        .build()
        .or_fail("config")?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let tokens: Vec<String> = (0..3).map(|_| token()).collect();
    let mut big = message(test, &tokens[0], "");
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    while big.len() + line.len() <= LIMIT - 8 {
        big.extend_from_slice(line);
    }
    let mut mails = vec![(
        envelope(
            &format!("sender-{}@example.org", tokens[0]),
            &[format!("rcpt-{}@example.net", tokens[0])],
        )?,
        MailBody::bytes(big),
    )];
    let mut small = Vec::new();
    for token in &tokens[1..] {
        let body = message(test, token, ".after the refused one\n");
        small.push(body.clone());
        mails.push((token_envelope(token)?, MailBody::bytes(body)));
    }
    let outcomes = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let results = A::send_all_mails(&mut connection, mails).await;
        let outcomes: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(Ok(report)) => format!("{:?}", report.outcome()),
                other => format!("{:?}", other.as_ref().map(|r| r.as_ref().err())),
            })
            .collect();
        if A::is_usable(&connection) {
            A::quit(connection).await.or_fail("QUIT")?;
        }
        Ok::<_, String>(outcomes)
    })?;
    ensure!(
        outcomes == ["Rejected", "Delivered", "Delivered"],
        "outcomes {outcomes:?}"
    );
    for (token, body) in tokens[1..].iter().zip(&small) {
        check_stored(&finder, &store, token, body)?;
    }
    none_stored(&finder, &store, &tokens[0])
}

/// Two mails with the same 1005 recipients through `send_all_mails` (Postfix refuses the
/// last 5 of each with 452 4.5.3): each mail is retried for its 5, and every recipient
/// gets exactly one copy of each mail.
pub fn too_many_recipients_twice<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    bdat: bool,
) -> Result<(), String> {
    const COUNT: usize = 1005;
    let config = config(servers, target, bdat)?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let tokens = [super::token(), super::token()];
    let to: Vec<String> = (0..COUNT)
        .map(|i| format!("r{i}-{token}@example.net"))
        .collect();
    let mut mails = Vec::new();
    for t in &tokens {
        let body = message(test, t, "one of two\n");
        mails.push((
            envelope(&format!("sender-{token}@example.org"), &to)?,
            MailBody::bytes(body),
        ));
    }
    let outcomes = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let results = A::send_all_mails(&mut connection, mails).await;
        A::quit(connection).await.or_fail("QUIT")?;
        Ok::<_, String>(
            results
                .iter()
                .map(|r| match r {
                    Ok(Ok(report)) => {
                        format!("{:?} {}", report.outcome(), report.delivered_count())
                    }
                    other => format!("{:?}", other.as_ref().map(|r| r.as_ref().err())),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    ensure!(
        outcomes == ["Delivered 1005", "Delivered 1005"],
        "outcomes {outcomes:?}"
    );
    for t in &tokens {
        let found = finder.find(t, COUNT, std::time::Duration::from_secs(120))?;
        let mut seen = std::collections::HashMap::new();
        for stored in &found {
            let text = String::from_utf8_lossy(&stored.content);
            let rcpt = text
                .lines()
                .find_map(|l| l.strip_prefix("X-Original-To: "))
                .unwrap_or("?")
                .to_owned();
            *seen.entry(rcpt).or_insert(0) += 1;
        }
        for address in &to {
            let n = seen.get(address.as_str()).copied().unwrap_or(0);
            ensure!(n == 1, "{t}: {address}: {n} copies");
        }
    }
    Ok(())
}

/// `send_mail` with [`MailBody::Streamed`] but no reader to stream it from (only
/// `send_mail_streamed` takes one): the adapters feed an empty reader, and an empty message
/// is delivered and reported `Delivered`. The caller's message is lost while the report
/// says it arrived: such a mail must be refused before a byte is sent (a `LogicError`),
/// and nothing stored.
pub fn streamed_body_without_reader<A: SmtpAdapter>(
    servers: &Servers,
    _test: &str,
    target: Target,
) -> Result<(), String> {
    let config = config(servers, target, false)?;
    let store = target.store(servers);
    ensure!(matches!(store, Store::Maildir(_)), "{target:?}: no Maildir");
    let finder = Finder::new(store.clone());
    let token = token();
    let result = A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = token_envelope(&token)?;
        let body = MailBody::Streamed(StreamedBody::default());
        let result = A::send_mail(&mut connection, envelope, body).await;
        if A::is_usable(&connection) {
            A::quit(connection).await.or_fail("QUIT")?;
        }
        Ok::<_, String>(result)
    })?;
    ensure!(
        matches!(result, Ok(Err(LogicError::WrongState { .. }))),
        "a streamed body with no reader must be refused before a byte is sent: {result:?}"
    );
    // Postfix names the recipient (X-Original-To) in what it stores, even for an empty
    // message.
    none_stored(&finder, &store, &token)
}
