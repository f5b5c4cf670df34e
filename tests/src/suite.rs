//! Tests written once for every adapter: call them from `tests/adapter_NAME.rs` with the
//! adapter's [`SmtpAdapter`] type.

use smtp_adapter::{ConnectionConfig, Security};
use smtp_proto::command::{Envelope, LogicError, MailBody, Noop, Outcome, StartTls};

use crate::adapter::SmtpAdapter;
use crate::server::{ScriptedServer, expect, send};

/// Plaintext session setup, one pipelined mail, NOOP, QUIT against the scripted server.
pub fn one_mail_plaintext<A: SmtpAdapter>() -> Result<(), String> {
    let server = ScriptedServer::start(vec![
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
        expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"),
        send("250 ok\r\n250 ok\r\n354 go\r\n"),
        expect("Subject: hi\r\n\r\nhello\r\n.\r\n"),
        send("250 queued\r\n"),
        expect("NOOP\r\n"),
        send("250 ok\r\n"),
        expect("QUIT\r\n"),
        send("221 bye\r\n"),
    ])
    .map_err(|e| e.to_string())?;
    let config = plaintext_config(&server)?;
    let name = A::NAME;
    A::block_on(async {
        let mut connection = A::connect(&config)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        let established = A::established(&connection).ok_or("no setup output")?;
        if established.tls || A::tls_info(&connection).is_some() {
            return Err(format!("{name}: TLS reported on a plaintext connection"));
        }
        let envelope = Envelope::new(
            "<a@x.test>".parse().map_err(|e| format!("{e}"))?,
            ["<b@y.test>".parse().map_err(|e| format!("{e}"))?],
        )
        .map_err(|e| e.to_string())?;
        let body = MailBody::bytes(&b"Subject: hi\n\nhello\n"[..]);
        let report = A::send_mail(&mut connection, envelope, body)
            .await
            .map_err(|e| format!("{name}: {e}"))?
            .map_err(|e| format!("{name}: {e}"))?;
        if report.outcome() != Outcome::Delivered {
            return Err(format!("{name}: outcome {:?}", report.outcome()));
        }
        let reply = A::send(&mut connection, Noop::default())
            .await
            .map_err(|e| format!("{name}: {e}"))?
            .map_err(|e| format!("{name}: {e}"))?;
        if reply.code().get() != 250 || !A::is_usable(&connection) {
            return Err(format!("{name}: NOOP answered {}", reply.code().get()));
        }
        A::quit(connection)
            .await
            .map_err(|e| format!("{name}: {e}"))
    })?;
    server.finish()
}

/// A plaintext-only configuration has no TLS to start: STARTTLS, although offered, is
/// refused before its line is written (the server would otherwise wait for a handshake
/// after its 220), and the connection stays usable.
pub fn starttls_without_tls_is_refused_before_a_byte<A: SmtpAdapter>() -> Result<(), String> {
    let server = ScriptedServer::start(vec![
        send("220 mx.test ESMTP\r\n"),
        expect("EHLO client.test\r\n"),
        send("250-mx.test\r\n250 STARTTLS\r\n"),
        expect("NOOP\r\n"),
        send("250 ok\r\n"),
        expect("QUIT\r\n"),
        send("221 bye\r\n"),
    ])
    .map_err(|e| e.to_string())?;
    let config = plaintext_config(&server)?;
    let name = A::NAME;
    A::block_on(async {
        let mut connection = A::connect(&config)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        match A::send(&mut connection, StartTls).await {
            Ok(Err(LogicError::WrongState {
                command: "STARTTLS",
                ..
            })) => {}
            other => return Err(format!("{name}: STARTTLS gave {other:?}")),
        }
        let reply = A::send(&mut connection, Noop::default())
            .await
            .map_err(|e| format!("{name}: {e}"))?
            .map_err(|e| format!("{name}: {e}"))?;
        if reply.code().get() != 250 || !A::is_usable(&connection) {
            return Err(format!("{name}: NOOP answered {}", reply.code().get()));
        }
        A::quit(connection)
            .await
            .map_err(|e| format!("{name}: {e}"))
    })?;
    server.finish()
}

/// A plaintext configuration for `server`, identifying as `client.test`.
fn plaintext_config(server: &ScriptedServer) -> Result<ConnectionConfig, String> {
    ConnectionConfig::builder("127.0.0.1")
        .port(server.address().port())
        .security(Security::None)
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .build()
        .map_err(|e| e.to_string())
}
