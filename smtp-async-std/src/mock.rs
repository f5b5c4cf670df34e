//! A scripted server stream for tests (feature `mock`): the runtime-neutral
//! [`ScriptPlayer`] behind futures-io's `AsyncRead`/`AsyncWrite`, on virtual time.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use smtp_adapter::mock::{MockError, PlayerRead, ScriptPlayer, WriteError};
use smtp_adapter::{ConnectionConfig, Error};
use smtp_proto::client::Client;
use smtp_proto::testing::{Delivery, IoEvent, Script};

use crate::connection::Connection;
use crate::drive::Io;
use crate::stream::{Stream, Upgrader};

/// A stream that plays a transcript's server side: every octet the client writes is
/// checked against the script (a mismatch is an IO error and is kept, see
/// [`MockHandle::failure`]), server octets are read as the [`Delivery`] cuts them, and the
/// TLS handshake is a no-op the script must announce with `! tls`.
///
/// Time is virtual, whatever the executor: when a read with a deadline can only wait
/// (the script waits, or waits for the client), the mock's clock moves on to the script's
/// next event or to the deadline, as a paused clock would (see [`MockHandle::now`]).
///
/// ```
/// use smtp_proto::command::Noop;
/// use smtp_proto::testing::{Delivery, Script};
/// use smtp_async_std::{Connection, MockStream};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # futures_lite::future::block_on(async {
/// let script = Script::parse("noop.smtp", "\
/// > greeting
/// S: 220 mx.example
/// > line NOOP
/// C: NOOP
/// S: 250 ok
/// ")?;
/// let mock = MockStream::from_script(&script, Delivery::Bytes);
/// let handle = mock.handle();
/// let mut connection = Connection::with_mock(mock, script.client());
/// connection.send(smtp_proto::command::Greeting).await??;
/// let reply = connection.send(Noop::default()).await??;
/// assert_eq!(reply.code().get(), 250);
/// assert!(handle.failure().is_none() && !handle.expects_write());
/// # Ok(())
/// # })
/// # }
/// ```
#[derive(Debug)]
pub struct MockStream {
    shared: MockHandle,
}

/// A handle on the mock's script and clock, shared with the stream: inspect it after the
/// run.
#[derive(Clone, Debug)]
pub struct MockHandle(Arc<Mutex<Shared>>);

#[derive(Debug)]
struct Shared {
    player: ScriptPlayer,
    /// The virtual clock: its start and the time passed since.
    start: Instant,
    elapsed: Duration,
    /// How much of the wait at the head of the script has passed.
    waited: Duration,
}

impl MockStream {
    /// A stream playing `player`.
    pub fn new(player: ScriptPlayer) -> Self {
        Self {
            shared: MockHandle(Arc::new(Mutex::new(Shared {
                player,
                start: Instant::now(),
                elapsed: Duration::ZERO,
                waited: Duration::ZERO,
            }))),
        }
    }

    /// A stream playing `script`'s server side, cut as `delivery` says.
    pub fn from_script(script: &Script, delivery: Delivery) -> Self {
        Self::new(ScriptPlayer::new(script, delivery))
    }

    /// A handle to inspect the script after the run.
    pub fn handle(&self) -> MockHandle {
        self.shared.clone()
    }
}

impl MockHandle {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first client action that did not match the script.
    pub fn failure(&self) -> Option<MockError> {
        self.lock().player.failure().cloned()
    }

    /// Whether the script still expects octets from the client.
    pub fn expects_write(&self) -> bool {
        self.lock().player.expects_write()
    }

    /// How many server octets the client read, and whether it read the end of file.
    pub fn read_so_far(&self) -> (u64, bool) {
        self.lock().player.read_so_far()
    }

    /// The script's events not played yet, for failure messages.
    pub fn remaining(&self) -> String {
        self.lock().player.describe_remaining()
    }

    /// Lets the wait at the head of the script pass on the virtual clock, as time passes
    /// between commands while nobody reads: `false` if the script does not wait now.
    pub fn pass_wait(&self) -> bool {
        let mut shared = self.lock();
        let Some(duration) = shared.player.wait_ahead() else {
            return false;
        };
        let left = duration.saturating_sub(shared.waited);
        shared.elapsed += left;
        shared.waited = Duration::ZERO;
        shared.player.finish_wait();
        true
    }

    /// The mock's virtual time.
    pub fn now(&self) -> Instant {
        let shared = self.lock();
        shared.start + shared.elapsed
    }

    /// Nothing but time can move the script on: lets it pass up to the end of the
    /// script's wait (`true`: poll again) or to `deadline` (`false`: it passed).
    pub(crate) fn advance(&self, deadline: Instant) -> bool {
        let mut shared = self.lock();
        let now = shared.start + shared.elapsed;
        let to_deadline = deadline.saturating_duration_since(now);
        let wait = match shared.player.remaining().next() {
            Some(IoEvent::Wait(duration)) => Some(*duration),
            _ => None,
        };
        if let Some(duration) = wait {
            let left = duration.saturating_sub(shared.waited);
            if left <= to_deadline {
                shared.elapsed += left;
                shared.waited = Duration::ZERO;
                shared.player.finish_wait();
                return true;
            }
            shared.waited += to_deadline;
        }
        shared.elapsed += to_deadline;
        false
    }

    pub(crate) fn handshake(&self) -> Result<(), MockError> {
        let mut shared = self.lock();
        shared.waited = Duration::ZERO;
        shared.player.handshake()
    }
}

impl AsyncRead for MockStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut shared = self.shared.lock();
        match shared.player.read(buf.len()) {
            PlayerRead::Data(bytes) => {
                let n = bytes.len().min(buf.len());
                if let (Some(to), Some(from)) = (buf.get_mut(..n), bytes.get(..n)) {
                    to.copy_from_slice(from);
                }
                Poll::Ready(Ok(n))
            }
            PlayerRead::Eof => Poll::Ready(Ok(0)),
            // Time passes through the connection's deadline (`MockHandle::advance`), which
            // polls again: no waker to keep.
            PlayerRead::Wait(_) | PlayerRead::Blocked | PlayerRead::Exhausted => Poll::Pending,
        }
    }
}

impl AsyncWrite for MockStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut shared = self.shared.lock();
        shared.waited = Duration::ZERO;
        Poll::Ready(shared.player.write(buf).map_err(WriteError::into_io))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Connection {
    /// A connection over `mock` with the core `client` as it is (no session setup):
    /// transcripts drive every step themselves. STARTTLS runs the mock's handshake.
    pub fn with_mock(mock: MockStream, client: Client) -> Self {
        let upgrader = Upgrader::Mock(mock.handle());
        Self::from_parts(
            Io::new(Stream::Plain(Box::new(mock)), upgrader, None),
            client,
        )
    }

    /// Sets a session up over `mock` as [`connect`](Self::connect) would (greeting, EHLO,
    /// STARTTLS with the mock's handshake, AUTH): for testing code that uses connections.
    pub async fn connect_mock(mock: MockStream, config: &ConnectionConfig) -> Result<Self, Error> {
        let upgrader = Upgrader::Mock(mock.handle());
        Self::open(Stream::Plain(Box::new(mock)), upgrader, None, config).await
    }
}
