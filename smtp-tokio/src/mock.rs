//! A scripted server stream for tests (feature `mock`): the runtime-neutral
//! [`ScriptPlayer`] behind tokio's `AsyncRead`/`AsyncWrite`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use smtp_adapter::mock::{MockError, PlayerRead, ScriptPlayer, WriteError};
use smtp_adapter::{ConnectionConfig, Error};
use smtp_proto::client::Client;
use smtp_proto::testing::{Delivery, Script};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::connection::Connection;
use crate::drive::Io;
use crate::stream::{Stream, Upgrader};

/// A stream that plays a transcript's server side: every octet the client writes is
/// checked against the script (a mismatch is an IO error and is kept, see
/// [`MockHandle::failure`]), server octets are read as the [`Delivery`] cuts them, waits
/// pass on tokio's clock, and the TLS handshake is a no-op the script must announce with
/// `! tls`. Scripts with waits want paused time: `#[tokio::test(start_paused = true)]`,
/// which needs tokio's `test-util` feature in your dev-dependencies.
///
/// ```
/// use smtp_proto::command::Noop;
/// use smtp_proto::testing::{Delivery, Script};
/// use smtp_tokio::{Connection, MockStream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
/// # }
/// ```
#[derive(Debug)]
pub struct MockStream {
    shared: MockHandle,
}

/// A handle on the mock's script, shared with the stream: inspect it after the run.
#[derive(Clone, Debug)]
pub struct MockHandle(Arc<Mutex<Shared>>);

#[derive(Debug)]
struct Shared {
    player: ScriptPlayer,
    /// The wait in progress at the head of the script.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl MockStream {
    /// A stream playing `player`.
    pub fn new(player: ScriptPlayer) -> Self {
        Self {
            shared: MockHandle(Arc::new(Mutex::new(Shared {
                player,
                sleep: None,
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

    /// Lets the wait at the head of the script pass on tokio's clock, as time passes
    /// between commands while nobody reads: `false` if the script does not wait now.
    pub async fn pass_wait(&self) -> bool {
        let sleep = {
            let mut shared = self.lock();
            let Some(duration) = shared.player.wait_ahead() else {
                return false;
            };
            shared
                .sleep
                .take()
                .unwrap_or_else(|| Box::pin(tokio::time::sleep(duration)))
        };
        sleep.await;
        self.lock().player.finish_wait();
        true
    }

    pub(crate) fn handshake(&self) -> Result<(), MockError> {
        let mut shared = self.lock();
        shared.sleep = None;
        shared.player.handshake()
    }
}

impl AsyncRead for MockStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut shared = self.shared.lock();
        loop {
            match shared.player.read(buf.remaining()) {
                PlayerRead::Data(bytes) => {
                    buf.put_slice(&bytes);
                    return Poll::Ready(Ok(()));
                }
                PlayerRead::Eof => return Poll::Ready(Ok(())),
                PlayerRead::Wait(duration) => {
                    let sleep = shared
                        .sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(duration)));
                    match sleep.as_mut().poll(cx) {
                        Poll::Ready(()) => {
                            shared.sleep = None;
                            shared.player.finish_wait();
                        }
                        Poll::Pending => return Poll::Pending,
                    }
                }
                // The client waits while the script waits for it: only a deadline ends
                // this, as with a silent server.
                PlayerRead::Blocked | PlayerRead::Exhausted => return Poll::Pending,
            }
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
        shared.sleep = None;
        Poll::Ready(shared.player.write(buf).map_err(WriteError::into_io))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
