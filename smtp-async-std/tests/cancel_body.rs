//! Interruptions while the server reads a message over DATA and the client waits on the
//! caller's body source (not mid-write): a `send_mail_streamed` future dropped there, or a
//! body source that panics; and a timeout with DATA's reply (perhaps a 354) still due. The
//! server is then reading message content, or may be soon, so the stream must not be
//! handed out by `into_inner` (SECURITY.md, body smuggling): whatever the caller wrote on
//! it would become part of the open message.
#![cfg(unix)]

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::future::Future;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use async_io::{Async, Timer};
use futures_lite::{AsyncRead, AsyncWriteExt, FutureExt};
use smtp_async_std::{Connection, ConnectionConfig, Security};
use smtp_proto::command::{Envelope, StreamedBody};
use support::Peer;

/// A connection set up against a peer thread that answers the envelope and DATA, reads
/// the first part of the body, then returns everything else until the client closes.
async fn connected() -> (Connection, JoinHandle<Vec<u8>>) {
    let (client, server) = UnixStream::pair().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("Subject: half\r\n\r\nfirst part\r\n");
        let mut rest = Vec::new();
        let _ = peer.stream.read_to_end(&mut rest);
        rest
    });
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let connection = Connection::connect_with_stream(Async::new(client).unwrap(), &config)
        .await
        .unwrap();
    (connection, server)
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// A body source that hands out its first piece, then stays Pending forever or panics.
struct Stalling {
    first: bool,
    panic: bool,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if std::mem::replace(&mut self.first, false) {
            let piece = b"Subject: half\r\n\r\nfirst part\r\n";
            buf[..piece.len()].copy_from_slice(piece);
            return Poll::Ready(Ok(piece.len()));
        }
        if self.panic {
            panic!("body source panicked");
        }
        Poll::Pending
    }
}

/// `future`'s output, or `None` if `after` passed first (`future` is then dropped).
async fn within<T>(after: Duration, future: impl Future<Output = T>) -> Option<T> {
    async { Some(future.await) }
        .or(async {
            Timer::after(after).await;
            None
        })
        .await
}

/// Asserts that `into_inner` withholds the stream: were it handed out, the application's
/// next command written on it would reach the server as message content.
async fn assert_withheld(connection: Connection, server: JoinHandle<Vec<u8>>) {
    let handed_out = match connection.into_inner() {
        Some(mut stream) => {
            stream.write_all(b"RSET\r\n").await.unwrap();
            stream.flush().await.unwrap();
            drop(stream);
            true
        }
        None => false,
    };
    let rest = server.join().unwrap();
    assert!(
        !handed_out,
        "into_inner handed out a stream while the server may read message content; it read \
         {:?} as message content",
        String::from_utf8_lossy(&rest)
    );
}

/// A `send_mail_streamed` dropped while it waits for the body source, after the 354 and
/// part of the body: `into_inner` hands out no stream in the middle of DATA.
#[async_std::test]
async fn a_send_mail_streamed_dropped_while_the_body_stalls_hands_out_no_stream() {
    let (mut connection, server) = connected().await;
    let body = Stalling {
        first: true,
        panic: false,
    };
    let mail = connection.send_mail_streamed(envelope(), body, StreamedBody::default());
    assert!(within(Duration::from_millis(300), mail).await.is_none());
    assert!(!connection.is_usable());
    assert_withheld(connection, server).await;
}

/// The same with a body source that panics, the panic caught by the application.
#[async_std::test]
async fn a_body_source_that_panics_leaves_no_stream_in_the_middle_of_data() {
    let (mut connection, server) = connected().await;
    let body = Stalling {
        first: true,
        panic: true,
    };
    let mail = connection.send_mail_streamed(envelope(), body, StreamedBody::default());
    let caught = std::panic::AssertUnwindSafe(mail).catch_unwind().await;
    assert!(caught.is_err(), "the body source panicked");
    assert!(!connection.is_usable());
    assert_withheld(connection, server).await;
}

/// The client's own deadline for the envelope's replies passes with DATA sent and its reply
/// unread: fatal, and the stream is not handed out, since the server, answering DATA with a
/// late 354, would read what the application wrote next on it as message content.
#[async_std::test]
async fn a_timeout_awaiting_the_354_hands_out_no_stream() {
    use smtp_proto::client::Timeouts;
    use smtp_proto::command::MailBody;
    use std::io::Write;
    let (client, server) = UnixStream::pair().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (answer, answered) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        answered.recv().unwrap();
        // The server is now reading the message: all that follows is message content.
        let _ = peer.stream.write_all(b"250 ok\r\n250 ok\r\n354 go\r\n");
        let mut rest = Vec::new();
        let _ = peer.stream.read_to_end(&mut rest);
        rest
    });
    let timeouts = Timeouts {
        mail: Duration::from_millis(200),
        rcpt: Duration::from_millis(200),
        data_init: Duration::from_millis(200),
        ..Timeouts::default()
    };
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .timeouts(timeouts)
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(Async::new(client).unwrap(), &config)
        .await
        .unwrap();
    let error = connection
        .send_mail(envelope(), MailBody::bytes(&b"hello\r\n"[..]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.protocol(),
            Some(smtp_proto::error::ProtocolError::Timeout(_))
        ),
        "{error}"
    );
    assert!(!connection.is_usable());
    answer.send(()).unwrap();
    assert_withheld(connection, server).await;
}
