//! The client's stream for the futures-io cancellation tests: a Unix socket that tells when
//! a write blocks, so that a future can be dropped exactly there, with no timer involved.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::FutureExt;

/// The client's stream, telling when a write blocks (returns `Pending`).
pub struct Watched {
    pub stream: Async<UnixStream>,
    pub blocked: Arc<AtomicBool>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.blocked.store(poll.is_pending(), Ordering::SeqCst);
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_close(cx)
    }
}

/// Runs `future` until a write on the client's stream blocks, and drops it there.
pub async fn cut_mid_write<T: std::fmt::Debug>(
    blocked: &AtomicBool,
    future: impl Future<Output = T>,
) {
    // `or` polls `future` first, so the check sees the write that just returned Pending.
    let cut = async { Some(future.await) }
        .or(std::future::poll_fn(|_| {
            match blocked.load(Ordering::SeqCst) {
                true => Poll::Ready(None),
                false => Poll::Pending,
            }
        }))
        .await;
    assert!(cut.is_none(), "the write should have blocked: {cut:?}");
}
