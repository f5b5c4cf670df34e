//! A scripted SMTP server on a std thread: no runtime, so every adapter's suite can use it.
//!
//! It plays [`Step`]s on the first connection it accepts: sends, exact expectations, a
//! server-side STARTTLS handshake (rustls), silence, a byte-at-a-time drip, an endless
//! flood, a close. Every octet the client wrote is recorded as it crossed the socket
//! ([`Played::raw`]), so a test can show what left the client in plaintext.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_adapter::rustls::{ServerConfig, ServerConnection, StreamOwned};

/// How long the server waits for the client at any read before it gives up.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a [`Step::Flood`] sends (the client must have given up long before).
const FLOOD_LIMIT: u64 = 1 << 30;

/// One step of the server's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send these octets (the script writes the CRLFs), in one write.
    Send(String),
    /// Read until the client closes; inside TLS the close must come with a close_notify
    /// alert (a bare TCP close is a truncation and fails the step).
    ExpectClose,
    /// The client must write exactly these octets next.
    Expect(String),
    /// Close the connection (inside TLS after a close_notify alert).
    Close,
    /// Answer STARTTLS's 220 with a TLS handshake: the rest of the script runs over TLS.
    /// Octets the client wrote after the STARTTLS line and before the handshake fail it.
    StartTls(TlsAcceptor),
    /// Read at least this many octets without matching them (a ClientHello's header).
    Receive(usize),
    /// Say nothing and read nothing for this long (a server that stopped reading).
    Pause(Duration),
    /// Read, never answering, until the client closes (a silent server).
    Drain,
    /// Send these octets one at a time, this long apart, stopping when the client is gone.
    Drip(String, Duration),
    /// Send this prefix, then repeat the filler until the client stops reading or 1 GiB
    /// went out (the filler comes from a fixed buffer: the server allocates nothing).
    Flood(String, &'static [u8]),
}

/// The server side of TLS for [`Step::StartTls`].
#[derive(Clone)]
pub struct TlsAcceptor(pub Arc<ServerConfig>);

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsAcceptor")
    }
}

impl PartialEq for TlsAcceptor {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TlsAcceptor {}

/// What one connection left behind.
#[derive(Debug)]
pub struct Played {
    /// Every octet the client wrote, as it crossed the socket (TLS records once encrypted).
    pub raw: Vec<u8>,
    /// Where in `raw` the TLS handshake started, if it did.
    pub tls_from: Option<usize>,
    /// The octets the client wrote inside TLS, decrypted.
    pub decrypted: Vec<u8>,
    /// The octets the server sent (counted; a flood is not kept).
    pub sent: u64,
    /// The server name the client's ClientHello carried (SNI), if a handshake completed.
    pub sni: Option<String>,
    /// `Err` says which step failed and why.
    pub result: Result<(), String>,
}

impl Played {
    /// The octets the client wrote before any TLS handshake: its plaintext.
    pub fn plaintext(&self) -> &[u8] {
        let end = self.tls_from.unwrap_or(self.raw.len());
        self.raw.get(..end).unwrap_or_default()
    }
}

/// A server on 127.0.0.1 that accepts one connection and plays its steps.
#[derive(Debug)]
pub struct ScriptedServer {
    address: SocketAddr,
    thread: JoinHandle<Played>,
}

impl ScriptedServer {
    /// Listens on an ephemeral loopback port and plays `steps` on the first connection.
    pub fn start(steps: Vec<Step>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let thread = std::thread::spawn(move || {
            let mut played = Played {
                raw: Vec::new(),
                tls_from: None,
                decrypted: Vec::new(),
                sent: 0,
                sni: None,
                result: Ok(()),
            };
            played.result = play(&listener, &steps, &mut played);
            played
        });
        Ok(Self { address, thread })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Waits for the script's end: `Err` says which step the client did not match.
    pub fn finish(self) -> Result<(), String> {
        self.played()?.result
    }

    /// Waits for the script's end and returns what the client wrote and how it ended.
    pub fn played(self) -> Result<Played, String> {
        self.thread
            .join()
            .map_err(|_| "the server thread panicked".to_owned())
    }
}

/// A TCP stream that keeps every octet read from it.
struct Recorder {
    socket: TcpStream,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.socket.read(buf)?;
        if let (Ok(mut log), Some(read)) = (self.log.lock(), buf.get(..n)) {
            log.extend_from_slice(read);
        }
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

enum Conn {
    Plain(Recorder),
    Tls(Box<StreamOwned<ServerConnection, Recorder>>),
    /// Between the plaintext stream and the handshake's end.
    Gone,
}

fn gone() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
            Conn::Gone => Err(gone()),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
            Conn::Gone => Err(gone()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
            Conn::Gone => Err(gone()),
        }
    }
}

/// Plays `steps`, filling `played` as it goes (the recording is kept whatever happens).
fn play(listener: &TcpListener, steps: &[Step], played: &mut Played) -> Result<(), String> {
    let (socket, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    socket
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut conn = Conn::Plain(Recorder {
        socket,
        log: log.clone(),
    });
    let mut pending: Vec<u8> = Vec::new();
    let result = run(&mut conn, steps, &mut pending, played, &log);
    if let Ok(log) = log.lock() {
        played.raw = log.clone();
    }
    if played.tls_from.is_none() {
        played.decrypted.clear();
    }
    result
}

fn run(
    conn: &mut Conn,
    steps: &[Step],
    pending: &mut Vec<u8>,
    played: &mut Played,
    log: &Arc<Mutex<Vec<u8>>>,
) -> Result<(), String> {
    for (index, step) in steps.iter().enumerate() {
        let fail = |what: &str, e: &dyn fmt::Display| format!("step {index}: {what}: {e}");
        match step {
            Step::Send(text) => {
                conn.write_all(text.as_bytes())
                    .and_then(|()| conn.flush())
                    .map_err(|e| fail("write", &e))?;
                played.sent += text.len() as u64;
            }
            Step::Expect(text) => expect_octets(conn, pending, played, text.as_bytes())
                .map_err(|e| format!("step {index}: {e}"))?,
            Step::Close => {
                // A clean close: inside TLS the client must see an end, not a truncation.
                if let Conn::Tls(stream) = conn {
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
                return Ok(());
            }
            Step::StartTls(acceptor) => {
                if !pending.is_empty() {
                    return Err(format!(
                        "step {index}: octets before the TLS handshake: {:?}",
                        String::from_utf8_lossy(pending)
                    ));
                }
                played.tls_from = Some(log.lock().map(|l| l.len()).unwrap_or_default());
                let Conn::Plain(mut recorder) = std::mem::replace(conn, Conn::Gone) else {
                    return Err(format!("step {index}: TLS is already on"));
                };
                let mut tls =
                    ServerConnection::new(acceptor.0.clone()).map_err(|e| fail("TLS setup", &e))?;
                while tls.is_handshaking() {
                    tls.complete_io(&mut recorder)
                        .map_err(|e| fail("handshake", &e))?;
                }
                played.sni = tls.server_name().map(str::to_owned);
                *conn = Conn::Tls(Box::new(StreamOwned::new(tls, recorder)));
            }
            Step::Receive(count) => {
                while pending.len() < *count {
                    read_some(conn, pending, played).map_err(|e| fail("receive", &e))?;
                }
                pending.drain(..*count);
            }
            Step::Pause(duration) => std::thread::sleep(*duration),
            Step::ExpectClose => loop {
                match read_some(conn, pending, played) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(fail("a clean close (close_notify)", &e)),
                }
            },
            Step::Drain => {
                pending.clear();
                while let Ok(n) = read_some(conn, pending, played) {
                    if n == 0 {
                        break;
                    }
                    pending.clear();
                }
            }
            Step::Drip(text, interval) => {
                for byte in text.as_bytes() {
                    std::thread::sleep(*interval);
                    if conn
                        .write_all(&[*byte])
                        .and_then(|()| conn.flush())
                        .is_err()
                    {
                        return Ok(());
                    }
                    played.sent += 1;
                }
            }
            Step::Flood(prefix, filler) => {
                conn.write_all(prefix.as_bytes())
                    .map_err(|e| fail("write", &e))?;
                played.sent += prefix.len() as u64;
                while played.sent < FLOOD_LIMIT {
                    if conn.write_all(filler).is_err() {
                        return Ok(());
                    }
                    played.sent += filler.len() as u64;
                }
                return Err(format!("step {index}: the client read a whole GiB"));
            }
        }
    }
    Ok(())
}

/// One read into `pending`; octets read inside TLS are also kept decrypted.
fn read_some(conn: &mut Conn, pending: &mut Vec<u8>, played: &mut Played) -> io::Result<usize> {
    let mut buf = [0u8; 4096];
    let n = conn.read(&mut buf)?;
    let read = buf.get(..n).unwrap_or_default();
    pending.extend_from_slice(read);
    if matches!(conn, Conn::Tls(_)) {
        played.decrypted.extend_from_slice(read);
    }
    Ok(n)
}

fn expect_octets(
    conn: &mut Conn,
    pending: &mut Vec<u8>,
    played: &mut Played,
    expected: &[u8],
) -> Result<(), String> {
    while pending.len() < expected.len() {
        let n = read_some(conn, pending, played).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!(
                "the client closed; expected {:?}, got {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(pending)
            ));
        }
    }
    let got: Vec<u8> = pending.drain(..expected.len()).collect();
    if got != expected {
        return Err(format!(
            "expected {:?}, the client wrote {:?}",
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(&got)
        ));
    }
    Ok(())
}

/// `Step::Send(text)`.
pub fn send(text: &str) -> Step {
    Step::Send(text.to_owned())
}

/// `Step::Expect(text)`.
pub fn expect(text: &str) -> Step {
    Step::Expect(text.to_owned())
}
