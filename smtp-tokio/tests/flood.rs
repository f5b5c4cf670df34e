//! Reply floods (SECURITY.md "reply flooding") over a transport that counts the octets
//! the adapter read: an endless reply line, or an endless multiline reply, is the core's
//! limit error after reading at least the limit (the octets that prove the error) and at
//! most the limit plus one read buffer. The hostile suite's floods only bound what the
//! server sent, which the socket buffers dominate; here nothing sits between the server and
//! the count but an in-memory `tokio::io::duplex` pipe.
//!
//! The same tests, with the same names, are in smtp-async-std and smtp-blocking.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{ReplyError, ReplyLimits};
use smtp_tokio::{Connection, ConnectionConfig, Security};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// `READ_BUFFER` in smtp-tokio/src/drive.rs (private there): the octets the adapter
/// reads from its transport at once.
const READ_BUFFER: u64 = 8 * 1024;

/// What the transport handed the adapter.
#[derive(Debug, Default)]
struct Counts {
    /// Octets read, in total.
    read: AtomicU64,
    /// The largest buffer the adapter offered one read.
    largest_offer: AtomicUsize,
}

/// The client's end of the pipe, counting what is read from it.
struct Counting<S> {
    inner: S,
    counts: Arc<Counts>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counting<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.counts
            .largest_offer
            .fetch_max(buf.remaining(), Ordering::Relaxed);
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        this.counts.read.fetch_add(n, Ordering::Relaxed);
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counting<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A greeting that never ends: `prefix` once, then `pattern` over and over.
struct Flood {
    prefix: &'static [u8],
    pattern: Vec<u8>,
}

/// One reply line without a line end: `220 xxxx...`.
fn endless_line() -> Flood {
    Flood {
        prefix: b"220 ",
        pattern: vec![b'x'; 64 * 1024],
    }
}

/// An endless multiline reply of `len`-octet lines `250-xxx...\r\n`.
fn endless_lines(len: usize) -> Flood {
    let mut line = b"250-".to_vec();
    line.resize(len - 2, b'x');
    line.extend_from_slice(b"\r\n");
    Flood {
        prefix: b"",
        pattern: line.repeat(64 * 1024 / len),
    }
}

/// The octets of a flood of `len`-octet lines that prove a reply has more than
/// `max_lines` lines: every line before the last allowed one, and the code and hyphen of
/// the last allowed one (which announces another).
fn lines_proving_too_many(max_lines: u64, len: u64) -> u64 {
    (max_lines - 1) * len + 4
}

/// Connects over a pipe whose server end floods the greeting until the client closes;
/// checks that the connection fails with `expected` after reading at least `limit`
/// octets and at most `limit` plus one read buffer.
async fn flooded(limits: ReplyLimits, flood: Flood, expected: ReplyError, limit: u64) {
    let (client, mut server) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        // A write error means the client closed: the flood ends there.
        if server.write_all(flood.prefix).await.is_ok() {
            while server.write_all(&flood.pattern).await.is_ok() {}
        }
    });
    let counts = Arc::new(Counts::default());
    let client = Counting {
        inner: client,
        counts: counts.clone(),
    };
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            // A client that never gives up fails on the deadline, not by hanging.
            timeouts: Timeouts::uniform(Duration::from_secs(60)),
            reply_limits: limits,
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let error = Connection::connect_with_stream(client, &config)
        .await
        .expect_err("an endless greeting is an error");
    server.await.unwrap();
    let read = counts.read.load(Ordering::Relaxed);
    let offer = counts.largest_offer.load(Ordering::Relaxed);
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::MalformedReply(expected)),
        "{error}"
    );
    assert!(
        offer as u64 <= READ_BUFFER,
        "one read was offered {offer} octets: READ_BUFFER changed?"
    );
    assert!(
        read >= limit,
        "the adapter read {read} octets, short of the limit {limit}"
    );
    assert!(
        read <= limit + READ_BUFFER,
        "the adapter read {read} octets, over the limit {limit} plus one read buffer"
    );
    eprintln!("read {read} octets for a limit of {limit} ({error})");
}

#[tokio::test]
async fn an_endless_line_reads_at_most_the_default_line_limit_plus_one_buffer() {
    let limit = 8 * 1024;
    flooded(
        ReplyLimits::DEFAULT,
        endless_line(),
        ReplyError::LineTooLong { line: 1, limit },
        limit as u64,
    )
    .await;
}

#[tokio::test]
async fn an_endless_line_reads_at_most_a_lowered_line_limit_plus_one_buffer() {
    let limit = 512;
    flooded(
        ReplyLimits::DEFAULT.with_max_line_len(limit),
        endless_line(),
        ReplyError::LineTooLong { line: 1, limit },
        limit as u64,
    )
    .await;
}

/// 100-octet lines: the 64 KiB reply limit comes before the 1000 lines.
#[tokio::test]
async fn endless_lines_read_at_most_the_default_reply_limit_plus_one_buffer() {
    let limit = 64 * 1024;
    flooded(
        ReplyLimits::DEFAULT,
        endless_lines(100),
        ReplyError::ReplyTooLong { limit },
        limit as u64,
    )
    .await;
}

#[tokio::test]
async fn endless_lines_read_at_most_a_lowered_reply_limit_plus_one_buffer() {
    let limit = 20_000;
    flooded(
        ReplyLimits::DEFAULT.with_max_reply_len(limit),
        endless_lines(100),
        ReplyError::ReplyTooLong { limit },
        limit as u64,
    )
    .await;
}

/// 9-octet lines: the 1000 lines come before the 64 KiB reply limit.
#[tokio::test]
async fn endless_short_lines_read_at_most_the_default_line_count_plus_one_buffer() {
    let limit = 1000;
    flooded(
        ReplyLimits::DEFAULT,
        endless_lines(9),
        ReplyError::TooManyLines { limit },
        lines_proving_too_many(limit as u64, 9),
    )
    .await;
}

#[tokio::test]
async fn endless_short_lines_read_at_most_a_lowered_line_count_plus_one_buffer() {
    let limit = 100;
    flooded(
        ReplyLimits::DEFAULT.with_max_lines(limit),
        endless_lines(9),
        ReplyError::TooManyLines { limit },
        lines_proving_too_many(limit as u64, 9),
    )
    .await;
}
