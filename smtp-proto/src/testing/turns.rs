//! The transcript as an adapter's mock test runs it: connection events and turns.

use std::time::Duration;

use super::render::matches;
use super::script::{Action, Item, Script};

/// What the connection (or the caller's body source) does, from [`Script::io_events`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoEvent {
    /// The client must write exactly these octets next (possibly over several writes).
    Write(Vec<u8>),
    /// The server sends these octets (one read's worth, as the transcript wrote them).
    Read(Vec<u8>),
    /// The server closes the connection.
    Eof,
    /// The client's write fails here: the stream accepted the [`Write`](Self::Write)
    /// octets before this event and takes none after (`! cut`).
    Cut,
    /// The TLS handshake happens here.
    Tls,
    /// Time passes with nothing arriving.
    Wait(Duration),
    /// The caller hands this piece of a streamed body (`B:` lines).
    Body(Vec<u8>),
    /// The caller ends the streamed body (`! body-end`).
    BodyEnd,
}

/// One turn of a transcript: the command the caller starts (none for what happens between
/// commands), the events meanwhile, and what must come out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// The line of the action (or of the first event of an idle turn), from 1.
    pub line: usize,
    /// The action, `None` for events while no command runs.
    pub action: Option<Action>,
    /// The connection events of the turn, in order.
    pub events: Vec<IoEvent>,
    /// The `=` lines, as words; compare with [`outcome_matches`].
    pub outcome: Vec<Vec<String>>,
    /// The `?` lines that follow, as words.
    pub checks: Vec<Vec<String>>,
}

impl Script {
    /// The script as a mock server sees it: every connection event (and body piece) in
    /// order, consecutive client octets merged, server lines kept apart.
    ///
    /// Virtual time is kept as the replay keeps it: `@300s` becomes the
    /// [`Wait`](IoEvent::Wait) for what is left until 300 s after the start (none once that
    /// time is reached).
    pub fn io_events(&self) -> Vec<IoEvent> {
        let mut events = Vec::new();
        let mut now = Duration::ZERO;
        for line in self.lines() {
            push_event(&mut events, &line.item, &mut now);
        }
        events
    }

    /// The script cut into turns, for an adapter test that starts each command with its
    /// `Connection::send` while a mock stream plays the turn's events.
    ///
    /// ```
    /// use smtp_proto::testing::{IoEvent, Script, outcome_matches};
    ///
    /// let script = Script::parse("t", "> line XPING\nC: XPING\nS: 250 pong\n= ok 250\n! eof\n")?;
    /// let turns = script.turns();
    /// assert_eq!(turns.len(), 2);
    /// assert_eq!(turns[0].events, [IoEvent::Write(b"XPING\r\n".to_vec()), IoEvent::Read(b"250 pong\r\n".to_vec())]);
    /// assert!(outcome_matches(&turns[0].outcome, &["ok 250".to_owned()]));
    /// assert_eq!((turns[1].action.is_none(), &turns[1].events[..]), (true, &[IoEvent::Eof][..]));
    /// # Ok::<(), smtp_proto::testing::ParseError>(())
    /// ```
    pub fn turns(&self) -> Vec<Turn> {
        let mut turns: Vec<Turn> = Vec::new();
        let mut now = Duration::ZERO;
        for line in self.lines() {
            let open = turns
                .last()
                .is_some_and(|turn| turn.action.is_none() || turn.outcome.is_empty());
            match &line.item {
                Item::Action(action) => turns.push(Turn::new(line.number, Some(action.clone()))),
                Item::Expect(words) => match turns.last_mut() {
                    Some(turn) => turn.outcome.push(words.clone()),
                    None => turns.push(Turn::new(line.number, None)),
                },
                Item::Check(words) => {
                    if turns.is_empty() {
                        turns.push(Turn::new(line.number, None));
                    }
                    if let Some(turn) = turns.last_mut() {
                        turn.checks.push(words.clone());
                    }
                }
                item => {
                    if !open {
                        turns.push(Turn::new(line.number, None));
                    }
                    if let Some(turn) = turns.last_mut() {
                        push_event(&mut turn.events, item, &mut now);
                    }
                }
            }
        }
        turns
    }
}

impl Turn {
    fn new(line: usize, action: Option<Action>) -> Self {
        Self {
            line,
            action,
            events: Vec::new(),
            outcome: Vec::new(),
            checks: Vec::new(),
        }
    }
}

/// Whether `rendered` outcome lines are what the `=` lines (`expected`, as words) say: as
/// many lines, each expected line the first words of its rendered line.
pub fn outcome_matches(expected: &[Vec<String>], rendered: &[String]) -> bool {
    expected.len() == rendered.len()
        && expected
            .iter()
            .zip(rendered)
            .all(|(words, line)| matches(words, line))
}

/// Appends the event `item` is, if any; `now` is the virtual time the waits so far reached.
fn push_event(events: &mut Vec<IoEvent>, item: &Item, now: &mut Duration) {
    let event = match item {
        Item::Client(bytes) => {
            if let Some(IoEvent::Write(pending)) = events.last_mut() {
                pending.extend_from_slice(bytes);
                return;
            }
            IoEvent::Write(bytes.clone())
        }
        Item::Server(bytes) => IoEvent::Read(bytes.clone()),
        Item::Eof => IoEvent::Eof,
        Item::Cut => IoEvent::Cut,
        Item::Tls => IoEvent::Tls,
        Item::Wait(d) => {
            *now = now.saturating_add(*d);
            IoEvent::Wait(*d)
        }
        Item::At(at) if at > now => {
            let left = *at - *now;
            *now = *at;
            IoEvent::Wait(left)
        }
        Item::Body(bytes) => IoEvent::Body(bytes.clone()),
        Item::BodyEnd => IoEvent::BodyEnd,
        _ => return,
    };
    events.push(event);
}
