//! The sans-IO server fed arbitrary client bytes.
//!
//! Input layout: a flags octet (bit 0 small limits: 64-octet lines and 300-octet messages;
//! bit 1 answer DATA with 354, else 554; bit 2 accept AUTH; bit 3 keep the command lines;
//! bit 4 answer each end of message with two replies, as LMTP does; bit 5 answer a SCRAM
//! lookup with keys, else 535; bit 6 refuse a bearer token with the error challenge), a
//! seed octet for split points and SASL round trips, then the client's byte stream.
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

use crate::data::{BodyPolicy, encode_data};
use crate::response::ReplyCode;
use crate::server::{Command, DotDecoder, Event, Output, Refusal, Reply, Server, ServerConfig};

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
    let whole = run(*flags, [stream].into_iter());
    let bytes = run(*flags, stream.chunks(1));
    assert_eq!(whole, bytes, "whole vs one octet at a time");
    let size = usize::from(*seed % 17) + 1;
    assert_eq!(whole, run(*flags, stream.chunks(size)), "seeded chunks");
    round_trip(stream, *flags);
    sasl::round_trip(*seed, stream);
}

/// One observable step of the session.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Transmit(Vec<u8>),
    Event(String),
    Data(Vec<u8>),
    Close,
}

fn config(flags: u8) -> ServerConfig {
    let config = ServerConfig {
        nonce_seed: u64::from(flags),
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

fn run<'a>(flags: u8, chunks: impl Iterator<Item = &'a [u8]>) -> Vec<Seen> {
    let mut server = Server::new(config(flags));
    if flags & 8 == 8 {
        server = server.keep_lines();
    }
    let mut seen = Vec::new();
    let mut answer = reply(220, "fuzz ESMTP").map(Answer::Reply);
    let mut replies = Replies::default();
    drive(&mut server, &mut seen, &mut answer, flags, &mut replies);
    for chunk in chunks {
        server.handle_input(chunk);
        replies = Replies::default();
        let closed = drive(&mut server, &mut seen, &mut answer, flags, &mut replies);
        // Whatever the mode, one octet completes at most one command line, SASL answer,
        // end of data or BDAT chunk, and each of those gets exactly one reply (LMTP's
        // extra replies per end of data are not counted). A second reply is one a
        // pipelining client never asked for: it would read every later reply one late.
        if chunk.len() == 1 {
            let n = replies.sent.saturating_sub(replies.lmtp_extra);
            assert!(n <= 1, "{n} replies to one octet: {seen:?}");
        }
        if closed {
            return with_lines(seen, &mut server);
        }
    }
    server.handle_eof();
    assert!(
        drive(&mut server, &mut seen, &mut answer, flags, &mut replies),
        "no Close after EOF"
    );
    with_lines(seen, &mut server)
}

/// Appends the kept command lines, checking that no AUTH line shows its payload.
fn with_lines(mut seen: Vec<Seen>, server: &mut Server) -> Vec<Seen> {
    let lines = server.take_lines();
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

/// Polls until input is needed; true once closed. Counts the replies transmitted.
fn drive(
    server: &mut Server,
    seen: &mut Vec<Seen>,
    answer: &mut Option<Answer>,
    flags: u8,
    replies: &mut Replies,
) -> bool {
    for polls in 0.. {
        assert!(polls < MAX_POLLS, "livelock: no input asked for");
        let output = server.poll_output();
        assert_ne!(
            output,
            Output::UpgradeTls,
            "UpgradeTls without a 220 to STARTTLS"
        );
        match output {
            Output::Transmit(bytes) => {
                replies.sent += final_lines(&bytes);
                seen.push(Seen::Transmit(bytes));
            }
            Output::Event(Event::MessageData(bytes)) => {
                assert!(!bytes.is_empty(), "empty message piece");
                match seen.last_mut() {
                    Some(Seen::Data(all)) => all.extend(bytes),
                    _ => seen.push(Seen::Data(bytes)),
                }
            }
            Output::Event(event) => {
                *answer = respond(&event, flags);
                if matches!(event, Event::Refused(Refusal::MessageTooLarge { .. })) {
                    // In LMTP the refusal of a message too large is one 552 per accepted
                    // recipient, written by the core before this event.
                    replies.lmtp_extra += discard_message(seen).saturating_sub(1);
                }
                seen.push(Seen::Event(format!("{event:?}")));
            }
            Output::NeedReply => {
                let reply = answer.take();
                assert!(reply.is_some(), "NeedReply after an event that needs none");
                match reply {
                    Some(Answer::Reply(reply)) => {
                        let lmtp =
                            flags & 16 == 16 && seen.last() == Some(&Seen::Event("DataEnd".into()));
                        if lmtp {
                            assert_eq!(server.reply_many([reply.clone(), reply]), Ok(()));
                            replies.lmtp_extra += 1;
                        } else {
                            assert_eq!(server.reply(reply), Ok(()));
                        }
                    }
                    Some(other) => other.give(server),
                    None => {}
                }
            }
            Output::NeedInput => return false,
            Output::Close => {
                // An unfinished message is no message, and how much of it was handed out
                // before a size limit depends on the split.
                if let Some(Seen::Data(_)) = seen.last() {
                    seen.pop();
                }
                seen.push(Seen::Close);
                return true;
            }
            Output::UpgradeTls => return true,
        }
    }
    true
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

fn respond(event: &Event, flags: u8) -> Option<Answer> {
    let reply = match event {
        Event::Command(Command::Data) if flags & 2 == 2 => reply(354, "go ahead"),
        Event::Command(Command::Data) => reply(554, "no"),
        Event::Command(Command::Quit) => reply(221, "bye"),
        Event::Command(Command::StartTls) => reply(454, "TLS not available"),
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
    let seen = run(flags | 2, session.chunks(1));
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
