//! Heap the client keeps for the rest of a connection's life: after a large message, a large
//! reply, and over many mails. Live heap octets are counted by a global allocator in this
//! binary; each test takes [`SERIAL`] so that no other test allocates while it measures.

// The live-bytes allocator is the one unsafe item.
#![allow(unsafe_code)]
mod client_mail_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use client_mail_support::client_with;
use smtp_proto::client::{Client, ClientConfig, Output};
use smtp_proto::command::{Envelope, MailBody, Noop, SendMail, SendMails};

struct Live;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` reached since [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// Forwards to the system allocator; the counter is statistics only.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Live = Live;

/// One measuring test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak from what is live now.
fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 100000000\r\n250 8BITMIME\r\n";

fn envelope() -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap()
}

/// Answers every line the client writes: 250 to MAIL and RCPT, 354 to DATA, 250 to the
/// end of data and to each BDAT chunk (as `client_allocations.rs`' server).
struct AutoResponder {
    in_data: bool,
    line_start: bool,
    /// Octets of a BDAT chunk still to come.
    chunk_left: usize,
}

impl AutoResponder {
    fn new() -> Self {
        Self {
            in_data: false,
            line_start: true,
            chunk_left: 0,
        }
    }

    fn read(&mut self, mut bytes: &[u8], replies: &mut Vec<u8>) {
        while !bytes.is_empty() {
            if self.chunk_left > 0 {
                let take = self.chunk_left.min(bytes.len());
                bytes = &bytes[take..];
                self.chunk_left -= take;
                if self.chunk_left == 0 {
                    replies.extend_from_slice(b"250 2.0.0 chunk ok\r\n");
                }
                continue;
            }
            let end = bytes
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |at| at + 1);
            let (line, rest) = bytes.split_at(end);
            bytes = rest;
            let at_start = self.line_start;
            self.line_start = line.ends_with(b"\n");
            if !at_start {
                continue;
            }
            if self.in_data {
                if line == b".\r\n" {
                    self.in_data = false;
                    replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                }
            } else if line.starts_with(b"DATA") {
                self.in_data = true;
                replies.extend_from_slice(b"354 go ahead\r\n");
            } else if let Some(args) = line.strip_prefix(b"BDAT ") {
                let size = std::str::from_utf8(args)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                self.chunk_left = size.trim_end().parse().unwrap();
                if self.chunk_left == 0 {
                    replies.extend_from_slice(b"250 2.0.0 chunk ok\r\n");
                }
            } else {
                replies.extend_from_slice(b"250 2.1.0 ok\r\n");
            }
        }
    }
}

/// Runs `cmd` against an [`AutoResponder`], handing every reply back as one read.
fn run_auto<C: smtp_proto::command::Cmd>(client: &mut Client, cmd: C) -> C::Output {
    let mut server = AutoResponder::new();
    let mut replies = Vec::new();
    let now = Instant::now();
    let mut ex = client.send(cmd);
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => server.read(t.bytes(), &mut replies),
            Output::NeedInput { .. } => {
                ex.handle_input(&replies);
                replies.clear();
            }
            Output::Done(result) => return result.unwrap(),
            _ => panic!("unexpected output"),
        }
    }
}

/// A body of `size` octets in 78-octet lines.
fn body(size: usize) -> Vec<u8> {
    let line = [b"x".repeat(76), b"\r\n".to_vec()].concat();
    line.iter().copied().cycle().take(size).collect()
}

/// Live heap octets a client past the greeting and EHLO keeps after `send` ran on it. One
/// small mail goes first, so that the buffers every mail needs exist already.
fn kept_after(send: impl FnOnce(&mut Client)) -> usize {
    let mut client = client_with(ClientConfig::default(), EHLO);
    let small = MailBody::bytes(body(1000));
    drop(run_auto(&mut client, SendMail::new(envelope(), small)));
    let before = live();
    send(&mut client);
    assert!(client.is_usable());
    live().saturating_sub(before)
}

/// A connection that sent one 10 MB message kept the outgoing buffer the whole message
/// was encoded into: megabytes for the rest of its life, though each transmit is at most
/// a 64 KiB data block (`BODY_BLOCK`) and every later mail is a few hundred octets.
#[test]
fn a_10_mb_message_leaves_no_megabytes_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let kept = kept_after(|client| {
        let big = MailBody::bytes(body(10_000_000));
        let report = run_auto(client, SendMail::new(envelope(), big));
        assert_eq!(report.delivered_count(), 1);
        drop(report);
        // And a small mail after it: a long-lived connection goes on with ordinary mails.
        let small = MailBody::bytes(body(1000));
        drop(run_auto(client, SendMail::new(envelope(), small)));
    });
    eprintln!("heap kept after a 10 MB message: {kept} octets");
    assert!(
        kept <= 256 * 1024,
        "the client keeps {kept} octets after sending one 10 MB message"
    );
}

/// While a 10 MB message is sent, the client holds about a data block of it, not an
/// encoded copy (the message's own `Bytes` is the caller's): over DATA, copied as it is
/// or dot-stuffed, and over BDAT, where a body that is not canonical goes through the
/// framer, which collects a chunk (1 MiB by default) before it writes it.
#[test]
fn a_10_mb_message_is_never_copied_whole() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dotted = |mut body: Vec<u8>| {
        for line in body.chunks_mut(78).step_by(5) {
            line[0] = b'.';
        }
        body
    };
    let ehlo_bdat = b"250-mx.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 CHUNKING\r\n";
    let bare_lf = |body: Vec<u8>| -> Vec<u8> { body.into_iter().filter(|&b| b != b'\r').collect() };
    for (what, bytes, bdat, bound) in [
        ("DATA, as it is", body(10_000_000), false, 128 * 1024),
        (
            "DATA, dot-stuffed",
            dotted(body(10_000_000)),
            false,
            384 * 1024,
        ),
        ("BDAT, as it is", body(10_000_000), true, 128 * 1024),
        // The framer collects a chunk before it writes it.
        ("BDAT, bare LFs", bare_lf(body(10_000_000)), true, 4 << 20),
    ] {
        let mut client = client_with(ClientConfig::default(), if bdat { ehlo_bdat } else { EHLO });
        let options = smtp_proto::command::TransactionOptions {
            prefer_bdat: bdat,
            ..Default::default()
        };
        drop(run_auto(
            &mut client,
            SendMail::with_options(envelope(), MailBody::bytes(body(1000)), options),
        ));
        let big = MailBody::bytes(bytes);
        let before = live();
        reset_peak();
        let report = run_auto(
            &mut client,
            SendMail::with_options(envelope(), big, options),
        );
        assert_eq!(report.delivered_count(), 1, "{what}");
        let most = peak().saturating_sub(before);
        eprintln!("{what}: at most {most} octets more while a 10 MB message was sent");
        assert!(most <= bound, "{what}: {most} octets while sending 10 MB");
    }
}

/// The same through `SendMails`: one 10 MB message among small ones.
#[test]
fn a_10_mb_message_among_many_leaves_no_megabytes_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let kept = kept_after(|client| {
        let small = MailBody::bytes(body(1000));
        let mails = vec![
            (envelope(), small.clone()),
            (envelope(), MailBody::bytes(body(10_000_000))),
            (envelope(), small),
        ];
        let reports = run_auto(
            client,
            SendMails::new(mails.into_iter(), Default::default()),
        );
        assert_eq!(reports.len(), 3);
    });
    eprintln!("heap kept after SendMails with a 10 MB message: {kept} octets");
    assert!(
        kept <= 256 * 1024,
        "the client keeps {kept} octets after sending one 10 MB message"
    );
}

/// A reply up to the 64 KiB reply limit (a long multiline 250 to NOOP): once it is read
/// and dropped, the receive buffer is back to its usual size (it kept the 64 KiB it grew
/// to before), and 100 mails later the client holds what it holds without that reply.
#[test]
fn a_64_kib_reply_is_not_kept() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 63 lines of 1000 octets: just under 64 KiB.
    let mut reply = Vec::new();
    for _ in 0..62 {
        reply.extend_from_slice(b"250-");
        reply.extend_from_slice(&b"y".repeat(994));
        reply.extend_from_slice(b"\r\n");
    }
    reply.extend_from_slice(b"250 ok\r\n");
    let (after_reply, after_mails) = kept_after_noop(&reply);
    let (_, usual) = kept_after_noop(b"250 ok\r\n");
    eprintln!(
        "heap kept after a {} octet reply: {after_reply} octets; after 100 mails more: \
         {after_mails} (without that reply: {usual})",
        reply.len()
    );
    assert!(
        after_reply <= 16 * 1024,
        "the client keeps {after_reply} octets after one {}-octet reply",
        reply.len()
    );
    assert!(
        after_mails <= usual + 16 * 1024,
        "after 100 mails the client keeps {after_mails} octets, {usual} without the reply"
    );
}

/// Live heap octets a client past EHLO and one mail keeps after NOOP answered with
/// `reply` (handed over in 8 KiB reads, as an adapter does), then after 100 more mails.
fn kept_after_noop(reply: &[u8]) -> (usize, usize) {
    let mut client = client_with(ClientConfig::default(), EHLO);
    drop(run_auto(
        &mut client,
        SendMail::new(envelope(), MailBody::bytes(body(500))),
    ));
    let before = live();
    let now = Instant::now();
    {
        let mut ex = client.send(Noop::default());
        let mut fed = false;
        loop {
            match ex.poll_output(now).unwrap() {
                Output::Transmit(_) => {}
                Output::NeedInput { .. } if !fed => {
                    for piece in reply.chunks(8192) {
                        ex.handle_input(piece);
                    }
                    fed = true;
                }
                Output::Done(result) => {
                    assert!(result.is_ok());
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    let after_reply = live().saturating_sub(before);
    for _ in 0..100 {
        drop(run_auto(
            &mut client,
            SendMail::new(envelope(), MailBody::bytes(body(500))),
        ));
    }
    (after_reply, live().saturating_sub(before))
}

/// 10 000 mails on one exchange, each report dropped as it arrives: the heap in use at
/// mail 10 000 is what it was at mail 1 000.
#[test]
fn ten_thousand_mails_do_not_grow_the_heap() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut client = client_with(ClientConfig::default(), EHLO);
    let source = (0..10_000).map(|_| {
        (
            envelope(),
            MailBody::bytes(&b"Subject: x\r\n\r\nhi\r\n"[..]),
        )
    });
    let mut server = AutoResponder::new();
    let mut replies = Vec::with_capacity(1 << 16);
    let now = Instant::now();
    let mut ex = client.send(SendMails::new(source, Default::default()));
    let mut finished = 0usize;
    let mut at_1000 = 0;
    let mut peak_after_1000 = 0;
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => server.read(t.bytes(), &mut replies),
            Output::NeedInput { .. } => {
                ex.handle_input(&replies);
                replies.clear();
                while let Some(report) = ex.command_mut().pop_finished() {
                    drop(report.unwrap());
                    finished += 1;
                    if finished == 1000 {
                        at_1000 = live();
                    }
                    if finished > 1000 {
                        peak_after_1000 = peak_after_1000.max(live());
                    }
                }
            }
            Output::Done(result) => {
                finished += result.unwrap().len();
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(finished, 10_000);
    let growth = peak_after_1000.saturating_sub(at_1000);
    eprintln!("heap growth from mail 1 000 to 10 000: {growth} octets");
    assert!(growth <= 32 * 1024, "heap grew by {growth} octets");
}

/// A large EHLO reply (about 60 KiB of capabilities) is kept in the session, as it must
/// be; the client keeps no more than the reply limit allows for it.
#[test]
fn a_large_ehlo_keeps_at_most_the_reply_limit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = live();
    let small = client_with(ClientConfig::default(), EHLO);
    let small_size = live().saturating_sub(before);
    drop(small);
    let mut ehlo = b"250-mx.example\r\n250-PIPELINING\r\n".to_vec();
    for i in 0..600 {
        ehlo.extend_from_slice(format!("250-X-EXTENSION-{i:04} {}\r\n", "p".repeat(76)).as_bytes());
    }
    ehlo.extend_from_slice(b"250 8BITMIME\r\n");
    let before = live();
    let mut client = client_with(ClientConfig::default(), &ehlo);
    for _ in 0..100 {
        drop(run_auto(
            &mut client,
            SendMail::new(envelope(), MailBody::bytes(body(500))),
        ));
    }
    let kept = live().saturating_sub(before);
    eprintln!(
        "client with a {}-octet EHLO: {kept} octets (with a {}-octet EHLO: {small_size})",
        ehlo.len(),
        EHLO.len()
    );
    assert!(client.session().ehlo().is_some());
    assert!(kept <= 3 * 64 * 1024, "{kept} octets");
}
