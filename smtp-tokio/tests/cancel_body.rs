//! Interruptions while the server reads a message over DATA and the client waits on the
//! caller's body source (not mid-write): a `send_mail_streamed` future dropped there, or a
//! body source that panics. The server is then still reading message content, so the
//! stream must not be handed out by `into_inner` (SECURITY.md, body smuggling): whatever
//! the caller wrote on it would become part of the open message.

mod support;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use smtp_proto::command::{Envelope, StreamedBody};
use smtp_proto::error::ProtocolError;
use support::connected;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::time::timeout;

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// A body source that hands out its first piece, then `then` (Pending forever, or a panic).
struct Stalling {
    first: bool,
    panic: bool,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.first, false) {
            buf.put_slice(b"Subject: half\r\n\r\nfirst part\r\n");
            return Poll::Ready(Ok(()));
        }
        if self.panic {
            panic!("body source panicked");
        }
        Poll::Pending
    }
}

/// The server answers the envelope and DATA, reads the first part of the body, then
/// returns everything else the client writes until it closes.
fn serve(mut peer: support::Peer<tokio::io::DuplexStream>) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("Subject: half\r\n\r\nfirst part\r\n").await;
        peer.rest().await
    })
}

/// Asserts that `into_inner` withholds the stream: were it handed out, the application's
/// next command written on it would reach the server as message content.
async fn assert_withheld(
    connection: smtp_tokio::Connection,
    server: tokio::task::JoinHandle<Vec<u8>>,
) {
    let handed_out = match connection.into_inner() {
        Some(mut stream) => {
            // What an application does with a stream it got back: its own next command.
            stream.write_all(b"RSET\r\n").await.unwrap();
            stream.flush().await.unwrap();
            drop(stream);
            true
        }
        None => false,
    };
    let rest = timeout(Duration::from_secs(5), server)
        .await
        .expect("the server sees the end")
        .unwrap();
    assert!(
        !handed_out,
        "into_inner handed out a stream while the server may read message content; it read \
         {:?} as message content",
        String::from_utf8_lossy(&rest)
    );
}

/// A `send_mail_streamed` dropped while it waits for the body source, after the 354 and
/// part of the body: the connection is unusable, and `into_inner` hands out no stream in
/// the middle of DATA, where the application's next line would become message content.
#[tokio::test(start_paused = true)]
async fn a_send_mail_streamed_dropped_while_the_body_stalls_hands_out_no_stream() {
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = serve(peer);
    let body = Stalling {
        first: true,
        panic: false,
    };
    let cut = timeout(
        Duration::from_secs(60),
        connection.send_mail_streamed(envelope(), body, StreamedBody::default()),
    )
    .await;
    assert!(cut.is_err(), "the body never ends: {cut:?}");

    assert!(!connection.is_usable());
    // (A later `send` would find the session in mail data and close the stream; the
    // application that gives up on the connection takes the stream back instead.)
    assert_withheld(connection, server).await;
}

/// The same with a body source that panics (caught by the application, as a server
/// framework's `catch_unwind` does): the stream is in the middle of DATA, so none.
#[tokio::test(start_paused = true)]
async fn a_body_source_that_panics_leaves_no_stream_in_the_middle_of_data() {
    use futures_lite::FutureExt;
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = serve(peer);
    let body = Stalling {
        first: true,
        panic: true,
    };
    let caught = std::panic::AssertUnwindSafe(connection.send_mail_streamed(
        envelope(),
        body,
        StreamedBody::default(),
    ))
    .catch_unwind()
    .await;
    assert!(caught.is_err(), "the body source panicked");

    assert!(!connection.is_usable());
    assert_withheld(connection, server).await;
}

/// The server answers the pipelined MAIL, RCPT and DATA only after `answer`, then reads
/// everything the client writes until it closes.
fn serve_late_354(
    mut peer: support::Peer<tokio::io::DuplexStream>,
    answer: tokio::sync::oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        let _ = answer.await;
        // The server is now reading the message: all that follows is message content. (The
        // client may have closed by now: what it wrote before is read all the same.)
        let _ = peer
            .stream
            .write_all(b"250 ok\r\n250 ok\r\n354 go\r\n")
            .await;
        peer.rest().await
    })
}

/// A `send_mail` dropped after its pipelined MAIL, RCPT and DATA left, before their replies
/// (a caller's `timeout`): the client is not in mail data yet, but the server may answer
/// DATA with 354 and read on as message content, so `into_inner` hands out no stream, on
/// which the application's next command would become part of the message.
#[tokio::test(start_paused = true)]
async fn a_send_mail_dropped_while_data_is_unanswered_hands_out_no_stream() {
    use smtp_proto::command::MailBody;
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let (answer, answered) = tokio::sync::oneshot::channel();
    let server = serve_late_354(peer, answered);
    let cut = timeout(
        Duration::from_secs(1),
        connection.send_mail(envelope(), MailBody::bytes(&b"hello\r\n"[..])),
    )
    .await;
    assert!(cut.is_err(), "no reply yet: {cut:?}");
    assert!(!connection.is_usable());
    answer.send(()).unwrap();
    assert_withheld(connection, server).await;
}

/// The client's own DATA deadline (RFC 5321 §4.5.3.2.3, 2 minutes) passes before the 354:
/// fatal, and "no late reply can be matched to a later command" (SECURITY.md); the stream
/// is not handed out either, since the server, answering DATA late, would read what the
/// application wrote next as message content.
#[tokio::test(start_paused = true)]
async fn a_timeout_awaiting_the_354_hands_out_no_stream() {
    use smtp_proto::command::MailBody;
    let (mut connection, peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let (answer, answered) = tokio::sync::oneshot::channel();
    let server = serve_late_354(peer, answered);
    let error = connection
        .send_mail(envelope(), MailBody::bytes(&b"hello\r\n"[..]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.cause(),
            smtp_tokio::Error::Protocol(ProtocolError::Timeout(_))
        ) || matches!(error.protocol(), Some(ProtocolError::Timeout(_))),
        "{error}"
    );
    assert!(!connection.is_usable());
    answer.send(()).unwrap();
    assert_withheld(connection, server).await;
}

/// A transport whose shutdown never completes (a TLS stream whose close_notify cannot
/// leave because the server stopped reading waits the same way).
struct StuckShutdown(tokio::io::DuplexStream);

impl AsyncRead for StuckShutdown {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for StuckShutdown {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Pending
    }
}

/// A body source that hands out its first piece, then fails.
struct Failing(bool);

impl AsyncRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(Err(std::io::Error::other("disk gone")));
        }
        buf.put_slice(b"Subject: half\r\n\r\nfirst part\r\n");
        Poll::Ready(Ok(()))
    }
}

/// The body source fails after part of the body: the adapter abandons the message, and
/// takes the stream out before it awaits its shutdown (up to 5 s), so a caller's timeout
/// that drops the future in that wait leaves no stream for `into_inner` in the middle of
/// DATA.
#[tokio::test(start_paused = true)]
async fn a_future_dropped_while_the_message_is_abandoned_hands_out_no_stream() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let greet = tokio::spawn(async move {
        let mut peer = support::Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer
    });
    let config = smtp_tokio::ConnectionConfig::builder("mx.test")
        .security(smtp_tokio::Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let mut connection =
        smtp_tokio::Connection::connect_with_stream(StuckShutdown(client), &config)
            .await
            .unwrap();
    let server = serve(greet.await.unwrap());
    let cut = timeout(
        Duration::from_secs(1),
        connection.send_mail_streamed(envelope(), Failing(false), StreamedBody::default()),
    )
    .await;
    assert!(cut.is_err(), "the shutdown never ends: {cut:?}");
    assert!(!connection.is_usable());
    assert_withheld(connection, server).await;
}
