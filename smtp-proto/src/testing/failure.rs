//! How a replay delivers server octets, and what a failed replay reports.

use std::fmt;
use std::time::Duration;

use super::escape::escape;
use super::script::Item;

/// How the server's octets are handed to the client: the three ways every transcript is
/// replayed, whose outcomes must agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Each `S:`/`S+` line in one call, as written.
    Lines,
    /// One octet per call, polling after each.
    Bytes,
    /// Each run of consecutive `S:`/`S+` lines in one call.
    Blocks,
    /// Each run cut at pseudo-random places (pieces of 1 to 16 octets, across line
    /// boundaries), from this seed: reproducible, for split-invariance beyond the three
    /// fixed ways.
    Random(u64),
}

impl Delivery {
    /// The three ways, in the order [`Script::replay_all`](super::Script::replay_all) runs them.
    pub const ALL: [Delivery; 3] = [Delivery::Lines, Delivery::Bytes, Delivery::Blocks];
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Delivery::Lines => "reply by reply",
            Delivery::Bytes => "one byte at a time",
            Delivery::Blocks => "block by block",
            Delivery::Random(seed) => return write!(f, "random pieces, seed {seed}"),
        })
    }
}

/// A replay that did not go as the transcript says: where, how delivered, what differed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The transcript's name.
    pub name: String,
    /// The transcript line where the difference showed, from 1.
    pub line: usize,
    /// How server octets were delivered.
    pub delivery: Delivery,
    /// Expected and got, octets in transcript escapes.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, line, delivery) = (&self.name, self.line, self.delivery);
        write!(f, "{name}:{line} ({delivery}): {}", self.message)
    }
}

impl std::error::Error for Failure {}

pub(crate) fn describe(item: &Item) -> String {
    match item {
        Item::Server(bytes) => format!("server octets \"{}\"", escape(bytes)),
        Item::Client(bytes) => format!("client octets \"{}\"", escape(bytes)),
        Item::Log(text) => format!("log line \"{text}\""),
        Item::Body(bytes) => format!("body \"{}\"", escape(bytes)),
        Item::BodyEnd => "! body-end".into(),
        Item::Action(action) => format!("action > {}", action.name),
        Item::Expect(words) => format!("outcome = {}", words.join(" ")),
        Item::Check(words) => format!("session check ? {}", words.join(" ")),
        Item::Eof => "! eof".into(),
        Item::Cut => "! cut".into(),
        Item::Tls => "! tls".into(),
        Item::Wait(d) => format!("a wait of {}", show_duration(*d)),
        Item::At(d) => format!("time @{}", show_duration(*d)),
        Item::Deadline(d) => format!("! deadline {}", show_duration(*d)),
    }
}

/// `300s`, or `1500ms` when not whole seconds, as transcripts write durations.
pub(crate) fn show_duration(d: Duration) -> String {
    match d.subsec_millis() {
        0 => format!("{}s", d.as_secs()),
        _ => format!("{}ms", d.as_millis()),
    }
}
