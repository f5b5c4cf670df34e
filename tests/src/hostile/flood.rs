//! Reply floods (SECURITY.md "reply flooding"): an endless reply line or an endless
//! multiline reply is a fatal protocol error after at most the limit plus one read buffer,
//! with memory bounded.
//!
//! These cases bound what the server sent, which the socket buffers dominate. The octets
//! each adapter read from its transport (at least the limit, at most the limit plus one
//! read buffer) are counted in `smtp-{tokio,async-std,blocking}/tests/flood.rs`, through a
//! counting transport given to `connect_with_stream`, which [`SmtpAdapter`] cannot pass.

use smtp_proto::client::Timeouts;
use smtp_proto::command::MailBody;
use smtp_proto::error::ProtocolError;
use smtp_proto::response::ReplyError;

use super::{Attempt, BODY, PATIENT, TestPki, attempt, check_no_credentials, config, setup_error};
use crate::adapter::SmtpAdapter;
use crate::server::{ScriptedServer, Step};

/// What the server may have sent by the time the client gave up: far below the 1 GiB
/// flood (the client's limit plus the socket buffers).
const SENT_BOUND: u64 = 64 << 20;

/// Measures the heap while a test runs (a counting global allocator in the test binary).
pub trait HeapProbe {
    /// Starts a measurement: the peak is reset to the current use.
    fn reset_peak(&self);
    /// The peak use since [`reset_peak`](Self::reset_peak), minus the use then.
    fn peak_growth(&self) -> usize;
}

/// No measurement (the test binaries that share their allocator).
#[derive(Debug)]
pub struct NoProbe;

impl HeapProbe for NoProbe {
    fn reset_peak(&self) {}
    fn peak_growth(&self) -> usize {
        0
    }
}

static LINE_FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

const FLOOD_LINE: &[u8] = b"220-flood\r\n";
const LINES_LEN: usize = FLOOD_LINE.len() * 4096;
static LINES_FILLER: [u8; LINES_LEN] = repeat_line();

const fn repeat_line() -> [u8; LINES_LEN] {
    let mut out = [0u8; LINES_LEN];
    let mut i = 0;
    while i < LINES_LEN {
        out[i] = FLOOD_LINE[i % FLOOD_LINE.len()];
        i += 1;
    }
    out
}

/// The greeting is one endless line (up to 1 GiB): `LineTooLong` at the 8 KiB limit.
pub fn endless_reply_line<A: SmtpAdapter>() -> Result<(), String> {
    endless_reply_line_measured::<A>(&NoProbe).map(drop)
}

/// [`endless_reply_line`], returning the heap's peak growth during the connection
/// attempt as `probe` measured it (the suite's memory test asserts it stays within
/// 256 KiB in a binary of its own).
pub fn endless_reply_line_measured<A: SmtpAdapter>(probe: &dyn HeapProbe) -> Result<usize, String> {
    let pki = TestPki::new()?;
    let steps = vec![Step::Flood("220 ".to_owned(), &LINE_FILLER)];
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = config(server.address().port(), &pki, Timeouts::uniform(PATIENT))?;
    // Built before the measurement: the suite's own allocations are not the client's.
    let body = MailBody::bytes(BODY);
    let (attempt, growth) = A::block_on(async {
        probe.reset_peak();
        let result = A::connect(&config).await;
        let growth = probe.peak_growth();
        (result.map(drop), growth)
    });
    let played = server.played()?;
    check_no_credentials(&played)?;
    let attempt = match attempt {
        Err(error) => Attempt::Setup(error),
        Ok(()) => super::attempt::<A>(&config, body).map(|(a, _)| a)?,
    };
    let error = setup_error(attempt, A::NAME)?;
    let expected = ProtocolError::MalformedReply(ReplyError::LineTooLong {
        line: 1,
        limit: 8 * 1024,
    });
    if error.protocol() != Some(&expected) {
        return Err(format!("{}: expected {expected}, got {error}", A::NAME));
    }
    if played.sent > SENT_BOUND || played.sent < 8 * 1024 {
        return Err(format!(
            "{}: the server sent {} octets",
            A::NAME,
            played.sent
        ));
    }
    Ok(growth)
}

/// The greeting is an endless multiline reply of short lines: `TooManyLines` (1000) or
/// `ReplyTooLong` (64 KiB), whichever comes first, long before the flood ends.
pub fn endless_reply_lines<A: SmtpAdapter>() -> Result<(), String> {
    let pki = TestPki::new()?;
    let steps = vec![Step::Flood(String::new(), &LINES_FILLER)];
    let server = ScriptedServer::start(steps).map_err(|e| e.to_string())?;
    let config = config(server.address().port(), &pki, Timeouts::uniform(PATIENT))?;
    let (attempt, _) = attempt::<A>(&config, MailBody::bytes(BODY))?;
    let played = server.played()?;
    check_no_credentials(&played)?;
    let error = setup_error(attempt, A::NAME)?;
    let limited = matches!(
        error.protocol(),
        Some(ProtocolError::MalformedReply(
            ReplyError::TooManyLines { limit: 1000 } | ReplyError::ReplyTooLong { limit: 65536 }
        ))
    );
    if !limited {
        return Err(format!(
            "{}: expected a reply limit error, got {error}",
            A::NAME
        ));
    }
    if played.sent > SENT_BOUND {
        return Err(format!(
            "{}: the client read {} octets",
            A::NAME,
            played.sent
        ));
    }
    Ok(())
}
