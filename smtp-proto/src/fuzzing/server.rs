//! The sans-IO server fed arbitrary client bytes.
//!
//! Input layout: a flags octet (bit 0 small limits: 64-octet lines and 300-octet messages;
//! bit 1 answer DATA with 354, else 554; bit 2 accept AUTH; bit 3 keep the command lines;
//! bit 4 answer each end of message with two replies, as LMTP does; bit 5 answer a SCRAM
//! lookup with keys, else 535; bit 6 refuse a bearer token with the error challenge; bit 7
//! AUTH only over TLS, which this target never starts: STARTTLS is answered 454), a
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
    Close,
}

fn config(flags: u8) -> ServerConfig {
    let config = ServerConfig {
        nonce_seed: u64::from(flags),
        // Bit 7: AUTH only over TLS (RFC 4954 §6's 538 here, where TLS is never started).
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
            return with_lines(seen, &mut server, flags & 8 == 8);
        }
    }
    server.handle_eof();
    assert!(
        drive(&mut server, &mut seen, &mut answer, flags, &mut replies),
        "no Close after EOF"
    );
    with_lines(seen, &mut server, flags & 8 == 8)
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
                        // LMTP answers each end of a message, DATA's or BDAT LAST's, once
                        // per recipient.
                        let end_of_message = matches!(
                            seen.last(),
                            Some(Seen::Event(e)) if e == "DataEnd"
                                || (e.starts_with("Command(Bdat") && e.contains("last: true"))
                        );
                        let lmtp = flags & 16 == 16 && end_of_message;
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

#[cfg(test)]
mod tests {
    //! Configurations the target's first octet can never pick.

    use super::{Answer, Seen, config, respond, run};
    use crate::server::{Command, Event};

    /// Every flags value answers STARTTLS with 454 (and the target asserts that
    /// `UpgradeTls` never comes), so the server's TLS path is dead under the fuzzer: the
    /// refusal of octets pipelined after STARTTLS (`Refusal::InjectedAfterStartTls`, the
    /// command-injection defence of RFC 3207 §4.2 and SECURITY.md), the session reset in
    /// `tls_established`, and everything a session does once `tls` is set.
    #[test]
    #[ignore = "harness gap left open: accepting STARTTLS needs the target to model what \
                the split changes (octets pipelined after STARTTLS are refused whole, read \
                after the handshake byte by byte); notes/fuzzing.md, 2026-12-02 fifth session"]
    fn some_flags_value_accepts_starttls() {
        let accepted = (0..=u8::MAX).any(|flags| {
            matches!(
                respond(&Event::Command(Command::StartTls), flags),
                Some(Answer::Reply(reply)) if reply.code().get() == 220
            )
        });
        assert!(accepted, "no flags value answers STARTTLS with 220");
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

    /// Replies transmitted right after the first event whose `Debug` starts with `event`.
    fn replies_after(flags: u8, stream: &[u8], event: &str) -> usize {
        let seen = run(flags, [stream].into_iter());
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
