//! Sends one mail: `cargo run -p smtp-tokio --example send -- HOST[:PORT] FROM TO [USER PASSWORD]`.
//!
//! STARTTLS is required; set `SMTP_CA_FILE=ca.pem` to trust a private CA as well as the
//! system's, or `SMTP_PLAINTEXT=1` to talk to a local test server without TLS (AUTH then
//! needs TLS: the example does not allow credentials in the clear).

mod common;

use std::error::Error;
use std::process::ExitCode;

use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody};
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
        format!("From: <{from}>\r\nTo: <{to}>\r\nSubject: smtp-tokio example\r\n\r\nHello.\r\n");
    let report = connect_send_quit(&config, envelope, MailBody::bytes(body)).await??;
    common::print_report(&report);
    Ok(())
}
