//! Reply floods (SECURITY.md "reply flooding") over a transport that counts the octets
//! the adapter read: an endless reply line, or an endless multiline reply, is the core's
//! limit error after reading at least the limit (the octets that prove the error) and at
//! most the limit plus one read buffer. The hostile suite's floods only bound what the
//! server sent, which the socket buffers dominate; here the count is taken on the client's
//! end of a Unix socket pair, whose server thread floods until the client closes. The
//! counting wrapper is no socket the adapter recognises, so it sets no timeouts on it: the
//! reads block, and the flood never stops.
//!
//! The same tests, with the same names, are in smtp-tokio and smtp-async-std.
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use smtp_blocking::{Connection, ConnectionConfig, Security};
use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{ReplyError, ReplyLimits};

/// `READ_BUFFER` in smtp-blocking/src/drive.rs (private there): the octets the adapter
/// reads from its transport at once.
const READ_BUFFER: u64 = 8 * 1024;

/// What the transport handed the adapter.
#[derive(Debug, Default)]
struct Counts {
    /// Octets read, in total.
    read: AtomicU64,
    /// The largest buffer the adapter offered one read.
    largest_offer: AtomicUsize,
}

/// The client's end of the socket pair, counting what is read from it.
struct Counting<S> {
    inner: S,
    counts: Arc<Counts>,
}

impl<S: Read> Read for Counting<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.counts
            .largest_offer
            .fetch_max(buf.len(), Ordering::Relaxed);
        let n = self.inner.read(buf)?;
        self.counts.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<S: Write> Write for Counting<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A greeting that never ends: `prefix` once, then `pattern` over and over.
struct Flood {
    prefix: &'static [u8],
    pattern: Vec<u8>,
}

/// One reply line without a line end: `220 xxxx...`.
fn endless_line() -> Flood {
    Flood {
        prefix: b"220 ",
        pattern: vec![b'x'; 64 * 1024],
    }
}

/// An endless multiline reply of `len`-octet lines `250-xxx...\r\n`.
fn endless_lines(len: usize) -> Flood {
    let mut line = b"250-".to_vec();
    line.resize(len - 2, b'x');
    line.extend_from_slice(b"\r\n");
    Flood {
        prefix: b"",
        pattern: line.repeat(64 * 1024 / len),
    }
}

/// The octets of a flood of `len`-octet lines that prove a reply has more than
/// `max_lines` lines: every line before the last allowed one, and the code and hyphen of
/// the last allowed one (which announces another).
fn lines_proving_too_many(max_lines: u64, len: u64) -> u64 {
    (max_lines - 1) * len + 4
}

/// Connects over a socket pair whose server end floods the greeting until the client
/// closes; checks that the connection fails with `expected` after reading at least `limit`
/// octets and at most `limit` plus one read buffer.
fn flooded(limits: ReplyLimits, flood: Flood, expected: ReplyError, limit: u64) {
    let (client, mut server) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || {
        // A write error means the client closed: the flood ends there.
        if server.write_all(flood.prefix).is_ok() {
            while server.write_all(&flood.pattern).is_ok() {}
        }
    });
    let counts = Arc::new(Counts::default());
    let client = Counting {
        inner: client,
        counts: counts.clone(),
    };
    let config = ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            timeouts: Timeouts::uniform(Duration::from_secs(60)),
            reply_limits: limits,
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let error = Connection::connect_with_stream(client, &config)
        .expect_err("an endless greeting is an error");
    server.join().unwrap();
    let read = counts.read.load(Ordering::Relaxed);
    let offer = counts.largest_offer.load(Ordering::Relaxed);
    assert_eq!(
        error.protocol(),
        Some(&ProtocolError::MalformedReply(expected)),
        "{error}"
    );
    assert!(
        offer as u64 <= READ_BUFFER,
        "one read was offered {offer} octets: READ_BUFFER changed?"
    );
    assert!(
        read >= limit,
        "the adapter read {read} octets, short of the limit {limit}"
    );
    assert!(
        read <= limit + READ_BUFFER,
        "the adapter read {read} octets, over the limit {limit} plus one read buffer"
    );
    eprintln!("read {read} octets for a limit of {limit} ({error})");
}

#[test]
fn an_endless_line_reads_at_most_the_default_line_limit_plus_one_buffer() {
    let limit = 8 * 1024;
    flooded(
        ReplyLimits::DEFAULT,
        endless_line(),
        ReplyError::LineTooLong { line: 1, limit },
        limit as u64,
    );
}

#[test]
fn an_endless_line_reads_at_most_a_lowered_line_limit_plus_one_buffer() {
    let limit = 512;
    flooded(
        ReplyLimits::DEFAULT.with_max_line_len(limit),
        endless_line(),
        ReplyError::LineTooLong { line: 1, limit },
        limit as u64,
    );
}

/// 100-octet lines: the 64 KiB reply limit comes before the 1000 lines.
#[test]
fn endless_lines_read_at_most_the_default_reply_limit_plus_one_buffer() {
    let limit = 64 * 1024;
    flooded(
        ReplyLimits::DEFAULT,
        endless_lines(100),
        ReplyError::ReplyTooLong { limit },
        limit as u64,
    );
}

#[test]
fn endless_lines_read_at_most_a_lowered_reply_limit_plus_one_buffer() {
    let limit = 20_000;
    flooded(
        ReplyLimits::DEFAULT.with_max_reply_len(limit),
        endless_lines(100),
        ReplyError::ReplyTooLong { limit },
        limit as u64,
    );
}

/// 9-octet lines: the 1000 lines come before the 64 KiB reply limit.
#[test]
fn endless_short_lines_read_at_most_the_default_line_count_plus_one_buffer() {
    let limit = 1000;
    flooded(
        ReplyLimits::DEFAULT,
        endless_lines(9),
        ReplyError::TooManyLines { limit },
        lines_proving_too_many(limit as u64, 9),
    );
}

#[test]
fn endless_short_lines_read_at_most_a_lowered_line_count_plus_one_buffer() {
    let limit = 100;
    flooded(
        ReplyLimits::DEFAULT.with_max_lines(limit),
        endless_lines(9),
        ReplyError::TooManyLines { limit },
        lines_proving_too_many(limit as u64, 9),
    );
}
