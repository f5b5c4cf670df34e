//! Composes a message with `mail-builder` and sends it:
//! `cargo run -p smtp-tokio --example compose -- HOST[:PORT] FROM TO [TO...]`.
//!
//! A recipient written `bcc:ADDRESS` gets the mail without appearing in its headers. STARTTLS
//! is required; set `SMTP_CA_FILE=ca.pem` to trust a private CA as well as the system's,
//! `SMTP_PLAINTEXT=1` for a local test server without TLS, and `SMTP_USER` and
//! `SMTP_PASSWORD` to authenticate.
//!
//! The envelope is taken from the message itself: the reverse path from its `From`, the
//! forward paths from its `To` and `Cc` (groups and lists included) plus the Bcc list.
//! `mail-builder` writes addresses as it is given them without checking them, so each one
//! is parsed once by smtp-proto (`Mailbox::try_from`, full RFC 5321 grammar) and moved into
//! its path without another copy; for addresses a builder has already validated,
//! `ForwardPath::from_unchecked` skips the grammar but still refuses controls, spaces and
//! brackets, which could otherwise end the path early or inject a command.

mod common;

use std::error::Error;
use std::process::ExitCode;

use mail_builder::MessageBuilder;
use mail_builder::headers::HeaderType;
use mail_builder::headers::address::Address;
use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody};
use smtp_proto::syntax::{ForwardPath, Mailbox, ReversePath};
use smtp_tokio::{ConnectionConfig, Security, TlsConfig, connect_send_quit};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // `Display`, not the `Debug` a `main` returning `Result` would print.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, from, recipients @ ..] = args.as_slice() else {
        return Err("usage: compose HOST[:PORT] FROM TO [TO...] (bcc:ADDRESS for Bcc)".into());
    };
    if recipients.is_empty() {
        return Err("at least one recipient is needed".into());
    }
    let (bcc, to): (Vec<&str>, Vec<&str>) = recipients
        .iter()
        .map(String::as_str)
        .partition(|r| r.starts_with("bcc:"));
    let bcc: Vec<&str> = bcc.iter().filter_map(|r| r.strip_prefix("bcc:")).collect();

    let message = MessageBuilder::new()
        .from(("smtp-tokio example", from.as_str()))
        .to(to)
        .subject("Composed with mail-builder, sent with smtp-tokio")
        .text_body("Hello.\n\nThis message was built by mail-builder.\n");
    let envelope = envelope_of(&message, &bcc)?;
    let body = message.write_to_vec()?;

    let config = config(host)?;
    let report = connect_send_quit(&config, envelope, MailBody::bytes(body)).await??;
    common::print_report(&report);
    Ok(())
}

/// The envelope a message's own headers call for: `From` for the reverse path, `To` and
/// `Cc` and then `bcc` for the forward paths.
fn envelope_of(message: &MessageBuilder<'_>, bcc: &[&str]) -> Result<Envelope, Box<dyn Error>> {
    let mut senders = Vec::new();
    let mut recipients = Vec::new();
    for (name, value) in &message.headers {
        let HeaderType::Address(address) = value else {
            continue;
        };
        if name.eq_ignore_ascii_case("From") {
            emails(address, &mut senders);
        } else if name.eq_ignore_ascii_case("To") || name.eq_ignore_ascii_case("Cc") {
            emails(address, &mut recipients);
        }
    }
    recipients.extend_from_slice(bcc);
    let [sender] = senders.as_slice() else {
        return Err(format!("one From address expected, found {}", senders.len()).into());
    };
    let reverse = ReversePath::from(Mailbox::try_from(*sender)?);
    let forward = recipients
        .iter()
        .map(|r| Mailbox::try_from(*r).map(ForwardPath::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Envelope::new(reverse, forward)?)
}

/// Every address in a header value, through groups and lists.
fn emails<'a>(address: &'a Address<'_>, out: &mut Vec<&'a str>) {
    match address {
        Address::Address(one) => out.push(&one.email),
        Address::Group(group) => group.addresses.iter().for_each(|a| emails(a, out)),
        Address::List(list) => list.iter().for_each(|a| emails(a, out)),
    }
}

/// `HOST[:PORT]`, with `SMTP_PLAINTEXT`, `SMTP_USER` and `SMTP_PASSWORD` from the
/// environment.
fn config(host: &str) -> Result<ConnectionConfig, Box<dyn Error>> {
    let (host, port) = match host.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>()?)),
        None => (host, None),
    };
    let mut builder = ConnectionConfig::builder(host);
    if let Some(port) = port {
        builder = builder.port(port);
    }
    if let Some(file) = std::env::var_os("SMTP_CA_FILE") {
        let pem = std::fs::read(file)?;
        builder = builder.tls(TlsConfig::new().add_root_certificates_pem(&pem)?);
    }
    if std::env::var_os("SMTP_PLAINTEXT").is_some() {
        builder = builder.security(Security::None);
    }
    if let (Ok(user), Ok(password)) = (std::env::var("SMTP_USER"), std::env::var("SMTP_PASSWORD")) {
        builder = builder.credentials(Credentials::password(user, password));
    }
    Ok(builder.build()?)
}
