//! Mail transactions against the real servers: partial refusals in a pipelined group,
//! BDAT, SMTPUTF8, and a hundred mails on one connection.

use std::num::NonZeroUsize;

use smtp_adapter::Security;
use smtp_proto::command::CommandError;
use smtp_proto::command::{
    LogicError, MailBody, Noop, Outcome, RecipientStatus, SendMails, TransactionOptions,
};
use smtp_proto::response::Capability;

use super::session::{deliver_one, find_stored, wait_for};
use super::setup::{
    OrFail, builder, code_of, describe, ensure, envelope, expect_delivered, message,
};
use super::store::contains;
use super::{Finder, Servers, Store, Target, token};
use crate::adapter::SmtpAdapter;

/// How many recipients the pipelined transaction has.
const RECIPIENTS: usize = 50;
/// How many mails go on one connection.
const MAILS: usize = 100;

/// The fate the servers' magic local parts give recipient `index` of 50: 5 `reject…`,
/// 2 `tempfail…`, the rest accepted. (Postfix slows down after 10 errors in a session,
/// `smtpd_soft_error_limit`; 7 stay below.)
fn recipient(index: usize, token: &str) -> (String, Option<RecipientStatus>, bool) {
    if index % 10 == 3 {
        (format!("reject{index}-{token}@example.net"), None, true)
    } else if index % 25 == 7 {
        (format!("tempfail{index}-{token}@example.net"), None, false)
    } else {
        let address = format!("ok{index}-{token}@example.net");
        (address, Some(RecipientStatus::Delivered), false)
    }
}

/// 50 recipients in one pipelined transaction, 7 refused by the server (550 5.1.1 and
/// 450/451 4.2.1): a partial outcome with each code where it belongs; the next mail on
/// the same connection is delivered.
pub fn pipelined_partial<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    ensure!(
        target.has_magic_addresses(),
        "{target:?} has no magic addresses"
    );
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let plan: Vec<_> = (0..RECIPIENTS).map(|i| recipient(i, &token)).collect();
    let addresses: Vec<&str> = plan.iter().map(|(a, _, _)| a.as_str()).collect();
    let delivered = plan.iter().filter(|(_, s, _)| s.is_some()).count();
    let second = super::token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let ehlo = A::established(&connection)
            .and_then(|e| e.ehlo())
            .ok_or("no EHLO data")?;
        ensure!(
            ehlo.supports(Capability::Pipelining),
            "no PIPELINING offered"
        );
        let enhanced_codes = ehlo.supports(Capability::EnhancedStatusCodes);
        let envelope = envelope(&format!("sender-{token}@example.org"), &addresses)?;
        let body = MailBody::bytes(message(test, &token, "Fifty recipients.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        ensure!(
            report.outcome() == Outcome::Partial && report.delivered_count() == delivered,
            "outcome {:?} with {} delivered, expected Partial with {delivered}: {}",
            report.outcome(),
            report.delivered_count(),
            describe(&report)
        );
        for ((path, result), (_, expected, hard)) in report.recipients().zip(&plan) {
            let rcpt = result
                .rcpt_reply()
                .ok_or_else(|| format!("{path}: no RCPT reply"))?;
            let (status, code, enhanced) = match (expected, hard) {
                (Some(status), _) => (*status, 250, None),
                (None, true) => (RecipientStatus::Refused, 550, Some("5.1.1")),
                (None, false) => (
                    RecipientStatus::Refused,
                    target.tempfail_code(),
                    Some("4.2.1"),
                ),
            };
            let text = rcpt.to_string();
            // With ENHANCEDSTATUSCODES the code is parsed; Exim has none, but writes it.
            let parsed = rcpt.enhanced_status().map(|e| e.to_string());
            let enhanced_ok = enhanced.is_none_or(|e| match enhanced_codes {
                true => parsed.as_deref() == Some(e),
                false => text.contains(e),
            });
            ensure!(
                result.status() == status && code_of(rcpt) == code && enhanced_ok,
                "{path}: {:?} with {text} ({parsed:?}), expected {status:?} with {code} \
                 {enhanced:?}",
                result.status()
            );
        }
        let next = deliver_one::<A>(&mut connection, test, &second).await?;
        expect_delivered(&next)?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    match &store {
        // Postfix and Exim store one copy per recipient.
        Store::Maildir(_) => {
            finder.find(&token, delivered, wait_for(&store))?;
        }
        _ => {
            let stored = find_stored(&finder, &store, &token)?;
            for (address, expected, _) in &plan {
                ensure!(
                    stored.meta.contains(address.as_str()) == expected.is_some(),
                    "{address}: in the stored envelope: {}, expected {}",
                    !expected.is_some(),
                    expected.is_some()
                );
            }
        }
    }
    find_stored(&finder, &store, &second).map(|_| ())
}

/// BDAT (RFC 3030) in 64-octet chunks, lines starting with dots included (BDAT sends them
/// unstuffed): the verdict is the BDAT LAST reply and the stored copy keeps the dots.
pub fn bdat<A: SmtpAdapter>(servers: &Servers, test: &str, target: Target) -> Result<(), String> {
    let options = TransactionOptions {
        prefer_bdat: true,
        bdat_chunk_size: NonZeroUsize::new(64).ok_or("chunk size")?,
        ..TransactionOptions::default()
    };
    let config = builder(servers, target.port(), Security::None)?
        .transaction_options(options)
        .build()
        .or_fail("config")?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let lines = ".leading dot\n..two dots\n.\nend of a message sent in BDAT chunks\n";
    let text = format!(
        "{}{lines}",
        "filler line for more than one chunk\n".repeat(4)
    );
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let ehlo = A::established(&connection)
            .and_then(|e| e.ehlo())
            .ok_or("no EHLO data")?;
        ensure!(ehlo.supports(Capability::Chunking), "no CHUNKING offered");
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("rcpt-{token}@example.net")],
        )?;
        let body = MailBody::bytes(message(test, &token, &text));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        expect_delivered(&report)?;
        // Only a BDAT LAST reply mentions the octets received (Postfix "… bytes queued
        // as", Exim "250- N byte chunk, total M").
        let verdict = report
            .transactions()
            .last()
            .and_then(|t| t.final_reply())
            .ok_or("no verdict")?
            .to_string();
        ensure!(
            verdict.contains("bytes queued") || verdict.contains("byte chunk"),
            "the verdict {verdict:?} is not a BDAT LAST reply"
        );
        A::quit(connection).await.or_fail("QUIT")
    })?;
    let stored = find_stored(&finder, &store, &token)?;
    ensure!(
        contains(&stored.content, format!("\n{lines}").as_bytes()),
        "{} does not hold the dot lines unchanged",
        stored.path.display()
    );
    Ok(())
}

/// Internationalised addresses (RFC 6531): MAIL carries SMTPUTF8, the local parts arrive
/// in UTF-8 (domains as A-labels), and the server records it.
pub fn smtputf8<A: SmtpAdapter>(
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
    let from = format!("δοκιμή-{token}@παράδειγμα.example");
    let to = format!("用户-{token}@例子.example");
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let ehlo = A::established(&connection)
            .and_then(|e| e.ehlo())
            .ok_or("no EHLO data")?;
        ensure!(ehlo.supports(Capability::SmtpUtf8), "no SMTPUTF8 offered");
        let envelope = envelope(&from, &[&to])?;
        let body = MailBody::bytes(message(test, &token, "Grüße, 你好.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        expect_delivered(&report)?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    let stored = find_stored(&finder, &store, &token)?;
    let local = format!("用户-{token}@");
    match &store {
        Store::Oracle(_) => ensure!(
            stored.meta.contains("\"smtputf8\": true") && stored.meta.contains(&local),
            "the server did not record SMTPUTF8 and {local}: {}",
            stored.meta
        ),
        _ => ensure!(
            contains(&stored.content, local.as_bytes()),
            "{} does not name {local}",
            stored.path.display()
        ),
    }
    Ok(())
}

/// A UTF-8 local part to a server without SMTPUTF8: refused before a byte is written,
/// and the connection stays usable.
pub fn smtputf8_unsupported<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let token = token();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("用户-{token}@example.net")],
        )?;
        let body = MailBody::bytes(message(test, &token, "x\n"));
        let result = A::send_mail(&mut connection, envelope, body).await;
        match result {
            Ok(Err(LogicError::Unsupported {
                capability: "SMTPUTF8",
                ..
            }))
            | Ok(Err(LogicError::Invalid(CommandError::SmtpUtf8Required))) => {}
            other => return Err(format!("expected SMTPUTF8 unsupported, got {other:?}")),
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(code_of(&noop) == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// A hundred mails on one connection ([`SendMails`]: each MAIL rides with the previous
/// end of data under PIPELINING), every one delivered and stored.
pub fn many_mails<A: SmtpAdapter>(
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
    let mails = (0..MAILS)
        .map(|i| {
            let envelope = envelope(
                &format!("sender-{token}@example.org"),
                &[format!("m{i}-{token}@example.net")],
            )?;
            let body = format!("Mail {i} of {MAILS} on one connection.\n");
            Ok((envelope, MailBody::bytes(message(test, &token, &body))))
        })
        .collect::<Result<Vec<_>, String>>()?;
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let cmd = SendMails::new(mails.into_iter(), config.transaction_options());
        let results = A::send(&mut connection, cmd)
            .await
            .or_fail("SendMails")?
            .or_fail("SendMails refused")?;
        ensure!(
            results.len() == MAILS,
            "{} results for {MAILS} mails",
            results.len()
        );
        for (index, result) in results.iter().enumerate() {
            let report = result.as_ref().map_err(|e| format!("mail {index}: {e}"))?;
            expect_delivered(report).map_err(|e| format!("mail {index}: {e}"))?;
        }
        A::quit(connection).await.or_fail("QUIT")
    })?;
    // Exim queues rather than delivers after 10 messages on one connection
    // (`smtp_accept_queue_per_connection`); its queue runs once a minute.
    if target != Target::Exim {
        finder.find(&token, MAILS, wait_for(&store))?;
    }
    Ok(())
}
