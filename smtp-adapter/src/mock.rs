//! The script player behind every adapter's mock stream (feature `mock`).
//!
//! A transcript's connection events ([`Script::io_events`]) are played as a server would:
//! every octet the client writes is compared with what the script expects next (a write may
//! cover part of an expected run, or several), server octets are handed to reads (cut as
//! [`Delivery`] says, so adapters are tested with split reads too), and the TLS handshake
//! is a step of its own. The adapter's mock stream only maps these answers onto its
//! runtime's read and write calls and sleeps through [`PlayerRead::Wait`].
//!
//! The transcript runner ([`replay_all`], [`replay`]) is here too, written once for every
//! adapter's mock test: an adapter implements [`Replay`] for its connection.
//!
//! [`BlackHole`] is a loopback address whose connection attempts hang, for the adapters'
//! connect deadline tests.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use smtp_proto::testing::{Delivery, IoEvent, Item, Script, escape};

mod black_hole;
mod replay;

pub use black_hole::BlackHole;
pub use replay::{Ran, Replay, Summary, render_error, replay, replay_all, run_ready, transcripts};

/// A transcript's connection events, played against the client.
#[derive(Debug)]
pub struct ScriptPlayer {
    events: VecDeque<IoEvent>,
    delivery: Delivery,
    failure: Option<MockError>,
    written: u64,
    /// Server octets handed to the client.
    read: u64,
    /// Whether the client read the end of file.
    eof_read: bool,
}

/// What a read gets from the player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerRead {
    /// These server octets.
    Data(Vec<u8>),
    /// The server closed the connection (every later read too).
    Eof,
    /// Nothing for this long; call [`ScriptPlayer::finish_wait`] once it has passed.
    Wait(Duration),
    /// The script waits for the client's write or handshake: nothing to read now.
    Blocked,
    /// The script is over: nothing will ever arrive.
    Exhausted,
}

/// A client action that does not match the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockError {
    /// What differed, octets in transcript escapes.
    pub message: String,
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mock server: {}", self.message)
    }
}

impl std::error::Error for MockError {}

/// The failure the script plays where it says `! cut`: the write fails there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteCut;

impl fmt::Display for WriteCut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mock server: the script cuts the write here (! cut)")
    }
}

impl std::error::Error for WriteCut {}

/// Why [`ScriptPlayer::write`] takes no more octets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The client wrote what the script does not expect (recorded: [`ScriptPlayer::failure`]).
    Mismatch(MockError),
    /// The script cuts the write here.
    Cut(WriteCut),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch(error) => error.fmt(f),
            Self::Cut(cut) => cut.fmt(f),
        }
    }
}

impl std::error::Error for WriteError {}

impl WriteError {
    /// As the IO error a stream's write returns: a cut is a broken pipe, as a peer's reset
    /// would be; a mismatch is an error of its own.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Self::Cut(cut) => std::io::Error::new(std::io::ErrorKind::BrokenPipe, cut),
            Self::Mismatch(error) => std::io::Error::other(error),
        }
    }
}

impl ScriptPlayer {
    /// Plays `script`'s connection events, delivering server octets as `delivery` says
    /// ([`Delivery::Blocks`] and [`Delivery::Random`] join the server lines that are
    /// adjacent in the script, so random pieces cross line ends).
    ///
    /// Virtual time is the script's, as the core's replay keeps it: `@+30s` (`! wait 30s`)
    /// is a wait of 30 s, and `@300s` a wait until 300 s after the start, from the time the
    /// waits before it reached (none if that time has passed: the core refuses a script
    /// whose time goes back).
    pub fn new(script: &Script, delivery: Delivery) -> Self {
        let mut events: VecDeque<IoEvent> = VecDeque::new();
        let mut adjacent = false;
        let mut now = Duration::ZERO;
        for line in script.lines() {
            let server = matches!(line.item, Item::Server(_));
            match (&line.item, events.back_mut()) {
                (Item::Server(bytes), Some(IoEvent::Read(run)))
                    if adjacent && matches!(delivery, Delivery::Blocks | Delivery::Random(_)) =>
                {
                    run.extend_from_slice(bytes)
                }
                (Item::Client(bytes), Some(IoEvent::Write(run))) => run.extend_from_slice(bytes),
                (Item::Server(bytes), _) => events.push_back(IoEvent::Read(bytes.clone())),
                (Item::Client(bytes), _) => events.push_back(IoEvent::Write(bytes.clone())),
                (Item::Eof, _) => events.push_back(IoEvent::Eof),
                (Item::Cut, _) => events.push_back(IoEvent::Cut),
                (Item::Tls, _) => events.push_back(IoEvent::Tls),
                (Item::Wait(duration), _) => {
                    now = now.saturating_add(*duration);
                    events.push_back(IoEvent::Wait(*duration));
                }
                (Item::At(at), _) if *at > now => {
                    events.push_back(IoEvent::Wait(*at - now));
                    now = *at;
                }
                _ => {}
            }
            adjacent = server;
        }
        Self::played(events, delivery)
    }

    /// Plays these events; with [`Delivery::Blocks`], consecutive reads are joined.
    pub fn from_events(events: Vec<IoEvent>, delivery: Delivery) -> Self {
        let mut merged: VecDeque<IoEvent> = VecDeque::with_capacity(events.len());
        for event in events {
            match (merged.back_mut(), event) {
                (Some(IoEvent::Read(run)), IoEvent::Read(bytes))
                    if delivery == Delivery::Blocks =>
                {
                    run.extend_from_slice(&bytes)
                }
                (_, event) => merged.push_back(event),
            }
        }
        Self::played(merged, delivery)
    }

    fn played(events: VecDeque<IoEvent>, mut delivery: Delivery) -> Self {
        if let Delivery::Random(seed) = &mut delivery {
            *seed |= 1; // xorshift never leaves zero
        }
        Self {
            events,
            delivery,
            failure: None,
            written: 0,
            read: 0,
            eof_read: false,
        }
    }

    /// The client writes `bytes`: they must be what the script expects next. Returns how
    /// many the stream takes: all of them, or fewer where the script cuts the write
    /// (`! cut`); a write that starts at the cut fails with [`WriteCut`] (a scripted
    /// failure: not a mismatch, not recorded as one).
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, WriteError> {
        if let Some(failure) = &self.failure {
            return Err(WriteError::Mismatch(failure.clone()));
        }
        let mut accepted = 0;
        while let Some(rest) = bytes.get(accepted..).filter(|rest| !rest.is_empty()) {
            match self.events.front_mut() {
                // Time passing while the client speaks plays no part in what it writes.
                Some(IoEvent::Wait(_)) => {
                    self.events.pop_front();
                }
                Some(IoEvent::Cut) if accepted > 0 => break,
                Some(IoEvent::Cut) => {
                    self.events.pop_front();
                    return Err(WriteError::Cut(WriteCut));
                }
                Some(IoEvent::Write(expected)) => {
                    let n = expected.len().min(rest.len());
                    let head = rest.get(..n).unwrap_or_default();
                    if !expected.starts_with(head) {
                        let shown = escape(expected.get(..n).unwrap_or(expected));
                        let message = format!(
                            "the client wrote \"{}\", the script expects \"{shown}\"",
                            escape(head)
                        );
                        return Err(WriteError::Mismatch(self.fail(message)));
                    }
                    expected.drain(..n);
                    if expected.is_empty() {
                        self.events.pop_front();
                    }
                    self.written += n as u64;
                    accepted += n;
                }
                other => {
                    let next = other.map_or_else(|| "nothing more".to_owned(), |e| describe(e));
                    let message = format!(
                        "the client wrote \"{}\", the script has {next} next",
                        escape(rest)
                    );
                    return Err(WriteError::Mismatch(self.fail(message)));
                }
            }
        }
        Ok(accepted)
    }

    /// The client reads at most `max` octets.
    pub fn read(&mut self, max: usize) -> PlayerRead {
        let limit = match &mut self.delivery {
            Delivery::Bytes => 1,
            // Pieces of 1 to 16 octets from a xorshift of the seed: reproducible cuts.
            Delivery::Random(state) => {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                usize::try_from(*state % 16).unwrap_or(0) + 1
            }
            _ => max.max(1),
        };
        match self.events.front_mut() {
            Some(IoEvent::Read(bytes)) => {
                let n = limit.min(bytes.len());
                let data: Vec<u8> = bytes.drain(..n).collect();
                if bytes.is_empty() {
                    self.events.pop_front();
                }
                self.read += n as u64;
                PlayerRead::Data(data)
            }
            Some(IoEvent::Eof) => {
                self.eof_read = true;
                PlayerRead::Eof
            }
            Some(IoEvent::Wait(duration)) => PlayerRead::Wait(*duration),
            Some(_) => PlayerRead::Blocked,
            None => PlayerRead::Exhausted,
        }
    }

    /// The wait at the head of the script, if the script waits now.
    pub fn wait_ahead(&self) -> Option<Duration> {
        match self.events.front() {
            Some(IoEvent::Wait(duration)) => Some(*duration),
            _ => None,
        }
    }

    /// The wait a read reported has passed.
    pub fn finish_wait(&mut self) {
        if let Some(IoEvent::Wait(_)) = self.events.front() {
            self.events.pop_front();
        }
    }

    /// The client runs the TLS handshake: the script must say `! tls` next. Server octets
    /// instead are what a real handshake would choke on (response injection after the
    /// 220): the error says so.
    pub fn handshake(&mut self) -> Result<(), MockError> {
        while let Some(IoEvent::Wait(_)) = self.events.front() {
            self.events.pop_front();
        }
        match self.events.front() {
            Some(IoEvent::Tls) => {
                self.events.pop_front();
                Ok(())
            }
            // The server's doing, not the client's: reported, not recorded as a failure.
            Some(IoEvent::Read(bytes)) => Err(MockError {
                message: format!(
                    "plaintext \"{}\" where the TLS handshake should be",
                    escape(bytes)
                ),
            }),
            other => {
                let next = other.map_or_else(|| "nothing more".to_owned(), describe);
                Err(self.fail(format!("a TLS handshake, the script has {next} next")))
            }
        }
    }

    /// The first mismatch, if any.
    pub fn failure(&self) -> Option<&MockError> {
        self.failure.as_ref()
    }

    /// How many octets the client wrote, all matching.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// How many server octets the client read, and whether it read the end of file.
    pub fn read_so_far(&self) -> (u64, bool) {
        (self.read, self.eof_read)
    }

    /// The events not played yet.
    pub fn remaining(&self) -> impl Iterator<Item = &IoEvent> {
        self.events.iter()
    }

    /// The events not played yet, in the transcripts' own notation (`C+ RSET\r\n`,
    /// `S+ 250 ok\r\n`, `! eof`, ...), separated by `; `: what a failure message shows.
    pub fn describe_remaining(&self) -> String {
        let describe = |event: &IoEvent| match event {
            IoEvent::Write(bytes) => format!("C+ {}", escape(bytes)),
            IoEvent::Read(bytes) => format!("S+ {}", escape(bytes)),
            IoEvent::Body(bytes) => format!("B+ {}", escape(bytes)),
            IoEvent::Eof => "! eof".to_owned(),
            IoEvent::Cut => "! cut".to_owned(),
            IoEvent::Tls => "! tls".to_owned(),
            IoEvent::BodyEnd => "! body-end".to_owned(),
            IoEvent::Wait(duration) => format!("! wait {}ms", duration.as_millis()),
            other => format!("{other:?}"),
        };
        self.events
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether the client still owes octets the script expects (ignoring what the server
    /// would still send).
    pub fn expects_write(&self) -> bool {
        self.events.iter().any(|e| matches!(e, IoEvent::Write(_)))
    }

    fn fail(&mut self, message: String) -> MockError {
        let error = MockError { message };
        self.failure.get_or_insert_with(|| error.clone());
        error
    }
}

fn describe(event: &IoEvent) -> String {
    match event {
        IoEvent::Write(bytes) => format!("the client writing \"{}\"", escape(bytes)),
        IoEvent::Read(bytes) => format!("the server sending \"{}\"", escape(bytes)),
        IoEvent::Eof => "the server closing".into(),
        IoEvent::Cut => "the write cut (! cut)".into(),
        IoEvent::Tls => "a TLS handshake".into(),
        IoEvent::Wait(d) => format!("a wait of {d:?}"),
        _ => "an unknown event".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(text: &str, delivery: Delivery) -> ScriptPlayer {
        ScriptPlayer::new(&Script::parse("t.smtp", text).unwrap(), delivery)
    }

    const NOOP: &str = "> line NOOP\nC: NOOP\nS: 250-a\nS: 250 b\n= ok 250\n! eof\n";

    #[test]
    fn writes_are_checked_across_split_writes() {
        let mut p = player(NOOP, Delivery::Lines);
        assert_eq!(p.read(100), PlayerRead::Blocked);
        p.write(b"NO").unwrap();
        p.write(b"OP\r\n").unwrap();
        assert_eq!(p.read(100), PlayerRead::Data(b"250-a\r\n".to_vec()));
        assert_eq!(p.read(3), PlayerRead::Data(b"250".to_vec()));
        assert_eq!(p.read(100), PlayerRead::Data(b" b\r\n".to_vec()));
        assert_eq!(p.read(100), PlayerRead::Eof);
        assert_eq!(p.read(100), PlayerRead::Eof);
        assert_eq!(p.written(), 6);
    }

    #[test]
    fn a_wrong_write_is_reported_and_sticks() {
        let mut p = player(NOOP, Delivery::Lines);
        let Err(WriteError::Mismatch(error)) = p.write(b"RSET\r\n") else {
            panic!("a mismatch")
        };
        assert_eq!(
            error.message,
            r#"the client wrote "RSET\r\n", the script expects "NOOP\r\n""#
        );
        assert_eq!(p.failure(), Some(&error));
        assert!(p.write(b"NOOP\r\n").is_err());
    }

    #[test]
    fn a_cut_takes_the_octets_before_it_then_fails_the_write() {
        let text = "> line NOOP\nC: NO\n! cut\nS: 421 bye\n! eof\n= fatal\n";
        let mut p = player(text, Delivery::Lines);
        assert_eq!(p.write(b"NO"), Ok(2));
        assert_eq!(p.write(b"\r\nNOOP\r\n"), Ok(2));
        assert_eq!(p.write(b"NOOP\r\n"), Err(WriteError::Cut(WriteCut)));
        assert_eq!(p.failure(), None);
        let io = WriteError::Cut(WriteCut).into_io();
        assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe);
        assert_eq!(p.read(100), PlayerRead::Data(b"421 bye\r\n".to_vec()));
        assert_eq!(p.read(100), PlayerRead::Eof);
        assert_eq!(p.written(), 4);
        // The cut is played once: a write after it is one the script does not expect.
        assert!(matches!(p.write(b"x"), Err(WriteError::Mismatch(_))));
    }

    #[test]
    fn deliveries_cut_server_octets() {
        let mut bytes = player(NOOP, Delivery::Bytes);
        bytes.write(b"NOOP\r\n").unwrap();
        assert_eq!(bytes.read(100), PlayerRead::Data(b"2".to_vec()));
        let mut blocks = player(NOOP, Delivery::Blocks);
        blocks.write(b"NOOP\r\n").unwrap();
        assert_eq!(
            blocks.read(100),
            PlayerRead::Data(b"250-a\r\n250 b\r\n".to_vec())
        );
    }

    #[test]
    fn handshake_needs_the_tls_event() {
        let text = "> starttls\nC: STARTTLS\nS: 220 go\n! tls\n= ok\n";
        let mut p = player(text, Delivery::Lines);
        p.write(b"STARTTLS\r\n").unwrap();
        assert!(matches!(p.read(100), PlayerRead::Data(_)));
        p.handshake().unwrap();
        let text = "> starttls\nC: STARTTLS\nS: 220 go\n@+1s\nS: 250 injected\n= fatal\n";
        let mut p = player(text, Delivery::Lines);
        p.write(b"STARTTLS\r\n").unwrap();
        assert!(matches!(p.read(100), PlayerRead::Data(_)));
        let error = p.handshake().unwrap_err();
        assert!(error.message.contains("250 injected"), "{error}");
    }

    /// `@Ns` is a time from the start, as in the core's replay: the wait is what is left
    /// of it after the waits before (here 300 s after 1 s); a time already reached adds none.
    #[test]
    fn an_absolute_time_waits_for_what_is_left_of_it() {
        let text = "> greeting\n@+1s\n@301s\n@300s\n@301s\nS: 220 hi\n= ok 220\n";
        let p = player(text, Delivery::Lines);
        let waits: Vec<&IoEvent> = p.remaining().collect();
        assert_eq!(
            waits,
            [
                &IoEvent::Wait(Duration::from_secs(1)),
                &IoEvent::Wait(Duration::from_secs(300)),
                &IoEvent::Read(b"220 hi\r\n".to_vec()),
            ]
        );
    }

    /// `Delivery::Random` cuts a run "at pseudo-random places (pieces of 1 to 16 octets,
    /// across line boundaries)", as the core's replay does: with four 7-octet lines and 16
    /// seeds, some read must hold the end of one line and the start of the next. The
    /// player kept each `S:` line an event of its own under `Random`, so no piece ever
    /// crossed a line: the adapters' split handling saw only whole lines or less.
    #[test]
    fn random_pieces_cross_line_boundaries() {
        let text = "> line NOOP\nC: NOOP\nS: 250-a\nS: 250-b\nS: 250-c\nS: 250 d\n= ok 250\n";
        let crossing = (1..=16).any(|seed| {
            let mut p = player(text, Delivery::Random(seed));
            p.write(b"NOOP\r\n").unwrap();
            let mut crossed = false;
            while let PlayerRead::Data(bytes) = p.read(100) {
                let end = bytes.windows(2).position(|w| w == b"\r\n");
                crossed |= end.is_some_and(|i| i + 2 < bytes.len());
            }
            crossed
        });
        assert!(crossing, "no random piece crossed a line boundary");
    }

    #[test]
    fn waits_are_reported_then_finished() {
        let text = "> greeting\n@+5s\nS: 220 hi\n= ok 220\n";
        let mut p = player(text, Delivery::Lines);
        assert_eq!(p.read(100), PlayerRead::Wait(Duration::from_secs(5)));
        p.finish_wait();
        assert_eq!(p.read(100), PlayerRead::Data(b"220 hi\r\n".to_vec()));
        assert_eq!(p.read(100), PlayerRead::Exhausted);
    }
}
