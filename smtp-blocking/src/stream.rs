//! The byte stream under a connection: plain or TLS, over any transport, and the TLS step.

use std::any::Any;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use smtp_adapter::rustls::pki_types::ServerName;
use smtp_adapter::rustls::{ClientConfig, ClientConnection, StreamOwned};
use smtp_adapter::{Error, Phase, TlsInfo};

/// Any byte stream a connection can run over: TCP, a Unix socket, an in-memory pipe, a
/// tunnel the caller brings.
///
/// Deadlines are enforced through socket timeouts on a [`TcpStream`] and a Unix stream
/// (and TLS over them); any other transport keeps the timeouts its owner gave it.
pub trait Transport: Read + Write + Send + 'static {
    /// The transport itself, so that sockets are recognised and given their timeouts.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Read + Write + Send + 'static> Transport for T {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A transport behind a box, so that one connection type serves every transport.
pub type BoxedTransport = Box<dyn Transport>;

/// The connection's stream: the transport as it is, or TLS over it.
#[non_exhaustive]
pub enum Stream {
    /// No TLS (yet).
    Plain(BoxedTransport),
    /// TLS over the transport (implicit, or after STARTTLS).
    Tls(Box<StreamOwned<ClientConnection, BoxedTransport>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Stream {
    /// Reads what was received, waiting `wait` at most, without first flushing pending TLS
    /// output (rustls' stream would try to write the unsent records again, which fails once
    /// the peer closed): for the replies a server sent before it closed, after a write
    /// failed. Over TLS every socket read gets only what is left of `wait`, so a server
    /// that sends a record one byte at a time cannot stretch it.
    pub(crate) fn read_received(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
        let Stream::Tls(tls) = self else {
            self.set_read_timeout(wait)?;
            return self.read(buf);
        };
        let deadline = smtp_proto::client::deadline_after(Instant::now(), wait);
        loop {
            match tls.conn.reader().read(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            set_socket_timeouts(&mut tls.sock, left_until(deadline)?)?;
            if tls.conn.read_tls(&mut tls.sock)? == 0 {
                return Ok(0);
            }
            tls.conn.process_new_packets().map_err(io::Error::other)?;
        }
    }
}

impl Stream {
    /// One read that never waits: `WouldBlock` when nothing is there, `Unsupported` for a
    /// transport that cannot read without waiting. Over TLS, one socket read at most
    /// (rustls' own stream reads on while records keep coming, which a server sending
    /// records without content could make endless).
    pub(crate) fn read_ready(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.set_nonblocking(true)?;
        let read = match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(tls) => read_ready_tls(tls, buf),
        };
        self.set_nonblocking(false)?;
        read
    }

    /// Reads, waiting `wait` at most. Over TLS every socket read gets only what is left of
    /// it, so a server that sends a record one byte at a time cannot stretch the wait
    /// (rustls' own stream would keep reading until a whole record is in).
    pub(crate) fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
        let Stream::Tls(tls) = self else {
            self.set_read_timeout(wait)?;
            return self.read(buf);
        };
        let deadline = smtp_proto::client::deadline_after(Instant::now(), wait);
        loop {
            flush_tls(tls, deadline)?;
            match tls.conn.reader().read(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            set_socket_timeouts(&mut tls.sock, left_until(deadline)?)?;
            let received = tls.conn.read_tls(&mut tls.sock)?;
            process(tls)?;
            if received == 0 {
                return match tls.conn.reader().read(buf) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    other => other,
                };
            }
        }
    }

    /// Whether the stream is TLS (its writes then go through [`Self::write_all_tls`]).
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Writes all of `bytes` over TLS by `deadline`: every socket write gets only what is
    /// left, so a reader that drains slowly cannot stretch the write.
    pub(crate) fn write_all_tls(
        &mut self,
        mut bytes: &[u8],
        deadline: Instant,
        accepted: &mut usize,
    ) -> io::Result<()> {
        let Stream::Tls(tls) = self else {
            return Err(io::ErrorKind::Unsupported.into());
        };
        loop {
            flush_tls(tls, deadline)?;
            if bytes.is_empty() {
                return Ok(());
            }
            let n = tls.conn.writer().write(bytes)?;
            *accepted += n;
            bytes = bytes.get(n..).unwrap_or_default();
        }
    }
}

/// The time left until `deadline`, or `TimedOut`.
fn left_until(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(io::ErrorKind::TimedOut.into())
    } else {
        Ok(left)
    }
}

/// The plaintext TLS holds, else what one socket read (which must not wait) brings.
fn read_ready_tls(
    tls: &mut StreamOwned<ClientConnection, BoxedTransport>,
    buf: &mut [u8],
) -> io::Result<usize> {
    match tls.conn.reader().read(buf) {
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
        other => return other,
    }
    let received = tls.conn.read_tls(&mut tls.sock)?;
    process(tls)?;
    match tls.conn.reader().read(buf) {
        Err(error) if error.kind() == io::ErrorKind::WouldBlock && received == 0 => Ok(0),
        other => other,
    }
}

/// Gives the socket under a TLS stream read and write timeouts of `left`.
fn set_socket_timeouts(sock: &mut BoxedTransport, left: Duration) -> io::Result<()> {
    match socket(sock) {
        Socket::Tcp(s) => {
            s.set_read_timeout(at_least_1ms(left))?;
            s.set_write_timeout(at_least_1ms(left))
        }
        #[cfg(unix)]
        Socket::Unix(s) => {
            s.set_read_timeout(at_least_1ms(left))?;
            s.set_write_timeout(at_least_1ms(left))
        }
        _ => Ok(()),
    }
}

/// Writes rustls' pending records by `deadline`.
fn flush_tls(
    tls: &mut StreamOwned<ClientConnection, BoxedTransport>,
    deadline: Instant,
) -> io::Result<()> {
    while tls.conn.wants_write() {
        set_socket_timeouts(&mut tls.sock, left_until(deadline)?)?;
        let limit = write_limit(&mut tls.sock);
        let mut sock = Limited {
            inner: &mut tls.sock,
            limit,
        };
        match tls.conn.write_tls(&mut sock) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The most one blocking write may carry and still wait at most once for room, so that
/// the socket's write timeout (set to the time left) bounds the whole call.
///
/// TCP's send timeout covers a whole call. A Unix stream socket's covers each wait for room:
/// Linux sends one buffer of at most half the socket's send buffer (less 64 octets) and
/// 32 KiB at a time, and waits up to the full timeout for each, so a server reading slowly
/// could stretch one large write far past the deadline. Writes to it are cut to that size.
fn write_limit(transport: &mut BoxedTransport) -> usize {
    match socket(transport) {
        #[cfg(unix)]
        Socket::Unix(s) => {
            socket2::SockRef::from(s)
                .send_buffer_size()
                .map_or(UNIX_WRITE_FLOOR, |size| {
                    (size / 2)
                        .saturating_sub(64)
                        .clamp(UNIX_WRITE_FLOOR, UNIX_WRITE_CEILING)
                })
        }
        _ => usize::MAX,
    }
}

/// The smallest write to a Unix socket [`write_limit`] allows (the kernel's own minimum
/// send buffer is larger than twice this).
#[cfg(unix)]
const UNIX_WRITE_FLOOR: usize = 1024;
/// One buffer of a Unix stream socket at most (Linux: 32 KiB of pages and a small head).
#[cfg(unix)]
const UNIX_WRITE_CEILING: usize = 32 * 1024;

/// A writer that passes on at most `limit` octets per call.
struct Limited<'a, W> {
    inner: &'a mut W,
    limit: usize,
}

impl<W: Write> Write for Limited<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf.get(..self.limit).unwrap_or(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Processes received records; on an error the alert rustls queued is sent if it can be.
fn process(tls: &mut StreamOwned<ClientConnection, BoxedTransport>) -> io::Result<()> {
    if let Err(error) = tls.conn.process_new_packets() {
        let _ = tls.conn.write_tls(&mut tls.sock);
        return Err(io::Error::new(io::ErrorKind::InvalidData, error));
    }
    Ok(())
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The socket under a transport, when it is one whose timeouts can be set.
enum Socket<'a> {
    Tcp(&'a TcpStream),
    #[cfg(unix)]
    Unix(&'a std::os::unix::net::UnixStream),
    #[cfg(feature = "mock")]
    Mock(&'a mut crate::mock::MockStream),
    Other,
}

fn socket(transport: &mut BoxedTransport) -> Socket<'_> {
    // Through the box: the box itself is a `Transport` too.
    let any = transport.as_mut().as_any_mut();
    if any.is::<TcpStream>() {
        return any
            .downcast_ref::<TcpStream>()
            .map_or(Socket::Other, Socket::Tcp);
    }
    #[cfg(unix)]
    if any.is::<std::os::unix::net::UnixStream>() {
        return any
            .downcast_ref::<std::os::unix::net::UnixStream>()
            .map_or(Socket::Other, Socket::Unix);
    }
    #[cfg(feature = "mock")]
    if let Some(mock) = any.downcast_mut::<crate::mock::MockStream>() {
        return Socket::Mock(mock);
    }
    Socket::Other
}

/// Blocking waits of at most `timeout`; std refuses a zero timeout, and a deadline already
/// past still gets one short wait, so that what already arrived is read.
fn at_least_1ms(timeout: Duration) -> Option<Duration> {
    Some(timeout.max(Duration::from_millis(1)))
}

impl Stream {
    fn transport(&mut self) -> &mut BoxedTransport {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &mut s.sock,
        }
    }

    /// Lets the next reads wait at most `timeout` (at least 1 ms).
    pub(crate) fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        match socket(self.transport()) {
            Socket::Tcp(s) => s.set_read_timeout(at_least_1ms(timeout)),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_read_timeout(at_least_1ms(timeout)),
            #[cfg(feature = "mock")]
            Socket::Mock(s) => {
                s.set_read_timeout(timeout);
                Ok(())
            }
            Socket::Other => Ok(()),
        }
    }

    /// The most one plain write may carry (see [`write_limit`]).
    pub(crate) fn write_limit(&mut self) -> usize {
        write_limit(self.transport())
    }

    /// Lets the next writes wait at most `timeout` (at least 1 ms).
    pub(crate) fn set_write_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        match socket(self.transport()) {
            Socket::Tcp(s) => s.set_write_timeout(at_least_1ms(timeout)),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_write_timeout(at_least_1ms(timeout)),
            #[cfg(feature = "mock")]
            Socket::Mock(_) => Ok(()),
            Socket::Other => Ok(()),
        }
    }

    /// Switches reads to not waiting at all; `Unsupported` for a transport that cannot.
    pub(crate) fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        match socket(self.transport()) {
            Socket::Tcp(s) => s.set_nonblocking(nonblocking),
            #[cfg(unix)]
            Socket::Unix(s) => s.set_nonblocking(nonblocking),
            #[cfg(feature = "mock")]
            Socket::Mock(s) => {
                s.set_nonblocking(nonblocking);
                Ok(())
            }
            Socket::Other => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    /// Sends TLS's close_notify and closes the write side.
    pub(crate) fn shutdown(&mut self) -> io::Result<()> {
        if let Stream::Tls(tls) = self {
            tls.conn.send_close_notify();
            tls.flush()?;
        }
        match socket(self.transport()) {
            Socket::Tcp(s) => s.shutdown(Shutdown::Write),
            #[cfg(unix)]
            Socket::Unix(s) => s.shutdown(Shutdown::Write),
            _ => self.flush(),
        }
    }
}

/// How the connection switches to TLS: the one step that differs between a real
/// connection and the mock.
pub(crate) enum Upgrader {
    /// rustls over the blocking stream.
    Rustls {
        config: std::sync::Arc<ClientConfig>,
        server_name: ServerName<'static>,
        timeout: Duration,
    },
    /// No TLS configured (plaintext by choice).
    Unavailable,
    /// The mock's handshake: the script says `! tls`; the stream stays as it is.
    #[cfg(feature = "mock")]
    Mock(crate::mock::MockHandle),
}

impl Upgrader {
    /// Runs the handshake on `stream` (which must be plain).
    pub(crate) fn handshake(&self, stream: Stream) -> Result<(Stream, Option<TlsInfo>), Error> {
        let transport = match stream {
            Stream::Plain(transport) => transport,
            Stream::Tls(_) => return Err(Error::Config("TLS is already established".into())),
        };
        match self {
            Upgrader::Rustls {
                config,
                server_name,
                timeout,
            } => {
                let name = || server_name.to_str().into_owned();
                let connection = ClientConnection::new(config.clone(), server_name.clone())
                    .map_err(|e| Error::Tls {
                        server_name: name(),
                        source: io::Error::other(e),
                    })?;
                let mut tls = StreamOwned::new(connection, transport);
                let deadline = smtp_proto::client::deadline_after(Instant::now(), *timeout);
                match complete_handshake(&mut tls, deadline) {
                    Err(error) if is_timeout(&error) => Err(Error::Timeout {
                        phase: Phase::TlsHandshake,
                    }),
                    Err(source) => Err(Error::Tls {
                        server_name: name(),
                        source,
                    }),
                    Ok(()) => {
                        let info = TlsInfo::from_connection(&tls.conn);
                        Ok((Stream::Tls(Box::new(tls)), Some(info)))
                    }
                }
            }
            Upgrader::Unavailable => Err(Error::Config(
                "the server agreed to TLS, but the connection has no TLS configuration".into(),
            )),
            #[cfg(feature = "mock")]
            Upgrader::Mock(handle) => match handle.handshake() {
                Ok(()) => Ok((Stream::Plain(transport), None)),
                Err(error) => Err(Error::Tls {
                    server_name: "mock".into(),
                    source: io::Error::other(error),
                }),
            },
        }
    }
}

/// Runs the handshake to its end before `deadline`: each socket wait gets the time left, so
/// a server dripping its handshake cannot stretch it.
fn complete_handshake(
    tls: &mut StreamOwned<ClientConnection, BoxedTransport>,
    deadline: Instant,
) -> io::Result<()> {
    // By hand, not rustls' `complete_io`: each socket call gets only the time left.
    while tls.conn.is_handshaking() {
        flush_tls(tls, deadline)?;
        if !tls.conn.is_handshaking() {
            break;
        }
        set_socket_timeouts(&mut tls.sock, left_until(deadline)?)?;
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                ));
            }
            Ok(_) => process(tls)?,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    flush_tls(tls, deadline)
}

/// Whether an IO error is a socket timeout (std says `WouldBlock` on Unix, `TimedOut` on
/// Windows).
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
