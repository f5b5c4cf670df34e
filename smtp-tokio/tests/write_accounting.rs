//! A write cut after mail 1's end of data left, in the transmit that carries mail 2's
//! pipelined envelope: mail 1 is uncertain (the server may have it), never "not sent",
//! whether the cut is a dropped future, the write deadline, a transport error, or a
//! transport error under TLS (rustls reports the error alone after records of the call's
//! plaintext left). And a refusal
//! the server sends over TLS after the body write failed still decides the mail.
mod support;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::command::{Envelope, MailBody, Outcome, RecipientStatus};
use smtp_proto::error::ProtocolError;
use smtp_tokio::{Connection, ConnectionConfig, Error, Phase, Security, TlsConfig};
use support::{Peer, TestPki};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// Mail 1, one recipient, then mail 2 with `recipients` of them, pipelined after it.
fn two_mails(recipients: usize) -> [(Envelope, MailBody); 2] {
    let one = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    let many: Vec<_> = (0..recipients)
        .map(|i| format!("<r{i:04}@y.test>").parse().unwrap())
        .collect();
    let two = Envelope::new("<a@x.test>".parse().unwrap(), many).unwrap();
    [
        (one, MailBody::bytes(&b"hello\r\n"[..])),
        (two, MailBody::bytes(&b"second\r\n"[..])),
    ]
}

#[tokio::test(start_paused = true)]
async fn a_dropped_write_cut_after_the_end_of_data_is_uncertain() {
    let (mut connection, peer) = support::connected(4 * 1024, &["PIPELINING"]).await;
    let (resume, resumed) = oneshot::channel::<()>();
    let server = support::serve_after_354(peer, resumed, false);
    let mut results = connection.send_all_mails(two_mails(400));
    let cut = timeout(Duration::from_secs(1), results.next()).await;
    assert!(cut.is_err(), "should block: {cut:?}");
    resume.send(()).unwrap();
    let error = results.next().await.expect("a result").unwrap_err();
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::WriteFailed),
        "{error}"
    );
    let statuses: Vec<Vec<RecipientStatus>> = error
        .reports()
        .iter()
        .map(|r| r.recipients().map(|(_, x)| x.status()).take(2).collect())
        .collect();
    drop(results);
    drop(connection);
    let received = server.await.unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.contains("hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "{text}"
    );
    assert_eq!(statuses[0], vec![RecipientStatus::Uncertain]);
}

/// The server stops reading after its 354: the transmit that carries mail 1's end of data
/// and mail 2's envelope blocks until the write deadline (tokio's paused clock).
#[tokio::test(start_paused = true)]
async fn a_write_deadline_after_the_end_of_data_is_uncertain() {
    let (client, server) = tokio::io::duplex(4 * 1024);
    let greet = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer
    });
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .timeouts(Timeouts {
            write: Duration::from_secs(60),
            ..Timeouts::RFC5321
        })
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    let (resume, resumed) = oneshot::channel::<()>();
    let server = support::serve_after_354(greet.await.unwrap(), resumed, false);
    let start = tokio::time::Instant::now();
    let mut results = connection.send_all_mails(two_mails(400));
    let error = results.next().await.expect("a result").unwrap_err();
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "{error}"
    );
    assert_eq!(start.elapsed().as_secs(), 60);
    let status = first_status(&error);
    drop(results);
    drop(connection);
    resume.send(()).unwrap();
    let received = server.await.unwrap();
    assert!(
        received.starts_with(b"hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "the server got the end of data"
    );
    assert_eq!(status, Some(RecipientStatus::Uncertain));
}

/// A server that keeps reading, slowly, cannot stretch the write deadline: the deadline is
/// the transmit's, not one per write call. Real time, over a Unix socket pair: such a
/// socket wakes a blocked writer only once no more than a quarter of its send buffer
/// (208 KiB by default, which tokio cannot shrink) is unread, so the server reads 40 KiB
/// every 100 ms (a wake every 0.4 s or so: a timeout per write call would never fire),
/// and the transmit is large to be slow all the same: one mail's pipelined envelope of
/// 30,000 long RCPT lines, about 7.9 MB, some 19 s at that pace. The server reads for 5
/// deadlines at most: a stretched deadline fails the elapsed time instead of hanging the
/// test.
#[tokio::test]
async fn a_slow_reader_cannot_stretch_the_write_deadline() {
    const DEADLINE: Duration = Duration::from_secs(1);
    const CHUNK: usize = 40 * 1024;
    const PACE: Duration = Duration::from_millis(100);
    const RECIPIENTS: usize = 30_000;
    let (client, server) = tokio::net::UnixStream::pair().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        let mut buf = vec![0; CHUNK];
        let mut read = 0;
        let mut since: Option<Instant> = None;
        while !stop.load(Ordering::SeqCst) {
            let elapsed = since.map_or(Duration::ZERO, |since| since.elapsed());
            if elapsed > 5 * DEADLINE + Duration::from_secs(10) {
                break;
            }
            if elapsed < 5 * DEADLINE {
                match peer.stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
                since.get_or_insert_with(Instant::now);
            }
            tokio::time::sleep(PACE).await;
        }
        read
    });
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            max_group: std::num::NonZeroUsize::new(16 << 20),
            ..ClientConfig::default()
        })
        .timeouts(Timeouts {
            write: DEADLINE,
            ..Timeouts::RFC5321
        })
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(client, &config)
        .await
        .unwrap();
    // Paths of 254 octets (the most is 256): fewer recipients for the octets, less work.
    let (pad, domain) = (
        "x".repeat(57),
        ["a", "b", "c"].map(|l| l.repeat(60)).join("."),
    );
    let paths: Vec<String> = (0..RECIPIENTS)
        .map(|i| format!("<r{i:06}{pad}@{domain}.test>"))
        .collect();
    let transmit = "MAIL FROM:<a@x.test>\r\n".len()
        + paths
            .iter()
            .map(|p| "RCPT TO:\r\n".len() + p.len())
            .sum::<usize>()
        + "DATA\r\n".len();
    let recipients = paths.iter().map(|p| p.parse().unwrap());
    let envelope = Envelope::new("<a@x.test>".parse().unwrap(), recipients).unwrap();
    let body = MailBody::bytes(&b"hello\r\n"[..]);
    let whole = PACE * u32::try_from(transmit / CHUNK).unwrap();
    assert!(whole > 10 * DEADLINE, "the whole transmit takes {whole:?}");
    let start = Instant::now();
    let result = connection.send_mail(envelope, body).await;
    let elapsed = start.elapsed();
    drop(connection);
    done.store(true, Ordering::SeqCst);
    let read = server.await.unwrap();
    let error = result.expect_err("the write cannot finish");
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "{error}"
    );
    assert!(
        elapsed >= DEADLINE && elapsed < 3 * DEADLINE,
        "timed out after {elapsed:?}, the server read {read} octets"
    );
    assert!(read < transmit, "the server read {read} octets");
    let outcomes: Vec<_> = error.reports().iter().map(|r| r.outcome()).collect();
    assert_eq!(outcomes, [Outcome::NotSent], "{error}");
}

/// The transport breaks on the first write after the server's 354: that write passes 64
/// octets (mail 1's end of data and the start of mail 2's envelope), every later one fails.
#[tokio::test]
async fn a_write_error_after_the_end_of_data_is_uncertain() {
    let (client, server) = tokio::io::duplex(1 << 20);
    let state = Arc::new(AtomicUsize::new(0));
    let arm = state.clone();
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        arm.store(1, Ordering::SeqCst);
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        peer.rest().await
    });
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let transport = Breaking {
        inner: client,
        state,
        cap: 64,
    };
    let mut connection = Connection::connect_with_stream(transport, &config)
        .await
        .unwrap();
    let mut results = connection.send_all_mails(two_mails(1000));
    let error = results.next().await.expect("a result").unwrap_err();
    assert!(
        matches!(error.cause(), Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error}"
    );
    let status = first_status(&error);
    drop(results);
    drop(connection);
    let received = server.await.unwrap();
    assert_eq!(received.len(), 64);
    assert!(
        received.starts_with(b"hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "the server got the end of data"
    );
    assert_eq!(status, Some(RecipientStatus::Uncertain));
}

/// Mail 1's recipient status, from the error that ended the batch.
fn first_status(error: &Error) -> Option<RecipientStatus> {
    let report = error.reports().first()?;
    Some(report.recipients().next()?.1.status())
}

/// 0: pass; 1: armed, the next write passes at most `cap` octets and arms 2; 2: every
/// write fails.
struct Breaking {
    inner: DuplexStream,
    state: Arc<AtomicUsize>,
    cap: usize,
}

impl AsyncRead for Breaking {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
impl AsyncWrite for Breaking {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.state.load(Ordering::SeqCst) {
            2 => Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into())),
            0 => Pin::new(&mut self.inner).poll_write(cx, buf),
            _ => {
                let cap = buf.len().min(self.cap);
                let poll = Pin::new(&mut self.inner).poll_write(cx, &buf[..cap]);
                if let Poll::Ready(Ok(_)) = &poll {
                    self.state.store(2, Ordering::SeqCst);
                }
                poll
            }
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn a_tls_write_error_after_the_end_of_data_left_is_uncertain() {
    let pki = TestPki::new();
    let (client, server) = tokio::io::duplex(1 << 20);
    let state = Arc::new(AtomicUsize::new(0));
    let arm = state.clone();
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let tls = acceptor.accept(server).await.unwrap();
        let mut peer = Peer::new(tls);
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        arm.store(1, Ordering::SeqCst);
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match peer.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return received,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    });
    let config = ConnectionConfig::builder("localhost")
        .security(Security::ImplicitTls)
        .tls(
            TlsConfig::new()
                .root_certificates_pem(pki.ca_pem.as_bytes())
                .unwrap(),
        )
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            max_group: std::num::NonZeroUsize::new(64 * 1024),
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let transport = Breaking {
        inner: client,
        state,
        cap: usize::MAX,
    };
    let mut connection = Connection::connect_with_stream(transport, &config)
        .await
        .unwrap();
    let mut results = connection.send_all_mails(two_mails(1000));
    let error = results.next().await.expect("a result").unwrap_err();
    let status = error
        .reports()
        .first()
        .map(|r| r.recipients().next().unwrap().1.status());
    drop(results);
    drop(connection);
    let received = server.await.unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(
        text.starts_with("hello\r\n.\r\n"),
        "the server got the end of data"
    );
    assert_eq!(
        status,
        Some(RecipientStatus::Uncertain),
        "the server got the end of data"
    );
}

/// A transport whose writes fail from the moment `failing` is set (by the server, just
/// before its 354), and say so on `failed`; its reads go on.
struct FailingWrites {
    inner: DuplexStream,
    failing: Arc<AtomicUsize>,
    failed: tokio::sync::mpsc::UnboundedSender<()>,
}

impl AsyncRead for FailingWrites {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FailingWrites {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.failing.load(Ordering::SeqCst) == 0 {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        let _ = self.failed.send(());
        Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The server refuses the message during the body, over TLS, and closes; the client's
/// body write has failed by then. The refusal, read from TLS records after the failure,
/// decides the mail: rejected, not a write error.
#[tokio::test]
async fn a_refusal_read_over_tls_after_a_failed_write_stays_a_refusal() {
    let pki = TestPki::new();
    let (client, server) = tokio::io::duplex(64 * 1024);
    let failing = Arc::new(AtomicUsize::new(0));
    let arm = failing.clone();
    let (failed, mut write_failed) = tokio::sync::mpsc::unbounded_channel();
    let acceptor = pki.acceptor.clone();
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(acceptor.accept(server).await.unwrap());
        peer.greet_ehlo(&["PIPELINING"]).await;
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
            .await;
        arm.store(1, Ordering::SeqCst);
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        write_failed.recv().await.unwrap();
        peer.send("552 5.3.4 not today\r\n").await;
    });
    let config = ConnectionConfig::builder("localhost")
        .security(Security::ImplicitTls)
        .tls(
            TlsConfig::new()
                .root_certificates_pem(pki.ca_pem.as_bytes())
                .unwrap(),
        )
        .client_id("client.test".parse().unwrap())
        .build()
        .unwrap();
    let transport = FailingWrites {
        inner: client,
        failing,
        failed,
    };
    let mut connection = Connection::connect_with_stream(transport, &config)
        .await
        .unwrap();
    let [(envelope, body), _] = two_mails(1);
    let result = connection.send_mail(envelope, body).await;
    drop(connection);
    server.await.unwrap();
    let report = match &result {
        Ok(Ok(report)) => report,
        Err(error) => error.reports().first().expect("a report"),
        Ok(Err(refused)) => panic!("refused before sending: {refused}"),
    };
    assert_eq!(report.outcome(), Outcome::Rejected, "{result:?}");
    let (_, recipient) = report.recipients().next().expect("a recipient");
    let verdict = recipient.data_reply().map(|r| r.code().get());
    assert_eq!(verdict, Some(552), "{result:?}");
}
