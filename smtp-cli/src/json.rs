//! The `--json` document (CLI.md "JSON output"): every key always present, null where it
//! does not apply.

use serde_json::{Value, json};
use smtp_proto::command::Hello;

use crate::failure::Failure;
use crate::reply;
use crate::report::{RunReport, TlsSummary};
use crate::view::MailView;

/// The document for a finished run; `addresses` are the `--to` as given (send only).
pub(crate) fn document(run: &RunReport, addresses: Option<&[String]>) -> Value {
    let session = &run.session;
    let view = run.last.as_ref();
    json!({
        "outcome": run.outcome.map(|o| o.as_str()),
        "greeting": reply::optional(session.greeting.as_ref()),
        "ehlo": session.hello.as_ref().map_or(Value::Null, ehlo),
        "tls": session.tls.as_ref().map_or(Value::Null, tls),
        "auth": session.auth.as_ref().map_or(Value::Null, |auth| json!({
            "mechanism": auth.mechanism,
            "reply": reply::optional(auth.reply.as_ref()),
        })),
        "mail": view.map_or(Value::Null, |v| json!({"reply": reply::optional(v.mail.as_ref())})),
        "recipients": addresses.map_or(Value::Null, |a| recipients(a, view)),
        "message": view.map_or(Value::Null, |v| json!({"reply": reply::optional(v.message.as_ref())})),
        "error": run.error.as_ref().map_or(Value::Null, error),
        "stats": {
            "connections": run.connections,
            "attempted": run.tally.attempted(),
            "delivered": run.tally.delivered,
            "partial": run.tally.partial,
            "rejected": run.tally.rejected,
            "uncertain": run.tally.uncertain,
            "errors": run.tally.errors,
            "seconds": run.seconds,
        },
    })
}

/// The document for a usage error: nothing was done.
pub(crate) fn usage(failure: &Failure) -> Value {
    json!({
        "outcome": "error",
        "greeting": null,
        "ehlo": null,
        "tls": null,
        "auth": null,
        "mail": null,
        "recipients": null,
        "message": null,
        "error": error(failure),
        "stats": null,
    })
}

fn error(failure: &Failure) -> Value {
    json!({"kind": failure.kind.as_str(), "message": failure.message})
}

fn ehlo(hello: &Hello) -> Value {
    let response = hello.response();
    let capabilities = match hello {
        Hello::Ehlo(_) => reply::capabilities(response),
        _ => serde_json::Map::new(),
    };
    json!({"domain": reply::domain(response), "capabilities": capabilities})
}

fn tls(tls: &TlsSummary) -> Value {
    json!({
        "version": tls.version,
        "cipher": tls.cipher,
        "verified": tls.verified,
        "certificate": tls.certificate.as_ref().map(|c| json!({
            "subject": c.subject,
            "issuer": c.issuer,
            "not_after": c.not_after,
        })),
    })
}

/// Every `--to` in order; one the server never answered is not accepted, reply null.
fn recipients(addresses: &[String], view: Option<&MailView>) -> Value {
    let list = addresses
        .iter()
        .enumerate()
        .map(|(index, address)| {
            let recipient = view.and_then(|v| v.recipients.get(index));
            let lmtp = view.is_some_and(|v| v.lmtp);
            let accepted = recipient.is_some_and(|r| r.is_accepted());
            let data_reply = recipient.and_then(|r| r.data_reply.as_ref());
            let delivered = match (lmtp && accepted, data_reply) {
                (true, Some(reply)) => Value::Bool(reply.is_positive_completion()),
                (true, None) => Value::Bool(false),
                (false, _) => Value::Null,
            };
            json!({
                "address": address,
                "accepted": accepted,
                "reply": reply::optional(recipient.and_then(|r| r.reply.as_ref())),
                "data_reply": if lmtp { reply::optional(data_reply) } else { Value::Null },
                "delivered": delivered,
            })
        })
        .collect();
    Value::Array(list)
}
