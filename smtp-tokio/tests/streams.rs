//! The adapter over in-memory streams the test brings (`connect_with_stream`): deadlines
//! on tokio's paused clock, one write per pipelined group, streamed and batched mails,
//! reports kept across fatal errors, LMTP over a Unix socket.

mod support;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use smtp_proto::client::{ReplyKind, Timeouts};
use smtp_proto::command::{Envelope, MailBody, Outcome, StreamedBody};
use smtp_proto::error::ProtocolError;
use smtp_tokio::{Connection, ConnectionConfig, Error, Phase, Security};
use support::Peer;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};

fn config() -> smtp_tokio::ConnectionConfigBuilder {
    ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
}

fn envelope(to: &[&str]) -> Envelope {
    let to = to.iter().map(|t| t.parse().unwrap());
    Envelope::new("<a@x.test>".parse().unwrap(), to).unwrap()
}

/// Records every write the client makes, to see how the octets were grouped.
struct Recording {
    inner: DuplexStream,
    writes: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl AsyncRead for Recording {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Recording {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            self.writes.lock().unwrap().push(buf[..*n].to_vec());
        }
        poll
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_at_the_greeting_deadline() {
    let (client, _server) = tokio::io::duplex(1024);
    let timeouts = Timeouts {
        greeting: Duration::from_secs(30),
        ..Timeouts::RFC5321
    };
    let config = config().timeouts(timeouts).build().unwrap();
    let start = tokio::time::Instant::now();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::Timeout(ReplyKind::Greeting)),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 30);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_stops_reading_hits_the_write_deadline() {
    let (client, server) = tokio::io::duplex(64);
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        // Stops reading: the body cannot leave.
        std::future::pending::<()>().await;
    });
    let timeouts = Timeouts {
        write: Duration::from_secs(60),
        ..Timeouts::RFC5321
    };
    let config = config().timeouts(timeouts).build().unwrap();
    let mut connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    let line = [&[b'x'; 99][..], b"\n"].concat();
    let body = MailBody::bytes(line.repeat(100));
    let error = connection
        .send_mail(envelope(&["<b@y.test>"]), body)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "{error}"
    );
    // The message never completed: its recipient is not delivered.
    let report = &error.reports()[0];
    assert_ne!(report.outcome(), Outcome::Delivered);
    assert!(!connection.is_usable());
    peer.abort();
}

#[tokio::test]
async fn a_pipelined_group_leaves_in_one_write() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let writes = Arc::new(Mutex::new(Vec::new()));
    let transport = Recording {
        inner: client,
        writes: writes.clone(),
    };
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
        peer.send("250 queued\r\n").await;
    });
    let config = config().build().unwrap();
    let mut connection = Connection::connect_with_stream(transport, &config)
        .await
        .unwrap();
    let report = connection
        .send_mail(
            envelope(&["<b@y.test>", "<c@y.test>"]),
            MailBody::bytes(&b"hi\r\n"[..]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.delivered_count(), 1);
    peer.await.unwrap();
    let writes = writes.lock().unwrap();
    let group = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n";
    assert!(writes.iter().any(|w| w == group), "writes: {writes:?}");
}

/// A reader that counts how much it was asked for at most, to show the body is read
/// through a fixed buffer.
struct Generated {
    left: usize,
    largest_read: Arc<Mutex<usize>>,
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut largest = self.largest_read.lock().unwrap();
        *largest = (*largest).max(buf.remaining());
        drop(largest);
        let n = buf.remaining().min(self.left);
        let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n";
        let chunk: Vec<u8> = line.iter().copied().cycle().take(n).collect();
        buf.put_slice(&chunk);
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_streamed_body_is_read_through_a_fixed_buffer() {
    const SIZE: usize = 1 << 20;
    let (client, server) = tokio::io::duplex(64 * 1024);
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        // LF became CRLF: 64 octets per line become 65.
        let mut received = 0;
        let mut tail = Vec::new();
        while !tail.ends_with(b"\r\n.\r\n") {
            let mut buf = vec![0; 8192];
            let n = tokio::io::AsyncReadExt::read(&mut peer.stream, &mut buf)
                .await
                .unwrap();
            assert!(n > 0);
            received += n;
            tail.extend_from_slice(&buf[..n]);
            let keep = tail.len().saturating_sub(5);
            tail.drain(..keep);
        }
        peer.send("250 queued\r\n").await;
        received
    });
    let config = config().build().unwrap();
    let mut connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    let largest = Arc::new(Mutex::new(0));
    let reader = Generated {
        left: SIZE,
        largest_read: largest.clone(),
    };
    let report = connection
        .send_mail_streamed(envelope(&["<b@y.test>"]), reader, StreamedBody::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(peer.await.unwrap(), SIZE / 64 * 65 + 3);
    assert!(*largest.lock().unwrap() <= 16 * 1024);
}

#[tokio::test]
async fn many_mails_are_reported_in_order_and_a_lost_verdict_is_uncertain() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("one\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n")
            .await;
        peer.expect("two\r\n.\r\n").await;
        // The connection dies before the second verdict.
    });
    let config = config().build().unwrap();
    let mut connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    let mails = vec![
        (envelope(&["<b@y.test>"]), MailBody::bytes(&b"one\r\n"[..])),
        (envelope(&["<c@y.test>"]), MailBody::bytes(&b"two\r\n"[..])),
    ];
    let mut results = connection.send_all_mails(mails);
    let first = results.next().await.unwrap().unwrap().unwrap();
    assert_eq!(first.outcome(), Outcome::Delivered);
    let error = results.next().await.unwrap().unwrap_err();
    assert!(
        matches!(
            error.protocol(),
            Some(ProtocolError::UnexpectedEof(ReplyKind::DataEnd))
        ),
        "{error}"
    );
    assert_eq!(error.reports().len(), 1);
    assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    assert!(results.next().await.is_none());
    drop(results);
    assert!(!connection.is_usable());
    peer.await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn lmtp_over_a_unix_socket_reports_each_recipient() {
    let dir = std::env::temp_dir().join(format!("smtp-tokio-lmtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lmtp.sock");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let peer = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(socket);
        peer.send("220 lmtp.test LMTP\r\n").await;
        peer.expect("LHLO client.test\r\n").await;
        peer.send("250-lmtp.test\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n")
            .await;
        peer.send("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.expect("hi\r\n.\r\n").await;
        peer.send("250 2.0.0 b ok\r\n452 4.2.2 c over quota\r\n")
            .await;
        peer.expect("QUIT\r\n").await;
        peer.send("221 bye\r\n").await;
    });
    let config = ConnectionConfig::unix(&path)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let report = connection
        .send_mail(
            envelope(&["<b@y.test>", "<c@y.test>"]),
            MailBody::bytes(&b"hi\r\n"[..]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.delivered_count(), 1);
    assert_eq!(report.outcome(), Outcome::Partial);
    connection.quit().await.unwrap();
    peer.await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(start_paused = true)]
async fn a_silent_tls_server_hits_the_handshake_deadline() {
    let (client, _server) = tokio::io::duplex(64 * 1024);
    let config = config()
        .security(Security::ImplicitTls)
        .tls(smtp_tokio::TlsConfig::new().dangerous_skip_verification())
        .tls_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: Phase::TlsHandshake
            }
        ),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 20);
}

/// A server that drips a TLS record one octet every 100 ms cannot stretch the handshake
/// deadline (paused time: the 20 s pass at once).
#[tokio::test(start_paused = true)]
async fn a_dripping_tls_server_cannot_stretch_the_handshake_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (client, mut server) = tokio::io::duplex(64 * 1024);
    let drip = tokio::spawn(async move {
        let mut hello = [0u8; 5];
        let _ = server.read_exact(&mut hello).await;
        // A handshake record header announcing 16 KiB, then its body an octet at a time.
        if server
            .write_all(&[0x16, 0x03, 0x03, 0x40, 0x00])
            .await
            .is_err()
        {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if server.write_all(&[0x02]).await.is_err() {
                return;
            }
        }
    });
    let config = config()
        .security(Security::ImplicitTls)
        .tls(smtp_tokio::TlsConfig::new().dangerous_skip_verification())
        .tls_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                phase: Phase::TlsHandshake
            }
        ),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 20);
    drip.await.unwrap();
}
