//! The wire watch: what the wire showed while a connection was set up (and, for one
//! message, until its end), for what the adapters' errors do not keep.
//!
//! The adapters' `connect` runs the whole setup (greeting, EHLO, STARTTLS) as one command
//! and, when it fails, returns only the error: the greeting already received is lost, and
//! a 421 does not say whether it answered the connection or EHLO. Until the adapters keep
//! that progress, the CLI watches the setup through the same `smtp::wire` events that
//! `-v` prints (one connection only: events carry no connection identity): the octets
//! the server sent before the client wrote anything are the greeting, and whether the
//! client wrote at all places a 421. For a run of one message the watch goes on to its
//! end, to tell a reply cut off by the end of the connection (`protocol`) from an end
//! between replies (`io`), which the core's `UnexpectedEof` does not say.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use smtp_proto::response::{BytesMut, ReplyParser, Response};

/// What was seen of one setup.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The server's octets before the client's first, unescaped.
    server_first: Vec<u8>,
    /// The server's octets after the client's first (at most [`KEPT`]).
    server_later: Vec<u8>,
    /// Whether the client wrote anything.
    pub(crate) client_wrote: bool,
    /// Whether a server event was cut short by the log (its octets are unusable).
    truncated: bool,
    /// Whether octets after the client's first write were left out (cut, or over
    /// [`KEPT`]).
    incomplete: bool,
}

impl Seen {
    /// The greeting, if the server's first octets hold one complete reply.
    pub(crate) fn greeting(&self) -> Option<Response> {
        if self.truncated {
            return None;
        }
        let mut buf = BytesMut::from(&self.server_first[..]);
        ReplyParser::default().parse(&mut buf).ok().flatten()
    }

    /// Whether the server's last octets began a reply it never finished (a reply cut off
    /// by the end of the connection, rather than an end between replies).
    pub(crate) fn ends_mid_reply(&self) -> bool {
        let (bytes, unusable) = if self.client_wrote {
            (&self.server_later, self.incomplete)
        } else {
            (&self.server_first, self.truncated)
        };
        if unusable {
            return false;
        }
        let mut buf = BytesMut::from(&bytes[..]);
        let mut parser = ReplyParser::default();
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => return !buf.is_empty(),
                Err(_) => return false,
            }
        }
    }

    /// The last complete reply of the setup (the refusal of STARTTLS, when the setup went
    /// on without TLS).
    pub(crate) fn last_reply(&self) -> Option<Response> {
        let mut buf = BytesMut::from(&self.server_later[..]);
        let mut parser = ReplyParser::default();
        let mut last = None;
        while let Ok(Some(reply)) = parser.parse(&mut buf) {
            last = Some(reply);
        }
        last
    }
}

/// The most octets kept of what the server sent after the client's first write.
const KEPT: usize = 64 * 1024;

static CAPTURING: AtomicBool = AtomicBool::new(false);
static SEEN: Mutex<Option<Seen>> = Mutex::new(None);

/// Starts watching a setup.
pub(crate) fn start() {
    if let Ok(mut seen) = SEEN.lock() {
        *seen = Some(Seen::default());
    }
    CAPTURING.store(true, Ordering::SeqCst);
    tracing::callsite::rebuild_interest_cache();
}

/// The last complete reply seen so far, still watching.
pub(crate) fn last_reply() -> Option<Response> {
    SEEN.lock().ok()?.as_ref()?.last_reply()
}

/// Stops watching and returns what was seen (`None` if nothing was being watched).
pub(crate) fn finish() -> Option<Seen> {
    if !CAPTURING.swap(false, Ordering::SeqCst) {
        return None;
    }
    // Without `-v` the wire events now cost nothing again (see `WireLog`).
    tracing::callsite::rebuild_interest_cache();
    SEEN.lock().ok().and_then(|mut seen| seen.take())
}

/// Whether a setup is being watched (checked for every wire event: one atomic load).
pub(crate) fn is_capturing() -> bool {
    CAPTURING.load(Ordering::Relaxed)
}

/// Takes one wire event: `C: ...` (redacted) or `S: ...` (escaped octets).
pub(crate) fn observe(message: &str) {
    let Ok(mut guard) = SEEN.lock() else {
        return;
    };
    let Some(seen) = guard.as_mut() else {
        return;
    };
    if message.starts_with("C: ") {
        seen.client_wrote = true;
    } else if let Some(text) = message.strip_prefix("S: ") {
        // The log shows at most 512 octets of a read, then `[N more octets]`.
        let (text, cut) = match text.rfind(" [") {
            Some(at) if text.ends_with(" more octets]") => (&text[..at], true),
            _ => (text, false),
        };
        if !seen.client_wrote {
            seen.truncated |= cut;
            seen.server_first.extend(unescape(text));
        } else if !cut && seen.server_later.len() < KEPT {
            seen.server_later.extend(unescape(text));
        } else {
            seen.incomplete = true;
        }
    }
}

/// Reverses `<[u8]>::escape_ascii`: `\t \r \n \' \" \\` and `\xNN`.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b'x') => {
                let hex = [bytes.next(), bytes.next()];
                let value = match hex {
                    [Some(h), Some(l)] => std::str::from_utf8(&[h, l])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok()),
                    _ => None,
                };
                out.push(value.unwrap_or(b'?'));
            }
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_reverses_escape_ascii() {
        let raw = b"220 mx \xff\t'\"\\ ok\r\n";
        let escaped = raw.escape_ascii().to_string();
        assert_eq!(unescape(&escaped), raw);
    }

    #[test]
    fn the_greeting_is_what_came_before_the_first_write() {
        let mut seen = Seen::default();
        for part in ["220-mx.example\\r\\n", "220 ESMTP\\r\\n"] {
            seen.server_first.extend(unescape(part));
        }
        let greeting = seen.greeting().unwrap();
        assert_eq!(greeting.code().get(), 220);
        assert_eq!(greeting.line_count(), 2);
        seen.truncated = true;
        assert!(seen.greeting().is_none());
        assert!(Seen::default().greeting().is_none());
    }

    #[test]
    fn a_reply_cut_off_is_told_from_an_end_between_replies() {
        let mut seen = Seen {
            client_wrote: true,
            ..Seen::default()
        };
        seen.server_later.extend(b"250 ok\r\n");
        assert!(!seen.ends_mid_reply());
        seen.server_later.extend(b"250-first line\r\n");
        assert!(seen.ends_mid_reply());
        assert_eq!(seen.last_reply().unwrap().code().get(), 250);
        seen.incomplete = true;
        assert!(!seen.ends_mid_reply());
    }
}
