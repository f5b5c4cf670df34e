//! The engine: replays a transcript against the core [`Client`] on virtual time.

mod support;

use std::collections::VecDeque;
use std::time::Instant;

use crate::client::Client;

use super::actions::{ActionError, command};
use super::escape::escape;
use super::failure::{Delivery, Failure, describe};
use super::render::session_fact;
use super::script::{Action, Item, Script};

/// Where a running command stands after polling until it needs something.
#[derive(Debug)]
enum State {
    Waiting(Instant),
    Upgrade,
    NeedBody,
    /// A write was cut (`shown` once its `! cut` line is passed): the client reads the
    /// server's last octets without being polled, until the `! eof`.
    Cut {
        shown: bool,
    },
    /// Finished: the rendered outcome lines; `fatal` when the connection died.
    Over {
        lines: Vec<String>,
        fatal: bool,
    },
}

/// More polls than this without the client asking for anything is a runaway command.
const MAX_POLLS: usize = 10_000;

impl Script {
    /// Replays the transcript once, delivering server octets as `delivery` says. Virtual
    /// time starts at `start` (any instant: the core never reads the clock).
    pub fn replay(&self, delivery: Delivery, start: Instant) -> Result<(), Failure> {
        Engine {
            script: self,
            delivery,
            start,
            now: start,
            written: Vec::new(),
            logged: VecDeque::new(),
            pos: 0,
            // xorshift needs a non-zero state.
            random: match delivery {
                Delivery::Random(seed) => seed | 1,
                _ => 1,
            },
        }
        .run()
    }

    /// Replays the transcript the three ways of [`Delivery::ALL`]; the first failure wins.
    ///
    /// ```
    /// use std::time::Instant;
    /// use smtp_proto::testing::Script;
    ///
    /// let text = "> line XPING\nC: XPING\nS: 250 pong\n= ok 250\n";
    /// Script::parse("xping.smtp", text)?.replay_all(Instant::now())?;
    ///
    /// let wrong = "> line XPING\nC: XPONG\nS: 250 pong\n= ok 250\n";
    /// let failure = Script::parse("x.smtp", wrong)?.replay_all(Instant::now()).unwrap_err();
    /// assert_eq!(
    ///     failure.to_string(),
    ///     r#"x.smtp:2 (reply by reply): client octets differ: expected "XPONG\r\n", the client wrote "XPING\r\n" (then it waits for input until 300s)"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay_all(&self, start: Instant) -> Result<(), Failure> {
        Delivery::ALL
            .iter()
            .try_for_each(|&delivery| self.replay(delivery, start))
    }
}

struct Engine<'s> {
    script: &'s Script,
    delivery: Delivery,
    start: Instant,
    now: Instant,
    /// What the client wrote and no `C:` line has matched yet.
    written: Vec<u8>,
    /// The redacted log lines of what the client wrote, for `L:` lines.
    logged: VecDeque<String>,
    /// The state of the pseudo-random cuts of [`Delivery::Random`].
    random: u64,
    pos: usize,
}

impl Engine<'_> {
    fn run(mut self) -> Result<(), Failure> {
        let mut client = self.script.client();
        while let Some(line) = self.script.lines().get(self.pos) {
            let number = line.number;
            match &line.item {
                Item::Action(action) => {
                    self.pos += 1;
                    self.exchange(&mut client, action, number)?;
                }
                Item::Server(_) => {
                    for (_, chunk) in self.server_chunks() {
                        client.handle_input(&chunk);
                    }
                }
                Item::Eof => {
                    client.handle_eof();
                    self.pos += 1;
                }
                Item::Wait(_) | Item::At(_) => {
                    self.advance(&line.item, number)?;
                    self.pos += 1;
                }
                Item::Check(question) => {
                    let fact = session_fact(&client, question);
                    match fact {
                        Some(fact) if fact == question.join(" ") => {}
                        Some(fact) => return Err(self.fail(number, format!("session: {fact}"))),
                        None => return Err(self.fail(number, "unknown session question".into())),
                    }
                    self.pos += 1;
                }
                other => {
                    let message = format!("{} while no command runs", describe(other));
                    return Err(self.fail(number, message));
                }
            }
        }
        Ok(())
    }

    /// Runs one command from its action line to its `=` lines.
    fn exchange(&mut self, client: &mut Client, action: &Action, at: usize) -> Result<(), Failure> {
        let cmd = match command(action) {
            Ok(cmd) => cmd,
            Err(ActionError::Refused(kind)) => {
                let state = State::Over {
                    lines: vec![format!("argument-refused {kind}")],
                    fatal: false,
                };
                return self.outcome(&state, at);
            }
            Err(error) => return Err(self.fail(at, error.to_string())),
        };
        self.logged.clear();
        let mut ex = client.send(cmd);
        let mut state = self.poll(&mut ex);
        loop {
            let Some(line) = self.script.lines().get(self.pos) else {
                let last = self.script.lines().last().map_or(at, |l| l.number);
                let message = format!(
                    "the transcript ends while the command runs ({})",
                    self.show(&state)
                );
                return Err(self.fail(last, message));
            };
            let number = line.number;
            if let Item::Client(expected) = &line.item {
                if !self.written.starts_with(expected) {
                    let message = format!(
                        "client octets differ: expected \"{}\", the client wrote \"{}\"{}",
                        escape(expected),
                        escape(&self.written),
                        self.then(&state),
                    );
                    return Err(self.fail(number, message));
                }
                self.written.drain(..expected.len());
                self.pos += 1;
                continue;
            }
            if let Item::Log(expected) = &line.item {
                match self.logged.pop_front() {
                    Some(logged) if logged == *expected => {}
                    logged => {
                        let got = logged.unwrap_or_else(|| "nothing".into());
                        let message =
                            format!("expected the log line \"{expected}\", got \"{got}\"");
                        return Err(self.fail(number, message));
                    }
                }
                self.pos += 1;
                continue;
            }
            if !self.written.is_empty() {
                let message = format!(
                    "the client wrote \"{}\", which the transcript does not show before this line",
                    escape(&self.written)
                );
                return Err(self.fail(number, message));
            }
            let finished = matches!(state, State::Over { .. });
            match &line.item {
                // A dead connection reads nothing more: the close that follows a fatal
                // reply is as irrelevant as the rest of its packet.
                Item::Eof if matches!(state, State::Over { fatal: true, .. }) => {}
                Item::Expect(_) => return self.outcome(&state, number),
                Item::Server(_) => {
                    for (line, chunk) in self.server_chunks() {
                        match &state {
                            State::Over { fatal: true, .. } => break,
                            // The adapter reads what is left before it polls again.
                            State::Cut { .. } => {
                                ex.handle_input(&chunk);
                                continue;
                            }
                            State::Over { .. } => {
                                let message = format!(
                                    "the command finished ({}) before the server sent \"{}\": put the = lines first",
                                    self.show(&state),
                                    escape(&chunk)
                                );
                                return Err(self.fail(line, message));
                            }
                            _ if !self.written.is_empty() => {
                                let message = format!(
                                    "the client wrote \"{}\" before the server sent \"{}\": the transcript must show it first",
                                    escape(&self.written),
                                    escape(&chunk)
                                );
                                return Err(self.fail(line, message));
                            }
                            _ => {}
                        }
                        ex.handle_input(&chunk);
                        state = self.poll(&mut ex);
                    }
                    continue;
                }
                item if finished && !matches!(item, Item::Wait(_) | Item::At(_)) => {
                    let message = format!(
                        "the command finished ({}), but the transcript goes on with {} before its = lines",
                        self.show(&state),
                        describe(item)
                    );
                    return Err(self.fail(number, message));
                }
                Item::Eof => {
                    ex.handle_eof();
                    state = self.poll_past_line(&mut ex);
                }
                // The write was cut as this line says while polling (`poll`'s budget).
                Item::Cut if matches!(state, State::Cut { shown: false }) => {
                    state = State::Cut { shown: true };
                }
                Item::Cut => {
                    let message = format!(
                        "! cut, but the client's write was not cut here ({})",
                        self.show(&state)
                    );
                    return Err(self.fail(number, message));
                }
                Item::Tls => {
                    if !matches!(state, State::Upgrade) {
                        let message = format!(
                            "! tls, but the client did not ask for TLS ({})",
                            self.show(&state)
                        );
                        return Err(self.fail(number, message));
                    }
                    ex.tls_established();
                    state = self.poll_past_line(&mut ex);
                }
                Item::Body(_) | Item::BodyEnd => {
                    if !matches!(state, State::NeedBody) {
                        let message = format!(
                            "{}, but the client did not ask for body ({})",
                            describe(&line.item),
                            self.show(&state)
                        );
                        return Err(self.fail(number, message));
                    }
                    match &line.item {
                        Item::Body(bytes) => ex.handle_body(bytes),
                        _ => ex.handle_body_end(),
                    }
                    state = self.poll_past_line(&mut ex);
                }
                Item::Wait(_) | Item::At(_) => {
                    self.advance(&line.item, number)?;
                    // Server octets that arrive the instant the deadline is reached are in
                    // time: what arrived counts, as the adapters read before they time out.
                    let arrives_now = matches!(
                        self.script.lines().get(self.pos + 1).map(|l| &l.item),
                        Some(Item::Server(_))
                    );
                    if let State::Waiting(deadline) = state {
                        if self.now > deadline || (self.now == deadline && !arrives_now) {
                            ex.handle_timeout(self.now);
                            state = self.poll_past_line(&mut ex);
                        }
                    }
                }
                Item::Deadline(offset) => {
                    let expected = self.start + *offset;
                    if !matches!(state, State::Waiting(deadline) if deadline == expected) {
                        let message = format!(
                            "expected to wait for input until {}, {}",
                            self.offset(expected),
                            self.show(&state)
                        );
                        return Err(self.fail(number, message));
                    }
                }
                other => {
                    let message = format!(
                        "{} while a command runs ({})",
                        describe(other),
                        self.show(&state)
                    );
                    return Err(self.fail(number, message));
                }
            }
            self.pos += 1;
        }
    }
}
