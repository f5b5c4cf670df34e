//! LMTP (RFC 2033) against a private `smtp-sink -L`, over TCP and over a Unix socket: one
//! verdict per recipient after the end of data.

use smtp_adapter::{ConnectionConfig, Security};
use smtp_proto::command::{MailBody, RecipientStatus};

use super::setup::{CLIENT_ID, OrFail, builder, ensure, envelope, expect_all, message};
use super::store::contains;
use super::{Servers, Sink, token};
use crate::adapter::SmtpAdapter;

/// How many recipients each LMTP mail has.
const RECIPIENTS: usize = 3;

/// LMTP over TCP: every recipient gets its own 250 after the end of data.
pub fn lmtp_tcp<A: SmtpAdapter>(servers: &Servers, test: &str) -> Result<(), String> {
    let token = token();
    let sink = Sink::start(&token, &["-L"])?;
    let port = sink.port().ok_or("no port")?;
    let config = builder(servers, port, Security::None)?
        .lmtp(true)
        .build()
        .or_fail("config")?;
    deliver::<A>(
        &config,
        &sink,
        test,
        &token,
        RecipientStatus::Delivered,
        250,
    )
}

/// LMTP over a Unix socket (`ConnectionConfig::unix`).
pub fn lmtp_unix<A: SmtpAdapter>(_servers: &Servers, test: &str) -> Result<(), String> {
    let token = token();
    let sink = Sink::start_unix(&token, &["-L"])?;
    let config = ConnectionConfig::unix(sink.socket().ok_or("no socket")?)
        .client_id(CLIENT_ID.parse().or_fail("client id")?)
        .build()
        .or_fail("config")?;
    deliver::<A>(
        &config,
        &sink,
        test,
        &token,
        RecipientStatus::Delivered,
        250,
    )
}

/// `smtp-sink -L -f .`: every recipient's verdict after the end of data is a refusal.
pub fn lmtp_rejected_at_end_of_data<A: SmtpAdapter>(
    servers: &Servers,
    test: &str,
) -> Result<(), String> {
    let token = token();
    let sink = Sink::start(&token, &["-L", "-f", "."])?;
    let port = sink.port().ok_or("no port")?;
    let config = builder(servers, port, Security::None)?
        .lmtp(true)
        .build()
        .or_fail("config")?;
    deliver::<A>(&config, &sink, test, &token, RecipientStatus::Rejected, 500)
}

fn deliver<A: SmtpAdapter>(
    config: &ConnectionConfig,
    sink: &Sink,
    test: &str,
    token: &str,
    status: RecipientStatus,
    code: u16,
) -> Result<(), String> {
    let recipients: Vec<String> = (0..RECIPIENTS)
        .map(|i| format!("lmtp{i}-{token}@example.net"))
        .collect();
    A::block_on(async {
        let mut connection = A::connect(config).await.or_fail("connect")?;
        let envelope = envelope(&format!("sender-{token}@example.org"), &recipients)?;
        let body = MailBody::bytes(message(test, token, "Over LMTP.\n"));
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .or_fail("send_mail")?
            .or_fail("send_mail before a byte was sent")?;
        expect_all(&report, status, code)?;
        A::quit(connection).await.or_fail("QUIT")
    })?;
    if status == RecipientStatus::Delivered {
        let dumps: Vec<Vec<u8>> = std::fs::read_dir(sink.dump_dir())
            .or_fail("dump folder")?
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path()).ok())
            .collect();
        let header = format!("X-Test-Id: {token}");
        ensure!(
            dumps
                .iter()
                .any(|d| contains(d, header.as_bytes()) && contains(d, b"X-Client-Proto: LMTP")),
            "smtp-sink dumped no LMTP transaction with {header} ({} dump(s))",
            dumps.len()
        );
    }
    Ok(())
}
