//! The in-process test server: `cargo run -p smtp-tokio --features test-server --example
//! test_server`.
//!
//! Starts a server with STARTTLS, AUTH and a refused recipient, sends it two mails with
//! the real client, and prints what the server recorded. Run with `--serve` to keep it
//! listening (printing its port and CA) for another client, such as the `send` example.

mod common;

use std::error::Error;
use std::process::ExitCode;

use smtp_proto::auth::Credentials;
use smtp_proto::command::{Envelope, MailBody};
use smtp_tokio::Connection;
use smtp_tokio::test_server::{Stage, TestServer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let server = TestServer::builder()
        .starttls(true)
        .auth("user", "pass")
        .refuse(Stage::Rcpt, "nobody@", "550 5.1.1 no such user")
        .spawn()
        .await?;
    if std::env::args().any(|a| a == "--serve") {
        return serve(&server).await;
    }
    let config = server
        .client_config()
        .credentials(Credentials::password("user", "pass"))
        .build()?;
    let mut connection = Connection::connect(&config).await?;
    for to in ["<ann@example.net>", "<nobody@example.net>"] {
        let envelope = Envelope::new("<app@example.org>".parse()?, [to.parse()?])?;
        let body = format!("To: {to}\r\nSubject: hello\r\n\r\n.a line with a leading dot\r\n");
        eprintln!("sending to {to}");
        let report = connection
            .send_mail(envelope, MailBody::bytes(body))
            .await??;
        common::print_report(&report);
    }
    connection.quit().await?;

    let session = server.next_session().await;
    eprintln!(
        "\nsession {} from {:?}: tls {}, user {:?}, ended {:?}",
        session.id,
        session.peer,
        session.tls,
        session.authenticated(),
        session.end
    );
    for line in &session.commands {
        eprintln!("  C: {line}");
    }
    for message in server.messages() {
        eprintln!(
            "message from {} to {:?}, {} octets over {}, verdict {:?}",
            message.reverse_path,
            message.recipient_addresses(),
            message.data.len(),
            if message.bdat { "BDAT" } else { "DATA" },
            message.verdict.map(|v| v.to_bytes()).map(String::from_utf8)
        );
        eprint!("{}", String::from_utf8_lossy(&message.data));
    }
    Ok(())
}

/// Keeps the server running, printing each message as it arrives.
async fn serve(server: &TestServer) -> Result<(), Box<dyn Error>> {
    let port = server.port().ok_or("no TCP port")?;
    eprintln!("listening on 127.0.0.1:{port} (STARTTLS, user `user`, password `pass`)");
    eprintln!("CA certificate:\n{}", server.ca_pem());
    loop {
        let message = server.next_message().await;
        eprintln!(
            "message {} from {}: {} octets",
            message.session,
            message.reverse_path,
            message.data.len()
        );
    }
}
