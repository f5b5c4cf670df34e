//! The transcript runner every adapter's mock test shares: which files, what each action
//! runs, how outcomes and session facts are rendered and compared.
//!
//! An adapter implements [`Replay`] for its connection over its mock stream (a few lines
//! of forwarding) and calls [`replay_all`] with a closure that runs [`replay`] on its
//! runtime. The rendering is the core's (`smtp_proto::testing`), so the same `=` lines hold
//! for the core's own replay and for every adapter.

use std::collections::VecDeque;
use std::path::PathBuf;

use smtp_proto::client::Session;
use smtp_proto::command::LogicError;
use smtp_proto::testing::{
    ActionError, Delivery, Item, Line, Script, ScriptCommand, command, render_logic_error,
    render_protocol_error,
};

use super::MockError;
use crate::Error;

/// What a command run over a mock returns: the result and the command (for its report).
pub type Ran = (
    Result<Result<Vec<String>, LogicError>, Error>,
    ScriptCommand,
);

/// An adapter's connection over its mock stream, as the runner drives it.
///
/// `send` is `async` so that one runner serves every runtime; a blocking adapter does its
/// work in the body and is driven by [`run_ready`].
#[allow(async_fn_in_trait)]
pub trait Replay {
    /// `Connection::send_with_body`: runs `cmd`; a streamed body is read from `body`, one
    /// piece per read.
    async fn send(&mut self, cmd: ScriptCommand, body: VecDeque<Vec<u8>>) -> Ran;
    /// `Connection::poll_idle`.
    fn poll_idle(&mut self);
    /// `Connection::session`.
    fn session(&self) -> &Session;
    /// `Connection::is_usable`.
    fn is_usable(&self) -> bool;
    /// The mock's first mismatch (`MockHandle::failure`).
    fn failure(&self) -> Option<MockError>;
    /// Whether the script still expects client octets (`MockHandle::expects_write`).
    fn expects_write(&self) -> bool;
    /// How many server octets the client read, and whether it read the end of file
    /// (`MockHandle::read_so_far`).
    fn read_so_far(&self) -> (u64, bool);
    /// Lets the wait at the head of the script pass on the mock's clock
    /// (`MockHandle::pass_wait`): `false` if the script does not wait now.
    async fn pass_wait(&mut self) -> bool;
    /// The script's events not played yet (`MockHandle::remaining`).
    fn remaining(&self) -> String;
}

/// What [`replay_all`] did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Transcripts replayed (each in every [`Delivery::ALL`] way).
    pub replayed: usize,
    /// Transcripts skipped for a known bug, with it.
    pub skipped: Vec<String>,
}

/// The transcripts in `tests/transcripts/`, sorted by name: at least `min` of them, or an
/// error (a moved directory must not make the suite pass vacuously).
pub fn transcripts(min: usize) -> Result<Vec<Script>, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/transcripts");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "smtp"))
        .collect();
    files.sort();
    if files.len() < min {
        return Err(format!(
            "only {} transcripts in {}",
            files.len(),
            dir.display()
        ));
    }
    files
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
            Script::parse(&name, &text).map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// Seeds of the random-piece deliveries every transcript is replayed with, besides
/// [`Delivery::ALL`].
const RANDOM_SEEDS: [u64; 2] = [7, 1_000_003];

/// Replays every transcript (at least `min`) with `run`, which replays one script with one
/// delivery: the three ways of [`Delivery::ALL`] and random pieces of 1 to 16 octets
/// across line ends (two fixed seeds); the failures, all of them, are the error.
pub fn replay_all(
    min: usize,
    mut run: impl FnMut(&Script, Delivery) -> Result<(), String>,
) -> Result<Summary, String> {
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for script in transcripts(min)? {
        if let Some(bug) = script.bug() {
            summary.skipped.push(format!("{}: {bug}", script.name()));
            continue;
        }
        let random = RANDOM_SEEDS.map(Delivery::Random);
        for delivery in Delivery::ALL.into_iter().chain(random) {
            if let Err(failure) = run(&script, delivery) {
                failures.push(format!("{} ({delivery}): {failure}", script.name()));
            }
        }
        summary.replayed += 1;
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(format!(
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        ))
    }
}

/// Replays `script` over `target`: each action through `send` with the engine's
/// `command()` and the `B:` pieces as its streamed body, each `?` fact from the session,
/// and at the end the mock must have seen every client octet it expects.
pub async fn replay<R: Replay>(script: &Script, target: &mut R) -> Result<(), String> {
    let lines = script.lines();
    let mut pos = 0;
    while let Some(line) = lines.get(pos) {
        pos += 1;
        let rest = lines.get(pos..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|l| matches!(l.item, Item::Action(_) | Item::Check(_)))
            .map_or(lines.len(), |i| pos + i);
        let block = lines.get(pos..end).unwrap_or_default();
        match &line.item {
            Item::Action(action) => {
                let expected: Vec<(usize, &Vec<String>)> = block
                    .iter()
                    .filter_map(|l| match &l.item {
                        Item::Expect(words) => Some((l.number, words)),
                        _ => None,
                    })
                    .collect();
                let cmd = match command(action) {
                    Ok(cmd) => cmd,
                    // The library refused an argument: nothing is sent, as in the core.
                    Err(ActionError::Refused(kind)) => {
                        let outcome = vec![format!("argument-refused {kind}")];
                        compare(&expected, &outcome, line.number, target, false)?;
                        pos = end;
                        continue;
                    }
                    Err(error) => return Err(format!("line {}: {error}", line.number)),
                };
                let body: VecDeque<Vec<u8>> = block
                    .iter()
                    .filter_map(|l| match &l.item {
                        Item::Body(bytes) => Some(bytes.clone()),
                        _ => None,
                    })
                    .collect();
                let (result, cmd) = target.send(cmd, body).await;
                let failed = !matches!(result, Ok(Ok(_)));
                if result.is_ok() {
                    unread(lines, pos, end, target.read_so_far()).map_err(|why| {
                        format!("line {}: the command finished with {why}", line.number)
                    })?;
                }
                let mut outcome = match result {
                    Ok(Ok(lines)) => lines,
                    Ok(Err(refusal)) => vec![render_logic_error(&refusal)],
                    Err(error) => vec![render_error(&error)],
                };
                if failed {
                    outcome.extend(cmd.report());
                }
                // Octets that arrive only after a wait reach the TLS handshake; without
                // one they are there when the handshake would start, and the adapter must
                // find them first (its `read_now` before the handshake).
                let waits = block
                    .iter()
                    .any(|l| matches!(l.item, Item::Wait(_) | Item::At(_)));
                compare(&expected, &outcome, line.number, target, waits)?;
                // Time the script lets pass after the command's `=` lines goes by while the
                // client is idle, as in the core's replay: what came before each wait is
                // read first.
                let idle_waits = block
                    .iter()
                    .skip_while(|l| !matches!(l.item, Item::Expect(_)))
                    .filter(|l| matches!(l.item, Item::Wait(_) | Item::At(_)))
                    .count();
                pass_idle_waits(target, idle_waits).await;
                pos = end;
            }
            Item::Check(question) => {
                target.poll_idle();
                let fact = session_fact(target, question);
                if fact != question.join(" ") {
                    return Err(format!("line {}: session: {fact}", line.number));
                }
            }
            _ => {}
        }
    }
    if let Some(failure) = target.failure() {
        return Err(failure.to_string());
    }
    if target.expects_write() {
        return Err(format!(
            "the client did not write everything: {}",
            target.remaining()
        ));
    }
    Ok(())
}

/// Lets `waits` of the script's waits pass while the client is idle, reading what the
/// server sent before each (a few polls at most per wait: the idle client reads what is
/// there without waiting).
async fn pass_idle_waits<R: Replay>(target: &mut R, waits: usize) {
    let mut passed = 0;
    let mut polls = 0;
    while passed < waits && polls < 64 * (waits + 1) {
        if target.pass_wait().await {
            passed += 1;
        } else {
            target.poll_idle();
            polls += 1;
        }
    }
}

/// Whether the client read the server octets (and the end of file) of the run of the
/// action whose block is `lines[pos..end]`: every `S:` line up to its first `=` line, as
/// the core's replay requires of a command that did not fail (what follows the `=` lines
/// goes to the idle client). `read` is what the mock handed out.
fn unread(lines: &[Line], pos: usize, end: usize, read: (u64, bool)) -> Result<(), String> {
    let block = lines.get(pos..end).unwrap_or_default();
    let run_end = block
        .iter()
        .position(|l| matches!(l.item, Item::Expect(_)))
        .map_or(end, |i| pos + i);
    let upto = lines.get(..run_end).unwrap_or_default();
    let due: u64 = upto
        .iter()
        .map(|l| match &l.item {
            Item::Server(bytes) => bytes.len() as u64,
            _ => 0,
        })
        .sum();
    let eof_due = block
        .iter()
        .take(run_end - pos)
        .any(|l| matches!(l.item, Item::Eof));
    if read.0 < due {
        return Err(format!("{} server octets of its run unread", due - read.0));
    }
    if eof_due && !read.1 {
        return Err("the end of file of its run unread".to_owned());
    }
    Ok(())
}

/// Runs a future that never waits (a blocking adapter's [`Replay`]) to its end; `None` if
/// it did wait.
pub fn run_ready<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

fn compare<R: Replay>(
    expected: &[(usize, &Vec<String>)],
    outcome: &[String],
    at: usize,
    target: &R,
    waits: bool,
) -> Result<(), String> {
    let mock = || {
        target
            .failure()
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default()
    };
    if expected.len() != outcome.len() {
        return Err(format!(
            "line {at}: expected {} outcome lines, got: {}{}",
            expected.len(),
            outcome.join(" | "),
            mock()
        ));
    }
    for ((number, words), actual) in expected.iter().zip(outcome) {
        if !matches(words, actual, waits) {
            return Err(format!(
                "line {number}: expected \"{}\", got \"{actual}\" (whole outcome: {}){}",
                words.join(" "),
                outcome.join(" | "),
                mock()
            ));
        }
    }
    Ok(())
}

/// Expected words are the first words of the actual line; the two adapter equivalences:
/// octets that arrive after the 220 to STARTTLS, once the handshake began, reach the
/// handshake and fail it (`fatal tls`), where the core alone reports
/// `fatal start-tls-injection` (only in a command that `waits`: octets already there must
/// be found before the handshake); and a write the script cuts (`! cut`) is the stream's
/// IO error (`fatal io`), where the core alone reports `fatal write-failed`.
fn matches(expected: &[String], actual: &str, waits: bool) -> bool {
    let prefix = |expected: &[String]| {
        let mut words = actual.split_whitespace();
        expected.iter().all(|w| words.next() == Some(w.as_str()))
    };
    let expected_line = expected.join(" ");
    prefix(expected)
        || (expected_line == "fatal start-tls-injection"
            && waits
            && actual.starts_with("fatal tls ")
            && actual.contains("where the TLS handshake should be"))
        || (expected_line == "fatal write-failed"
            && actual.starts_with("fatal io ")
            && actual.ends_with(&super::WriteCut.to_string()))
}

/// A fatal error as the transcripts write it.
pub fn render_error(error: &Error) -> String {
    match error.cause() {
        Error::Protocol(protocol) => render_protocol_error(protocol),
        Error::Tls { source, .. } => format!("fatal tls {source}"),
        Error::Io(source) => format!("fatal io {source}"),
        other => format!("fatal adapter {other}"),
    }
}

/// The `?` facts, as the core's engine renders them.
fn session_fact<R: Replay>(target: &R, question: &[String]) -> String {
    let session = target.session();
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let key = question.first().map_or("", String::as_str);
    let answer = match key {
        "tls" => yes(session.is_tls()),
        "usable" => yes(target.is_usable()),
        "closed" => yes(session.is_closed()),
        "transaction" => yes(session.in_transaction()),
        "mail-data" => yes(session.in_mail_data()),
        "hello" => match (session.ehlo().is_some(), session.is_helo()) {
            (true, _) => "ehlo",
            (false, true) => "helo",
            (false, false) => "none",
        }
        .to_owned(),
        "authenticated" => session
            .authenticated()
            .map_or_else(|| "none".to_owned(), ToString::to_string),
        "protocol" => format!("{:?}", session.protocol()).to_lowercase(),
        "greeting" => session
            .greeting()
            .map_or_else(|| "none".to_owned(), |r| r.code().get().to_string()),
        "supports" => {
            let keyword = question.get(1).map_or("", String::as_str);
            let offered = session.ehlo().is_some_and(|e| e.params(keyword).is_some());
            return format!("supports {keyword} {}", yes(offered));
        }
        _ => return format!("unknown question {key}"),
    };
    format!("{key} {answer}")
}
