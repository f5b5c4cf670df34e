//! A write cut after mail 1's end of data left, in the transmit that carries mail 2's
//! pipelined envelope: mail 1 is uncertain (the server may have it), never "not sent",
//! whether the cut is the write deadline, a socket error over plain TCP, or a socket error
//! under TLS (the plaintext handed to rustls counts as possibly sent: its records may have
//! left before the socket failed). And a refusal the server sends over TLS after the body
//! write failed still decides the mail.
//!
//! The deadline blocks for real on a Unix socket pair whose server stops reading; the
//! socket errors come from a transport that fails on cue, right after the server sent 354.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use smtp_blocking::{Connection, Error, Phase, Security};
use smtp_proto::command::{Outcome, RecipientStatus};
use support::Peer;
use support::cut::{
    BROKEN, PASS, SLOW_CHUNK, SLOW_PACE, arming_server, assert_refused_with_552, config,
    first_status, refusing_after_a_failed_write, serve, slow_reading_pair, two_mails,
};

/// About 1 MB of RCPT lines, far more than a Unix socket holds (a few hundred KiB): the
/// socket accepts the end of data and the start of mail 2's envelope, then blocks until
/// the deadline.
#[cfg(unix)]
#[test]
fn a_write_deadline_after_the_end_of_data_is_uncertain() {
    use std::os::unix::net::UnixStream;

    let (client, server) = UnixStream::pair().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (resume, resumed) = mpsc::channel();
    let server = std::thread::spawn(move || serve(&mut Peer::new(server), || {}, Some(resumed)));
    let config = config("mx.test", Security::None, Duration::from_millis(300))
        .build()
        .unwrap();
    let mut connection = Connection::connect_with_stream(client, &config).unwrap();
    let mut results = connection.send_all_mails(two_mails(40_000));
    let error = results.next().expect("a result").unwrap_err();
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "{error}"
    );
    drop(results);
    drop(connection);
    resume.send(()).unwrap();
    let received = server.join().unwrap();
    assert!(
        received.starts_with(b"hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "the server got the end of data"
    );
    assert!(received.len() < 1_000_000, "the transmit was cut");
    assert_eq!(first_status(&error), Some(RecipientStatus::Uncertain));
}

/// A server that keeps reading, slowly (about 5 KB/s), cannot stretch the write deadline:
/// the deadline is the transmit's, not one per write call. The transmit is one mail's
/// pipelined envelope (about 1 MB of RCPT lines, 200 s at that pace), over a Unix socket
/// pair whose client end has a send buffer of about 4.5 KiB: the writes make progress
/// every few tenths of a second, so a timeout per write call would never fire. (A Unix
/// socket's send timeout bounds each wait for room, not the call: the adapter must cut its
/// writes.) The server reads for 5 deadlines at most: a stretched deadline fails the
/// elapsed time instead of hanging the test.
#[cfg(unix)]
#[test]
fn a_slow_reader_cannot_stretch_the_write_deadline() {
    slow_reader(false);
}

/// The same over implicit TLS: the records rustls writes are cut as the plaintext is.
#[cfg(unix)]
#[test]
fn a_slow_reader_cannot_stretch_the_write_deadline_over_tls() {
    slow_reader(true);
}

/// One mail to a slow reader, over TLS or not; see the tests above.
#[cfg(unix)]
fn slow_reader(tls: bool) {
    const DEADLINE: Duration = Duration::from_secs(1);
    let pki = support::TestPki::new();
    let done = Arc::new(AtomicBool::new(false));
    let server_tls = tls.then(|| pki.server.clone());
    let (client, server) = slow_reading_pair(server_tls, 5 * DEADLINE, done.clone());
    let mut config = config("mx.test", Security::None, DEADLINE);
    if tls {
        let trusting = smtp_adapter::TlsConfig::new()
            .root_certificates_pem(pki.ca_pem.as_bytes())
            .unwrap()
            .server_name("localhost");
        config = config.security(Security::ImplicitTls).tls(trusting);
    }
    let config = config.build().unwrap();
    let mut connection = Connection::connect_with_stream(client, &config).unwrap();
    let [_, (envelope, body)] = two_mails(40_000);
    let transmit = "MAIL FROM:<a@x.test>\r\n".len()
        + 40_000 * "RCPT TO:<r00000@y.test>\r\n".len()
        + "DATA\r\n".len();
    let whole = SLOW_PACE * u32::try_from(transmit / SLOW_CHUNK).unwrap();
    assert!(whole > 10 * DEADLINE, "the whole transmit takes {whole:?}");
    let start = Instant::now();
    let result = connection.send_mail(envelope, body);
    let elapsed = start.elapsed();
    drop(connection);
    done.store(true, Ordering::SeqCst);
    let read = server.join().unwrap();
    let error = result.expect_err("the write cannot finish");
    assert!(
        matches!(
            error.cause(),
            Error::Timeout {
                phase: Phase::Write
            }
        ),
        "tls {tls}: {error}"
    );
    assert!(
        elapsed >= DEADLINE && elapsed < 3 * DEADLINE,
        "tls {tls}: timed out after {elapsed:?}, the server read {read} octets"
    );
    assert!(read < transmit, "tls {tls}: the server read {read} octets");
    let outcomes: Vec<_> = error.reports().iter().map(|r| r.outcome()).collect();
    assert_eq!(outcomes, [Outcome::NotSent], "tls {tls}: {error}");
}

/// A connection over TCP whose transport breaks on the first write after the server's
/// 354: that write passes at most `cap` octets, every later one fails. Returns the error
/// that ended the connection and what the server received (decrypted) after the 354.
fn broken_after_354(tls: bool, cap: usize, recipients: usize) -> (Error, Vec<u8>) {
    let (config, port, state, server) = arming_server(tls);
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Not a socket to the adapter, which then sets no timeouts: these keep a broken test
    // from hanging.
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let transport = Breaking {
        inner: socket,
        state,
        cap,
    };
    let mut connection = Connection::connect_with_stream(transport, &config).unwrap();
    let mut results = connection.send_all_mails(two_mails(recipients));
    let error = results.next().expect("a result").unwrap_err();
    drop(results);
    drop(connection);
    (error, server.join().unwrap())
}

#[test]
fn a_write_error_after_the_end_of_data_is_uncertain() {
    let (error, received) = broken_after_354(false, 64, 1000);
    assert!(
        matches!(error.cause(), Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error}"
    );
    assert_eq!(received.len(), 64);
    assert!(
        received.starts_with(b"hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "the server got the end of data"
    );
    assert_eq!(first_status(&error), Some(RecipientStatus::Uncertain));
}

/// The transmit (about 25 KB) takes two TLS records; the first, which carries the end of
/// data, leaves, then the socket fails.
#[test]
fn a_tls_write_error_after_the_end_of_data_left_is_uncertain() {
    let (error, received) = broken_after_354(true, usize::MAX, 1000);
    assert!(
        matches!(error.cause(), Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error}"
    );
    assert!(
        received.starts_with(b"hello\r\n.\r\nMAIL FROM:<a@x.test>\r\n"),
        "the server got the end of data"
    );
    assert!(received.len() < 25_000, "the second record never left");
    assert_eq!(first_status(&error), Some(RecipientStatus::Uncertain));
}

/// The client's transport, broken on cue (see [`PASS`], [`ARMED`], [`BROKEN`]). Broken,
/// it also shuts the socket down, as a reset would: the server reads to its end, and the
/// client's reads after the failure end at once.
struct Breaking {
    inner: TcpStream,
    state: Arc<AtomicUsize>,
    cap: usize,
}

impl Read for Breaking {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for Breaking {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.state.load(Ordering::SeqCst) {
            BROKEN => {
                let _ = self.inner.shutdown(Shutdown::Both);
                Err(std::io::ErrorKind::ConnectionReset.into())
            }
            PASS => self.inner.write(buf),
            _ => {
                let n = self.inner.write(&buf[..buf.len().min(self.cap)])?;
                self.state.store(BROKEN, Ordering::SeqCst);
                Ok(n)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A transport whose writes fail from the moment `failing` is set (by the server, just
/// before its 354), and say so on `failed`; its reads go on.
struct FailingWrites {
    inner: TcpStream,
    failing: Arc<AtomicUsize>,
    failed: mpsc::Sender<()>,
}

impl Read for FailingWrites {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for FailingWrites {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failing.load(Ordering::SeqCst) == PASS {
            return self.inner.write(buf);
        }
        let _ = self.failed.send(());
        Err(std::io::ErrorKind::ConnectionReset.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The server refuses the message during the body, over TLS, and closes; the client's
/// body write has failed by then. The refusal, read from TLS records after the failure,
/// decides the mail: rejected, not a write error.
#[test]
fn a_refusal_read_over_tls_after_a_failed_write_stays_a_refusal() {
    let (config, port, failing, failed, server) = refusing_after_a_failed_write();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let transport = FailingWrites {
        inner: socket,
        failing,
        failed,
    };
    let mut connection = Connection::connect_with_stream(transport, &config).unwrap();
    let [(envelope, body), _] = two_mails(1);
    let result = connection.send_mail(envelope, body);
    drop(connection);
    server.join().unwrap();
    assert_refused_with_552(&result);
}
