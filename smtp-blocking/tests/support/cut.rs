//! What the write-accounting tests of the blocking and futures-io adapters share: mail 1
//! pipelined before mail 2's large envelope, the configuration that keeps them in one
//! transmit, and the server's part up to the 354.

use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, ConnectionConfigBuilder, Error, Security, TlsConfig, rustls};
use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::command::{Envelope, LogicError, MailBody, MailReport, Outcome, RecipientStatus};

use super::{Peer, TestPki, accept_tls, listener};

/// Mail 1, one recipient, then mail 2 with `recipients` of them, pipelined after it.
pub fn two_mails(recipients: usize) -> [(Envelope, MailBody); 2] {
    let one = Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap();
    let many: Vec<_> = (0..recipients)
        .map(|i| format!("<r{i:05}@y.test>").parse().unwrap())
        .collect();
    let two = Envelope::new("<a@x.test>".parse().unwrap(), many).unwrap();
    [
        (one, MailBody::bytes(&b"hello\r\n"[..])),
        (two, MailBody::bytes(&b"second\r\n"[..])),
    ]
}

/// Groups of up to 4 MiB (so mail 2's envelope follows mail 1's end of data in one
/// transmit) and a write deadline of `write`.
pub fn config(host: &str, security: Security, write: Duration) -> ConnectionConfigBuilder {
    ConnectionConfig::builder(host)
        .security(security)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            max_group: NonZeroUsize::new(4 << 20),
            timeouts: Timeouts {
                write,
                ..Timeouts::RFC5321
            },
            ..ClientConfig::default()
        })
}

/// The status of mail 1's recipient, as the error that ended the connection reports it.
pub fn first_status(error: &Error) -> Option<RecipientStatus> {
    let report = error.reports().first()?;
    report.recipients().next().map(|(_, r)| r.status())
}

/// The server's part after the greeting: answers mail 1's envelope and DATA (calling
/// `on_data` just before the 354), waits for `resume` if given, then returns everything
/// the client writes until it closes.
pub fn serve<S: Read + Write>(
    peer: &mut Peer<S>,
    on_data: impl FnOnce(),
    resume: Option<mpsc::Receiver<()>>,
) -> Vec<u8> {
    peer.greet_ehlo(&["PIPELINING"]);
    peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
    on_data();
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
    if let Some(resume) = resume {
        resume.recv().unwrap();
    }
    peer.rest()
}

/// The states of a transport broken on cue: writes pass, then (armed by the server just
/// before its 354) the next write passes at most a cap of octets, then every write fails.
pub const PASS: usize = 0;
/// See [`PASS`].
pub const ARMED: usize = 1;
/// See [`PASS`].
pub const BROKEN: usize = 2;

/// A loopback TCP server (implicit TLS if `tls`) that answers mail 1 and arms `state`
/// just before its 354, then returns what it received (decrypted) after the 354; the
/// client's configuration for it, the port, and the transport state to share.
pub fn arming_server(tls: bool) -> (ConnectionConfig, u16, Arc<AtomicUsize>, JoinHandle<Vec<u8>>) {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let state = Arc::new(AtomicUsize::new(PASS));
    let arm = state.clone();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let on_data = move || arm.store(ARMED, Ordering::SeqCst);
        if tls {
            serve(
                &mut Peer::new(accept_tls(&server_config, socket)),
                on_data,
                None,
            )
        } else {
            serve(&mut Peer::new(socket), on_data, None)
        }
    });
    let security = if tls {
        Security::ImplicitTls
    } else {
        Security::None
    };
    let config = config("localhost", security, Duration::from_secs(60))
        .port(port)
        .tls(
            TlsConfig::new()
                .root_certificates_pem(pki.ca_pem.as_bytes())
                .unwrap(),
        )
        .build()
        .unwrap();
    (config, port, state, server)
}

/// A loopback server over implicit TLS for mail 1 that sets its flag to [`BROKEN`] just
/// before its 354, then, once the client's transport says on the channel that the body
/// write failed, refuses the message with 552 and closes. Returns the client's
/// configuration, the port, the flag, and the sender for the transport.
pub fn refusing_after_a_failed_write() -> (
    ConnectionConfig,
    u16,
    Arc<AtomicUsize>,
    mpsc::Sender<()>,
    JoinHandle<()>,
) {
    let pki = TestPki::new();
    let (listener, port) = listener();
    let failing = Arc::new(AtomicUsize::new(PASS));
    let arm = failing.clone();
    let (failed, write_failed) = mpsc::channel();
    let server_config = pki.server.clone();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let mut peer = Peer::new(accept_tls(&server_config, socket));
        peer.greet_ehlo(&["PIPELINING"]);
        peer.expect("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
        arm.store(BROKEN, Ordering::SeqCst);
        peer.send("250 ok\r\n250 ok\r\n354 go\r\n");
        write_failed.recv().unwrap();
        peer.send("552 5.3.4 not today\r\n");
    });
    let config = config("localhost", Security::ImplicitTls, Duration::from_secs(60))
        .tls(
            TlsConfig::new()
                .root_certificates_pem(pki.ca_pem.as_bytes())
                .unwrap(),
        )
        .build()
        .unwrap();
    (config, port, failing, failed, server)
}

/// Asserts that the 552 decided the mail: rejected, with it as the recipient's verdict.
pub fn assert_refused_with_552(result: &Result<Result<MailReport, LogicError>, Error>) {
    let report = match result {
        Ok(Ok(report)) => report,
        Err(error) => error.reports().first().expect("a report"),
        Ok(Err(refused)) => panic!("refused before sending: {refused}"),
    };
    assert_eq!(report.outcome(), Outcome::Rejected, "{result:?}");
    let (_, recipient) = report.recipients().next().expect("a recipient");
    let verdict = recipient.data_reply().map(|r| r.code().get());
    assert_eq!(verdict, Some(552), "{result:?}");
}

/// What the slow reader of [`slow_reading_pair`] reads at once, and how often: about
/// 5 KB/s.
pub const SLOW_CHUNK: usize = 512;
/// See [`SLOW_CHUNK`].
pub const SLOW_PACE: Duration = Duration::from_millis(100);

/// A Unix socket pair whose server greets (offering PIPELINING), answers EHLO, then reads
/// [`SLOW_CHUNK`] octets every [`SLOW_PACE`], for `reading` at most (then it only waits),
/// until the client closes or `done` is set. The client's end gets the smallest send
/// buffer the kernel allows (about 4.5 KiB): a Unix socket wakes a blocked writer only once
/// no more than a quarter of its send buffer is unread, and a small buffer brings such a
/// wake every few of the reader's steps. Returns the client's end and the server, which
/// returns the octets it read after the EHLO. With `tls`, the server first completes a
/// TLS handshake (implicit TLS), greets inside it, and then reads the raw records slowly.
#[cfg(unix)]
pub fn slow_reading_pair(
    tls: Option<Arc<rustls::ServerConfig>>,
    reading: Duration,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> (std::os::unix::net::UnixStream, JoinHandle<usize>) {
    let (client, server) = std::os::unix::net::UnixStream::pair().unwrap();
    socket2::SockRef::from(&client)
        .set_send_buffer_size(1)
        .unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let server = std::thread::spawn(move || match tls {
        Some(config) => {
            let mut peer = Peer::new(accept_tls(&config, server));
            peer.greet_ehlo(&["PIPELINING"]);
            read_slowly(&mut peer.stream.sock, reading, &done)
        }
        None => {
            let mut peer = Peer::new(server);
            peer.greet_ehlo(&["PIPELINING"]);
            read_slowly(&mut peer.stream, reading, &done)
        }
    });
    (client, server)
}

/// Reads [`SLOW_CHUNK`] octets every [`SLOW_PACE`] for `reading`, then waits, until EOF,
/// an error or `done` (10 s after `reading` at most); returns the octets read.
#[cfg(unix)]
fn read_slowly(
    stream: &mut impl Read,
    reading: Duration,
    done: &std::sync::atomic::AtomicBool,
) -> usize {
    let mut buf = [0; SLOW_CHUNK];
    let mut read = 0;
    let mut since = None;
    while !done.load(Ordering::SeqCst) {
        let elapsed = since.map_or(Duration::ZERO, |since: std::time::Instant| since.elapsed());
        if elapsed > reading + Duration::from_secs(10) {
            break;
        }
        if elapsed < reading {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
            since.get_or_insert_with(std::time::Instant::now);
        }
        std::thread::sleep(SLOW_PACE);
    }
    read
}
