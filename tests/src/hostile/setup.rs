//! `Connection::connect_without_setup`: the setup runs as the caller's first `send`, and
//! however it ends, what it received stays readable in the session (RFC 5321 §3.1,
//! §4.1.1.1): a refused hello keeps the greeting and the connection usable; a hello reply
//! cut off by the end of the connection is `TruncatedReply`, with the greeting kept.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Security};
use smtp_proto::client::{ReplyKind, Session};
use smtp_proto::command::LogicError;
use smtp_proto::error::ProtocolError;

use crate::adapter::SmtpAdapter;

/// EHLO and the HELO fallback refused: the refusal is the result, the greeting stays in
/// the session, and the connection can still QUIT.
pub fn a_refused_hello_leaves_the_greeting_readable<A: SmtpAdapter>() -> Result<(), String> {
    let (port, server) = script(vec![
        ("", "220 tiny.test ESMTP\r\n"),
        ("EHLO client.test", "550 5.7.1 no EHLO for you\r\n"),
        ("HELO client.test", "550 5.7.1 nor HELO\r\n"),
        ("QUIT", "221 2.0.0 bye\r\n"),
    ])?;
    let config = config(port)?;
    A::block_on(async {
        let (mut connection, local) = A::connect_without_setup(&config)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        if local.is_none() || A::session(&connection).greeting().is_some() {
            return Err("a TCP connection with nothing read yet expected".to_owned());
        }
        let setup = config.establish(local).map_err(|e| e.to_string())?;
        match A::send(&mut connection, setup).await {
            Ok(Err(LogicError::Refused {
                command: "HELO",
                response,
            })) if response.code().get() == 550 => {}
            other => return Err(format!("expected HELO refused, got {other:?}")),
        }
        greeting_kept(A::session(&connection))?;
        if A::session(&connection).ehlo().is_some() || A::established(&connection).is_some() {
            return Err("no EHLO data after a refused hello".to_owned());
        }
        if !A::is_usable(&connection) {
            return Err("a refusal leaves the connection usable".to_owned());
        }
        A::quit(connection).await.map_err(|e| format!("quit: {e}"))
    })
    .map_err(|e| format!("{}: {e}", A::NAME))?;
    match server.join() {
        Ok(Ok(lines)) if lines.len() == 3 => Ok(()),
        other => Err(format!("{}: server ended with {other:?}", A::NAME)),
    }
}

/// The EHLO reply cut off after its first line: `TruncatedReply(Hello)`, greeting kept.
pub fn a_hello_cut_off_keeps_the_greeting<A: SmtpAdapter>() -> Result<(), String> {
    let (port, server) = script(vec![
        ("", "220 tiny.test ESMTP\r\n"),
        ("EHLO client.test", "250-tiny.test\r\n250-PIPELI"),
    ])?;
    let config = config(port)?;
    A::block_on(async {
        let (mut connection, local) = A::connect_without_setup(&config)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let setup = config.establish(local).map_err(|e| e.to_string())?;
        match A::send(&mut connection, setup).await {
            Err(error)
                if error.protocol() == Some(&ProtocolError::TruncatedReply(ReplyKind::Hello)) => {}
            other => return Err(format!("expected TruncatedReply(Hello), got {other:?}")),
        }
        greeting_kept(A::session(&connection))?;
        if A::is_usable(&connection) {
            return Err("usable after a fatal error".to_owned());
        }
        Ok(())
    })
    .map_err(|e| format!("{}: {e}", A::NAME))?;
    server
        .join()
        .map_err(|_| format!("{}: the server panicked", A::NAME))?
        .map(drop)
}

fn greeting_kept(session: &Session) -> Result<(), String> {
    match session.greeting() {
        Some(greeting) if greeting.to_string() == "220 tiny.test ESMTP" => Ok(()),
        other => Err(format!("the greeting is not kept: {other:?}")),
    }
}

type Script = Vec<(&'static str, &'static str)>;
/// The server thread: the lines it read, or what went wrong.
type ServerThread = JoinHandle<Result<Vec<String>, String>>;

/// A one-connection server on an ephemeral loopback port: it sends the first step's
/// octets, then for each further step reads one line that must start with the step's verb
/// and answers with its octets; after the last step it closes. It returns the lines read.
fn script(steps: Script) -> Result<(u16, ServerThread), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let server = std::thread::spawn(move || {
        let io = |e: std::io::Error| e.to_string();
        let (stream, _) = listener.accept().map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
        let mut writer = stream.try_clone().map_err(io)?;
        let mut reader = BufReader::new(stream);
        let mut lines = Vec::new();
        for (verb, reply) in steps {
            if !verb.is_empty() {
                let mut line = String::new();
                reader.read_line(&mut line).map_err(io)?;
                if !line.starts_with(verb) {
                    return Err(format!("expected {verb}, got {line:?}"));
                }
                lines.push(line);
            }
            writer.write_all(reply.as_bytes()).map_err(io)?;
        }
        Ok(lines)
    });
    Ok((port, server))
}

fn config(port: u16) -> Result<ConnectionConfig, String> {
    ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().map_err(|e| format!("{e}"))?)
        .build()
        .map_err(|e| e.to_string())
}
