//! Reply floods (SECURITY.md "reply flooding") over a transport that counts the octets
//! the adapter read: an endless reply line, or an endless multiline reply, is the core's
//! limit error after reading at least the limit (the octets that prove the error) and at
//! most the limit plus one read buffer. The hostile suite's floods only bound what the
//! server sent, which the socket buffers dominate; here the count is taken on the client's
//! end of a Unix socket pair (in `async_io::Async`), whose server thread floods until the
//! client closes.
//!
//! The same tests, with the same names, are in smtp-tokio and smtp-blocking.
#![cfg(unix)]

#[path = "../../smtp-blocking/tests/support/mod.rs"]
mod support;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};
use smtp_async_std::smtp_adapter::mock::ScriptPlayer;
use smtp_async_std::{Connection, MockStream};
use smtp_proto::client::{Client, ClientConfig};
use smtp_proto::command::{Greeting, StreamedBody};
use smtp_proto::response::{ReplyError, ReplyLimits};
use smtp_proto::testing::Delivery;
use support::flood::{
    Counts, Flood, check, check_flood_after_error, check_idle_flood, config, endless_line,
    endless_lines, flood_after_354, flood_envelope, flood_read, flooding_pair, idle_flood,
    lines_proving_too_many,
};

/// The client's end of the socket pair, counting what is read from it.
struct Counting<S> {
    inner: S,
    counts: Arc<Counts>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counting<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            this.counts.record(buf.len(), n);
        }
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

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Connects over a socket pair whose server end floods the greeting until the client
/// closes; checks that the connection fails with `expected` after reading at least `limit`
/// octets and at most `limit` plus one read buffer.
async fn flooded(limits: ReplyLimits, flood: Flood, expected: ReplyError, limit: u64) {
    let (client, server) = flooding_pair(flood);
    let counts = Arc::new(Counts::default());
    let client = Counting {
        inner: Async::new(client).unwrap(),
        counts: counts.clone(),
    };
    let error = Connection::connect_with_stream(client, &config(limits))
        .await
        .expect_err("an endless greeting is an error");
    server.join().unwrap();
    check(&error, &counts, expected, limit);
}

#[async_std::test]
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

#[async_std::test]
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
#[async_std::test]
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

#[async_std::test]
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
#[async_std::test]
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

#[async_std::test]
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
#[async_std::test]
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
#[async_std::test]
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
