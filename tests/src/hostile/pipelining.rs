//! RFC 2920 §3.1's deadlock, proven away on every adapter. None of the adapters reads
//! while it writes, so a pipelined group larger than the socket buffers, against a server
//! that writes its replies before it reads on, would leave both sides blocked in a write.
//! The core splits groups (`ClientConfig::max_group`, 16 KiB by default) and reads every
//! reply a part asked for before writing the next.
//!
//! The server below reads a chunk, writes the replies to every line in it, and only then
//! reads again; its socket buffers are small and its replies long. One transaction with
//! 1000 recipients (150 KB of RCPT lines, 250 KB of replies) goes through with the default
//! split; with splitting made ineffective the same transaction dies on the write deadline,
//! so the server does deadlock an unsplit client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Error, Phase, Security};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use socket2::{Domain, Socket, Type};

use crate::adapter::SmtpAdapter;

const RECIPIENTS: usize = 1000;

/// 1000 recipients in one pipelined transaction against a server that never reads while
/// it has replies to write: delivered, every recipient accepted.
pub fn a_thousand_recipients_pipelined_do_not_deadlock<A: SmtpAdapter>() -> Result<(), String> {
    let (address, server) = replying_server().map_err(|e| format!("server: {e}"))?;
    let socket = client_socket(address).map_err(|e| format!("client socket: {e}"))?;
    let config = config(None)?;
    let report = A::block_on(async {
        let mut connection = A::connect_with_socket(socket, &config).await?;
        let body = MailBody::bytes(&b"Subject: many\r\n\r\nHello, all of you.\r\n"[..]);
        let report = A::send_mail(&mut connection, envelope()?, body).await?;
        A::quit(connection).await?;
        Ok::<_, Box<dyn std::error::Error>>(report)
    })
    .map_err(|e| format!("{}: {e}", A::NAME))?
    .map_err(|e| format!("{}: refused: {e}", A::NAME))?;
    if report.outcome() != Outcome::Delivered || report.recipients().count() != RECIPIENTS {
        return Err(format!("{}: {:?}", A::NAME, report.outcome()));
    }
    match server.join() {
        Ok(Ok(RECIPIENTS)) => Ok(()),
        other => Err(format!("{}: server ended with {other:?}", A::NAME)),
    }
}

/// The control: with a group larger than the whole transaction, the same server and
/// sockets deadlock, and the client's write deadline ends it; nothing is reported
/// delivered.
pub fn an_unsplit_group_deadlocks_against_the_same_server<A: SmtpAdapter>() -> Result<(), String> {
    let (address, server) = replying_server().map_err(|e| format!("server: {e}"))?;
    let socket = client_socket(address).map_err(|e| format!("client socket: {e}"))?;
    let config = config(NonZeroUsize::new(1 << 30))?;
    let envelope = envelope().map_err(|e| e.to_string())?;
    let failure = A::block_on(async {
        let mut connection = match A::connect_with_socket(socket, &config).await {
            Ok(connection) => connection,
            Err(error) => return Err(format!("connect: {error}")),
        };
        let body = MailBody::bytes(&b"Subject: many\r\n\r\nHello.\r\n"[..]);
        match A::send_mail(&mut connection, envelope, body).await {
            Ok(result) => Err(format!("no deadlock: {result:?}")),
            Err(error) => Ok((error, A::is_usable(&connection))),
        }
    })
    .map_err(|e| format!("{}: {e}", A::NAME))?;
    let (error, usable) = failure;
    // Both sides block in a write: the client's write deadline fires.
    if !matches!(
        error.cause(),
        Error::Timeout {
            phase: Phase::Write
        }
    ) {
        return Err(format!(
            "{}: expected a write timeout, got {error}",
            A::NAME
        ));
    }
    if error
        .reports()
        .iter()
        .any(|r| r.outcome() == Outcome::Delivered)
        || usable
    {
        return Err(format!(
            "{}: {error} left a delivered report or a usable connection",
            A::NAME
        ));
    }
    // The server was blocked writing replies nobody read; it ends once the client closed.
    let _ = server.join();
    Ok(())
}

/// A server that replies to everything it read before it reads more; it returns how many
/// recipients it accepted.
fn replying_server() -> std::io::Result<(SocketAddr, JoinHandle<std::io::Result<usize>>)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    // Set on the listener, inherited by the accepted socket before any data flows.
    socket.set_recv_buffer_size(4096)?;
    socket.set_send_buffer_size(4096)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(1)?;
    let listener: TcpListener = socket.into();
    let address = listener.local_addr()?;
    let thread = std::thread::spawn(move || serve(&listener));
    Ok((address, thread))
}

fn serve(listener: &TcpListener) -> std::io::Result<usize> {
    let (mut stream, _) = listener.accept()?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(b"220 mx.test ESMTP\r\n")?;
    let (mut pending, mut in_data, mut accepted) = (Vec::new(), false, 0);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(accepted);
        }
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        let mut replies = Vec::new();
        while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = pending.drain(..end + 2).collect();
            if in_data {
                if line == b".\r\n" {
                    in_data = false;
                    replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                }
                continue;
            }
            match line.get(..4).unwrap_or_default() {
                b"EHLO" => replies.extend_from_slice(b"250-mx.test\r\n250 PIPELINING\r\n"),
                b"MAIL" => replies.extend_from_slice(b"250 2.1.0 ok\r\n"),
                b"RCPT" => {
                    accepted += 1;
                    // A long reply: 250 KB in all, more than the client's buffers.
                    let padding = "x".repeat(230);
                    replies.extend_from_slice(format!("250 2.1.5 ok {padding}\r\n").as_bytes());
                }
                b"DATA" => {
                    in_data = true;
                    replies.extend_from_slice(b"354 go ahead\r\n");
                }
                b"QUIT" => {
                    stream.write_all(b"221 2.0.0 bye\r\n")?;
                    return Ok(accepted);
                }
                _ => replies.extend_from_slice(b"500 5.5.1 what\r\n"),
            }
        }
        // Every reply to what was read is written before the next read.
        stream.write_all(&replies)?;
    }
}

/// A client socket with fixed (not autotuned) buffers: 32 KiB to send, 16 KiB to receive.
fn client_socket(address: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_send_buffer_size(32 * 1024)?;
    socket.set_recv_buffer_size(16 * 1024)?;
    socket.set_tcp_nodelay(true)?;
    socket.connect(&address.into())?;
    Ok(socket.into())
}

fn envelope() -> Result<Envelope, Box<dyn std::error::Error>> {
    let domain = format!("{}.{}.example.test", "a".repeat(50), "b".repeat(50));
    let recipients = (0..RECIPIENTS)
        .map(|i| format!("<r{i:04}@{domain}>").parse())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Envelope::new("<sender@example.test>".parse()?, recipients)?)
}

fn config(max_group: Option<NonZeroUsize>) -> Result<ConnectionConfig, String> {
    let error = |e: &dyn std::fmt::Display| e.to_string();
    let mut core = ConnectionConfig::builder("127.0.0.1")
        .build()
        .map_err(|e| error(&e))?
        .client_config();
    core.max_group = max_group;
    core.timeouts = Timeouts::uniform(Duration::from_secs(3));
    ConnectionConfig::builder("127.0.0.1")
        .security(Security::None)
        .client_id("client.test".parse().map_err(|e| error(&e))?)
        .client_config(core)
        .build()
        .map_err(|e| error(&e))
}
