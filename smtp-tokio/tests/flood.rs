//! Reply floods (SECURITY.md "reply flooding") over a transport that counts the octets
//! the adapter read: an endless reply line, or an endless multiline reply, is the core's
//! limit error after reading at least the limit (the octets that prove the error) and at
//! most the limit plus one read buffer. The hostile suite's floods only bound what the
//! server sent, which the socket buffers dominate; here nothing sits between the server and
//! the count but an in-memory `tokio::io::duplex` pipe.
//!
//! The same tests, with the same names, are in smtp-async-std and smtp-blocking.

#[path = "../../smtp-blocking/tests/support/flood.rs"]
#[allow(dead_code, unreachable_pub)]
mod flood;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use flood::{Counts, Flood, check, config, endless_line, endless_lines, lines_proving_too_many};
use smtp_proto::response::{ReplyError, ReplyLimits};
use smtp_tokio::Connection;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

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
        let offered = buf.remaining();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.counts.record(offered, buf.filled().len() - before);
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
    let error = Connection::connect_with_stream(client, &config(limits))
        .await
        .expect_err("an endless greeting is an error");
    server.await.unwrap();
    check(&error, &counts, expected, limit);
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
