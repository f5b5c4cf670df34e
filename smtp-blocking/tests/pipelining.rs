//! RFC 2920 §3.1's deadlock, proven away: a blocking client cannot read while it writes,
//! so a pipelined group larger than the socket buffers, against a server that writes its
//! replies before it reads on, leaves both sides blocked in a write. The core splits
//! groups (`ClientConfig::max_group`, 16 KiB by default here) and reads every reply a part
//! asked for before writing the next.
//!
//! The server below reads a chunk, writes the replies to every line in it, and only then
//! reads again; its socket buffers are small and its replies long. One transaction with
//! 1000 recipients (150 KB of RCPT lines, 250 KB of replies) goes through with the
//! default split; with splitting made ineffective the same transaction dies on the write
//! deadline, so the server does deadlock an unsplit client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_blocking::{Connection, ConnectionConfig, Error, Phase, Security};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, Outcome};
use socket2::{Domain, Socket, Type};

const RECIPIENTS: usize = 1000;

/// A server that replies to everything it read before it reads more; it returns how many
/// recipients it accepted.
fn replying_server() -> (SocketAddr, JoinHandle<std::io::Result<usize>>) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    // Set on the listener, inherited by the accepted socket before any data flows.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(1).unwrap();
    let listener: TcpListener = socket.into();
    let address = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
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
            pending.extend_from_slice(&buf[..n]);
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
                match &line[..4] {
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
    });
    (address, thread)
}

/// A client socket with fixed (not autotuned) buffers: 32 KiB to send, 16 KiB to receive.
fn client_socket(address: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_send_buffer_size(32 * 1024).unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.set_tcp_nodelay(true).unwrap();
    socket.connect(&address.into()).unwrap();
    socket.into()
}

fn envelope() -> Envelope {
    let domain = format!("{}.{}.example.test", "a".repeat(50), "b".repeat(50));
    let recipients = (0..RECIPIENTS).map(|i| format!("<r{i:04}@{domain}>").parse().unwrap());
    Envelope::new("<sender@example.test>".parse().unwrap(), recipients).unwrap()
}

fn config(max_group: Option<NonZeroUsize>) -> ConnectionConfig {
    let mut core = ConnectionConfig::builder("127.0.0.1")
        .build()
        .unwrap()
        .client_config();
    core.max_group = max_group;
    core.timeouts = Timeouts::uniform(Duration::from_secs(3));
    ConnectionConfig::builder("127.0.0.1")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(core)
        .build()
        .unwrap()
}

#[test]
fn a_thousand_recipients_pipelined_do_not_deadlock() {
    let (address, server) = replying_server();
    let mut connection =
        Connection::connect_with_stream(client_socket(address), &config(None)).unwrap();
    let body = MailBody::bytes(&b"Subject: many\r\n\r\nHello, all of you.\r\n"[..]);
    let report = connection.send_mail(envelope(), body).unwrap().unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(report.recipients().count(), RECIPIENTS);
    connection.quit().unwrap();
    assert_eq!(server.join().unwrap().unwrap(), RECIPIENTS);
}

/// The control: with a group larger than the whole transaction, the same server and
/// sockets deadlock, and the write deadline ends it.
#[test]
fn an_unsplit_group_deadlocks_against_the_same_server() {
    let (address, server) = replying_server();
    let unsplit = NonZeroUsize::new(1 << 30);
    let mut connection =
        Connection::connect_with_stream(client_socket(address), &config(unsplit)).unwrap();
    let body = MailBody::bytes(&b"Subject: many\r\n\r\nHello.\r\n"[..]);
    let error = connection.send_mail(envelope(), body).unwrap_err();
    // Both sides block in a write: the client's write deadline fires.
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "{error}"
    );
    // The mail's report says nothing was delivered for sure.
    assert_ne!(error.reports()[0].outcome(), Outcome::Delivered);
    assert!(!connection.is_usable());
    drop(connection);
    // The server was blocked writing replies nobody read; it ends once the client closed.
    let _ = server.join().unwrap();
}
