//! Replays every transcript in `tests/transcripts/` over the futures-io mock stream, three
//! ways (each server line as one read, one octet per read, each run of lines as one read)
//! and in random pieces across line ends (two fixed seeds),
//! on the mock's virtual clock and async-std's executor: the same files, the same runner
//! as smtp-tokio's (`smtp_adapter::mock::replay`).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use smtp_adapter::mock::{MockError, Ran, Replay, replay, replay_all};
use smtp_async_std::{Connection, MockHandle, MockStream};
use smtp_proto::client::Session;
use smtp_proto::testing::{Delivery, Script, ScriptCommand};

const MIN_TRANSCRIPTS: usize = 80;

#[test]
fn every_transcript_replays_over_the_mock() {
    let summary = replay_all(MIN_TRANSCRIPTS, |script, delivery| {
        async_std::task::block_on(replay(script, &mut Mocked::new(script, delivery)))
    })
    .unwrap_or_else(|failures| panic!("{failures}"));
    eprintln!(
        "{} transcripts replayed five ways over the futures-io mock, {} skipped",
        summary.replayed,
        summary.skipped.len()
    );
    assert!(summary.replayed >= MIN_TRANSCRIPTS);
}

/// The same replay on smol's executor: nothing in the adapter belongs to one runtime.
#[test]
fn every_transcript_replays_on_smol_too() {
    replay_all(MIN_TRANSCRIPTS, |script, delivery| {
        smol::block_on(replay(script, &mut Mocked::new(script, delivery)))
    })
    .unwrap_or_else(|failures| panic!("{failures}"));
}

/// A connection over the mock playing one script.
struct Mocked {
    connection: Connection,
    handle: MockHandle,
}

impl Mocked {
    fn new(script: &Script, delivery: Delivery) -> Self {
        let mock = MockStream::from_script(script, delivery);
        let handle = mock.handle();
        let connection = Connection::with_mock(mock, script.client());
        Self { connection, handle }
    }
}

impl Replay for Mocked {
    async fn send(&mut self, cmd: ScriptCommand, body: VecDeque<Vec<u8>>) -> Ran {
        let sent = self.connection.send_with_body(cmd, Pieces(body)).await;
        (sent.result, sent.command)
    }

    fn poll_idle(&mut self) {
        self.connection.poll_idle();
    }

    fn session(&self) -> &Session {
        self.connection.session()
    }

    fn is_usable(&self) -> bool {
        self.connection.is_usable()
    }

    fn failure(&self) -> Option<MockError> {
        self.handle.failure()
    }

    fn expects_write(&self) -> bool {
        self.handle.expects_write()
    }

    fn read_so_far(&self) -> (u64, bool) {
        self.handle.read_so_far()
    }

    async fn pass_wait(&mut self) -> bool {
        self.handle.pass_wait()
    }

    fn remaining(&self) -> String {
        self.handle.remaining()
    }
}

/// A streamed body: one transcript piece per read.
struct Pieces(VecDeque<Vec<u8>>);

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Some(piece) = self.0.front_mut() else {
            return Poll::Ready(Ok(0));
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        piece.drain(..n);
        if piece.is_empty() {
            self.0.pop_front();
        }
        Poll::Ready(Ok(n))
    }
}

/// The replay is not vacuous: a wrong client line or a wrong outcome is reported with its
/// line and what differed.
#[async_std::test]
async fn a_wrong_transcript_fails_precisely() {
    let run = |text: &str, delivery| {
        let script = Script::parse("w.smtp", text).unwrap();
        async move { replay(&script, &mut Mocked::new(&script, delivery)).await }
    };
    let wrong_write =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: RSET\nS: 250 ok\n= ok 250\n";
    let failure = run(wrong_write, Delivery::Lines).await.unwrap_err();
    assert!(
        failure.contains(r#"the client wrote "NOOP\r\n", the script expects "RSET\r\n""#),
        "{failure}"
    );
    let wrong_outcome =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: NOOP\nS: 550 no\n= ok 250\n";
    let failure = run(wrong_outcome, Delivery::Bytes).await.unwrap_err();
    assert_eq!(
        failure,
        r#"line 7: expected "ok 250", got "refused 550 line" (whole outcome: refused 550 line)"#
    );
    // A wrong write the outcome line does not show (`= fatal` is a prefix of any fatal
    // error): the mock keeps the mismatch and the replay reports it at the end.
    let hidden = "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: RSET\nS: 250 ok\n= fatal\n";
    let failure = run(hidden, Delivery::Lines).await.unwrap_err();
    assert!(
        failure.contains(r#"the client wrote "NOOP\r\n", the script expects "RSET\r\n""#),
        "{failure}"
    );
    // Octets the script expects that the client never writes, after its last reply.
    let unwritten =
        "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: NOOP\nS: 250 ok\n= ok 250\nC: RSET\n";
    let failure = run(unwritten, Delivery::Blocks).await.unwrap_err();
    assert_eq!(failure, r"the client did not write everything: C+ RSET\r\n");
}

/// Virtual time: a wait shorter than the greeting deadline passes, a longer one trips it,
/// and neither takes real time.
#[async_std::test]
async fn deadlines_pass_on_the_mock_clock() {
    let started = std::time::Instant::now();
    let in_time = "> greeting\n@+299s\nS: 220 late but in time\n= ok 220\n";
    let script = Script::parse("t.smtp", in_time).unwrap();
    replay(&script, &mut Mocked::new(&script, Delivery::Lines))
        .await
        .unwrap();
    let late = "> greeting\n@+301s\nS: 220 too late\n= fatal timeout greeting\n";
    let script = Script::parse("t.smtp", late).unwrap();
    replay(&script, &mut Mocked::new(&script, Delivery::Bytes))
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// `@Ns` (virtual time from the start) is played as the core's replay plays it: a greeting
/// at 301 s is past its 5 minutes over the mock too (the mock once ignored the line).
#[async_std::test]
async fn an_absolute_time_line_is_played_as_in_the_core() {
    let text = "> greeting\n@301s\nS: 220 hi\n= fatal timeout\n";
    let script = Script::parse("at.smtp", text).unwrap();
    script
        .replay(Delivery::Lines, std::time::Instant::now())
        .unwrap();
    let over_mock = replay(&script, &mut Mocked::new(&script, Delivery::Lines)).await;
    assert_eq!(over_mock, Ok(()));
}

/// A reply the script's server sends in a command's run that the client never reads (it
/// took the first reply as the command's end): the core's replay rejects the script, and
/// the mock's replay does too, however the octets are delivered (it used to check only
/// that every client octet was written).
#[async_std::test]
async fn server_octets_left_unread_fail_the_replay() {
    let text = "> greeting\nS: 220 hi\n= ok 220\n> line NOOP\nC: NOOP\nS: 250 ok\nS: 250 unread\n= ok 250\n";
    let script = Script::parse("unread.smtp", text).unwrap();
    assert!(script.replay_all(std::time::Instant::now()).is_err());
    for delivery in Delivery::ALL {
        let replayed = replay(&script, &mut Mocked::new(&script, delivery)).await;
        let failure = replayed.expect_err("the replay passed with \"250 unread\" never read");
        // Delivered as one block, the unread reply reaches the idle client, which fails.
        if delivery != Delivery::Blocks {
            assert!(
                failure.contains("server octets of its run unread"),
                "{delivery}: {failure}"
            );
        }
    }
}
