//! The whole client driven by a hostile server: session setup, mails and QUIT, fed arbitrary
//! server bytes in arbitrary reads, with end of file, timeouts and failed TLS handshakes.
//!
//! Input layout: four configuration bytes, an event count `n`, `n` event bytes, then the
//! server's byte stream.
//!
//! - byte 0: bits 0-1 the STARTTLS policy (0 and 3 required, 1 opportunistic, 2 disabled),
//!   bit 2 implicit TLS, bit 3 credentials, bit 4 `allow_plaintext`, bit 5 LMTP, bit 6
//!   `max_group`, bit 7 streamed body;
//! - byte 1: bits 0-1 what follows the first mail (nothing, a second `SendMail`, `SendMails`
//!   of two or three), bit 2 `prefer_bdat`, bit 3 pipelining off, bits 4-5 the body, bit 6
//!   three recipients, bit 7 HELO fallback off;
//! - byte 2: bits 0-1 the AUTH preference, bits 2-4 the streamed piece size (`1 << k`),
//!   bit 5 a whole body repeated to one octet over a data block (written a block at a
//!   time), bit 7 the streamed body's size hint;
//! - byte 3: the group size (`4 * b + 1`) and the BDAT chunk size (`(b >> 3) + 1`);
//! - events, consumed when the client needs input: `0x00-0x3f` read `e + 1` bytes,
//!   `0x40-0x6f` read `e - 0x3f` lines, `0x70-0x8f` read everything left, `0x90-0x9f` end of
//!   file, `0xa0-0xbf` time jumps to the deadline, `0xc0-0xdf` time advances
//!   `(e & 0x1f) * 20` s, `0xe0-0xff` (next at a TLS upgrade) the handshake fails, else one
//!   line; `0xf0-0xff` next at a transmit: its write fails after the stream accepted
//!   `(e & 0x0f) * len / 15` of its octets (`handle_write_error`, then what the next event
//!   reads, if it reads, then end of file).
//!   Without events left the client reads one line at a time; without bytes, EOF.
//!
//! Properties asserted: no panic and no [`ProtocolError::Misuse`]; every exchange ends with
//! `Done` or an error, and within a few polls after end of file (never `NeedInput` again);
//! a reply deadline is never moved by a read without a line end, never before `now`, and
//! reaching it is [`ProtocolError::Timeout`]; after a fatal error, an end of file or an
//! abandoned exchange the client is unusable and the next exchange fails before a byte;
//! the transmit's `tags()` cover its bytes exactly and every command or secret piece is one
//! CRLF line without other CR, LF or NUL; no secret piece and no form of the password (clear,
//! base64, PLAIN's base64) leaves without TLS unless plaintext AUTH is allowed and TLS is
//! not required; with TLS required only EHLO, HELO, LHLO, STARTTLS and QUIT leave before the
//! handshake; the redacted log never shows the password; TLS is requested only right after a
//! complete 220 line; a recipient is delivered only with positive RCPT and end-of-data
//! replies, and uncertain only after an end of data was written (of a cut write, only the
//! accepted octets count, and a reply read after the cut delivers nothing whose end of data
//! did not leave); a refused recipient has a refusal as its RCPT reply, an uncertain one no
//! refused RCPT answer; nothing is written after a cut write, and with nothing read after
//! it the error is [`ProtocolError::WriteFailed`].

use std::num::NonZeroUsize;
use std::time::Instant;

use crate::auth::{Credentials, Mechanism, PASSWORD_PREFERENCE, SaslParams, encode_base64};
use crate::client::{Client, ClientConfig, Output, Protocol};
use crate::command::{
    Authenticate, Cmd, Establish, LogicError, MailBody, Quit, Rset, SendMail, SendMails,
    StreamedBody, TlsPolicy, TransactionOptions,
};
use crate::error::ProtocolError;
use crate::syntax::ClientId;

use state::{Event, State};

mod state;

const USER: &str = "tim";
const PASSWORD: &str = "fuzz-s3cret-pw";
const BODIES: [&[u8]; 4] = [
    b"Subject: hi\r\n\r\nhello\r\n",
    b"Subject: hi\n\n.leading dot\nbare\rcr\n.\n",
    b"Subject: caf\xc3\xa9\r\n\r\n\xc3\xa9t\xc3\xa9\r\n",
    b"Subject: x\r\n\r\nnul\0here\r\n",
];
/// Polls allowed between two events: a livelock is a finding.
const MAX_POLLS: usize = 10_000;

/// Whole-client target; see the module docs for the input layout and the properties.
pub fn client(data: &[u8]) {
    let [c0, c1, c2, c3, n, rest @ ..] = data else {
        return;
    };
    let (events, stream) = rest.split_at(usize::from(*n).min(rest.len()));
    let Some(mut run) = Run::new([*c0, *c1, *c2, *c3], events, stream) else {
        return;
    };
    run.session();
}

/// How a driven exchange ended.
enum Ending<T> {
    Done(Result<T, LogicError>),
    Fatal,
    /// The TLS handshake failed: the caller drops the exchange and the connection.
    Abandoned,
}

struct Run<'a> {
    client: Client,
    s: State<'a>,
}

impl<'a> Run<'a> {
    fn new(c: [u8; 4], events: &'a [u8], stream: &'a [u8]) -> Option<Self> {
        let [c0, c1, c2, c3] = c;
        let policy = match c0 & 3 {
            1 => TlsPolicy::Opportunistic,
            2 => TlsPolicy::Disabled,
            _ => TlsPolicy::Required,
        };
        let implicit = c0 & 4 != 0;
        let config = ClientConfig {
            max_group: (c0 & 0x40 != 0)
                .then(|| NonZeroUsize::new(usize::from(c3) * 4 + 1))
                .flatten(),
            ..ClientConfig::default()
        };
        let client = if implicit {
            Client::new_tls(config)
        } else {
            Client::new(config)
        };
        let protocol = if c0 & 0x20 != 0 {
            Protocol::Lmtp
        } else {
            Protocol::Smtp
        };
        let body_bytes = BODIES.get(usize::from((c1 >> 4) & 3)).copied()?;
        let body = if c0 & 0x80 != 0 {
            MailBody::Streamed(StreamedBody {
                eight_bit: c1 & 0x30 == 0x20,
                smtputf8: false,
                size_hint: (c2 & 0x80 != 0).then_some(body_bytes.len() as u64 + 8),
            })
        } else if c2 & 0x20 != 0 {
            // Repeated past one data block: a whole body written a block at a time.
            let size = crate::client::BODY_BLOCK as usize + 1;
            MailBody::bytes(
                body_bytes
                    .iter()
                    .copied()
                    .cycle()
                    .take(size)
                    .collect::<Vec<u8>>(),
            )
        } else {
            MailBody::bytes(body_bytes)
        };
        let options = TransactionOptions {
            prefer_bdat: c1 & 4 != 0,
            pipelining: c1 & 8 == 0,
            bdat_chunk_size: NonZeroUsize::new(usize::from(c3 >> 3) + 1)?,
            ..TransactionOptions::default()
        };
        let preference = match c2 & 3 {
            0 => PASSWORD_PREFERENCE.to_vec(),
            1 => vec![Mechanism::Login, Mechanism::Plain],
            2 => vec![Mechanism::CramMd5, Mechanism::Plain],
            _ => vec![Mechanism::Plain],
        };
        let plain = format!("\0{USER}\0{PASSWORD}");
        let s = State {
            policy,
            auth: (c0 & 8 != 0).then_some(c0 & 0x10 != 0),
            follow_up: c1 & 3,
            options,
            body,
            body_bytes,
            piece: 1 << ((c2 >> 2) & 7),
            recipients: if c1 & 0x40 != 0 { 3 } else { 1 },
            helo_fallback: c1 & 0x80 == 0,
            preference,
            events,
            stream,
            now: Instant::now(),
            tls: implicit,
            eof: false,
            written: Vec::new(),
            claimed_ends: 0,
            secrets: [
                PASSWORD.as_bytes().to_vec(),
                encode_base64(PASSWORD.as_bytes()).into_bytes(),
                encode_base64(plain.as_bytes()).into_bytes(),
            ],
            delivered: Vec::new(),
            last_command: Vec::new(),
        };
        Some(Self {
            client: client.with_protocol(protocol),
            s,
        })
    }

    /// Establish, the mail(s), QUIT: each while the client is usable.
    fn session(&mut self) {
        let Ok(setup) = Establish::new(ClientId::localhost()) else {
            return;
        };
        let mut setup = setup.tls(self.s.policy).helo_fallback(self.s.helo_fallback);
        if let Some(allow) = self.s.auth {
            let params = SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO");
            let auth = Authenticate::new(Credentials::password(USER, PASSWORD))
                .preference(self.s.preference.clone())
                .params(params)
                .allow_plaintext(allow);
            setup = setup.authenticate(auth);
        }
        if !self.step(setup) {
            return;
        }
        if !self.send_mail() {
            return;
        }
        let more = match self.s.follow_up {
            1 => self.send_mail(),
            2 | 3 => self.send_mails(usize::from(self.s.follow_up)),
            _ => true,
        };
        if more {
            self.step(Quit);
        }
    }

    fn send_mail(&mut self) -> bool {
        let Some(envelope) = self.s.envelope() else {
            return false;
        };
        let mut send = SendMail::with_options(envelope, self.s.body.clone(), self.s.options);
        let ending = self.drive(&mut send);
        if let Ending::Done(Ok(report)) = &ending {
            self.s.check_report(report, true);
        }
        if let Some(report) = send.report() {
            self.s.check_report(&report, false);
            self.s.mail_checked(&report);
        }
        self.after(ending)
    }

    fn send_mails(&mut self, count: usize) -> bool {
        let Some(envelope) = self.s.envelope() else {
            return false;
        };
        let mails = vec![(envelope, self.s.body.clone()); count];
        let mut send = SendMails::new(mails.into_iter(), self.s.options);
        let ending = self.drive(&mut send);
        if let Ending::Done(Ok(results)) = &ending {
            for report in results.iter().flatten() {
                self.s.check_report(report, true);
                self.s.mail_checked(report);
            }
        }
        for report in send.interrupted_reports() {
            self.s.check_report(&report, false);
            self.s.mail_checked(&report);
        }
        self.after(ending)
    }

    /// Runs a command to its end; whether the session may go on.
    fn step<C: Cmd>(&mut self, cmd: C) -> bool {
        let ending = self.drive(cmd);
        self.after(ending)
    }

    /// What an ending means for the client: after a fatal error, an end of file or an
    /// abandoned exchange it is unusable and refuses the next command before a byte.
    fn after<T>(&mut self, ending: Ending<T>) -> bool {
        let dead = self.s.eof || !matches!(ending, Ending::Done(_));
        if dead {
            assert!(
                !self.client.is_usable(),
                "usable after the connection ended"
            );
            let mut next = self.client.send(Rset);
            assert!(
                next.poll_output(self.s.now).is_err(),
                "a dead client ran RSET"
            );
            return false;
        }
        self.client.is_usable()
    }

    /// Drives one exchange through the events until it ends.
    fn drive<C: Cmd>(&mut self, cmd: C) -> Ending<C::Output> {
        let mut ex = self.client.send(cmd);
        let mut polls = 0;
        let mut after_eof = 0;
        // The deadline shown last, while no line end arrived since.
        let mut pending: Option<Instant> = None;
        let mut expect_timeout = false;
        let mut body_at = 0;
        let mut cut_silent = false;
        loop {
            polls += 1;
            assert!(polls < MAX_POLLS, "livelock");
            if self.s.eof {
                after_eof += 1;
                assert!(after_eof < 64, "no end after end of file");
            }
            let output = match ex.poll_output(self.s.now) {
                Err(error) => {
                    assert!(!matches!(error, ProtocolError::Misuse(_)), "{error:?}");
                    if expect_timeout {
                        assert!(matches!(error, ProtocolError::Timeout(_)), "{error:?}");
                    }
                    // Nothing read after a cut write: the failed write is the cause.
                    if cut_silent {
                        assert_eq!(error, ProtocolError::WriteFailed);
                    }
                    return Ending::Fatal;
                }
                Ok(output) => output,
            };
            assert!(!expect_timeout, "deadline passed without a timeout");
            match output {
                Output::Transmit(t) => {
                    assert!(!self.s.eof, "a transmit after a cut write or end of file");
                    let cut = self.s.write_cut(t.bytes().len());
                    self.s.check_transmit(&t, cut);
                    pending = None;
                    if let Some(accepted) = cut {
                        ex.handle_write_error(accepted);
                        // What the server sent before it closed, if the next event reads.
                        let last = match self.s.next_event() {
                            Event::Read(bytes) => bytes,
                            _ => &[],
                        };
                        cut_silent = last.is_empty();
                        self.s.delivered.extend_from_slice(last);
                        ex.handle_input(last);
                        self.s.eof = true;
                        ex.handle_eof();
                    }
                }
                Output::NeedInput { deadline } => {
                    assert!(!self.s.eof, "input wanted after end of file");
                    assert!(deadline > self.s.now, "deadline in the past");
                    if let Some(shown) = pending {
                        assert_eq!(shown, deadline, "deadline moved without a reply");
                    }
                    polls = 0;
                    pending = Some(deadline);
                    match self.s.next_event() {
                        Event::Read(bytes) => {
                            self.s.delivered.extend_from_slice(bytes);
                            if bytes.contains(&b'\n') {
                                pending = None;
                            }
                            ex.handle_input(bytes);
                        }
                        Event::Eof => {
                            self.s.eof = true;
                            ex.handle_eof();
                        }
                        Event::Advance(by) => {
                            self.s.now = by.map_or(deadline, |by| self.s.now + by);
                            expect_timeout = self.s.now >= deadline;
                            ex.handle_timeout(self.s.now);
                        }
                    }
                }
                Output::UpgradeTls => {
                    assert!(!self.s.tls, "a second TLS upgrade");
                    assert_eq!(self.s.last_command, b"STARTTLS\r\n");
                    let last = self.s.delivered.rsplit(|&b| b == b'\n').nth(1);
                    assert!(
                        last.is_some_and(|l| l.starts_with(b"220")),
                        "upgrade without 220"
                    );
                    assert!(self.s.delivered.ends_with(b"\n"), "upgrade mid-line");
                    if self.s.events.first().is_some_and(|&e| e >= 0xe0) {
                        self.s.events = self.s.events.get(1..).unwrap_or_default();
                        return Ending::Abandoned;
                    }
                    ex.tls_established();
                    self.s.tls = true;
                }
                Output::NeedBody => {
                    let rest = self.s.body_bytes.get(body_at..).unwrap_or_default();
                    if rest.is_empty() {
                        body_at = 0;
                        ex.handle_body_end();
                    } else {
                        let piece = rest.get(..self.s.piece).unwrap_or(rest);
                        body_at += piece.len();
                        ex.handle_body(piece);
                    }
                }
                Output::Done(result) => return Ending::Done(result),
            }
        }
    }
}
