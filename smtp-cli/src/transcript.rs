//! The wire transcript (`-v`, and the demo): a tracing subscriber for the adapters'
//! `smtp::wire` events, which carry only the core's redacted rendering of what the client
//! wrote (`Transmit::redacted`) and the escaped octets the server sent. With several
//! connections, each runs in a `connection` span whose `number` prefixes its lines.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// The adapters' wire log target.
const WIRE: &str = "smtp::wire";

thread_local! {
    /// The connection spans entered on this thread, innermost last (their numbers).
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Who sent a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `C:`, the client.
    Client,
    /// `S:`, the server.
    Server,
}

/// One transcript line, with its time since the session started.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) at: f64,
    pub(crate) direction: Direction,
    pub(crate) text: String,
}

/// Where lines go.
#[derive(Clone)]
pub(crate) enum Sink {
    /// Printed on stderr as they come (`-v`).
    Stderr,
    /// Kept for the caller (the demo prints them with round trips).
    Collect(Arc<Mutex<Vec<Line>>>),
}

/// The subscriber; installed globally once.
pub(crate) struct WireLog {
    start: Instant,
    sink: Option<Sink>,
}

impl WireLog {
    /// Installs the subscriber for the whole process: lines go to `sink`, if any.
    pub(crate) fn install(sink: Option<Sink>) {
        let log = WireLog {
            start: Instant::now(),
            sink,
        };
        // A second installation (only in tests) keeps the first.
        let _ = tracing::subscriber::set_global_default(log);
    }

    fn emit(&self, sink: &Sink, message: &str) {
        let at = self.start.elapsed().as_secs_f64();
        let connection = ENTERED
            .with(|entered| entered.borrow().last().copied())
            .map_or_else(String::new, |number| format!("#{number} "));
        for (direction, text) in split(message) {
            match sink {
                Sink::Stderr => err!("{at:9.6} {connection}{} {text}", prefix(direction)),
                Sink::Collect(lines) => {
                    if let Ok(mut lines) = lines.lock() {
                        lines.push(Line {
                            at,
                            direction,
                            text,
                        });
                    }
                }
            }
        }
    }
}

/// `C:` or `S:`.
pub(crate) fn prefix(direction: Direction) -> &'static str {
    match direction {
        Direction::Client => "C:",
        Direction::Server => "S:",
    }
}

/// One event's lines: `C: a\nb` (redacted transmit, one line per piece) or `S: a\r\nb\r\n`
/// (the escaped octets read, split at each escaped CRLF).
fn split(message: &str) -> Vec<(Direction, String)> {
    if let Some(text) = message.strip_prefix("C: ") {
        text.split('\n')
            .map(|line| (Direction::Client, line.to_owned()))
            .collect()
    } else if let Some(text) = message.strip_prefix("S: ") {
        let text = text.strip_suffix("\\r\\n").unwrap_or(text);
        text.split("\\r\\n")
            .map(|line| (Direction::Server, line.to_owned()))
            .collect()
    } else {
        Vec::new()
    }
}

impl Subscriber for WireLog {
    /// Wire events are looked at while there is a sink; nothing else ever is.
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if metadata.target() == WIRE && self.sink.is_some() {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == WIRE && self.sink.is_some()
    }

    /// A `connection` span's id is its number; other spans are never enabled.
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut number = Number(0);
        span.record(&mut number);
        Id::from_u64(number.0.max(1))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        if let Some(sink) = &self.sink {
            self.emit(sink, &message.0);
        }
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, _span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().pop());
    }
}

/// Collects a span's `number` field.
struct Number(u64);

impl Visit for Number {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "number" {
            self.0 = value;
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Collects an event's `message` field.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_into_directed_lines() {
        assert_eq!(
            split("C: MAIL FROM:<a@b>\nRCPT TO:<c@d>\n[body, 10 octets]"),
            [
                (Direction::Client, "MAIL FROM:<a@b>".to_owned()),
                (Direction::Client, "RCPT TO:<c@d>".to_owned()),
                (Direction::Client, "[body, 10 octets]".to_owned()),
            ]
        );
        assert_eq!(
            split("S: 250-a\\r\\n250 b\\r\\n"),
            [
                (Direction::Server, "250-a".to_owned()),
                (Direction::Server, "250 b".to_owned()),
            ]
        );
        assert!(split("other").is_empty());
    }
}
