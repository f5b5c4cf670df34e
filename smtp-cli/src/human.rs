//! Human output: greeting, capabilities, TLS, AUTH, each recipient's verdict, the outcome;
//! readable at a glance. Replies are shown through `Response`'s `Display` (truncated,
//! control characters escaped), the EHLO domain and keywords through `Escaped`, the same
//! escaping; every row also goes through [`terminal`], so no control, bidirectional
//! control or line separator (ESC, BEL, CSI, U+202E...) reaches the terminal as it is.

use std::fmt::Write as _;

use smtp_proto::command::Hello;
use smtp_proto::response::{Escaped, Response, is_unsafe_to_show};

use crate::failure::Kind;
use crate::reply;
use crate::report::RunReport;
use crate::view::RecipientView;

/// The whole report as text (without the error line, which goes to stderr).
pub(crate) fn render(run: &RunReport, addresses: Option<&[String]>) -> String {
    let mut out = String::new();
    let session = &run.session;
    let row = |out: &mut String, label: &str, text: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{label:<10}{}", terminal(&text.to_string()));
    };
    if let Some(greeting) = &session.greeting {
        row(&mut out, "greeting", greeting);
    }
    if let Some(hello) = &session.hello {
        let response = hello.response();
        match hello {
            Hello::Ehlo(_) => {
                row(
                    &mut out,
                    "server",
                    &Escaped(reply::domain(response).as_bytes()),
                );
                let offers: Vec<String> = reply::capabilities(response)
                    .iter()
                    .map(|(keyword, params)| {
                        let params = params.as_array().map_or(Vec::new(), |p| {
                            p.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>()
                        });
                        std::iter::once(keyword.as_str())
                            .chain(params)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .map(|offer| Escaped(offer.as_bytes()).to_string())
                    .collect();
                row(&mut out, "offers", &offers.join(", "));
            }
            _ => row(&mut out, "helo", response),
        }
    }
    match &session.tls {
        Some(tls) => {
            let verified = if tls.verified {
                "verified"
            } else {
                "NOT VERIFIED"
            };
            row(
                &mut out,
                "tls",
                &format!("{} {}, {verified}", tls.version, tls.cipher),
            );
            if let Some(c) = &tls.certificate {
                row(&mut out, "", &format!("subject {}", c.subject));
                row(&mut out, "", &format!("issuer  {}", c.issuer));
                row(&mut out, "", &format!("expires {}", c.not_after));
            }
        }
        None if session.greeting.is_some() => {
            let not_established = run.error.as_ref().is_some_and(|error| match error.kind {
                Kind::Tls | Kind::StartTlsInjection | Kind::StartTlsUnavailable => true,
                Kind::Timeout => error.message.contains("TLS handshake"),
                _ => false,
            });
            let text = if not_established {
                "not established (see the error)"
            } else {
                "none (plaintext)"
            };
            row(&mut out, "tls", &text);
        }
        None => {}
    }
    if let Some(auth) = &session.auth {
        let mechanism = auth.mechanism.as_deref().unwrap_or("(none)");
        row(
            &mut out,
            "auth",
            &format!("{mechanism}: {}", shown(auth.reply.as_ref())),
        );
    }
    if let Some(view) = &run.last {
        row(&mut out, "mail", &shown(view.mail.as_ref()));
    }
    if let Some(addresses) = addresses {
        let view = run.last.as_ref();
        for (index, address) in addresses.iter().enumerate() {
            let recipient = view.and_then(|v| v.recipients.get(index));
            let line = format!("{address}: {}", verdict(recipient));
            let _ = writeln!(out, "  {}", terminal(&line));
        }
    }
    if let Some(view) = &run.last {
        row(&mut out, "message", &shown(view.message.as_ref()));
    }
    let stats = &run.tally;
    let outcome = run.outcome.map_or("ok", |o| o.as_str());
    if run.probe {
        row(&mut out, "outcome", &outcome);
    } else {
        row(
            &mut out,
            "outcome",
            &format!(
                "{outcome}: {} message(s) on {} connection(s) in {:.3} s: {} delivered, {} partial, \
                 {} rejected, {} uncertain, {} errors",
                stats.attempted(),
                run.connections,
                run.seconds,
                stats.delivered,
                stats.partial,
                stats.rejected,
                stats.uncertain,
                stats.errors
            ),
        );
    }
    out
}

/// `text` with every character unsafe on a terminal (C0, DEL, C1, bidirectional controls,
/// line separators) written as an escape, `\x1b` or `\u{202e}`. Rows are escaped where
/// they are made; this is the last guard, for text that has not been.
fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_to_show) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match u32::from(c) {
            code @ (0..=0x1f | 0x7f) => {
                let _ = write!(out, "\\x{code:02x}");
            }
            code if is_unsafe_to_show(c) => {
                let _ = write!(out, "\\u{{{code:x}}}");
            }
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn shown(reply: Option<&Response>) -> String {
    reply.map_or_else(|| "(no reply)".to_owned(), ToString::to_string)
}

/// One recipient's verdict: accepted or refused at RCPT, and in LMTP its own delivery.
fn verdict(recipient: Option<&RecipientView>) -> String {
    let Some(recipient) = recipient else {
        return "not sent".to_owned();
    };
    let Some(reply) = &recipient.reply else {
        return "no reply".to_owned();
    };
    let word = if recipient.is_accepted() {
        "accepted"
    } else {
        "REFUSED"
    };
    match &recipient.data_reply {
        Some(data) => format!("{word} ({reply}); delivery: {data}"),
        None => format!("{word} ({reply})"),
    }
}
