//! Sends one mail: `cargo run -p smtp-blocking --example send -- HOST FROM TO [USER PASSWORD]`.
//!
//! STARTTLS is required; set `SMTP_PLAINTEXT=1` to talk to a local test server without TLS.

use std::error::Error;

use smtp_blocking::{ConnectionConfig, Security, connect_send_quit};
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
    eprintln!("{:?}", report.outcome());
    for line in report.recipients() {
        eprintln!("{line:?}");
    }
    Ok(())
}
