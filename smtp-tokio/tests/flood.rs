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

use flood::{
    Counts, Flood, check, check_flood_after_error, check_idle_flood, config, endless_line,
    endless_lines, flood_after_354, flood_envelope, flood_read, idle_flood, lines_proving_too_many,
};
use smtp_proto::client::{Client, ClientConfig};
use smtp_proto::command::{Greeting, StreamedBody};
use smtp_proto::response::{ReplyError, ReplyLimits};
use smtp_proto::testing::Delivery;
use smtp_tokio::smtp_adapter::mock::ScriptPlayer;
use smtp_tokio::{Connection, MockStream};
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

/// A flood while the connection is idle: `poll_idle` (which every command runs first)
/// reads no further than the reply limit plus one buffer, however much is there.
#[tokio::test]
async fn an_idle_flood_is_read_no_further_than_the_reply_limit_plus_one_buffer() {
    let mock = MockStream::new(ScriptPlayer::from_events(idle_flood(), Delivery::Lines));
    let handle = mock.handle();
    let mut connection = Connection::with_mock(mock, Client::new(ClientConfig::default()));
    connection.send(Greeting).await.unwrap().unwrap();
    connection.poll_idle();
    assert!(!connection.is_usable());
    check_idle_flood(flood_read(&handle.remaining()));
}

/// A flood where the body is asked for: the read that fails the exchange is the last.
#[tokio::test]
async fn a_flood_while_the_body_is_asked_for_is_not_read_past_the_error() {
    let mock = MockStream::new(ScriptPlayer::from_events(
        flood_after_354(),
        Delivery::Lines,
    ));
    let handle = mock.handle();
    let mut connection = Connection::connect_mock(mock, &config(ReplyLimits::DEFAULT))
        .await
        .unwrap();
    let body: &[u8] = b"Subject: x\r\n\r\nhi\r\n";
    let result = connection
        .send_mail_streamed(flood_envelope(), body, StreamedBody::default())
        .await;
    assert!(result.is_err(), "{result:?}");
    check_flood_after_error(flood_read(&handle.remaining()));
}
