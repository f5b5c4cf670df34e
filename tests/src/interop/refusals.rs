//! Whole-mail refusals on the real servers, pipelined: the sender refused, every recipient
//! refused, a message over the SIZE limit; each time the connection carries on.

use smtp_adapter::Security;
use smtp_proto::command::{LogicError, MailBody, Noop, Outcome, RecipientStatus};

use super::session::deliver_one;
use super::setup::{OrFail, builder, code_of, describe, ensure, envelope, expect_all, message};
use super::{Servers, Target, token};
use crate::adapter::SmtpAdapter;

/// How many recipients the refused mails have.
const RECIPIENTS: usize = 3;

/// `MAIL FROM:<reject…>`: refused with 550 at MAIL; the pipelined RCPTs and DATA (or BDAT)
/// that followed are answered and read; nothing is delivered; the next mail is.
pub fn sender_refused<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let token = token();
    let from = format!("reject-{token}@example.org");
    refused::<A>(servers, test, target, &from, "ok", |report| {
        let mail = report.transactions().first().and_then(|t| t.mail_reply());
        ensure!(
            mail.map(code_of) == Some(550),
            "MAIL answered {:?}, expected 550",
            mail.map(ToString::to_string)
        );
        ensure!(
            report
                .recipients()
                .all(|(_, r)| r.status() == RecipientStatus::Refused),
            "expected every recipient refused: {}",
            describe(report)
        );
        Ok(())
    })
}

/// Every recipient refused (550 5.1.1): DATA (or BDAT with its chunk already sent) is
/// refused or answered, nothing is delivered; the next mail is.
pub fn all_recipients_refused<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let token = token();
    let from = format!("sender-{token}@example.org");
    refused::<A>(servers, test, target, &from, "reject", |report| {
        expect_all(report, RecipientStatus::Refused, 550)
    })
}

fn refused<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
    from: &str,
    local_prefix: &str,
    check: impl FnOnce(&smtp_proto::command::MailReport) -> Result<(), String>,
) -> Result<(), String> {
    ensure!(
        target.has_magic_addresses(),
        "{target:?} has no magic addresses"
    );
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let token = token();
    let to: Vec<String> = (0..RECIPIENTS)
        .map(|i| format!("{local_prefix}{i}-{token}@example.net"))
        .collect();
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let envelope = envelope(from, &to)?;
        let body = MailBody::bytes(message(test, &token, "Never delivered.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        ensure!(
            report.outcome() == Outcome::Rejected && report.delivered_count() == 0,
            "outcome {:?}: {}",
            report.outcome(),
            describe(&report)
        );
        check(&report)?;
        ensure!(A::is_usable(&connection), "unusable after a refusal");
        deliver_one::<A>(&mut connection, test, &super::token()).await?;
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// A message one octet over the announced `SIZE 10485760`: `MessageTooLarge` before a byte
/// is written, and the connection is still usable.
pub fn over_size_limit<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    const LIMIT: u64 = 10_485_760;
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let token = token();
    let mut text = message(test, &token, "");
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    while (text.len() as u64) < LIMIT {
        text.extend_from_slice(line);
    }
    text.truncate(usize::try_from(LIMIT).or_fail("limit")? + 1);
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let limit = A::established(&connection)
            .and_then(|e| e.ehlo())
            .and_then(|e| e.size_limit());
        ensure!(limit == Some(LIMIT), "SIZE {limit:?}, expected {LIMIT}");
        let envelope = envelope(
            &format!("sender-{token}@example.org"),
            &[format!("rcpt-{token}@example.net")],
        )?;
        match A::send_mail(&mut connection, envelope, MailBody::bytes(text)).await {
            Ok(Err(LogicError::MessageTooLarge { size, limit })) if limit == LIMIT => {
                ensure!(size > LIMIT, "reported size {size} is within {LIMIT}");
            }
            other => return Err(format!("expected MessageTooLarge, got {other:?}")),
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(code_of(&noop) == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// An 8-bit body to a server without 8BITMIME (smtp-sink-bare): `Unsupported` before a
/// byte is written, never sent as 7-bit; the connection is still usable.
pub fn eight_bit_unsupported<A: SmtpAdapter>(
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
            &[format!("rcpt-{token}@example.net")],
        )?;
        let body = MailBody::bytes(message(test, &token, "Grüße\n"));
        match A::send_mail(&mut connection, envelope, body).await {
            Ok(Err(LogicError::Unsupported {
                capability: "8BITMIME",
                ..
            })) => {}
            other => return Err(format!("expected 8BITMIME unsupported, got {other:?}")),
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(code_of(&noop) == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// Ten mails on one connection ([`SendMails`](smtp_proto::command::SendMails), pipelined)
/// with refusals in between: a refused sender (mail 2), every recipient refused (mail 5),
/// one of two recipients refused (mail 7). Each result is its own; the others are
/// delivered.
pub fn many_mails_mixed<A: SmtpAdapter>(
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
    let token = token();
    let mut mails = Vec::new();
    for i in 0..10 {
        let from = match i {
            2 => format!("reject{i}-{token}@example.org"),
            _ => format!("sender{i}-{token}@example.org"),
        };
        let to = match i {
            5 => vec![format!("reject{i}a-{token}@example.net")],
            7 => vec![
                format!("reject{i}a-{token}@example.net"),
                format!("ok{i}b-{token}@example.net"),
            ],
            _ => vec![format!("ok{i}-{token}@example.net")],
        };
        let body = MailBody::bytes(message(test, &token, &format!("Mail {i}.\n")));
        mails.push((envelope(&from, &to)?, body));
    }
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let cmd =
            smtp_proto::command::SendMails::new(mails.into_iter(), config.transaction_options());
        let results = A::send(&mut connection, cmd)
            .await
            .or_fail("SendMails")?
            .or_fail("SendMails refused")?;
        ensure!(
            results.len() == 10,
            "{} results for 10 mails",
            results.len()
        );
        for (i, result) in results.iter().enumerate() {
            let report = result.as_ref().map_err(|e| format!("mail {i}: {e}"))?;
            let expected = match i {
                2 | 5 => Outcome::Rejected,
                7 => Outcome::Partial,
                _ => Outcome::Delivered,
            };
            ensure!(
                report.outcome() == expected,
                "mail {i}: {:?}, expected {expected:?}: {}",
                report.outcome(),
                describe(report)
            );
        }
        let mail = results
            .get(2)
            .and_then(|r| r.as_ref().ok())
            .and_then(|r| r.transactions().first())
            .and_then(|t| t.mail_reply());
        ensure!(
            mail.map(code_of) == Some(550),
            "mail 2: MAIL answered {:?}",
            mail.map(ToString::to_string)
        );
        ensure!(A::is_usable(&connection), "unusable after the mails");
        A::quit(connection).await.or_fail("QUIT")
    })
}
