//! The sans-IO server fed arbitrary client bytes.
//!
//! Input layout: a flags octet (bit 0 small limits: 64-octet lines and 300-octet messages;
//! bit 1 answer DATA with 354, else 554; bit 2 accept AUTH; bit 3 keep the command lines;
//! bit 4 answer each end of message with two replies, as LMTP does; bit 5 answer a SCRAM
//! lookup with keys, else 535; bit 6 refuse a bearer token with the error challenge; bit 7
//! AUTH only over TLS: 538 until a handshake), a seed octet for split points and SASL round
//! trips (bit 6 also offers TLS: the first STARTTLS is answered 220 and the handshake
//! simulated, a later one 503; without it STARTTLS is answered 454), then the client's byte
//! stream.
//!
//! Properties asserted: no panic; every poll sequence ends (no livelock); the transmitted
//! bytes and the events (adjacent message pieces merged) are the same whether the stream
//! comes whole, split at seeded points, or one octet at a time (the pieces of a message
//! refused as too large, or unfinished at the end, dropped); fed one octet at a time, no
//! octet draws more than one reply (LMTP's per-recipient replies aside); the stream, read as a body
//! canonicalised to CRLF lines and stuffed by the client's own [`encode_data`], unstuffs to
//! exactly itself and ends exactly at the end-of-data line; the kept command lines are the
//! same for every split and never show a SASL payload; and, with credentials taken from
//! the stream, the crate's own SASL client and the server agree on every mechanism (see
//! [`sasl::round_trip`]).
//!
//! STARTTLS and the split. A real adapter writes the 220, runs the handshake, and only
//! then reads again: octets it had read together with the STARTTLS line came in plaintext
//! before the handshake, and the server discards them (`Refusal::InjectedAfterStartTls`,
//! no reply: the command injection of the CVE-2011-0411 class, against RFC 3207 §4.2's
//! fresh start); octets the client sends later are the TLS session's. How many octets come with the line is all the split changes, so the target
//! models a client that waits for the 220: in every mode the stream after the STARTTLS
//! line is the TLS session's, fed after `tls_established` and split afresh from there
//! (whole: the rest at once), and the handshake's offset in the stream is itself compared
//! (`Seen::Tls`). What came with the line is checked on the way: right after the 220 the
//! server reports the octets it discarded (more than none) and asks for the upgrade, with
//! nothing else between; the target then feeds those octets again, after the handshake.
//! Had the server counted wrong, kept them, acted on any or, the real danger, kept them
//! unreported for the TLS session, the offset or the session would differ from the one
//! fed an octet at a time, where nothing comes with the line (asserted). The literal model
//! (the octets lost, the next chunk the TLS session's) would make each split a different
//! session, comparable only with a further run per split on the stream cut the same way;
//! this one compares the whole TLS session in every mode. In the whole and seeded modes
//! the target also hands the rest of the stream to `handle_input` during the upgrade (the
//! server documents that it ignores it; acted on, it would come twice) and calls
//! `tls_established` out of turn at each `NeedInput` (refused with `NotUpgrading`, and it
//! must change nothing). After the handshake the session starts afresh (RFC 3207 §4.2):
//! what follows it is what a new server with TLS from the start makes of the same octets
//! ([`afresh`]). Under bit 7 no AUTH exchange starts before the handshake (no 334, no
//! credentials), a 538 comes only then, and after a 235 no AUTH exchange starts until the
//! handshake forgets it (RFC 4954 §4 and §6).

use crate::data::{BodyPolicy, encode_data};
use crate::response::ReplyCode;
use crate::server::{AuthGate, Command, DotDecoder, Event, Output, Refusal, Reply, Server};
use crate::server::{ServerConfig, ServerError};

#[path = "server_sasl.rs"]
mod sasl;

use sasl::Answer;

/// Polls allowed per input: a livelock is a finding.
const MAX_POLLS: usize = 100_000;

/// Server target; see the module docs for the input layout and the properties.
pub fn server(data: &[u8]) {
    let [flags, seed, stream @ ..] = data else {
        return;
    };
    let tls = Tls::offered(*seed);
    let whole = run(*flags, tls, stream, usize::MAX);
    let bytes = run(*flags, tls, stream, 1);
    assert_eq!(whole, bytes, "whole vs one octet at a time");
    let size = usize::from(*seed % 17) + 1;
    assert_eq!(whole, run(*flags, tls, stream, size), "seeded chunks");
    afresh(&whole, *flags, stream);
    round_trip(stream, *flags);
    sasl::round_trip(*seed, stream);
}

/// After the handshake the session starts afresh (RFC 3207 §4.2): what follows it in
/// `seen` is what a new server with TLS from the start (`implicit_tls`) makes of the TLS
/// session's octets, its greeting aside. Not when a challenge went out before: it drew
/// nonces, which go on from where they were (the kept lines, which accumulate, are not
/// compared either).
fn afresh(seen: &[Seen], flags: u8, stream: &[u8]) {
    let Some(i) = seen.iter().position(|s| matches!(s, Seen::Tls(_))) else {
        return;
    };
    let (before, after) = seen.split_at(i);
    let challenged = before
        .iter()
        .any(|s| matches!(s, Seen::Transmit(bytes) if bytes.starts_with(b"334")));
    let (Some((Seen::Tls(at), after)), false) = (after.split_first(), challenged) else {
        return;
    };
    let fresh = run(
        flags,
        Tls::Established,
        stream.get(*at..).unwrap_or_default(),
        1,
    );
    assert_eq!(
        after.split_last().map(|(_, after)| after),
        fresh.get(1..fresh.len().saturating_sub(1)),
        "the TLS session not afresh"
    );
}

/// The user name and the secret the target's SASL round trip takes from `stream` (the
/// first two words of its first line), for the test of what the round trips reach.
pub fn server_credentials(stream: &[u8]) -> (String, String) {
    sasl::credentials(stream)
}

/// One observable step of the session.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Transmit(Vec<u8>),
    Event(String),
    Data(Vec<u8>),
    /// The handshake, and the stream offset where the TLS session's octets begin.
    Tls(usize),
    Close,
}

/// Where the session stands with TLS, which decides the answer to STARTTLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    /// STARTTLS is answered 454.
    NotOffered,
    /// STARTTLS is answered 220.
    Offered,
    /// The handshake happened (or the session was TLS from the start): STARTTLS is
    /// answered 503.
    Established,
}

impl Tls {
    /// Seed bit 6 offers TLS.
    fn offered(seed: u8) -> Self {
        if seed & 0x40 == 0x40 {
            Self::Offered
        } else {
            Self::NotOffered
        }
    }
}

fn config(flags: u8) -> ServerConfig {
    let config = ServerConfig {
        nonce_seed: u64::from(flags),
        // Bit 7: AUTH only over TLS (RFC 4954 §6's 538 until a handshake).
        auth_requires_tls: flags & 128 == 128,
        // An application-answered verb, and one that names a built-in (ignored).
        extensions: vec!["XPING".into(), "DATA".into()],
        ..ServerConfig::default()
    };
    if flags & 1 == 1 {
        ServerConfig {
            max_line_length: 64,
            max_message_size: 300,
            ..config
        }
    } else {
        config
    }
}

/// One session: `stream` fed in chunks of `size` octets (`usize::MAX`: whole), the split
/// starting afresh where the TLS session's octets begin (see the module docs).
fn run(flags: u8, tls: Tls, stream: &[u8], size: usize) -> Vec<Seen> {
    let mut session = Session::new(flags, tls);
    // The reference mode, one octet at a time, calls the server only as an adapter does;
    // the others also try the inputs the server documents to change nothing.
    let probing = size > 1;
    let mut stop = session.drive(&mut Replies::default());
    let mut at = 0;
    while at < stream.len() && stop != Stop::Closed {
        let end = at.saturating_add(size).min(stream.len());
        let chunk = stream.get(at..end).unwrap_or_default();
        at = end;
        session.server.handle_input(chunk);
        let mut replies = Replies::default();
        stop = session.drive(&mut replies);
        // Whatever the mode, one octet completes at most one command line, SASL answer,
        // end of data or BDAT chunk, and each of those gets exactly one reply (LMTP's
        // extra replies per end of data are not counted). A second reply is one a
        // pipelining client never asked for: it would read every later reply one late.
        if chunk.len() == 1 {
            let n = replies.sent.saturating_sub(replies.lmtp_extra);
            assert!(n <= 1, "{n} replies to one octet: {:?}", session.seen);
        }
        match stop {
            Stop::Input if probing => assert_eq!(
                session.server.tls_established(),
                Err(ServerError::NotUpgrading),
                "tls_established out of turn"
            ),
            Stop::Upgrade { discarded } => {
                at = session.upgrade(stream, at, discarded, probing);
            }
            Stop::Input | Stop::Closed => {}
        }
    }
    if stop != Stop::Closed {
        session.server.handle_eof();
        assert_eq!(
            session.drive(&mut Replies::default()),
            Stop::Closed,
            "no Close after EOF"
        );
    }
    with_lines(session.seen, &mut session.server, flags & 8 == 8)
}

/// Why [`Session::drive`] stopped.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// `NeedInput`.
    Input,
    /// `Close`.
    Closed,
    /// `UpgradeTls`, after the server discarded this many octets read with STARTTLS.
    Upgrade { discarded: usize },
}

/// The server and what the target, as its application, knows of the session.
struct Session {
    server: Server,
    flags: u8,
    tls: Tls,
    /// A 235 answered credentials since the session (or the TLS session) began.
    authenticated: bool,
    seen: Vec<Seen>,
    /// The answer to the pending event.
    answer: Option<Answer>,
}

impl Session {
    /// A session awaiting its greeting, which the target answers 220.
    fn new(flags: u8, tls: Tls) -> Self {
        let mut server = Server::new(config(flags));
        if flags & 8 == 8 {
            server = server.keep_lines();
        }
        if tls == Tls::Established {
            server = server.implicit_tls();
        }
        Self {
            server,
            flags,
            tls,
            authenticated: false,
            seen: Vec::new(),
            answer: reply(220, "fuzz ESMTP").map(Answer::Reply),
        }
    }

    /// The handshake after `UpgradeTls` at stream offset `at`, when the server discarded
    /// `discarded` octets read with STARTTLS; returns the offset to feed from next: where
    /// the TLS session's octets begin, the discarded ones first.
    fn upgrade(&mut self, stream: &[u8], at: usize, discarded: usize, probing: bool) -> usize {
        assert!(
            probing || discarded == 0,
            "{discarded} octets discarded one octet at a time"
        );
        let start = at.checked_sub(discarded);
        assert!(start.is_some(), "{discarded} octets discarded, {at} read");
        let start = start.unwrap_or(at);
        self.seen.push(Seen::Tls(start));
        if probing {
            // Octets read during the handshake are ignored (`handle_input`'s docs).
            self.server
                .handle_input(stream.get(start..).unwrap_or_default());
            assert_eq!(
                self.server.poll_output(),
                Output::UpgradeTls,
                "still upgrading"
            );
        }
        assert_eq!(self.server.tls_established(), Ok(()), "after UpgradeTls");
        self.tls = Tls::Established;
        self.authenticated = false;
        start
    }

    /// Polls until input is needed, the upgrade or the end. Counts the replies transmitted.
    fn drive(&mut self, replies: &mut Replies) -> Stop {
        for polls in 0.. {
            assert!(polls < MAX_POLLS, "livelock: no input asked for");
            let output = self.server.poll_output();
            assert_ne!(
                output,
                Output::UpgradeTls,
                "UpgradeTls without a 220 to STARTTLS"
            );
            match output {
                Output::Transmit(bytes) => {
                    assert!(
                        !(self.auth_closed() && bytes.starts_with(b"334")),
                        "an AUTH challenge while AUTH is closed: {:?}",
                        self.seen
                    );
                    replies.sent += final_lines(&bytes);
                    self.seen.push(Seen::Transmit(bytes));
                }
                Output::Event(Event::MessageData(bytes)) => {
                    assert!(!bytes.is_empty(), "empty message piece");
                    match self.seen.last_mut() {
                        Some(Seen::Data(all)) => all.extend(bytes),
                        _ => self.seen.push(Seen::Data(bytes)),
                    }
                }
                Output::Event(event) => {
                    self.check_auth(&event);
                    self.answer = respond(&event, self.flags, self.tls);
                    if matches!(event, Event::Refused(Refusal::MessageTooLarge { .. })) {
                        // In LMTP the refusal of a message too large is one 552 per accepted
                        // recipient, written by the core before this event.
                        replies.lmtp_extra += discard_message(&mut self.seen).saturating_sub(1);
                    }
                    self.seen.push(Seen::Event(format!("{event:?}")));
                }
                Output::NeedReply => {
                    let answer = self.answer.take();
                    assert!(answer.is_some(), "NeedReply after an event that needs none");
                    match answer {
                        Some(Answer::Reply(reply)) => {
                            if let Some(stop) = self.give(reply, replies) {
                                return stop;
                            }
                        }
                        Some(other) => other.give(&mut self.server),
                        None => {}
                    }
                }
                Output::NeedInput => return Stop::Input,
                Output::Close => {
                    // An unfinished message is no message, and how much of it was handed out
                    // before a size limit depends on the split.
                    if let Some(Seen::Data(_)) = self.seen.last() {
                        self.seen.pop();
                    }
                    self.seen.push(Seen::Close);
                    return Stop::Closed;
                }
                Output::UpgradeTls => return Stop::Closed,
            }
        }
        Stop::Closed
    }

    /// Gives `reply` to the pending event; after a 220 to STARTTLS, reads the upgrade's
    /// outputs and stops there.
    fn give(&mut self, reply: Reply, replies: &mut Replies) -> Option<Stop> {
        let last = match self.seen.last() {
            Some(Seen::Event(e)) => e.as_str(),
            _ => "",
        };
        let code = reply.code().get();
        // LMTP answers each end of a message, DATA's or BDAT LAST's, once per recipient.
        let end_of_message =
            last == "DataEnd" || (last.starts_with("Command(Bdat") && last.contains("last: true"));
        let starttls = last == "Command(StartTls)" && code == 220;
        if last.starts_with("Authenticate(") && code == 235 {
            self.authenticated = true;
        }
        if self.flags & 16 == 16 && end_of_message {
            assert_eq!(self.server.reply_many([reply.clone(), reply]), Ok(()));
            replies.lmtp_extra += 1;
        } else {
            assert_eq!(self.server.reply(reply), Ok(()));
        }
        starttls.then(|| self.upgrade_outputs(replies))
    }

    /// The outputs after a 220 to STARTTLS: the 220, the octets read with STARTTLS
    /// discarded (if there were any), `UpgradeTls`; nothing else.
    fn upgrade_outputs(&mut self, replies: &mut Replies) -> Stop {
        let ready = self.server.poll_output();
        assert!(
            matches!(&ready, Output::Transmit(bytes) if bytes.starts_with(b"220 ")),
            "{ready:?} for the 220 to STARTTLS"
        );
        if let Output::Transmit(bytes) = ready {
            replies.sent += 1;
            self.seen.push(Seen::Transmit(bytes));
        }
        let mut next = self.server.poll_output();
        let mut discarded = 0;
        if let Output::Event(Event::Refused(Refusal::InjectedAfterStartTls { octets })) = next {
            assert!(octets > 0, "no octets discarded, yet a refusal");
            discarded = octets;
            next = self.server.poll_output();
        }
        assert_eq!(next, Output::UpgradeTls, "after the 220 to STARTTLS");
        Stop::Upgrade { discarded }
    }

    /// AUTH may start no exchange: before the handshake under bit 7 (RFC 4954 §6), after
    /// a 235 (RFC 4954 §4).
    fn auth_closed(&self) -> bool {
        self.authenticated || (self.flags & 128 == 128 && self.tls != Tls::Established)
    }

    /// What an AUTH may do now (see [`Self::auth_closed`]); 538 only before TLS under
    /// bit 7, 503 for AUTH after AUTH only after a 235; discarded octets only in an upgrade.
    fn check_auth(&self, event: &Event) {
        let exchange = matches!(
            event,
            Event::Authenticate(_) | Event::ScramLookup { .. } | Event::SaslErrorAnswered(_)
        );
        assert!(
            !(exchange && self.auth_closed()),
            "{event:?} while AUTH is closed: {:?}",
            self.seen
        );
        match event {
            Event::Refused(Refusal::AuthNotAllowed(AuthGate::EncryptionRequired)) => assert!(
                self.flags & 128 == 128 && self.tls != Tls::Established,
                "538 without auth_requires_tls or under TLS"
            ),
            Event::Refused(Refusal::AuthNotAllowed(AuthGate::AlreadyAuthenticated)) => {
                assert!(
                    self.authenticated,
                    "503 already authenticated, without a 235"
                );
            }
            _ => {}
        }
        assert!(
            !matches!(event, Event::Refused(Refusal::InjectedAfterStartTls { .. })),
            "octets discarded outside an upgrade"
        );
    }
}

/// Appends the kept command lines, checking that no AUTH line shows its payload and that
/// every SASL response (the line that answers a 334) is kept redacted: at least as many
/// `<redacted>` lines as 334 challenges answered by a line the server took (not one the
/// stream ended before, nor one refused as too long, which is not kept at all).
fn with_lines(mut seen: Vec<Seen>, server: &mut Server, keep: bool) -> Vec<Seen> {
    let lines = server.take_lines();
    if keep {
        let transmits: Vec<&[u8]> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Transmit(bytes) => Some(bytes.as_slice()),
                _ => None,
            })
            .collect();
        let answered = transmits
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                t.starts_with(b"334")
                    && transmits
                        .get(i + 1)
                        .is_some_and(|next| !next.starts_with(b"500"))
            })
            .count();
        let redacted = lines.iter().filter(|line| *line == "<redacted>").count();
        assert!(
            redacted >= answered,
            "{answered} SASL responses, {redacted} kept redacted: {lines:?}"
        );
    }
    for line in &lines {
        let upper = line.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("AUTH ") {
            let mut words = rest.split(' ').skip(1);
            assert!(
                words.all(|w| w == "<REDACTED>"),
                "AUTH payload kept: {line:?}"
            );
        }
    }
    seen.push(Seen::Event(format!("lines {lines:?}")));
    seen
}

/// Replies transmitted while driving.
#[derive(Default)]
struct Replies {
    sent: usize,
    /// LMTP's second reply to each end of data.
    lmtp_extra: usize,
}

/// How many replies `bytes` hold: their final lines (`ddd SP text` or a code alone).
fn final_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| matches!(line.get(3), Some(b' ' | b'\r') | None) && line.len() >= 3)
        .count()
}

/// Drops the pieces of a message refused as too large: how much of it was handed out
/// before the limit depends on the split, and the application discards it anyway. Returns
/// how many 552 replies end `seen` (one, or one per LMTP recipient).
fn discard_message(seen: &mut Vec<Seen>) -> usize {
    let is_552 = |s: &Seen| matches!(s, Seen::Transmit(bytes) if bytes.starts_with(b"552 "));
    let replies = seen.iter().rev().take_while(|s| is_552(s)).count();
    let at = seen.len().saturating_sub(replies);
    if let Some(Seen::Data(_)) = at.checked_sub(1).and_then(|i| seen.get(i)) {
        seen.remove(at - 1);
    }
    replies
}

fn respond(event: &Event, flags: u8, tls: Tls) -> Option<Answer> {
    let reply = match event {
        Event::Command(Command::StartTls) => match tls {
            Tls::Offered => reply(220, "go ahead"),
            Tls::NotOffered => reply(454, "TLS not available"),
            Tls::Established => reply(503, "TLS already active"),
        },
        Event::Command(Command::Data) if flags & 2 == 2 => reply(354, "go ahead"),
        Event::Command(Command::Data) => reply(554, "no"),
        Event::Command(Command::Quit) => reply(221, "bye"),
        Event::Command(Command::Extension { verb, args }) => {
            assert_eq!(verb, "XPING", "only listed verbs are handed out");
            assert!(!args.bytes().any(|b| b.is_ascii_control() && b != b'\t'));
            reply(250, "pong")
        }
        Event::Authenticate(_) if flags & 4 == 4 => reply(235, "ok"),
        Event::Authenticate(c) if flags & 64 == 64 && c.mechanism().is_bearer() => {
            return Some(Answer::SaslError);
        }
        Event::Authenticate(_) | Event::SaslErrorAnswered(_) => reply(535, "no"),
        Event::ScramLookup { .. } if flags & 32 == 32 && cfg!(feature = "sasl-scram") => {
            return Some(Answer::ScramKeys);
        }
        Event::ScramLookup { .. } => reply(535, "unknown user"),
        Event::Refused(_) => None,
        _ => reply(250, "ok"),
    };
    reply.map(Answer::Reply)
}

fn reply(code: u16, text: &str) -> Option<Reply> {
    ReplyCode::new(code)
        .ok()
        .and_then(|code| Reply::new(code, text).ok())
}

/// Canonical CRLF lines from arbitrary bytes, stuffed by the client and unstuffed again.
fn round_trip(stream: &[u8], flags: u8) {
    let mut canonical = Vec::new();
    for line in stream.split(|&b| b == b'\n').filter(|_| !stream.is_empty()) {
        canonical.extend(line.iter().filter(|&&b| b != b'\r'));
        canonical.extend_from_slice(b"\r\n");
    }
    let mut wire = Vec::new();
    if encode_data(&canonical, BodyPolicy::default(), &mut wire).is_err() {
        return;
    }
    let mut decoded = Vec::new();
    let (used, ended) = DotDecoder::new().decode(&wire, &mut decoded);
    assert_eq!(
        (used, ended),
        (wire.len(), true),
        "end of data not at the end"
    );
    assert_eq!(decoded, canonical, "unstuff(stuff(body)) != body");
    // The same body through a whole session, split at every octet.
    let mut session = b"DATA\r\n".to_vec();
    session.extend_from_slice(&wire);
    let seen = run(flags | 2, Tls::NotOffered, &session, 1);
    let data: Vec<u8> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Data(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    if canonical.len() <= config(flags).max_message_size {
        assert_eq!(data, canonical, "session body");
        assert!(seen.contains(&Seen::Event("DataEnd".into())), "no DataEnd");
    } else {
        assert!(data.is_empty(), "refused body handed out");
        let refusal = Seen::Event("Refused(MessageTooLarge { limit: 300 })".into());
        assert!(seen.contains(&refusal), "no size refusal");
    }
}

#[cfg(test)]
mod tests {
    //! Configurations and paths the fuzzer has to find, shown reachable.

    use super::{Replies, Seen, Session, Stop, Tls, config, run, server};

    /// `AGEAYg==` is PLAIN's `\0a\0b`.
    const AUTH: &str = "AUTH PLAIN AGEAYg==\r\n";

    /// The reply codes `seen` transmits, and where the handshake came, in order.
    fn codes(seen: &[Seen]) -> Vec<String> {
        seen.iter()
            .filter_map(|s| match s {
                Seen::Transmit(bytes) => Some(String::from_utf8_lossy(&bytes[..3]).into_owned()),
                Seen::Tls(at) => Some(format!("TLS at {at}")),
                _ => None,
            })
            .collect()
    }

    /// Some leading octets (the seed's bit 6) answer STARTTLS with 220, so the server's TLS
    /// path is alive under the fuzzer: the refusal of octets pipelined after STARTTLS
    /// (`Refusal::InjectedAfterStartTls`, the command-injection defence of RFC 3207 §4.2 and
    /// SECURITY.md), the session reset in `tls_established`, and everything a session does
    /// once `tls` is set.
    #[test]
    fn some_flags_value_accepts_starttls() {
        let accepted = (0..=u8::MAX).find(|&seed| {
            let seen = run(0, Tls::offered(seed), b"STARTTLS\r\n", 1);
            seen.contains(&Seen::Tls(10))
        });
        assert!(accepted.is_some(), "no seed answers STARTTLS with 220");
        let seed = accepted.unwrap_or_default();
        for flags in [0, 0x80, 0xff] {
            server(&[&[flags, seed], b"STARTTLS\r\nNOOP\r\n".as_slice()].concat());
        }
    }

    /// `ServerConfig::auth_requires_tls` is never set (nor the mechanism list emptied), so
    /// `AuthGate::EncryptionRequired` (538, RFC 4954 §6) and the 502 of an empty list are
    /// never reached.
    #[test]
    fn some_flags_value_requires_tls_for_auth() {
        assert!(
            (0..=u8::MAX).any(|flags| config(flags).auth_requires_tls),
            "no flags value sets auth_requires_tls"
        );
    }

    /// With AUTH only over TLS (bit 7) and accepted (bit 2), and TLS offered: 538 before
    /// the handshake, 235 after it, the same in every split.
    #[test]
    fn auth_requiring_tls_succeeds_after_the_handshake() {
        let stream = format!("EHLO a\r\n{AUTH}STARTTLS\r\nEHLO b\r\n{AUTH}QUIT\r\n");
        let tls_at = stream.find("EHLO b").unwrap_or_default();
        let (flags, seed) = (0x80 | 0x04, 0x40);
        let seen = run(flags, Tls::offered(seed), stream.as_bytes(), 1);
        let expected = ["220", "250", "538", "220", &format!("TLS at {tls_at}")];
        let expected = [&expected[..], &["250", "235", "221"]].concat();
        assert_eq!(codes(&seen), expected);
        server(&[&[flags, seed], stream.as_bytes()].concat());
    }

    /// Octets read with the STARTTLS line are discarded as the server documents: reported
    /// once, right after the 220, then `UpgradeTls`, and none of them acted on (the AUTH
    /// they hold comes to nothing under TLS). The target's split comparison feeds them
    /// again after the handshake, where they are read as a client that waited sends them.
    #[test]
    fn octets_read_with_starttls_are_discarded() {
        let stream = format!("EHLO a\r\nSTARTTLS\r\n{AUTH}");
        let mut session = Session::new(0x80 | 0x04, Tls::Offered);
        assert_eq!(session.drive(&mut Replies::default()), Stop::Input);
        session.server.handle_input(stream.as_bytes());
        let stop = session.drive(&mut Replies::default());
        assert_eq!(
            stop,
            Stop::Upgrade {
                discarded: AUTH.len()
            }
        );
        assert_eq!(session.server.tls_established(), Ok(()));
        session.tls = Tls::Established;
        assert_eq!(session.drive(&mut Replies::default()), Stop::Input);
        session.server.handle_eof();
        assert_eq!(session.drive(&mut Replies::default()), Stop::Closed);
        assert_eq!(codes(&session.seen), ["220", "250", "220"]);
        assert!(
            !session
                .seen
                .iter()
                .any(|s| matches!(s, Seen::Event(e) if e.starts_with("Authenticate"))),
            "discarded octets acted on: {:?}",
            session.seen
        );
        // The target's model: the same octets, fed after the handshake.
        let seen = run(0x80 | 0x04, Tls::Offered, stream.as_bytes(), usize::MAX);
        let tls_at = stream.len() - AUTH.len();
        assert_eq!(
            codes(&seen),
            ["220", "250", "220", &format!("TLS at {tls_at}"), "235"]
        );
        server(&[&[0x84, 0x40], stream.as_bytes()].concat());
    }

    /// The handshake forgets an authentication (RFC 3207 §4.2): AUTH after a 235 is 503
    /// until then, 235 again after it; a second STARTTLS is answered 503.
    #[test]
    fn the_handshake_forgets_the_authentication() {
        let stream = format!("EHLO a\r\n{AUTH}{AUTH}STARTTLS\r\n{AUTH}{AUTH}STARTTLS\r\n");
        let tls_at = stream.find("STARTTLS").unwrap_or_default() + 10;
        let seen = run(0x04, Tls::Offered, stream.as_bytes(), 1);
        let expected = [
            "220",
            "250",
            "235",
            "503",
            "220",
            &format!("TLS at {tls_at}"),
        ];
        let expected = [&expected[..], &["235", "503", "503"]].concat();
        assert_eq!(codes(&seen), expected);
        server(&[&[0x04, 0x40], stream.as_bytes()].concat());
    }

    /// The committed corpus reaches the TLS paths: a handshake, octets read with STARTTLS
    /// (in the whole mode, every octet after the TLS offset was), and a 235 after a
    /// handshake under bit 7.
    #[test]
    fn the_corpus_reaches_the_handshake_and_the_discarded_octets() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/server");
        let (mut handshake, mut discarded, mut auth) = (0, 0, 0);
        for entry in std::fs::read_dir(dir).expect("corpus") {
            let data = std::fs::read(entry.expect("entry").path()).expect("input");
            let [flags, seed, stream @ ..] = data.as_slice() else {
                continue;
            };
            let seen = run(*flags, Tls::offered(*seed), stream, usize::MAX);
            let mut offsets = seen.iter().filter_map(|s| match s {
                Seen::Tls(at) => Some(*at),
                _ => None,
            });
            handshake += usize::from(offsets.clone().next().is_some());
            discarded += usize::from(offsets.any(|at| at < stream.len()));
            let after = codes(&seen)
                .into_iter()
                .skip_while(|c| !c.starts_with("TLS"));
            auth += usize::from(flags & 0x80 == 0x80 && after.clone().any(|c| c == "235"));
        }
        let summary = format!("handshake {handshake}, discarded {discarded}, AUTH {auth}");
        assert!(handshake >= 3 && discarded >= 2 && auth >= 1, "{summary}");
    }

    /// Replies transmitted right after the first event whose `Debug` starts with `event`.
    fn replies_after(flags: u8, stream: &[u8], event: &str) -> usize {
        let seen = run(flags, Tls::NotOffered, stream, usize::MAX);
        seen.iter()
            .skip_while(|s| !matches!(s, Seen::Event(e) if e.starts_with(event)))
            .skip(1)
            .take_while(|s| matches!(s, Seen::Transmit(_)))
            .count()
    }

    /// Flag bit 4 stands for LMTP: `reply_many` with two replies at each end of a message.
    /// The target calls it only when the last event was `DataEnd`; BDAT LAST (also an end
    /// of message, awaiting `MessageEnd`: `Server::reply_many`'s docs) gets one plain reply,
    /// so `reply_many` after BDAT LAST, and the one-reply-per-octet check with LMTP's extra
    /// replies there, are never exercised.
    #[test]
    fn the_lmtp_flag_answers_bdat_last_with_reply_many_too() {
        let flags = 0x10 | 0x02;
        let envelope = "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
        let data = format!("{envelope}DATA\r\nabc\r\n.\r\n");
        let bdat = format!("{envelope}BDAT 3 LAST\r\nabc");
        assert_eq!(replies_after(flags, data.as_bytes(), "DataEnd"), 2, "DATA");
        assert_eq!(
            replies_after(flags, bdat.as_bytes(), "Command(Bdat"),
            2,
            "BDAT LAST answered with one reply"
        );
    }
}
