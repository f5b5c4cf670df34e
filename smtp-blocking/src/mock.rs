//! A scripted server stream for tests (feature `mock`): the runtime-neutral
//! [`ScriptPlayer`] behind std's `Read`/`Write`, on virtual time.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use smtp_adapter::mock::{MockError, PlayerRead, ScriptPlayer, WriteError};
use smtp_adapter::{ConnectionConfig, Error};
use smtp_proto::client::Client;
use smtp_proto::testing::{Delivery, Script};

use crate::connection::Connection;
use crate::drive::Io;
use crate::stream::{Stream, Upgrader};

/// A stream that plays a transcript's server side: every octet the client writes is
/// checked against the script (a mismatch is an IO error and is kept, see
/// [`MockHandle::failure`]), server octets are read as the [`Delivery`] cuts them, and the
/// TLS handshake is a no-op the script must announce with `! tls`.
///
/// Time is virtual: a wait in the script, or a read timeout while the script waits for the
/// client, moves the mock's clock (which the connection reads, see [`MockHandle::now`])
/// instead of sleeping, so timeout transcripts run at once.
///
/// ```
/// use smtp_proto::command::Noop;
/// use smtp_proto::testing::{Delivery, Script};
/// use smtp_blocking::{Connection, MockStream};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
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
/// connection.send(smtp_proto::command::Greeting)??;
/// let reply = connection.send(Noop::default())??;
/// assert_eq!(reply.code().get(), 250);
/// assert!(handle.failure().is_none() && !handle.expects_write());
/// # Ok(())
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
    read_timeout: Option<Duration>,
    nonblocking: bool,
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
                read_timeout: None,
                nonblocking: false,
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

    pub(crate) fn set_read_timeout(&mut self, timeout: Duration) {
        self.shared.lock().read_timeout = Some(timeout);
    }

    pub(crate) fn set_nonblocking(&mut self, nonblocking: bool) {
        self.shared.lock().nonblocking = nonblocking;
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

    pub(crate) fn handshake(&self) -> Result<(), MockError> {
        let mut shared = self.lock();
        shared.waited = Duration::ZERO;
        shared.player.handshake()
    }
}

impl Read for MockStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut shared = self.shared.lock();
        loop {
            match shared.player.read(buf.len()) {
                PlayerRead::Data(bytes) => {
                    let n = bytes.len().min(buf.len());
                    if let (Some(to), Some(from)) = (buf.get_mut(..n), bytes.get(..n)) {
                        to.copy_from_slice(from);
                    }
                    return Ok(n);
                }
                PlayerRead::Eof => return Ok(0),
                PlayerRead::Wait(duration) => {
                    let left = duration.saturating_sub(shared.waited);
                    match shared.pass(left) {
                        Some(passed) if passed < left => {
                            shared.waited += passed;
                            return Err(io::ErrorKind::WouldBlock.into());
                        }
                        Some(_) => {
                            shared.waited = Duration::ZERO;
                            shared.player.finish_wait();
                        }
                        None => return Err(io::ErrorKind::WouldBlock.into()),
                    }
                }
                // The client waits while the script waits for it: only a deadline ends
                // this, as with a silent server.
                PlayerRead::Blocked | PlayerRead::Exhausted => {
                    if shared.nonblocking {
                        return Err(io::ErrorKind::WouldBlock.into());
                    }
                    let Some(timeout) = shared.read_timeout else {
                        return Err(io::Error::other(
                            "mock server: a read without a timeout would block forever",
                        ));
                    };
                    shared.elapsed += timeout;
                    return Err(io::ErrorKind::WouldBlock.into());
                }
            }
        }
    }
}

impl Shared {
    /// Lets up to `wanted` pass on the clock, as far as the read timeout allows; `None`
    /// for a read that must not wait.
    fn pass(&mut self, wanted: Duration) -> Option<Duration> {
        if self.nonblocking {
            return None;
        }
        let passed = self.read_timeout.map_or(wanted, |t| t.min(wanted));
        self.elapsed += passed;
        Some(passed)
    }
}

impl Write for MockStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut shared = self.shared.lock();
        shared.waited = Duration::ZERO;
        shared.player.write(buf).map_err(WriteError::into_io)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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
    pub fn connect_mock(mock: MockStream, config: &ConnectionConfig) -> Result<Self, Error> {
        let upgrader = Upgrader::Mock(mock.handle());
        Self::open(Stream::Plain(Box::new(mock)), upgrader, None, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read while the stream is non-blocking (the adapter's idle poll) neither waits out
    /// a scripted wait nor moves the clock; a blocking read then waits it out and gets the
    /// octets after it.
    #[test]
    fn a_non_blocking_read_never_moves_the_clock() {
        let script = Script::parse("t.smtp", "> greeting\n@+10s\nS: 220 mx.example\n").unwrap();
        let mut mock = MockStream::from_script(&script, Delivery::Lines);
        let handle = mock.handle();
        let start = handle.now();
        mock.set_read_timeout(Duration::from_secs(300));
        mock.set_nonblocking(true);
        let mut buf = [0; 64];
        let error = mock.read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(handle.now(), start);
        mock.set_nonblocking(false);
        let n = mock.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"220 mx.example\r\n");
        assert_eq!(handle.now(), start + Duration::from_secs(10));
    }
}
