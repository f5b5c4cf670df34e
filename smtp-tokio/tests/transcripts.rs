//! Replays every transcript in `tests/transcripts/` over the mock stream, three ways (each
//! server line as one read, one octet per read, each run of lines as one read), on tokio's
//! paused clock: the same files and the same outcome rendering as the core's replay.
//!
//! Each action runs through `Connection::send_with_body` with the engine's `command()`;
//! streamed body pieces (`B:` lines) come from a reader that yields one piece per read.
//! One adapter-level equivalence, documented in the transcript itself: octets that arrive
//! after the 220 to STARTTLS, once the handshake started, reach the handshake and fail it
//! (`fatal tls`), where the core alone reports `fatal start-tls-injection`.

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use smtp_proto::testing::{
    ActionError, Delivery, Item, Script, command, render_logic_error, render_protocol_error,
};
use smtp_tokio::{Connection, Error, MockStream};
use tokio::io::{AsyncRead, ReadBuf};

const MIN_TRANSCRIPTS: usize = 80;

#[test]
fn every_transcript_replays_over_the_mock() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/transcripts");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "smtp"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_TRANSCRIPTS,
        "only {} transcripts",
        files.len()
    );
    let (mut failures, mut skipped, mut replayed) = (Vec::new(), Vec::new(), 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let script = Script::parse(&name, &fs::read_to_string(path).unwrap()).unwrap();
        if let Some(bug) = script.bug() {
            skipped.push(format!("{name}: {bug}"));
            continue;
        }
        for delivery in Delivery::ALL {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            if let Err(failure) = runtime.block_on(replay(&script, delivery)) {
                failures.push(format!("{name} ({delivery}): {failure}"));
            }
        }
        replayed += 1;
    }
    eprintln!(
        "{replayed} transcripts replayed three ways over the mock, {} skipped",
        skipped.len()
    );
    for skip in &skipped {
        eprintln!("skipped {skip}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn replay(script: &Script, delivery: Delivery) -> Result<(), String> {
    let mock = MockStream::from_script(script, delivery);
    let handle = mock.handle();
    let mut connection = Connection::with_mock(mock, script.client());
    let lines = script.lines();
    let mut pos = 0;
    while let Some(line) = lines.get(pos) {
        pos += 1;
        match &line.item {
            Item::Action(action) => {
                let end = lines[pos..]
                    .iter()
                    .position(|l| matches!(l.item, Item::Action(_) | Item::Check(_)))
                    .map_or(lines.len(), |i| pos + i);
                let expected: Vec<(usize, &Vec<String>)> = lines[pos..end]
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
                        compare(&expected, &outcome, line.number, &handle)?;
                        pos = end;
                        continue;
                    }
                    Err(error) => return Err(format!("line {}: {error}", line.number)),
                };
                let body: VecDeque<Vec<u8>> = lines[pos..end]
                    .iter()
                    .filter_map(|l| match &l.item {
                        Item::Body(bytes) => Some(bytes.clone()),
                        _ => None,
                    })
                    .collect();
                let sent = connection.send_with_body(cmd, Pieces(body)).await;
                let failed = !matches!(sent.result, Ok(Ok(_)));
                let mut outcome = match sent.result {
                    Ok(Ok(lines)) => lines,
                    Ok(Err(refusal)) => vec![render_logic_error(&refusal)],
                    Err(error) => vec![render_error(&error)],
                };
                if failed {
                    outcome.extend(sent.command.report());
                }
                compare(&expected, &outcome, line.number, &handle)?;
                pos = end;
            }
            Item::Check(question) => {
                connection.poll_idle();
                let fact = session_fact(&connection, question);
                if fact != question.join(" ") {
                    return Err(format!("line {}: session: {fact}", line.number));
                }
            }
            _ => {}
        }
    }
    if let Some(failure) = handle.failure() {
        return Err(failure.to_string());
    }
    if handle.expects_write() {
        return Err(format!(
            "the client did not write everything: {}",
            handle.remaining()
        ));
    }
    Ok(())
}

fn compare(
    expected: &[(usize, &Vec<String>)],
    outcome: &[String],
    at: usize,
    handle: &smtp_tokio::MockHandle,
) -> Result<(), String> {
    let mock = || {
        handle
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
        if !matches(words, actual) {
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

/// Expected words are the first words of the actual line; the one adapter equivalence:
/// injected octets after the handshake began fail the handshake.
fn matches(expected: &[String], actual: &str) -> bool {
    let prefix = |expected: &[String]| {
        let mut words = actual.split_whitespace();
        expected.iter().all(|w| words.next() == Some(w.as_str()))
    };
    prefix(expected)
        || (expected.join(" ") == "fatal start-tls-injection"
            && actual.starts_with("fatal tls ")
            && actual.contains("where the TLS handshake should be"))
}

fn render_error(error: &Error) -> String {
    match error.cause() {
        Error::Protocol(protocol) => render_protocol_error(protocol),
        Error::Tls { source, .. } => format!("fatal tls {source}"),
        Error::Io(source) => format!("fatal io {source}"),
        other => format!("fatal adapter {other}"),
    }
}

/// The `?` facts, as the core's engine renders them.
fn session_fact(connection: &Connection, question: &[String]) -> String {
    let session = connection.session();
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let key = question.first().map_or("", String::as_str);
    let answer = match key {
        "tls" => yes(session.is_tls()),
        "usable" => yes(connection.is_usable()),
        "closed" => yes(session.is_closed()),
        "transaction" => yes(session.in_transaction()),
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

/// A streamed body: one transcript piece per read.
struct Pieces(VecDeque<Vec<u8>>);

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(piece) = self.0.front_mut() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            piece.drain(..n);
            if piece.is_empty() {
                self.0.pop_front();
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The replay is not vacuous: a wrong client line or a wrong outcome is reported with its
/// line and what differed.
#[tokio::test(start_paused = true)]
async fn a_wrong_transcript_fails_precisely() {
    let wrong_write =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: RSET\nS: 250 ok\n= ok 250\n";
    let script = Script::parse("w.smtp", wrong_write).unwrap();
    let failure = replay(&script, Delivery::Lines).await.unwrap_err();
    assert!(
        failure.contains(r#"the client wrote "NOOP\r\n", the script expects "RSET\r\n""#),
        "{failure}"
    );
    let wrong_outcome =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: NOOP\nS: 550 no\n= ok 250\n";
    let script = Script::parse("o.smtp", wrong_outcome).unwrap();
    let failure = replay(&script, Delivery::Bytes).await.unwrap_err();
    assert_eq!(
        failure,
        r#"line 7: expected "ok 250", got "refused 550 line" (whole outcome: refused 550 line)"#
    );
    let unwritten =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: NOOP\nC: RSET\nS: 250 ok\n= ok 250\n";
    let script = Script::parse("u.smtp", unwritten).unwrap();
    assert!(replay(&script, Delivery::Blocks).await.is_err());
}
