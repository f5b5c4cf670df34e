//! A whole body over one data block is written a block at a time as the connection takes it
//! (`Context::request_writable`, `Cmd::on_writable`): the octets on the wire are exactly
//! those of the body encoded at once, over DATA and BDAT, whatever the size, and every
//! composite passes the requests through.

mod client_mail_support;

use std::num::NonZeroUsize;
use std::time::Instant;

use client_mail_support::client_with;
use smtp_proto::client::{Client, ClientConfig, Output, TransmitTag};
use smtp_proto::command::{
    Chain, Cmd, CmdExt, Envelope, MailBody, MailReport, Noop, Outcome, Select, SendMail, SendMails,
    TransactionOptions,
};
use smtp_proto::data::{BdatEncoder, BdatMode, BodyPolicy, BodySummary, encode_data};
use smtp_proto::response::Capability;

const BLOCK: usize = 64 * 1024;
const EHLO: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-BINARYMIME\r\n\
                      250 CHUNKING\r\n";
const ENVELOPE: &[u8] = b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n";

/// From a@example.org to b@ and c@example.net.
fn two_recipients() -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        [
            "<b@example.net>".parse().unwrap(),
            "<c@example.net>".parse().unwrap(),
        ],
    )
    .unwrap()
}

fn envelope() -> Envelope {
    Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap()
}

/// Records what the client writes and answers it: 250 to commands, 354 to DATA, 250 to
/// the end of data and to each BDAT chunk (or 554 to chunk number `refuse_chunk`).
#[derive(Default)]
struct Server {
    wire: Vec<u8>,
    /// Where the part not parsed yet begins.
    at: usize,
    in_data: bool,
    chunk_left: usize,
    /// The chunk being read is `LAST`: LMTP answers it once per recipient.
    chunk_last: bool,
    chunks: usize,
    refuse_chunk: Option<usize>,
    /// Replies to the end of data: one per recipient in LMTP (0 counts as 1).
    verdicts: usize,
    /// A RCPT line answered 452 (too many recipients) the first time it comes.
    defer_once: Option<&'static [u8]>,
    replies: Vec<u8>,
}

impl Server {
    fn read(&mut self, bytes: &[u8]) {
        self.wire.extend_from_slice(bytes);
        loop {
            let rest = &self.wire[self.at..];
            if self.chunk_left > 0 {
                let take = self.chunk_left.min(rest.len());
                self.at += take;
                self.chunk_left -= take;
                if self.chunk_left > 0 {
                    return;
                }
                self.chunks += 1;
                let reply: &[u8] = if self.refuse_chunk == Some(self.chunks) {
                    b"554 5.6.0 no\r\n"
                } else {
                    b"250 2.0.0 ok\r\n"
                };
                let replies = if self.chunk_last {
                    self.verdicts.max(1)
                } else {
                    1
                };
                for _ in 0..replies {
                    self.replies.extend_from_slice(reply);
                }
                continue;
            }
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return;
            };
            let line = rest[..=end].to_vec();
            self.at += end + 1;
            if self.in_data {
                if line == b".\r\n" {
                    self.in_data = false;
                    for _ in 0..self.verdicts.max(1) {
                        self.replies.extend_from_slice(b"250 2.0.0 queued\r\n");
                    }
                }
            } else if line == b"DATA\r\n" {
                self.in_data = true;
                self.replies.extend_from_slice(b"354 go ahead\r\n");
            } else if let Some(args) = line.strip_prefix(b"BDAT ") {
                let text = std::str::from_utf8(args).unwrap().trim_end();
                self.chunk_left = text.split(' ').next().unwrap().parse().unwrap();
                self.chunk_last = text.ends_with(" LAST");
                if self.chunk_left == 0 {
                    self.replies.extend_from_slice(b"250 2.0.0 ok\r\n");
                }
            } else if self.defer_once == Some(line.as_slice()) {
                self.defer_once = None;
                self.replies
                    .extend_from_slice(b"452 4.5.3 too many recipients\r\n");
            } else {
                self.replies.extend_from_slice(b"250 2.1.0 ok\r\n");
            }
        }
    }
}

/// Runs `cmd`, every transmit answered at once; checks that no transmit carries more than
/// one data block of body. Returns the result, the wire and the number of transmits.
fn run<C: Cmd>(client: &mut Client, cmd: C, server: &mut Server) -> (C::Output, usize) {
    let now = Instant::now();
    let mut ex = client.send(cmd);
    let mut transmits = 0;
    loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => {
                let body: usize = t
                    .tags()
                    .filter(|(tag, _)| *tag == TransmitTag::Body)
                    .map(|(_, octets)| octets)
                    .sum();
                assert!(body <= BLOCK, "a transmit of {body} body octets");
                transmits += 1;
                server.read(t.bytes());
                // As an adapter that reads what has arrived before it writes on.
                let replies = std::mem::take(&mut server.replies);
                if !replies.is_empty() {
                    ex.handle_input(&replies);
                }
            }
            Output::NeedInput { .. } => panic!("the client waits for a reply already given"),
            Output::Done(Ok(output)) => return (output, transmits),
            Output::Done(Err(error)) => panic!("{error}"),
            _ => panic!("neither a transmit, a wait nor the end"),
        }
    }
}

/// Text in 78-octet lines: without dots at line starts (copied as it is over DATA), or
/// with dot lines and bare LFs (through the encoder), optionally not ending in a line end.
fn text(size: usize, unusual: bool, unterminated: bool) -> Vec<u8> {
    let plain = [b"x".repeat(76), b"\r\n".to_vec()].concat();
    let odd = [b".".repeat(10), b"y".repeat(66), b"\n".to_vec()].concat();
    let mut body = Vec::with_capacity(size + 100);
    let mut n = 0;
    while body.len() < size {
        body.extend_from_slice(if unusual && n % 7 == 3 { &odd } else { &plain });
        n += 1;
    }
    body.truncate(size);
    if !unterminated {
        while body.ends_with(b"\r") || (!body.ends_with(b"\n") && !body.is_empty()) {
            body.pop();
        }
    } else if body.ends_with(b"\n") || body.ends_with(b"\r") {
        body.push(b'z');
    }
    body
}

fn bdat(body: &[u8], chunk: usize, mode: BdatMode) -> Vec<u8> {
    let mut out = Vec::new();
    let mut framer = BdatEncoder::new(NonZeroUsize::new(chunk).unwrap(), mode);
    framer.encode(body, &mut out).unwrap();
    framer.finish(&mut out).unwrap();
    out
}

fn options(bdat: bool, chunk: usize) -> TransactionOptions {
    TransactionOptions {
        prefer_bdat: bdat,
        bdat_chunk_size: NonZeroUsize::new(chunk).unwrap(),
        ..TransactionOptions::default()
    }
}

/// One mail with `body` on a fresh client against a [`Server`] that accepts everything:
/// its report, the server (with the wire) and the number of transmits.
fn send_one(body: MailBody, options: TransactionOptions) -> (MailReport, Server, usize) {
    let mut client = client_with(ClientConfig::default(), EHLO);
    let mut server = Server::default();
    let send = SendMail::with_options(envelope(), body, options);
    let (report, transmits) = run(&mut client, send, &mut server);
    (report, server, transmits)
}

#[test]
fn pumped_bodies_are_on_the_wire_as_encoded_at_once() {
    let sizes = [
        BLOCK - 1,
        BLOCK,
        BLOCK + 1,
        2 * BLOCK + 2,
        3 * BLOCK + 5,
        (1 << 20) + 17,
    ];
    for size in sizes {
        for (unusual, unterminated) in [(false, false), (true, false), (false, true)] {
            let body = text(size, unusual, unterminated);
            let what = format!("{size} octets, unusual {unusual}, unterminated {unterminated}");

            // DATA.
            let (report, server, transmits) =
                send_one(MailBody::bytes(body.clone()), options(false, 1 << 20));
            assert_eq!(report.outcome(), Outcome::Delivered, "{what}");
            let mut expected = [ENVELOPE, b"DATA\r\n"].concat();
            encode_data(&body, BodyPolicy::default(), &mut expected).unwrap();
            assert!(server.wire == expected, "DATA, {what}");
            // Full blocks: the encoded body in as few transmits as blocks allow (the
            // envelope and the body's first block or its end may share one).
            let encoded = expected.len() - ENVELOPE.len() - 6;
            assert!(
                transmits <= encoded.div_ceil(BLOCK) + 2,
                "DATA, {what}: {transmits}"
            );

            // BDAT, with chunks larger and smaller than a block.
            for chunk in [1 << 20, 100_000, BLOCK] {
                let (report, server, _) =
                    send_one(MailBody::bytes(body.clone()), options(true, chunk));
                assert_eq!(report.outcome(), Outcome::Delivered, "{what}");
                let policy = BodyPolicy::default();
                let expected = [ENVELOPE, &bdat(&body, chunk, BdatMode::Text(policy))].concat();
                assert!(server.wire == expected, "BDAT {chunk}, {what}");
            }
        }
        // A binary body: every octet as it is; chunks that divide it exactly too (the
        // last full chunk is LAST, no `BDAT 0 LAST`).
        let body: Vec<u8> = (0..size).map(|i| (i * 7 % 256) as u8).collect();
        let exact = [size, size.div_ceil(2), size.div_ceil(4)]
            .into_iter()
            .filter(|&c| size % c == 0);
        for chunk in [100_000].into_iter().chain(exact) {
            let (report, server, _) =
                send_one(MailBody::Binary(body.clone().into()), options(true, chunk));
            assert_eq!(report.outcome(), Outcome::Delivered);
            let expected = [
                b"MAIL FROM:<a@example.org> BODY=BINARYMIME\r\nRCPT TO:<b@example.net>\r\n"
                    .as_slice(),
                &bdat(&body, chunk, BdatMode::Binary),
            ]
            .concat();
            assert!(
                server.wire == expected,
                "binary, {size} octets, chunk {chunk}"
            );
        }
    }
}

/// Many large mails on one exchange: each is pumped in turn, the next envelope riding with
/// the previous end of data as before.
#[test]
fn many_pumped_mails_follow_each_other() {
    let body = text(5 * BLOCK + 3, true, false);
    for bdat in [false, true] {
        let mut client = client_with(ClientConfig::default(), EHLO);
        let mut server = Server::default();
        let mails = (0..3).map(|_| (envelope(), MailBody::bytes(body.clone())));
        let send = SendMails::new(mails, options(bdat, 1 << 20));
        let (reports, _) = run(&mut client, send, &mut server);
        assert_eq!(reports.len(), 3);
        for report in reports {
            assert_eq!(report.unwrap().outcome(), Outcome::Delivered, "bdat {bdat}");
        }
        let mut one = ENVELOPE.to_vec();
        if bdat {
            one.extend_from_slice(&self::bdat(
                &body,
                1 << 20,
                BdatMode::Text(BodyPolicy::default()),
            ));
        } else {
            one.extend_from_slice(b"DATA\r\n");
            encode_data(&body, BodyPolicy::default(), &mut one).unwrap();
        }
        assert!(server.wire == one.repeat(3), "bdat {bdat}");
        assert!(client.is_usable());
    }
}

/// A chunk refused while the body is still being pumped: no further chunk (RFC 3030 §2),
/// RSET once the chunks out are answered, the mail rejected, the connection usable.
#[test]
fn a_refused_chunk_stops_the_pump() {
    let body = text(20 * BLOCK, false, false);
    let mut client = client_with(ClientConfig::default(), EHLO);
    let mut server = Server {
        refuse_chunk: Some(1),
        ..Server::default()
    };
    let send = SendMail::with_options(envelope(), MailBody::bytes(body), options(true, BLOCK));
    let (report, _) = run(&mut client, send, &mut server);
    assert_eq!(report.outcome(), Outcome::Rejected);
    let wire = String::from_utf8_lossy(&server.wire);
    assert!(wire.ends_with("RSET\r\n"), "{}", &wire[wire.len() - 40..]);
    assert!(!wire.contains("LAST"));
    // The refusal was read after the first chunks left, not after all 20.
    assert!(server.chunks < 20, "{} chunks sent", server.chunks);
    assert!(client.is_usable());
}

/// Every composite passes `on_writable` to the command that asked (a composite that did
/// not would end the exchange with a misuse).
#[test]
fn composites_pass_the_pump_through() {
    let body = text(4 * BLOCK, true, false);
    let mail = || SendMail::new(envelope(), MailBody::bytes(body.clone()));
    let delivered = |report: smtp_proto::command::MailReport| {
        assert_eq!(report.outcome(), Outcome::Delivered);
    };
    let fresh = || client_with(ClientConfig::default(), EHLO);

    let (report, _) = run(&mut fresh(), mail().map(|r| r), &mut Server::default());
    delivered(report);
    let (report, _) = run(&mut fresh(), Box::new(mail()), &mut Server::default());
    delivered(report);
    let (report, _) = run(&mut fresh(), &mut mail(), &mut Server::default());
    delivered(report);
    let (((), report), _) = run(
        &mut fresh(),
        Noop::default().map(|_| ()).then(mail()),
        &mut Server::default(),
    );
    delivered(report);
    let (reports, _) = run(
        &mut fresh(),
        Chain::new(vec![mail().boxed(), mail().boxed()]),
        &mut Server::default(),
    );
    reports.into_iter().for_each(delivered);
    let select = Select::if_supports(Capability::Chunking, mail(), mail());
    let (report, _) = run(&mut fresh(), select, &mut Server::default());
    delivered(report);
}

/// A command written outside the crate streams a large output from memory the same way:
/// a block per `on_writable`, each leaving before the next is written.
#[test]
fn a_command_from_outside_writes_a_block_per_on_writable() {
    use smtp_proto::client::{Context, ReplyKind};
    use smtp_proto::command::Step;
    use smtp_proto::data::BodySink;
    use smtp_proto::response::Response;

    /// `XBLOB`, then 200 KiB of octets a block at a time; its one reply ends it.
    struct Blob {
        left: usize,
        calls: usize,
    }
    impl Blob {
        fn write(&mut self, cx: &mut Context<'_>) -> Step<usize> {
            let n = self.left.min(BLOCK);
            cx.body(|out| out.put(&vec![b'b'; n]));
            self.left -= n;
            if self.left > 0 {
                cx.request_writable();
            }
            Step::Continue
        }
    }
    impl Cmd for Blob {
        type Output = usize;
        fn start(&mut self, cx: &mut Context<'_>) -> Step<usize> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"XBLOB\r\n"));
            self.write(cx)
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<usize> {
            Step::Done(Ok(self.calls))
        }
        fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<usize> {
            self.calls += 1;
            self.write(cx)
        }
    }

    let mut client = client_with(ClientConfig::default(), EHLO);
    let mut ex = client.send(Blob {
        left: 200 * 1024,
        calls: 0,
    });
    let now = Instant::now();
    let mut sizes = Vec::new();
    let calls = loop {
        match ex.poll_output(now).unwrap() {
            Output::Transmit(t) => sizes.push(t.bytes().len()),
            Output::NeedInput { .. } => ex.handle_input(b"250 ok\r\n"),
            Output::Done(result) => break result.unwrap(),
            other => panic!("{other:?}"),
        }
    };
    // Each top-up comes once less than a block is left unsent: the first transmit is
    // the line and a block, then one block each.
    assert_eq!(calls, 3);
    assert_eq!(sizes, [7 + BLOCK, BLOCK, BLOCK, 8 * 1024]);
}

/// A command that asks for room to write, then writes nothing and asks again: the driver
/// ends the exchange with a misuse, as for the other command bugs it catches, instead of
/// calling it again and again inside one `poll_output` (the event loop would spin there,
/// never to return).
#[test]
fn asking_to_write_and_writing_nothing_is_a_misuse_not_a_spin() {
    use smtp_proto::client::{Context, ReplyKind};
    use smtp_proto::command::Step;
    use smtp_proto::error::ProtocolError;
    use smtp_proto::response::Response;

    struct Idle;
    impl Cmd for Idle {
        type Output = ();
        fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"NOOP\r\n"));
            cx.request_writable();
            Step::Continue
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
            Step::Done(Ok(()))
        }
        fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.request_writable();
            Step::Continue
        }
    }

    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut client = client_with(ClientConfig::default(), EHLO);
        let mut ex = client.send(Idle);
        let result = ex.poll_output(Instant::now()).map(|o| format!("{o:?}"));
        let _ = tx.send(result);
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("poll_output never returned: it calls on_writable forever");
    assert!(
        matches!(result, Err(ProtocolError::Misuse(_))),
        "{result:?}"
    );
}

/// A server that refuses in the middle of a large body and then closes (or stops reading):
/// the refusal read after the failed write is the mail's verdict, as it was when the whole
/// body was written at once, although the end of data never left. Connection intact, the
/// same reply before the end of data is a protocol error.
#[test]
fn a_refusal_in_the_middle_of_a_pumped_body_is_its_verdict() {
    let body = text(10 * BLOCK, false, false);
    for write_fails in [true, false] {
        let mut client = client_with(ClientConfig::default(), EHLO);
        let send = SendMail::with_options(
            envelope(),
            MailBody::bytes(body.clone()),
            options(false, 1 << 20),
        );
        let now = Instant::now();
        let mut ex = client.send(send);
        let Ok(Output::Transmit(_)) = ex.poll_output(now) else {
            panic!("the envelope");
        };
        ex.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n");
        let Ok(Output::Transmit(first)) = ex.poll_output(now) else {
            panic!("the first block");
        };
        let sent = first.bytes().len();
        assert_eq!(sent, BLOCK);
        if write_fails {
            // Half the second block was taken, then the connection broke; the 552 had
            // arrived before.
            let Ok(Output::Transmit(_)) = ex.poll_output(now) else {
                panic!("the second block");
            };
            ex.handle_write_error(BLOCK / 2);
            ex.handle_input(b"552 5.3.4 message too big\r\n");
            ex.handle_eof();
            let Ok(Output::Done(Ok(report))) = ex.poll_output(now) else {
                panic!("the 552 is the verdict");
            };
            assert_eq!(report.outcome(), Outcome::Rejected);
            let (_, recipient) = report.recipients().next().unwrap();
            assert_eq!(recipient.data_reply().unwrap().code().get(), 552);
        } else {
            ex.handle_input(b"552 5.3.4 message too big\r\n");
            assert!(matches!(
                ex.poll_output(now),
                Err(smtp_proto::error::ProtocolError::UnexpectedReply(_))
            ));
        }
    }
}

/// A chunk refused while the next one, larger than a block, is half written (its `BDAT`
/// line and part of its octets are out): the rest of that chunk must follow before RSET,
/// since the server reads exactly the octets the line announced (RFC 3030 §2) and would
/// otherwise take RSET as message content and never answer it. Whether the refusal is read
/// because the adapter reads what arrived (no group limit) or because the group limit
/// waits for it (the blocking adapter's default), it comes mid-chunk.
#[test]
fn a_refusal_while_a_chunk_is_half_written_completes_that_chunk_before_rset() {
    // The chunk half written is a middle one, or the LAST one (completed all the same,
    // its reply read before RSET).
    for (size, max_group) in [
        (20 * BLOCK, None),
        (20 * BLOCK, NonZeroUsize::new(1 << 20)),
        (150_000, None),
        (150_000, NonZeroUsize::new(1 << 20)),
    ] {
        let body = text(size, false, false);
        let config = ClientConfig {
            max_group,
            ..ClientConfig::default()
        };
        let mut client = client_with(config, EHLO);
        let mut server = Server {
            refuse_chunk: Some(1),
            ..Server::default()
        };
        let send = SendMail::with_options(
            envelope(),
            MailBody::bytes(body.clone()),
            options(true, 100_000),
        );
        let now = Instant::now();
        let mut ex = client.send(send);
        let report = loop {
            match ex.poll_output(now).unwrap() {
                Output::Transmit(t) => {
                    server.read(t.bytes());
                    let replies = std::mem::take(&mut server.replies);
                    if !replies.is_empty() {
                        ex.handle_input(&replies);
                    }
                }
                Output::NeedInput { .. } => panic!(
                    "{size}, {max_group:?}: the client waits, the server waits for {} more octets of \
                     a chunk (the RSET went into it: {})",
                    server.chunk_left,
                    String::from_utf8_lossy(&server.wire).ends_with("RSET\r\n"),
                ),
                Output::Done(result) => break result.unwrap(),
                _ => panic!("neither a transmit, a wait nor the end"),
            }
        };
        assert_eq!(report.outcome(), Outcome::Rejected, "{size}, {max_group:?}");
        assert_eq!(server.chunk_left, 0, "{size}, {max_group:?}");
        assert!(String::from_utf8_lossy(&server.wire).ends_with("RSET\r\n"));
        assert!(client.is_usable());
    }
}

/// As over DATA: a server that refuses a BDAT chunk in its middle (552, the message over
/// its limit) and closes has its refusal taken as the mail's verdict, as when every chunk
/// was written at once, although the chunk's end never left. With each chunk's reply
/// expected only once its end is written, the 552 answered nothing awaited.
#[test]
fn a_refusal_in_the_middle_of_a_pumped_chunk_is_its_verdict() {
    let body = text(10 * BLOCK, false, false);
    // One chunk for the whole body (LAST), then chunks of three blocks.
    for chunk in [1 << 20, 3 * BLOCK] {
        let mut client = client_with(ClientConfig::default(), EHLO);
        let send = SendMail::with_options(
            envelope(),
            MailBody::bytes(body.clone()),
            options(true, chunk),
        );
        let now = Instant::now();
        let mut ex = client.send(send);
        let Ok(Output::Transmit(first)) = ex.poll_output(now) else {
            panic!("the envelope and the first block");
        };
        assert!(first.bytes().starts_with(ENVELOPE));
        let Ok(Output::Transmit(_)) = ex.poll_output(now) else {
            panic!("the second block");
        };
        // Half the second block was taken, then the connection broke; the 552 had
        // arrived before.
        ex.handle_write_error(BLOCK / 2);
        ex.handle_input(b"250 ok\r\n250 ok\r\n552 5.3.4 message too big\r\n");
        ex.handle_eof();
        let result = ex.poll_output(now).map(|output| format!("{output:?}"));
        let report = ex.command().report().unwrap();
        assert_eq!(
            report.outcome(),
            Outcome::Rejected,
            "chunk {chunk}: {result:?}"
        );
        let (_, recipient) = report.recipients().next().unwrap();
        assert_eq!(
            recipient.data_reply().map(|r| r.code().get()),
            Some(552),
            "chunk {chunk}"
        );
    }
}

/// LMTP: one verdict per accepted recipient after a pumped body's end.
#[test]
fn lmtp_verdicts_follow_a_pumped_body() {
    use smtp_proto::client::Protocol;
    let body = text(3 * BLOCK, true, false);
    let mut client = client_with(ClientConfig::default(), EHLO).with_protocol(Protocol::Lmtp);
    let envelope = two_recipients();
    let send = SendMail::with_options(envelope, MailBody::bytes(body), options(false, 1 << 20));
    let mut server = Server {
        verdicts: 2,
        ..Server::default()
    };
    let (report, _) = run(&mut client, send, &mut server);
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(report.delivered_count(), 2);
}

/// LMTP over BDAT: a pumped body sent as it is or through the framer, its chunks larger
/// or smaller than a block; the `LAST` chunk's replies are one verdict per accepted
/// recipient, expected where it ends (or, for a chunk larger than a block, once it does).
#[test]
fn lmtp_verdicts_follow_a_pumped_bdat_body() {
    use smtp_proto::client::Protocol;
    let envelope = two_recipients;
    for unusual in [false, true] {
        for chunk in [100_000, 1000, 1 << 20] {
            for max_group in [None, NonZeroUsize::new(1 << 20)] {
                let what = format!("unusual {unusual}, chunk {chunk}, group {max_group:?}");
                let body = text(3 * BLOCK + 7, unusual, false);
                let config = ClientConfig {
                    max_group,
                    ..ClientConfig::default()
                };
                let mut client = client_with(config, EHLO).with_protocol(Protocol::Lmtp);
                let send = SendMail::with_options(
                    envelope(),
                    MailBody::bytes(body.clone()),
                    options(true, chunk),
                );
                let mut server = Server {
                    verdicts: 2,
                    ..Server::default()
                };
                let (report, _) = run(&mut client, send, &mut server);
                assert_eq!(report.outcome(), Outcome::Delivered, "{what}");
                assert_eq!(report.delivered_count(), 2, "{what}");
                let policy = BodyPolicy::default();
                let rcpts = b"RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\n";
                let expected = [
                    b"MAIL FROM:<a@example.org>\r\n".as_slice(),
                    rcpts,
                    &bdat(&body, chunk, BdatMode::Text(policy)),
                ]
                .concat();
                assert!(server.wire == expected, "{what}");
                assert!(client.is_usable(), "{what}");
            }
        }
    }
}

/// A recipient deferred by a 452 (RFC 5321 §4.5.3.1.10) gets the whole body again in a
/// second transaction, pumped from its start as the first was; and without PIPELINING
/// (each command after the last reply; over BDAT the whole body is one chunk) the body is
/// pumped all the same.
#[test]
fn a_retried_transaction_and_an_unpipelined_one_pump_the_whole_body_again() {
    const NO_PIPELINING: &[u8] =
        b"250-mx.example\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250 CHUNKING\r\n";
    let envelope = two_recipients;
    let mail = b"MAIL FROM:<a@example.org>\r\n".as_slice();
    let b = b"RCPT TO:<b@example.net>\r\n".as_slice();
    let c = b"RCPT TO:<c@example.net>\r\n".as_slice();
    for unusual in [false, true] {
        for (bdat_on, chunk) in [(false, 1 << 20), (true, 100_000), (true, 1 << 20)] {
            for ehlo in [EHLO, NO_PIPELINING] {
                let what = format!(
                    "unusual {unusual}, bdat {bdat_on} {chunk}, pipelining {}",
                    ehlo == EHLO
                );
                let body = text(4 * BLOCK + 3, unusual, true);
                let mut client = client_with(ClientConfig::default(), ehlo);
                let mut server = Server {
                    defer_once: Some(c),
                    ..Server::default()
                };
                let send = SendMail::with_options(
                    envelope(),
                    MailBody::bytes(body.clone()),
                    options(bdat_on, chunk),
                );
                let (report, _) = run(&mut client, send, &mut server);
                assert_eq!(report.outcome(), Outcome::Delivered, "{what}");
                assert_eq!(report.delivered_count(), 2, "{what}");
                let policy = BodyPolicy::default();
                let content = |chunk: usize| {
                    if bdat_on {
                        bdat(&body, chunk, BdatMode::Text(policy))
                    } else {
                        let mut data = b"DATA\r\n".to_vec();
                        encode_data(&body, policy, &mut data).unwrap();
                        data
                    }
                };
                let chunk = if ehlo == EHLO {
                    chunk
                } else {
                    // Unpipelined BDAT: the whole canonical body in one chunk.
                    let size = BodySummary::of(&body, policy).bdat_size();
                    usize::try_from(size).unwrap()
                };
                let expected = [mail, b, c, &content(chunk), mail, c, &content(chunk)].concat();
                assert!(server.wire == expected, "{what}");
                assert!(client.is_usable(), "{what}");
            }
        }
    }
}

/// Pumped and streamed bodies in one `SendMails`, over DATA and BDAT, with and without a
/// group limit, the first mail's first chunk refused or not: each caller's piece goes to
/// the streamed mail running, each pumped body is pumped in its turn, and the wire is
/// every mail encoded at once, in order (a refused mail's chunks up to the one in
/// progress, then RSET).
#[test]
fn pumped_and_streamed_bodies_mix_in_one_send_mails() {
    use smtp_proto::command::StreamedBody;
    let streamed = text(2 * BLOCK + 5, false, true);
    let policy = BodyPolicy::default();
    let cases = [(false, None), (true, None), (true, Some(1))];
    for (unusual, (bdat_on, refuse)) in [false, true]
        .into_iter()
        .flat_map(|u| cases.map(|c| (u, c)))
    {
        // Sent as it is over BDAT, or through the framer.
        let pumped = text(5 * BLOCK + 11, unusual, false);
        for max_group in [None, NonZeroUsize::new(100_000)] {
            let what = format!(
                "unusual {unusual}, bdat {bdat_on}, refuse {refuse:?}, group {max_group:?}"
            );
            let config = ClientConfig {
                max_group,
                ..ClientConfig::default()
            };
            let mut client = client_with(config, EHLO);
            let mut server = Server {
                refuse_chunk: refuse,
                ..Server::default()
            };
            let bodies = [
                MailBody::bytes(pumped.clone()),
                MailBody::Streamed(StreamedBody::default()),
                MailBody::bytes(pumped.clone()),
                MailBody::Streamed(StreamedBody::default()),
            ];
            let mails = bodies.into_iter().map(|body| (envelope(), body));
            let send = SendMails::new(mails, options(bdat_on, 100_000));
            let now = Instant::now();
            let mut ex = client.send(send);
            let mut pieces = 0;
            // Pieces of the streamed body handed over so far, and streamed bodies ended.
            let mut at = 0;
            let mut ended = 0;
            let reports = loop {
                match ex.poll_output(now).unwrap() {
                    Output::Transmit(t) => {
                        server.read(t.bytes());
                        let replies = std::mem::take(&mut server.replies);
                        if !replies.is_empty() {
                            ex.handle_input(&replies);
                        }
                    }
                    Output::NeedBody => {
                        if at < streamed.len() {
                            let to = streamed.len().min(at + 10_000);
                            ex.handle_body(&streamed[at..to]);
                            at = to;
                            pieces += 1;
                        } else {
                            ex.handle_body_end();
                            at = 0;
                            ended += 1;
                        }
                    }
                    Output::NeedInput { .. } => panic!("{what}: waits for a reply already given"),
                    Output::Done(result) => break result.unwrap(),
                    Output::UpgradeTls => panic!("{what}: no STARTTLS here"),
                }
            };
            assert_eq!(ended, 2, "{what}");
            assert!(pieces >= 2 * streamed.len() / 10_000, "{what}");
            let outcomes: Vec<Outcome> =
                reports.into_iter().map(|r| r.unwrap().outcome()).collect();
            let first = if refuse.is_some() {
                Outcome::Rejected
            } else {
                Outcome::Delivered
            };
            assert_eq!(
                outcomes,
                [
                    first,
                    Outcome::Delivered,
                    Outcome::Delivered,
                    Outcome::Delivered
                ],
                "{what}"
            );
            let content = |body: &[u8]| {
                if bdat_on {
                    bdat(body, 100_000, BdatMode::Text(policy))
                } else {
                    let mut data = b"DATA\r\n".to_vec();
                    encode_data(body, policy, &mut data).unwrap();
                    data
                }
            };
            let mail = |body: &[u8]| [ENVELOPE, &content(body)].concat();
            let tail = [mail(&streamed), mail(&pumped), mail(&streamed)].concat();
            assert!(server.wire.ends_with(&tail), "{what}");
            let head = &server.wire[..server.wire.len() - tail.len()];
            let all = mail(&pumped);
            if refuse.is_some() {
                // The chunks up to the one in progress when the refusal was read (completed),
                // then RSET.
                let sent = head
                    .strip_suffix(b"RSET\r\n")
                    .expect("RSET after the chunks");
                assert!(all.starts_with(sent), "{what}");
                let mut end = ENVELOPE.len();
                let mut ends = Vec::new();
                while end < all.len() {
                    let line = all[end..].iter().position(|&b| b == b'\n').unwrap() + 1;
                    let words = std::str::from_utf8(&all[end + 5..end + line - 2]).unwrap();
                    let size: usize = words.trim_end_matches(" LAST").parse().unwrap();
                    end += line + size;
                    ends.push(end);
                }
                assert!(
                    ends.contains(&sent.len()),
                    "{what}: {} of {ends:?}",
                    sent.len()
                );
            } else {
                assert!(head == all, "{what}");
            }
            assert!(client.is_usable(), "{what}");
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Bodies over a block from an alphabet that makes every encoder path likely: dots at
    /// line starts, bare CR and LF, CRLF, 8-bit octets; a random pattern repeated.
    fn bodies() -> impl Strategy<Value = Vec<u8>> {
        let octet = prop::sample::select(vec![b'a', b'.', b'\r', b'\n', b' ', 0xE9]);
        (prop::collection::vec(octet, 200..2000), BLOCK..3 * BLOCK)
            .prop_map(|(pattern, size)| pattern.iter().copied().cycle().take(size).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the body and chunk size, the pumped wire is the body encoded at once.
        #[test]
        fn pumped_wire_is_the_encoding_at_once(body in bodies(), chunk in 1000usize..200_000) {
            let policy = BodyPolicy::default();
            let mut data = Vec::new();
            prop_assume!(encode_data(&body, policy, &mut data).is_ok());
            for bdat in [false, true] {
                let body_now = MailBody::bytes(body.clone());
                let (report, server, _) = send_one(body_now, options(bdat, chunk));
                prop_assert_eq!(report.outcome(), Outcome::Delivered);
                let body_param = if body.is_ascii() { "" } else { " BODY=8BITMIME" };
                let mail = format!(
                    "MAIL FROM:<a@example.org>{body_param}\r\nRCPT TO:<b@example.net>\r\n"
                );
                let mail = mail.as_bytes();
                let expected = if bdat {
                    [mail, &super::bdat(&body, chunk, BdatMode::Text(policy))].concat()
                } else {
                    [mail, b"DATA\r\n", &data].concat()
                };
                prop_assert!(server.wire == expected, "bdat {}", bdat);
            }
        }
    }
}
