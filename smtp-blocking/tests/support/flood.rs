//! Reply floods counted on the transport, for every adapter's `flood.rs` tests (smtp-tokio
//! includes this file alone): the floods, a Unix socket pair whose server end sends one
//! until the client closes, the counts a transport wrapper keeps, and the check of what the
//! adapter read.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use smtp_adapter::{ConnectionConfig, Error, Security};
use smtp_proto::client::{ClientConfig, Timeouts};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{ReplyError, ReplyLimits};

/// `READ_BUFFER` in each adapter's `src/drive.rs` (private there): the octets the adapter
/// reads from its transport at once.
pub const READ_BUFFER: u64 = 8 * 1024;

/// What the transport handed the adapter.
#[derive(Debug, Default)]
pub struct Counts {
    /// Octets read, in total.
    read: AtomicU64,
    /// The largest buffer the adapter offered one read.
    largest_offer: AtomicUsize,
}

impl Counts {
    /// The adapter offered a buffer of `offered` octets and got `read`.
    pub fn record(&self, offered: usize, read: usize) {
        self.largest_offer.fetch_max(offered, Ordering::Relaxed);
        self.read.fetch_add(read as u64, Ordering::Relaxed);
    }
}

/// A greeting that never ends: `prefix` once, then `pattern` over and over.
pub struct Flood {
    /// Sent once.
    pub prefix: &'static [u8],
    /// Sent until the client closes.
    pub pattern: Vec<u8>,
}

/// One reply line without a line end: `220 xxxx...`.
pub fn endless_line() -> Flood {
    Flood {
        prefix: b"220 ",
        pattern: vec![b'x'; 64 * 1024],
    }
}

/// An endless multiline reply of `len`-octet lines `250-xxx...\r\n`.
pub fn endless_lines(len: usize) -> Flood {
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
pub fn lines_proving_too_many(max_lines: u64, len: u64) -> u64 {
    (max_lines - 1) * len + 4
}

/// A Unix socket pair: the client's end, and a server thread on the other that sends
/// `flood` until the client closes.
#[cfg(unix)]
pub fn flooding_pair(
    flood: Flood,
) -> (std::os::unix::net::UnixStream, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let (client, mut server) = std::os::unix::net::UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || {
        // A write error means the client closed: the flood ends there.
        if server.write_all(flood.prefix).is_ok() {
            while server.write_all(&flood.pattern).is_ok() {}
        }
    });
    (client, server)
}

/// A plaintext configuration with these reply limits and deadlines far off.
pub fn config(limits: ReplyLimits) -> ConnectionConfig {
    ConnectionConfig::builder("mx.test")
        .security(Security::None)
        .client_id("client.test".parse().unwrap())
        .client_config(ClientConfig {
            timeouts: Timeouts::uniform(Duration::from_secs(60)),
            reply_limits: limits,
            ..ClientConfig::default()
        })
        .build()
        .unwrap()
}

/// The connection failed with `expected` after reading at least `limit` octets and at
/// most `limit` plus one read buffer, never offered more than one read buffer at once.
pub fn check(error: &Error, counts: &Counts, expected: ReplyError, limit: u64) {
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

/// The octets of one line of the scripted floods below (`250-xxx...` and CRLF).
pub const FLOOD_LINE: usize = 1000;

/// Lines in each scripted flood: 1 MB.
pub const FLOOD_LINES: usize = 1000;

fn flood_lines() -> impl Iterator<Item = smtp_proto::testing::IoEvent> {
    let mut line = b"250-".to_vec();
    line.resize(FLOOD_LINE - 2, b'x');
    line.extend_from_slice(b"\r\n");
    std::iter::repeat_n(smtp_proto::testing::IoEvent::Read(line), FLOOD_LINES)
}

/// A mock server's script: the greeting, then a flood while the client is idle (each
/// line one read).
pub fn idle_flood() -> Vec<smtp_proto::testing::IoEvent> {
    let mut events = vec![smtp_proto::testing::IoEvent::Read(
        b"220 mx.test\r\n".to_vec(),
    )];
    events.extend(flood_lines());
    events
}

/// A mock server's script: greeting, EHLO, MAIL, RCPT and DATA's 354 (for
/// [`config`]'s client), then a flood while the client asks for the body.
pub fn flood_after_354() -> Vec<smtp_proto::testing::IoEvent> {
    use smtp_proto::testing::IoEvent::{Read, Write};
    let mut events = vec![
        Read(b"220 mx.test\r\n".to_vec()),
        Write(b"EHLO client.test\r\n".to_vec()),
        Read(b"250 mx.test\r\n".to_vec()),
        Write(b"MAIL FROM:<a@x.test>\r\n".to_vec()),
        Read(b"250 ok\r\n".to_vec()),
        Write(b"RCPT TO:<b@y.test>\r\n".to_vec()),
        Read(b"250 ok\r\n".to_vec()),
        Write(b"DATA\r\n".to_vec()),
        Read(b"354 go\r\n".to_vec()),
    ];
    events.extend(flood_lines());
    events
}

/// The envelope [`flood_after_354`] expects.
pub fn flood_envelope() -> smtp_proto::command::Envelope {
    smtp_proto::command::Envelope::new(
        "<a@x.test>".parse().unwrap(),
        ["<b@y.test>".parse().unwrap()],
    )
    .unwrap()
}

/// The octets of a scripted flood the adapter read, from what the script still holds
/// (each unread line shows as `S+ ...`).
pub fn flood_read(remaining: &str) -> usize {
    (FLOOD_LINES - remaining.matches("S+ ").count()) * FLOOD_LINE
}

/// An idle flood was read no further than a reply may be long (the limit that fails the
/// client) plus one read buffer, and the line that crossed it.
pub fn check_idle_flood(read: usize) {
    let bound = ReplyLimits::DEFAULT.max_reply_len() + READ_BUFFER as usize + FLOOD_LINE;
    assert!(
        read <= bound,
        "the idle client read {read} octets of a flood, over {bound}"
    );
    eprintln!("an idle flood: read {read} octets");
}

/// A flood that failed the exchange was read no further than the read that failed it.
pub fn check_flood_after_error(read: usize) {
    assert!(
        read <= FLOOD_LINE,
        "the adapter read {read} octets of a flood after it failed the exchange"
    );
}
