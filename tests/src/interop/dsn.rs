//! Delivery status notifications (RFC 3461): the parameters reach the server, and the MTAs
//! send the success notice asked for; a server without DSN gets none of them.

use smtp_adapter::Security;
use smtp_proto::command::{Envelope, LogicError, MailBody, Noop};
use smtp_proto::syntax::esmtp::{MailParameters, RcptParameters};

use super::session::wait_for;
use super::setup::{OrFail, builder, code_of, ensure, envelope, expect_delivered, message};
use super::store::contains;
use super::{Finder, Servers, Store, Target, token};
use crate::adapter::SmtpAdapter;

/// `RET=HDRS ENVID=TOKEN` on MAIL, and a second recipient with `NOTIFY=SUCCESS,FAILURE
/// ORCPT=rfc822;…`: delivered; Postfix and Exim then deliver a success DSN naming the
/// envelope id to the sender (every domain is local there); smtp-server records the
/// parameters.
pub fn dsn<A: SmtpAdapter>(servers: &Servers, test: &str, target: Target) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let store = target.store(servers);
    let finder = Finder::new(store.clone());
    let token = token();
    let envid = format!("envid-{token}");
    let notified = format!("dsn-{token}@example.net");
    let envelope = dsn_envelope(&token, &envid, &notified)?;
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let body = MailBody::bytes(message(test, &token, "Tell me when it is there.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        expect_delivered(&report)?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    match &store {
        Store::Oracle(_) => {
            let stored = finder.find_one(&token, wait_for(&store))?;
            for part in [envid.as_str(), "HDRS", "SUCCESS", notified.as_str()] {
                ensure!(
                    stored.meta.contains(part),
                    "{part} not in the recorded envelope: {}",
                    stored.meta
                );
            }
        }
        _ => {
            // Two deliveries and the DSN (RET=HDRS returns the header, with the token).
            let found = finder.find(&token, 3, wait_for(&store))?;
            // Field names are case-insensitive: Postfix writes `…-Id`, Exim `…-ID`.
            let header = format!("original-envelope-id: {envid}");
            let notice = found
                .iter()
                .find(|s| contains(&s.content.to_ascii_lowercase(), header.as_bytes()))
                .ok_or_else(|| format!("no DSN with {header:?} among {} files", found.len()))?;
            ensure!(
                contains(&notice.content, notified.as_bytes())
                    && contains(&notice.content, b"Action: delivered"),
                "{} is not a success DSN for {notified}",
                notice.path.display()
            );
        }
    }
    Ok(())
}

/// The same envelope to a server without DSN (aiosmtpd): `Unsupported` before a byte, never
/// silently dropped; the connection is still usable.
pub fn dsn_unsupported<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
    target: Target,
) -> Result<(), String> {
    let config = builder(servers, target.port(), Security::None)?
        .build()
        .or_fail("config")?;
    let token = token();
    let envelope = dsn_envelope(&token, &format!("envid-{token}"), "dsn@example.net")?;
    A::block_on(async {
        let mut connection = A::connect(&config).await.or_fail("connect")?;
        let body = MailBody::bytes(message(test, &token, "x\n"));
        match A::send_mail(&mut connection, envelope, body).await {
            Ok(Err(LogicError::Unsupported {
                capability: "DSN", ..
            })) => {}
            other => return Err(format!("expected DSN unsupported, got {other:?}")),
        }
        let noop = A::send(&mut connection, Noop::default())
            .await
            .or_fail("NOOP")?
            .or_fail("NOOP refused")?;
        ensure!(code_of(&noop) == 250, "NOOP answered {noop}");
        A::quit(connection).await.or_fail("QUIT")
    })
}

/// From `sender-TOKEN`, to `rcpt-TOKEN` (no parameters) and `notified` (NOTIFY, ORCPT).
fn dsn_envelope(token: &str, envid: &str, notified: &str) -> Result<Envelope, String> {
    let mut mail = MailParameters::new();
    mail.insert("RET=HDRS".parse().or_fail("RET")?)
        .or_fail("RET")?;
    mail.insert(format!("ENVID={envid}").parse().or_fail("ENVID")?)
        .or_fail("ENVID")?;
    let mut rcpt = RcptParameters::new();
    rcpt.insert("NOTIFY=SUCCESS,FAILURE".parse().or_fail("NOTIFY")?)
        .or_fail("NOTIFY")?;
    rcpt.insert(
        format!("ORCPT=rfc822;{notified}")
            .parse()
            .or_fail("ORCPT")?,
    )
    .or_fail("ORCPT")?;
    let mut envelope = envelope(
        &format!("sender-{token}@example.org"),
        &[format!("rcpt-{token}@example.net")],
    )?
    .with_mail_parameters(mail);
    envelope.push_recipient(format!("<{notified}>").parse().or_fail("path")?, rcpt);
    Ok(envelope)
}
