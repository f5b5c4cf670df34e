//! Fatal errors keep what happened: a 421 verdict keeps the mail's report, a lost verdict
//! is uncertain, a close or a reset while idle is reported before anything is written, a
//! close after the 354, or with it before a streamed body, leaves the mail uncertain, a
//! failed read ends the connection, QUIT reports an error unless its line left, and a
//! deadline earlier than the last is kept.

mod support;

use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, StreamedBody};
use smtp_proto::error::ProtocolError;
use smtp_tokio::{Connection, ConnectionConfig, Security, Stream};
use support::{Peer, connected};

fn mail() -> (Envelope, MailBody) {
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    (envelope, MailBody::bytes(&b"hi\r\n"[..]))
}

#[tokio::test]
async fn a_421_verdict_ends_the_connection_and_keeps_the_report() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
        peer.send("421 4.3.0 shutting down\r\n").await;
        peer
    });
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if r.code().get() == 421),
        "{error}"
    );
    let report = error.reports().first().expect("the mail's report");
    assert_eq!(report.outcome(), Outcome::Rejected);
    assert!(!connection.is_usable());
    drop(server.await.unwrap());
}

#[tokio::test]
async fn a_close_after_the_end_of_data_is_uncertain() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
    });
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::UnexpectedEof(_))),
        "{error}"
    );
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    assert!(
        error.to_string().contains("1 interrupted mail report"),
        "{error}"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn a_close_while_idle_is_reported_before_writing() {
    let (mut connection, peer) = connected(64 * 1024, &[]).await;
    drop(peer);
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
    assert!(!connection.is_usable());
    assert!(matches!(connection.into_inner(), Some(Stream::Plain(_))));
}

#[tokio::test]
async fn quit_ignores_a_missing_reply_once_written() {
    let (connection, mut peer) = connected(64 * 1024, &[]).await;
    let server = tokio::spawn(async move {
        peer.expect("QUIT\r\n").await;
        // Closes without answering.
    });
    connection.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn quit_reports_the_error_when_its_line_never_left() {
    let (connection, peer) = connected(64 * 1024, &[]).await;
    drop(peer);
    let error = connection.quit().await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
}

/// A caller's stream whose first read fails with `ConnectionReset`; then it reads the
/// pipe. (An async read never returns `Interrupted`: tokio's streams retry it.)
struct ResetOnce {
    pipe: tokio::io::DuplexStream,
    failed: bool,
}

impl tokio::io::AsyncRead for ResetOnce {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if !std::mem::replace(&mut self.failed, true) {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        std::pin::Pin::new(&mut self.pipe).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ResetOnce {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.pipe).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.pipe).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.pipe).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn a_failed_read_is_fatal_and_nothing_is_written() {
    use tokio::io::AsyncReadExt;
    let (client, mut server) = tokio::io::duplex(1024);
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let stream = ResetOnce {
        pipe: client,
        failed: false,
    };
    let error = Connection::connect_with_stream(stream, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, smtp_tokio::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error}"
    );
    let mut written = Vec::new();
    server.read_to_end(&mut written).await.unwrap();
    assert_eq!(written, b"");
}

#[tokio::test]
async fn a_reset_while_idle_is_reported_before_writing() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.greet_ehlo(&[]).await;
        peer.into_inner().set_zero_linger().unwrap();
    });
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    server.await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
    assert!(!connection.is_usable());
}

#[tokio::test]
async fn a_close_after_the_354_leaves_the_mail_uncertain() {
    use tokio::io::AsyncWriteExt;
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.stream.shutdown().await.unwrap();
        peer.rest().await
    });
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::UnexpectedEof(_))),
        "{error}"
    );
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    drop(connection);
    assert_eq!(server.await.unwrap(), b"hi\r\n.\r\n");
}

/// The close comes with the 354: the client finds the end where it would look for an
/// early reply, before the first piece of a streamed body, and still sends the body whole;
/// the mail is uncertain, not refused and not lost.
#[tokio::test]
async fn a_close_with_the_354_before_a_streamed_body_leaves_the_mail_uncertain() {
    use tokio::io::AsyncWriteExt;
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.stream.shutdown().await.unwrap();
        peer.rest().await
    });
    let (envelope, _) = mail();
    let error = connection
        .send_mail_streamed(envelope, &b"hi\r\n"[..], StreamedBody::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::UnexpectedEof(_))),
        "{error}"
    );
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    drop(connection);
    assert_eq!(server.await.unwrap(), b"hi\r\n.\r\n");
}

#[tokio::test(start_paused = true)]
async fn a_dripping_server_cannot_stretch_the_greeting_deadline() {
    use std::time::Duration;
    let (client, server) = tokio::io::duplex(1024);
    let drip = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        for byte in "220 mx.test ESMTP at a very slow pace\r\n".split_inclusive(|_| true) {
            tokio::time::sleep(Duration::from_secs(10)).await;
            peer.send(byte).await;
        }
    });
    let timeouts = smtp_proto::client::Timeouts {
        greeting: Duration::from_secs(35),
        ..smtp_proto::client::Timeouts::RFC5321
    };
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .timeouts(timeouts)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout(_))),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 35);
    drip.abort();
}

/// The connection's one timer was set for the greeting's 300 s; EHLO's 5 s deadline is
/// earlier, and is kept.
#[tokio::test(start_paused = true)]
async fn a_deadline_earlier_than_the_last_is_kept() {
    use std::time::Duration;
    let (client, server) = tokio::io::duplex(1024);
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        tokio::time::sleep(Duration::from_secs(1)).await;
        peer.send("220 mx.test ESMTP\r\n").await;
        peer.expect("EHLO client.test\r\n").await;
        // No answer: the client must give up 5 s later.
        peer.rest().await
    });
    let timeouts = smtp_proto::client::Timeouts {
        greeting: Duration::from_secs(300),
        other: Duration::from_secs(5),
        ..smtp_proto::client::Timeouts::RFC5321
    };
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .timeouts(timeouts)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::Timeout(_))),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 6);
    peer.await.unwrap();
}

#[tokio::test]
async fn a_refusal_then_close_keeps_the_refusal_when_the_reset_cannot_be_written() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n550 5.1.1 no such user\r\n554 5.5.1 no valid recipients\r\n")
            .await;
        // Closes at once (this single-threaded runtime runs the task to its end before
        // the client reads): the RSET that ends the transaction cannot be written.
    });
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    server.await.unwrap();
    assert!(matches!(error.cause(), smtp_tokio::Error::Io(_)), "{error}");
    let report = &error.reports()[0];
    assert_eq!(report.outcome(), Outcome::Rejected);
    let refusal = report.recipients().next().unwrap().1.rcpt_reply().unwrap();
    assert_eq!(refusal.code().get(), 550);
}

/// A body source that fails after its first piece.
struct Failing(bool);

impl tokio::io::AsyncRead for Failing {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if std::mem::replace(&mut self.0, true) {
            return std::task::Poll::Ready(Err(std::io::Error::other("disk gone")));
        }
        buf.put_slice(b"Subject: half\r\n\r\nfirst part\r\n");
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_failing_body_source_never_ends_the_data() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.rest().await
    });
    let (envelope, _) = mail();
    let error = connection
        .send_mail_streamed(envelope, Failing(false), StreamedBody::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.cause(), smtp_tokio::Error::Body(_)),
        "{error}"
    );
    assert_ne!(error.reports()[0].outcome(), Outcome::Delivered);
    assert!(!connection.is_usable());
    // The connection is closed at once, not when it is dropped: the server is reading the
    // message and sees its end, not the end of data.
    let written = tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the client closes the connection")
        .unwrap();
    let written = String::from_utf8(written).unwrap();
    assert!(
        !written.contains("\r\n.\r\n"),
        "end of data written: {written:?}"
    );
    assert!(connection.into_inner().is_none());
}

/// A streamed body declared 7-bit turns out 8-bit after part of it was handed over: the
/// transfer is aborted, and the connection closed at once without the end of data.
#[tokio::test]
async fn an_invalid_body_part_way_ends_the_connection_without_the_end_of_data() {
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING", "8BITMIME"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.rest().await
    });
    let (envelope, _) = mail();
    let body = "Subject: s\r\n\r\ncafé\r\n".as_bytes();
    let error = connection
        .send_mail_streamed(envelope, body, StreamedBody::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::BodyAborted(_))),
        "{error}"
    );
    assert_ne!(error.reports()[0].outcome(), Outcome::Delivered);
    assert!(!connection.is_usable());
    let written = tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the client closes the connection")
        .unwrap();
    let written = String::from_utf8_lossy(&written).into_owned();
    assert!(
        !written.contains("\r\n.\r\n") && !written.contains("caf"),
        "written after the 354: {written:?}"
    );
    assert!(connection.into_inner().is_none());
}

/// A reply nobody asked for while a streamed body is being sent over DATA is fatal, and
/// the server is still reading the message (`Session::in_mail_data`): as after a failing
/// body, the connection is closed at once and `into_inner` hands out no stream, since
/// whatever was written on it next would become part of the message (SECURITY.md, body
/// smuggling). The body's second piece comes only once the stray reply was sent.
#[tokio::test]
async fn a_fatal_reply_during_a_streamed_body_ends_the_connection() {
    use tokio::io::AsyncWriteExt;
    let (body, mut feed) = tokio::io::duplex(64);
    feed.write_all(b"hi\r\n").await.unwrap();
    let (mut connection, mut peer) = connected(64 * 1024, &["PIPELINING"]).await;
    let server = tokio::spawn(async move {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n").await;
        peer.send("250 stray\r\n").await;
        feed.write_all(b"there\r\n").await.unwrap();
        drop(feed);
        peer.rest().await
    });
    let (envelope, _) = mail();
    let error = connection
        .send_mail_streamed(envelope, body, StreamedBody::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::UnexpectedReply(_))),
        "{error}"
    );
    assert!(connection.session().in_mail_data());
    let written = tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the client closes the connection")
        .unwrap();
    let written = String::from_utf8_lossy(&written).into_owned();
    assert!(!written.contains("\r\n.\r\n"), "written: {written:?}");
    assert!(connection.into_inner().is_none());
}

#[tokio::test]
async fn a_session_set_up_over_the_mock_with_starttls() {
    use smtp_proto::testing::{Delivery, Script};
    let text = "\
S: 220 mx.test ESMTP
C: EHLO client.test
S: 250-mx.test
S: 250 STARTTLS
C: STARTTLS
S: 220 go ahead
! tls
C: EHLO client.test
S: 250-mx.test
S: 250 AUTH PLAIN
C: AUTH PLAIN AHRpbQBzZWNyZXQ=
S: 235 ok
C: QUIT
S: 221 bye
";
    let script = Script::parse("setup.smtp", text).unwrap();
    let mock = smtp_tokio::MockStream::from_script(&script, Delivery::Bytes);
    let handle = mock.handle();
    let config = ConnectionConfig::builder("mx.test")
        .client_id("client.test".parse().unwrap())
        .credentials(smtp_proto::auth::Credentials::password("tim", "secret"))
        .build()
        .unwrap();
    let connection = Connection::connect_mock(mock, &config).await.unwrap();
    let established = connection.established().unwrap();
    assert!(established.tls && established.authenticated.is_some());
    connection.quit().await.unwrap();
    assert_eq!(handle.failure(), None);
    assert!(!handle.expects_write());
}
