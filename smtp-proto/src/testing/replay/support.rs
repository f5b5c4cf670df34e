//! The engine's helpers: polling, cutting server runs, time, outcomes and messages.

use std::time::Instant;

use crate::client::{Exchange, Output};

use super::super::actions::ScriptCommand;
use super::super::failure::{Failure, show_duration};
use super::super::render::{matches, render_logic_error, render_protocol_error};
use super::super::script::Item;
use super::{Delivery, Engine, MAX_POLLS, State};

impl Engine<'_> {
    /// Compares the run of `=` lines at the cursor with the finished command's outcome.
    pub(super) fn outcome(&mut self, state: &State, at: usize) -> Result<(), Failure> {
        let State::Over { lines, .. } = state else {
            let message = format!("expected the command to finish, but {}", self.show(state));
            return Err(self.fail(at, message));
        };
        let mut rendered = lines.iter();
        while let Some(line) = self.script.lines().get(self.pos) {
            let Item::Expect(expected) = &line.item else {
                break;
            };
            match rendered.next() {
                Some(actual) if matches(expected, actual) => {}
                actual => {
                    let message = format!(
                        "expected outcome \"{}\", got \"{}\" (whole outcome: {})",
                        expected.join(" "),
                        actual.map_or("nothing more", String::as_str),
                        lines.join(" | ")
                    );
                    return Err(self.fail(line.number, message));
                }
            }
            self.pos += 1;
        }
        let rest: Vec<&str> = rendered.map(String::as_str).collect();
        if rest.is_empty() {
            return Ok(());
        }
        let message = format!(
            "the outcome goes on: {} (whole outcome: {})",
            rest.join(" | "),
            lines.join(" | ")
        );
        Err(self.fail(at, message))
    }

    /// Polls until the client needs something; collects what it writes. When the lines
    /// ahead (from the cursor) cut a write (`C:` lines, then `! cut`), the stream takes
    /// their octets and the client learns that the write failed there.
    pub(super) fn poll(&mut self, ex: &mut Exchange<'_, ScriptCommand>) -> State {
        self.poll_from(ex, self.pos)
    }

    /// [`poll`](Self::poll) for the line at the cursor (`! tls`, `B:`, `! eof`, a wait),
    /// whose handling made the client go on: the lines ahead start after it.
    pub(super) fn poll_past_line(&mut self, ex: &mut Exchange<'_, ScriptCommand>) -> State {
        self.poll_from(ex, self.pos + 1)
    }

    fn poll_from(&mut self, ex: &mut Exchange<'_, ScriptCommand>, ahead: usize) -> State {
        let mut budget = self.cut_budget(ahead);
        for _ in 0..MAX_POLLS {
            let output = ex.poll_output(self.now);
            let (result, fatal) = match output {
                Ok(Output::Transmit(transmit)) => {
                    let bytes = transmit.bytes();
                    let log = transmit.redacted().to_string();
                    self.logged.extend(log.lines().map(str::to_owned));
                    if let Some(left) = budget {
                        if bytes.len() > left {
                            self.written
                                .extend_from_slice(bytes.get(..left).unwrap_or_default());
                            ex.handle_write_error(left);
                            return State::Cut { shown: false };
                        }
                        budget = Some(left - bytes.len());
                    }
                    self.written.extend_from_slice(bytes);
                    continue;
                }
                Ok(Output::NeedInput { deadline }) => return State::Waiting(deadline),
                Ok(Output::UpgradeTls) => return State::Upgrade,
                Ok(Output::NeedBody) => return State::NeedBody,
                Ok(Output::Done(Ok(lines))) => {
                    return State::Over {
                        lines,
                        fatal: false,
                    };
                }
                Ok(Output::Done(Err(error))) => (render_logic_error(&error), false),
                Err(error) => (render_protocol_error(&error), true),
            };
            let mut lines = vec![result];
            lines.extend(ex.command().report());
            return State::Over { lines, fatal };
        }
        State::Over {
            lines: vec!["runaway: the client never asked for anything".into()],
            fatal: true,
        }
    }

    /// The octets the stream takes before the write fails, when the lines from `ahead` are
    /// `C:` lines (and `L:` lines) up to a `! cut`.
    fn cut_budget(&self, ahead: usize) -> Option<usize> {
        let mut octets = 0usize;
        for line in self.script.lines().get(ahead..).unwrap_or_default() {
            match &line.item {
                Item::Client(bytes) => octets += bytes.len(),
                Item::Log(_) => {}
                Item::Cut => return Some(octets.saturating_sub(self.written.len())),
                _ => return None,
            }
        }
        None
    }

    /// The server octets of the run of `S:` lines at the cursor, cut as `delivery` says,
    /// each with its line number; moves the cursor past the run.
    pub(super) fn server_chunks(&mut self) -> Vec<(usize, Vec<u8>)> {
        let mut run = Vec::new();
        while let Some(line) = self.script.lines().get(self.pos) {
            let Item::Server(bytes) = &line.item else {
                break;
            };
            run.push((line.number, bytes.clone()));
            self.pos += 1;
        }
        match self.delivery {
            Delivery::Lines => run,
            Delivery::Bytes => run
                .into_iter()
                .flat_map(|(number, bytes)| bytes.into_iter().map(move |b| (number, vec![b])))
                .collect(),
            Delivery::Blocks => {
                let first = run.first().map_or(0, |(number, _)| *number);
                vec![(
                    first,
                    run.into_iter().flat_map(|(_, bytes)| bytes).collect(),
                )]
            }
            Delivery::Random(_) => {
                let octets: Vec<(usize, u8)> = run
                    .into_iter()
                    .flat_map(|(number, bytes)| bytes.into_iter().map(move |b| (number, b)))
                    .collect();
                let mut pieces = Vec::new();
                let mut rest = octets.as_slice();
                while let Some(&(number, _)) = rest.first() {
                    let size = usize::try_from(self.next_random() % 16 + 1).unwrap_or(1);
                    let (piece, tail) = rest.split_at(size.min(rest.len()));
                    pieces.push((number, piece.iter().map(|&(_, b)| b).collect()));
                    rest = tail;
                }
                pieces
            }
        }
    }

    /// The next number of the replay's xorshift sequence (seeded by the delivery).
    fn next_random(&mut self) -> u64 {
        let mut x = self.random;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random = x;
        x
    }

    pub(super) fn advance(&mut self, item: &Item, at: usize) -> Result<(), Failure> {
        match item {
            Item::Wait(d) => self.now += *d,
            Item::At(d) if self.start + *d >= self.now => self.now = self.start + *d,
            Item::At(_) => return Err(self.fail(at, "time cannot go back".into())),
            _ => {}
        }
        Ok(())
    }

    pub(super) fn offset(&self, instant: Instant) -> String {
        show_duration(instant.saturating_duration_since(self.start))
    }

    pub(super) fn show(&self, state: &State) -> String {
        match state {
            State::Waiting(deadline) => {
                format!("it waits for input until {}", self.offset(*deadline))
            }
            State::Upgrade => "it waits for the TLS handshake".into(),
            State::NeedBody => "it waits for body".into(),
            State::Cut { .. } => {
                "its write was cut: ! eof must follow the server's last octets".into()
            }
            State::Over { lines, .. } => format!("outcome: {}", lines.join(" | ")),
        }
    }

    pub(super) fn then(&self, state: &State) -> String {
        format!(" (then {})", self.show(state))
    }

    pub(super) fn fail(&self, line: usize, message: String) -> Failure {
        Failure {
            name: self.script.name().to_owned(),
            line,
            delivery: self.delivery,
            message,
        }
    }
}
