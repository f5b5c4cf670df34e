//! File descriptors after failures: each scenario fails a connection the same way many
//! times and counts `/proc/self/fd` before and after. Written once for every adapter; a
//! test binary runs the scenarios one at a time (the count is the whole process's).
//!
//! The server is a std thread per connection ([`Server`]); it reads until the client
//! closes, so once every connection's thread has ended, what is left open is the client's.
//! A connection the client never closed also shows on the server side: its thread waits
//! for its read timeout, and [`Server::stop`] counts it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use smtp_adapter::{ConnectionConfig, Security, TlsConfig};
use smtp_proto::client::Timeouts;
use smtp_proto::command::{Envelope, MailBody, StreamedBody};

use crate::adapter::{Pieces, SmtpAdapter};

/// How long a server connection waits for the client to close before it counts as left
/// open by the client.
const SERVER_PATIENCE: Duration = Duration::from_secs(3);
/// The deadline of the phase that fails.
const SHORT: Duration = Duration::from_millis(30);
/// Every other deadline.
const PATIENT: Duration = Duration::from_secs(10);

/// What the server does on each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Says nothing (a greeting timeout).
    Silent,
    /// Offers STARTTLS, answers it 220, then sends octets that are no TLS record.
    StartTlsGarbage,
    /// Offers STARTTLS, answers it 220, then says nothing (a handshake timeout).
    StartTlsSilent,
    /// Offers STARTTLS and refuses it (454).
    StartTlsRefused,
    /// Answers the pipelined RCPT with 354: an impossible reply, fatal mid-mail.
    ImpossibleAtRcpt,
    /// Answers nothing after EHLO (the client waits for MAIL's reply).
    SilentAtMail,
    /// Accepts DATA and stops reading (the client's write of a large body blocks).
    StopsReadingAtData,
    /// Accepts DATA and reads the body.
    ReadsTheBody,
}

/// A server on 127.0.0.1: one thread per connection, each playing `behaviour`.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    active: Arc<AtomicUsize>,
    left_open: Arc<AtomicUsize>,
    accepter: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl Server {
    /// Starts listening.
    pub fn start(behaviour: Behaviour) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let active = Arc::new(AtomicUsize::new(0));
        let left_open = Arc::new(AtomicUsize::new(0));
        let (s, a, l) = (stop.clone(), active.clone(), left_open.clone());
        let accepter = std::thread::spawn(move || {
            let mut handlers = Vec::new();
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        a.fetch_add(1, Ordering::SeqCst);
                        let (a, l) = (a.clone(), l.clone());
                        handlers.push(std::thread::spawn(move || {
                            if !serve(stream, behaviour) {
                                l.fetch_add(1, Ordering::SeqCst);
                            }
                            a.fetch_sub(1, Ordering::SeqCst);
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
                handlers.retain(|h| !h.is_finished());
            }
            handlers
        });
        Ok(Self {
            address,
            stop,
            active,
            left_open,
            accepter: Some(accepter),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Waits until every connection's thread ended (the client closed, or the server gave
    /// up on it).
    pub fn wait_idle(&self) {
        let until = Instant::now() + SERVER_PATIENCE * 3;
        while self.active.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Connections the client never closed (the server's read timed out), so far.
    pub fn left_open(&self) -> usize {
        self.left_open.load(Ordering::SeqCst)
    }

    /// Stops accepting and joins every thread.
    pub fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accepter) = self.accepter.take()
            && let Ok(handlers) = accepter.join()
        {
            for handler in handlers {
                let _ = handler.join();
            }
        }
        self.left_open()
    }
}

/// Plays `behaviour` on one connection. Returns whether the client closed it (false: the
/// server's read timed out with the client still connected).
fn serve(stream: TcpStream, behaviour: Behaviour) -> bool {
    let _ = stream.set_read_timeout(Some(SERVER_PATIENCE));
    let Ok(mut writer) = stream.try_clone() else {
        return true;
    };
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut read_line = |reader: &mut BufReader<TcpStream>| {
        line.clear();
        reader.read_until(b'\n', &mut line).map(|_| line.clone())
    };
    let mut send = |text: &str| writer.write_all(text.as_bytes());
    if behaviour == Behaviour::Silent {
        return drain(&mut reader);
    }
    let ehlo = match behaviour {
        Behaviour::StartTlsGarbage | Behaviour::StartTlsSilent | Behaviour::StartTlsRefused => {
            "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
        }
        _ => "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
    };
    if send("220 mx.test ESMTP\r\n").is_err() || read_line(&mut reader).is_err() {
        return drain(&mut reader);
    }
    let _ = send(ehlo);
    match behaviour {
        Behaviour::Silent | Behaviour::SilentAtMail => {}
        Behaviour::StartTlsGarbage => {
            let _ = read_line(&mut reader);
            let _ = send("220 go ahead\r\n");
            let mut hello = [0; 5];
            let _ = reader.read_exact(&mut hello);
            let _ = send("HTTP/1.1 400 Bad Request\r\n\r\n");
        }
        Behaviour::StartTlsSilent => {
            let _ = read_line(&mut reader);
            let _ = send("220 go ahead\r\n");
        }
        Behaviour::StartTlsRefused => {
            let _ = read_line(&mut reader);
            let _ = send("454 4.7.0 TLS not available\r\n");
        }
        Behaviour::ImpossibleAtRcpt => {
            for _ in 0..3 {
                let _ = read_line(&mut reader);
            }
            let _ = send("250 ok\r\n354 go\r\n");
        }
        Behaviour::StopsReadingAtData | Behaviour::ReadsTheBody => {
            for _ in 0..3 {
                let _ = read_line(&mut reader);
            }
            let _ = send("250 ok\r\n250 ok\r\n354 go\r\n");
            if behaviour == Behaviour::StopsReadingAtData {
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
    drain(&mut reader)
}

/// Reads until the client closes (true) or the read times out (false).
fn drain(reader: &mut BufReader<TcpStream>) -> bool {
    let mut buf = [0; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// A loopback listener whose accept queue is full, so further connection attempts hang
/// (as `smtp_adapter::mock::BlackHole`, which needs that crate's `mock` feature).
#[derive(Debug)]
struct BlackHole {
    address: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<TcpStream>,
}

impl BlackHole {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        while let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            queued.push(stream);
            assert!(queued.len() < 1024, "the accept queue never filled");
        }
        Self {
            address,
            _listener: listener,
            _queued: queued,
        }
    }

    fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// The client configuration for `failure` against `port`: plaintext, or STARTTLS
/// required against `ca_pem`; the deadline of the failing phase short.
fn config(failure: Failure, port: u16, ca_pem: &str) -> ConnectionConfig {
    let mut timeouts = Timeouts::uniform(PATIENT);
    if failure == Failure::GreetingTimeout {
        timeouts.greeting = SHORT;
    }
    let short = |phase: Failure| if failure == phase { SHORT } else { PATIENT };
    let builder = ConnectionConfig::builder("127.0.0.1")
        .port(port)
        .client_id("client.test".parse().unwrap())
        .timeouts(timeouts)
        .connect_timeout(short(Failure::ConnectTimeout))
        .tls_timeout(short(Failure::TlsHandshakeTimeout));
    let starttls = matches!(
        failure,
        Failure::TlsHandshakeFails | Failure::TlsHandshakeTimeout | Failure::StartTlsRefused
    );
    let builder = if starttls {
        builder.security(Security::StartTlsRequired).tls(
            TlsConfig::new()
                .root_certificates_pem(ca_pem.as_bytes())
                .unwrap()
                .server_name("localhost"),
        )
    } else {
        builder.security(Security::None)
    };
    builder.build().unwrap()
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// Ways to fail a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Connection refused (nothing listens).
    ConnectRefused,
    /// The connection attempt hangs past the connect timeout.
    ConnectTimeout,
    /// The TLS handshake after STARTTLS fails (the server sends no TLS).
    TlsHandshakeFails,
    /// The TLS handshake after STARTTLS times out.
    TlsHandshakeTimeout,
    /// The greeting never comes.
    GreetingTimeout,
    /// STARTTLS required and refused.
    StartTlsRefused,
    /// An impossible reply in the middle of a mail.
    FatalMidMail,
    /// The `send_mail` future dropped while it waits for MAIL's reply (async adapters).
    DroppedWhileReading,
    /// The `send_mail` future dropped while it writes a large body (async adapters).
    DroppedWhileWriting,
    /// The caller's body reader panics in `send_mail_streamed`.
    PanickingBodyReader,
}

/// What a scenario measured.
#[derive(Debug)]
pub struct Measured {
    /// Descriptors open before the iterations (after one warm-up).
    pub before: usize,
    /// Descriptors open after them, once the server closed its side.
    pub after: usize,
    /// Connections the server saw the client never close.
    pub left_open: usize,
}

/// Fails a connection `iterations` times as `failure` says; counts descriptors before and
/// after. `ca_pem` is a CA for the STARTTLS cases (the handshakes never get that far).
pub fn measure<A: SmtpAdapter>(failure: Failure, iterations: usize, ca_pem: &str) -> Measured {
    let behaviour = match failure {
        Failure::ConnectRefused | Failure::ConnectTimeout | Failure::GreetingTimeout => {
            Behaviour::Silent
        }
        Failure::TlsHandshakeFails => Behaviour::StartTlsGarbage,
        Failure::TlsHandshakeTimeout => Behaviour::StartTlsSilent,
        Failure::StartTlsRefused => Behaviour::StartTlsRefused,
        Failure::FatalMidMail => Behaviour::ImpossibleAtRcpt,
        Failure::DroppedWhileReading => Behaviour::SilentAtMail,
        Failure::DroppedWhileWriting => Behaviour::StopsReadingAtData,
        Failure::PanickingBodyReader => Behaviour::ReadsTheBody,
    };
    let server = Server::start(behaviour).unwrap();
    let hole = (failure == Failure::ConnectTimeout).then(BlackHole::new);
    let refused = {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        closed.local_addr().unwrap().port()
    };
    let port = match (&hole, failure) {
        (Some(hole), _) => hole.address().port(),
        (None, Failure::ConnectRefused) => refused,
        _ => server.port(),
    };
    let config = config(failure, port, ca_pem);
    let once = || fail_once::<A>(failure, &config);
    once();
    server.wait_idle();
    let before = open_fds();
    for _ in 0..iterations {
        once();
    }
    server.wait_idle();
    // Counted while the server's listener and the black hole are still open, as before.
    let after = open_fds();
    let left_open = server.stop();
    drop(hole);
    Measured {
        before,
        after,
        left_open,
    }
}

/// One failed connection; panics if it did not fail as expected.
fn fail_once<A: SmtpAdapter>(failure: Failure, config: &ConnectionConfig) {
    match failure {
        Failure::ConnectRefused
        | Failure::ConnectTimeout
        | Failure::TlsHandshakeFails
        | Failure::TlsHandshakeTimeout
        | Failure::GreetingTimeout
        | Failure::StartTlsRefused => {
            let result = A::block_on(A::connect(config));
            assert!(result.is_err(), "{failure:?}: connected");
        }
        Failure::FatalMidMail => A::block_on(async {
            let mut connection = A::connect(config).await.unwrap();
            let body = MailBody::bytes(&b"Subject: x\r\n\r\nhi\r\n"[..]);
            let result = A::send_mail(&mut connection, envelope(), body).await;
            assert!(result.is_err(), "{failure:?}: {result:?}");
        }),
        Failure::DroppedWhileReading | Failure::DroppedWhileWriting => A::block_on(async {
            let mut connection = A::connect(config).await.unwrap();
            let body = if failure == Failure::DroppedWhileWriting {
                MailBody::bytes(b"0123456789abcdef\r\n".repeat(1 << 19))
            } else {
                MailBody::bytes(&b"Subject: x\r\n\r\nhi\r\n"[..])
            };
            let wait = if failure == Failure::DroppedWhileWriting {
                Duration::from_millis(100)
            } else {
                SHORT
            };
            let send = async { Some(A::send_mail(&mut connection, envelope(), body).await) };
            let late = async {
                async_std::task::sleep(wait).await;
                None
            };
            let finished = futures_lite::future::or(send, late).await;
            assert!(finished.is_none(), "{failure:?}: finished: {finished:?}");
            drop(connection);
        }),
        Failure::PanickingBodyReader => {
            let run = std::panic::AssertUnwindSafe(|| {
                A::block_on(async {
                    let mut connection = A::connect(config).await.unwrap();
                    let body = Pieces::new(b"Subject: x\r\n\r\nhi\r\n".repeat(1000), &[100])
                        .panicking_at(5000);
                    let _ = A::send_mail_streamed(
                        &mut connection,
                        envelope(),
                        body,
                        StreamedBody::default(),
                    )
                    .await;
                })
            });
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let caught = std::panic::catch_unwind(run);
            std::panic::set_hook(hook);
            assert!(caught.is_err(), "{failure:?}: the reader did not panic");
        }
    }
}

/// Runs `failure` 200 times and fails if a descriptor or a server connection was left.
pub fn no_descriptor_left<A: SmtpAdapter>(failure: Failure, ca_pem: &str) {
    let measured = measure::<A>(failure, 200, ca_pem);
    eprintln!("{} {failure:?}: {measured:?}", A::NAME);
    assert!(
        measured.after <= measured.before && measured.left_open == 0,
        "{} {failure:?}: {} descriptors before 200 failures, {} after; {} connections \
         the client never closed",
        A::NAME,
        measured.before,
        measured.after,
        measured.left_open
    );
}

/// One test per failure for an adapter, run one at a time (descriptors are counted for the
/// whole process).
#[macro_export]
macro_rules! resources_suite {
    ($adapter:ty, [$($name:ident => $failure:ident),* $(,)?]) => {
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        static PKI: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        $(
            #[test]
            fn $name() {
                let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
                let ca = PKI.get_or_init(|| {
                    $crate::hostile::TestPki::new().expect("test PKI").ca_pem
                });
                $crate::resources::no_descriptor_left::<$adapter>(
                    $crate::resources::Failure::$failure,
                    ca,
                );
            }
        )*
    };
}
