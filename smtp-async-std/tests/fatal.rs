//! Fatal errors keep what happened: a 421 verdict keeps the mail's report, a lost verdict
//! is uncertain, a close while idle is reported before anything is written, a failing body
//! never ends the data, a silent or dripping TLS server hits the handshake deadline, a
//! failed read ends the connection, a reset while idle is reported before anything is
//! written, a close after the 354, or with it before a streamed body, leaves the mail
//! uncertain, and QUIT reports an error unless its line left.

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use smtp_async_std::{Connection, ConnectionConfig, Error, Phase, Security, Stream, TlsConfig};
use smtp_proto::command::{Envelope, MailBody, Noop, Outcome, StreamedBody};
use smtp_proto::error::ProtocolError;
use support::{Peer, listener};

/// A connection set up against a peer thread, which then runs `then`.
async fn connected<T: Send + 'static>(
    capabilities: &'static [&'static str],
    then: impl FnOnce(Peer<TcpStream>) -> T + Send + 'static,
) -> (Connection, JoinHandle<T>) {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.greet_ehlo(capabilities);
        then(peer)
    });
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    (Connection::connect(&config).await.unwrap(), server)
}

fn mail() -> (Envelope, MailBody) {
    let envelope = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    (envelope, MailBody::bytes(&b"hi\r\n"[..]))
}

#[async_std::test]
async fn a_421_verdict_ends_the_connection_and_keeps_the_report() {
    let (mut connection, server) = connected(&["PIPELINING"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
        peer.send("421 4.3.0 shutting down\r\n");
        peer
    })
    .await;
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::ServiceClosing(r)) if r.code().get() == 421),
        "{error}"
    );
    let report = error.reports().first().expect("the mail's report");
    assert_eq!(report.outcome(), Outcome::Rejected);
    assert!(!connection.is_usable());
    drop(server.join().unwrap());
}

#[async_std::test]
async fn a_close_after_the_end_of_data_is_uncertain() {
    let (mut connection, server) = connected(&["PIPELINING"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n.\r\n");
    })
    .await;
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
    server.join().unwrap();
}

#[async_std::test]
async fn a_close_while_idle_is_reported_before_writing() {
    let (mut connection, server) = connected(&[], drop).await;
    server.join().unwrap();
    async_io::Timer::after(Duration::from_millis(100)).await;
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
    assert!(!connection.is_usable());
    assert!(matches!(connection.into_inner(), Some(Stream::Plain(_))));
}

#[async_std::test]
async fn quit_ignores_a_missing_reply_once_written() {
    let (connection, server) = connected(&[], |mut peer| {
        peer.expect("QUIT\r\n");
        // Closes without answering.
    })
    .await;
    connection.quit().await.unwrap();
    server.join().unwrap();
}

#[async_std::test]
async fn quit_reports_the_error_when_its_line_never_left() {
    let (connection, server) = connected(&[], drop).await;
    server.join().unwrap();
    async_io::Timer::after(Duration::from_millis(100)).await;
    let error = connection.quit().await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
}

/// A caller's stream whose first read fails with `ConnectionReset`; then it reads the
/// socket. (An async read never returns `Interrupted`: futures-io has the stream retry.)
struct ResetOnce {
    socket: async_std::net::TcpStream,
    failed: bool,
}

impl futures_io::AsyncRead for ResetOnce {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if !std::mem::replace(&mut self.failed, true) {
            return Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.socket).poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for ResetOnce {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.socket).poll_close(cx)
    }
}

#[async_std::test]
async fn a_failed_read_is_fatal_and_nothing_is_written() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let mut peer = Peer::accept(&listener);
        peer.send("220 mx.test ESMTP\r\n");
        peer.rest()
    });
    let socket = async_std::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let stream = ResetOnce {
        socket,
        failed: false,
    };
    let error = Connection::connect_with_stream(stream, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error}"
    );
    assert_eq!(server.join().unwrap(), b"");
}

#[async_std::test]
async fn a_reset_while_idle_is_reported_before_writing() {
    let (mut connection, server) = connected(&[], |peer| support::reset(peer.stream)).await;
    server.join().unwrap();
    async_io::Timer::after(Duration::from_millis(100)).await;
    let error = connection.send(Noop::default()).await.unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::ConnectionClosed),
        "{error}"
    );
    assert!(!connection.is_usable());
}

#[async_std::test]
async fn a_close_after_the_354_leaves_the_mail_uncertain() {
    let (mut connection, server) = connected(&["PIPELINING"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.stream.shutdown(std::net::Shutdown::Write).unwrap();
        peer.rest()
    })
    .await;
    let (envelope, body) = mail();
    let error = connection.send_mail(envelope, body).await.unwrap_err();
    assert!(
        matches!(error.protocol(), Some(ProtocolError::UnexpectedEof(_))),
        "{error}"
    );
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    drop(connection);
    assert_eq!(server.join().unwrap(), b"hi\r\n.\r\n");
}

/// The FIN comes with the 354 (one segment): the client finds the end where it would look
/// for an early reply, before the first piece of a streamed body, and still sends the body
/// whole; the mail is uncertain, not refused and not lost.
#[cfg(target_os = "linux")]
#[async_std::test]
async fn a_close_with_the_354_before_a_streamed_body_leaves_the_mail_uncertain() {
    let (mut connection, server) = connected(&["PIPELINING"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        support::send_and_close(&mut peer, "250 ok\r\n250 ok\r\n354 go\r\n");
        peer.rest()
    })
    .await;
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
    assert_eq!(server.join().unwrap(), b"hi\r\n.\r\n");
}

/// A body source that fails after its first piece.
struct Failing(bool);

impl futures_io::AsyncRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(Err(std::io::Error::other("disk gone")));
        }
        let piece = b"Subject: half\r\n\r\nfirst part\r\n";
        buf[..piece.len()].copy_from_slice(piece);
        Poll::Ready(Ok(piece.len()))
    }
}

#[async_std::test]
async fn a_failing_body_source_never_ends_the_data() {
    let (mut connection, server) = connected(&["PIPELINING"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.rest_until_closed()
    })
    .await;
    let (envelope, _) = mail();
    let error = connection
        .send_mail_streamed(envelope, Failing(false), StreamedBody::default())
        .await
        .unwrap_err();
    assert!(matches!(error.cause(), Error::Body(_)), "{error}");
    assert_ne!(error.reports()[0].outcome(), Outcome::Delivered);
    assert!(!connection.is_usable());
    // The connection is closed at once, not when it is dropped: the server is reading the
    // message and sees its end, not the end of data.
    let written = String::from_utf8(server.join().unwrap()).unwrap();
    assert!(
        !written.contains("\r\n.\r\n"),
        "end of data written: {written:?}"
    );
    assert!(connection.into_inner().is_none());
}

/// A streamed body declared 7-bit turns out 8-bit after part of it was handed over: the
/// transfer is aborted, and the connection closed at once without the end of data.
#[async_std::test]
async fn an_invalid_body_part_way_ends_the_connection_without_the_end_of_data() {
    let (mut connection, server) = connected(&["PIPELINING", "8BITMIME"], |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.rest_until_closed()
    })
    .await;
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
    let written = String::from_utf8_lossy(&server.join().unwrap()).into_owned();
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
#[cfg(unix)]
#[async_std::test]
async fn a_fatal_reply_during_a_streamed_body_ends_the_connection() {
    use std::io::Write;
    let (body, mut feed) = std::os::unix::net::UnixStream::pair().unwrap();
    feed.write_all(b"hi\r\n").unwrap();
    let body = async_std::os::unix::net::UnixStream::from(body);
    let (mut connection, server) = connected(&["PIPELINING"], move |mut peer| {
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        peer.expect("hi\r\n");
        peer.send("250 stray\r\n");
        feed.write_all(b"there\r\n").unwrap();
        drop(feed);
        peer.rest_until_closed()
    })
    .await;
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
    let written = String::from_utf8_lossy(&server.join().unwrap()).into_owned();
    assert!(!written.contains("\r\n.\r\n"), "written: {written:?}");
    assert!(connection.into_inner().is_none());
}

#[async_std::test]
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
    let mock = smtp_async_std::MockStream::from_script(&script, Delivery::Bytes);
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

/// The handshake deadline holds in real time, on async-io's timer.
#[async_std::test]
async fn a_silent_tls_server_hits_the_handshake_deadline() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        drop(socket);
    });
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::ImplicitTls)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .tls_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: Phase::TlsHandshake
            }
        ),
        "{error}"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1400), "{elapsed:?}");
    server.join().unwrap();
}

/// A server that drips a TLS record one octet every 100 ms cannot stretch the handshake
/// deadline: each read gets only the time left.
#[async_std::test]
async fn a_dripping_tls_server_cannot_stretch_the_handshake_deadline() {
    let (listener, port) = listener();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut hello = [0u8; 5];
        let _ = std::io::Read::read_exact(&mut socket, &mut hello);
        // A handshake record header announcing 16 KiB, then its body an octet at a time.
        if std::io::Write::write_all(&mut socket, &[0x16, 0x03, 0x03, 0x40, 0x00]).is_err() {
            return;
        }
        for _ in 0..30 {
            std::thread::sleep(Duration::from_millis(100));
            if std::io::Write::write_all(&mut socket, &[0x02]).is_err() {
                return;
            }
        }
    });
    let config = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .security(Security::ImplicitTls)
        .tls(TlsConfig::new().dangerous_skip_verification())
        .tls_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = Connection::connect(&config).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: Phase::TlsHandshake
            }
        ),
        "{error}"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1400), "{elapsed:?}");
    server.join().unwrap();
}
