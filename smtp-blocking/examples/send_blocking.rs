//! Sends one mail: `cargo run -p smtp-blocking --example send_blocking -- HOST[:PORT] FROM TO [USER PASSWORD]`.
//!
//! STARTTLS is required; set `SMTP_CA_FILE=ca.pem` to trust a private CA as well as the
//! system's, or `SMTP_PLAINTEXT=1` to talk to a local test server without TLS (AUTH then
//! needs TLS: the example does not allow credentials in the clear).

use std::error::Error;

use smtp_blocking::{ConnectionConfig, Security, TlsConfig, connect_send_quit};
use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, from, to, rest @ ..] = args.as_slice() else {
        return Err("usage: send HOST[:PORT] FROM TO [USER PASSWORD]".into());
    };
    let (host, port) = match host.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>()?)),
        None => (host.as_str(), None),
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
    if let [user, password] = rest {
        builder = builder.credentials(Credentials::password(user.as_str(), password.as_str()));
    }
    let config = builder.build()?;
    let envelope = Envelope::new(format!("<{from}>").parse()?, [format!("<{to}>").parse()?])?;
    let body =
        format!("From: <{from}>\r\nTo: <{to}>\r\nSubject: smtp-blocking example\r\n\r\nHello.\r\n");
    let report = connect_send_quit(&config, envelope, MailBody::bytes(body))??;
    eprintln!("outcome: {:?}", report.outcome());
    for (path, recipient) in report.recipients() {
        // The reply that decided the recipient: the verdict, else the answer to RCPT.
        let reply = recipient.data_reply().or(recipient.rcpt_reply());
        let reply = reply.map(ToString::to_string).unwrap_or_default();
        eprintln!("  {path}: {:?} {reply}", recipient.status());
    }
    Ok(())
}
