//! The engine's own rules: what it accepts, and the exact failures it reports.

use std::time::{Duration, Instant};

use super::*;

const GREETED: &str = "> greeting\nS: 220 mx\n= ok 220\n";

fn replay(text: &str, delivery: Delivery) -> Result<(), String> {
    let script = Script::parse("t.smtp", text).map_err(|e| e.to_string())?;
    script
        .replay(delivery, Instant::now())
        .map_err(|e| e.to_string())
}

fn replay_all(text: &str) -> Result<(), String> {
    let script = Script::parse("t.smtp", text).map_err(|e| e.to_string())?;
    script.replay_all(Instant::now()).map_err(|e| e.to_string())
}

#[test]
fn a_faithful_transcript_replays_every_way() {
    let text =
        format!("{GREETED}> line NOOP\nC: NOOP\nS+ 25\nS+ 0 ok\\r\\n\n= ok 250\n? usable yes\n");
    assert_eq!(replay_all(&text), Ok(()));
    for seed in 1..=8 {
        assert_eq!(replay(&text, Delivery::Random(seed)), Ok(()));
    }
}

#[test]
fn client_octets_are_compared_exactly() {
    let text = format!("{GREETED}> line NOOP\nC: NOOP \nS: 250 ok\n= ok 250\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        r#"t.smtp:5 (reply by reply): client octets differ: expected "NOOP \r\n", the client wrote "NOOP\r\n" (then it waits for input until 300s)"#
    );
}

#[test]
fn unshown_client_octets_fail_at_the_next_line() {
    let text = format!("{GREETED}> line NOOP\nS: 250 ok\n= ok 250\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        r#"t.smtp:5 (reply by reply): the client wrote "NOOP\r\n", which the transcript does not show before this line"#
    );
}

#[test]
fn outcomes_must_match_word_by_word_and_all_lines() {
    let text = format!("{GREETED}> line NOOP\nC: NOOP\nS: 550 no\n= refused 551\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        r#"t.smtp:7 (reply by reply): expected outcome "refused 551", got "refused 550 line" (whole outcome: refused 550 line)"#
    );
    let text = format!("{GREETED}> line NOOP\nC: NOOP\nS: 550 no\n= refused 550\n= ok 250\n");
    assert!(
        replay_all(&text)
            .unwrap_err()
            .contains("got \"nothing more\"")
    );
}

#[test]
fn an_outcome_depending_on_packets_is_caught() {
    // Two replies to one line: as separate reads the first finishes the command; in one
    // read the second has nothing in flight. The transcript must not depend on that.
    let text = "> greeting\nS: 220 a\nS: 250 b\n= fatal unexpected-reply 250\n";
    assert_eq!(
        replay(text, Delivery::Lines).unwrap_err(),
        r#"t.smtp:3 (reply by reply): the command finished (outcome: ok 220) before the server sent "250 b\r\n": put the = lines first"#
    );
    assert!(replay(text, Delivery::Bytes).is_err());
    assert_eq!(replay(text, Delivery::Blocks), Ok(()));
}

#[test]
fn directives_must_meet_the_state() {
    let text = "> greeting\n! tls\n";
    assert_eq!(
        replay_all(text).unwrap_err(),
        "t.smtp:2 (reply by reply): ! tls, but the client did not ask for TLS (it waits for input until 300s)"
    );
    let text = "> greeting\n! deadline 301s\n";
    assert!(
        replay_all(text)
            .unwrap_err()
            .contains("expected to wait for input until 301s")
    );
    let text = "> greeting\n@10s\n@5s\n";
    assert!(
        replay_all(text)
            .unwrap_err()
            .contains("time cannot go back")
    );
    let text = "> greeting\nS: 220 ok\n";
    assert!(
        replay_all(text)
            .unwrap_err()
            .contains("the transcript ends while the command runs")
    );
    let text = "C: NOOP\n";
    assert!(
        replay_all(text)
            .unwrap_err()
            .contains("while no command runs")
    );
}

#[test]
fn waiting_past_the_deadline_times_out() {
    let text = "% timeout.greeting=10s\n> greeting\n! deadline 10s\n@+9s\n! deadline 10s\n@+1s\n= fatal timeout greeting\n";
    assert_eq!(replay_all(text), Ok(()));
}

#[test]
fn unknown_actions_and_session_questions_are_errors() {
    assert!(
        replay_all("> frobnicate\n")
            .unwrap_err()
            .contains("unknown action \"frobnicate\"")
    );
    let text = format!("{GREETED}? colour blue\n");
    assert!(
        replay_all(&text)
            .unwrap_err()
            .contains("unknown session question")
    );
    let text = format!("{GREETED}? tls yes\n");
    assert!(replay_all(&text).unwrap_err().contains("session: tls no"));
}

#[test]
fn io_events_are_what_a_mock_plays() {
    let text = format!("{GREETED}> line NOOP\nC: NOOP\nC+ x\nS: 250 ok\n@+1s\n! eof\n= ok 250\n");
    let script = Script::parse("t.smtp", &text).unwrap();
    assert_eq!(
        script.io_events(),
        [
            IoEvent::Read(b"220 mx\r\n".to_vec()),
            IoEvent::Write(b"NOOP\r\nx".to_vec()),
            IoEvent::Read(b"250 ok\r\n".to_vec()),
            IoEvent::Wait(Duration::from_secs(1)),
            IoEvent::Eof,
        ]
    );
}

/// `@Ns` is a time from the start: the event is the wait for what is left of it, across
/// turns, and nothing once it is reached.
#[test]
fn io_events_play_an_absolute_time_as_the_wait_left() {
    let text = "> greeting\n@+100s\n@299s\nS: 220 mx\n= ok 220\n@299s\n@600s\n! eof\n";
    let script = Script::parse("t.smtp", text).unwrap();
    let waits = [
        IoEvent::Wait(Duration::from_secs(100)),
        IoEvent::Wait(Duration::from_secs(199)),
        IoEvent::Read(b"220 mx\r\n".to_vec()),
        IoEvent::Wait(Duration::from_secs(301)),
        IoEvent::Eof,
    ];
    assert_eq!(script.io_events(), waits);
    let turns = script.turns();
    let events: Vec<&IoEvent> = turns.iter().flat_map(|t| &t.events).collect();
    assert_eq!(events, waits.iter().collect::<Vec<_>>());
}

#[test]
fn turns_cut_at_actions_and_idle_events() {
    let text = format!(
        "{GREETED}S: 250 unasked\n? usable no\n> line NOOP\n= fatal unexpected-reply 250\n"
    );
    let turns = Script::parse("t.smtp", &text).unwrap().turns();
    let shape: Vec<_> = turns
        .iter()
        .map(|t| {
            (
                t.line,
                t.action.as_ref().map(|a| a.name.as_str()),
                t.events.len(),
                t.outcome.len(),
                t.checks.len(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1, Some("greeting"), 1, 1, 0),
            (4, None, 1, 0, 1),
            (6, Some("line"), 0, 1, 0)
        ]
    );
    assert!(outcome_matches(
        &turns[2].outcome,
        &["fatal unexpected-reply 250".to_owned()]
    ));
    assert!(!outcome_matches(&turns[2].outcome, &[]));
}

#[test]
fn a_cut_write_keeps_what_the_stream_took_and_reads_what_is_left() {
    // The write is cut two octets into the line: a refusal read after it still decides,
    // while a positive reply cannot answer a line the server never had.
    let text = format!("{GREETED}> line NOOP\nC+ NO\n! cut\nS: 550 no\n! eof\n= refused 550\n");
    assert_eq!(replay_all(&text), Ok(()));
    let text = format!(
        "{GREETED}> line NOOP\nC+ NO\n! cut\nS: 250 ok\n! eof\n= fatal unexpected-reply 250\n"
    );
    assert_eq!(replay_all(&text), Ok(()));
    // Nothing read after the cut: the write's failure is the outcome.
    let text = format!("{GREETED}> line NOOP\nC+ NO\n! cut\n! eof\n= fatal write-failed\n");
    assert_eq!(replay_all(&text), Ok(()));
    // A cut before the first octet.
    let text = format!("{GREETED}> line NOOP\n! cut\n! eof\n= fatal write-failed\n");
    assert_eq!(replay_all(&text), Ok(()));
}

#[test]
fn a_cut_needs_a_write_to_cut_and_an_eof_after_it() {
    // The whole line left, and the client writes nothing more before it reads.
    let text = format!("{GREETED}> line NOOP\nC: NOOP\n! cut\nS: 250 ok\n= ok 250\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        "t.smtp:6 (reply by reply): ! cut, but the client's write was not cut here (it waits for input until 300s)"
    );
    let text = format!("{GREETED}> line NOOP\nC+ NO\n! cut\nS: 250 ok\n= ok 250\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        "t.smtp:8 (reply by reply): expected the command to finish, but its write was cut: ! eof must follow the server's last octets"
    );
    let text = format!("{GREETED}> line NOOP\nC+ NO\n! cut\n! cut\n! eof\n= fatal write-failed\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        "t.smtp:7 (reply by reply): ! cut, but the client's write was not cut here (its write was cut: ! eof must follow the server's last octets)"
    );
    let text = format!("{GREETED}! cut\n");
    assert_eq!(
        replay_all(&text).unwrap_err(),
        "t.smtp:4 (reply by reply): ! cut while no command runs"
    );
}

/// A cut right after a line the engine hands over itself (`! tls`, `B:`, `! body-end`): the
/// lines ahead start after that line.
#[test]
fn a_cut_after_a_handshake_or_a_body_piece() {
    let tls = "> establish client.example tls=required\nS: 220 mx\nC: EHLO client.example\n\
               S: 250-mx\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go ahead\n! tls\nC+ EH\n\
               ! cut\n! eof\n= fatal write-failed\n";
    assert_eq!(replay_all(tls), Ok(()));
    let body = "> greeting\nS: 220 mx\n= ok 220\n> ehlo client.example\nC: EHLO client.example\n\
                S: 250-mx\nS: 250 PIPELINING\n= ok 250\n\
                > send_mail from=<a@x.example> to=<b@y.example> stream=7bit\n\
                C: MAIL FROM:<a@x.example>\nC: RCPT TO:<b@y.example>\nC: DATA\nS: 250 ok\n\
                S: 250 ok\nS: 354 go ahead\nB: hello\n";
    let in_the_piece = format!(
        "{body}C+ hel\n! cut\n! eof\n= fatal write-failed\n= outcome not-sent\n\
         = rcpt <b@y.example> not-attempted\n"
    );
    assert_eq!(replay_all(&in_the_piece), Ok(()));
    let at_the_end = format!(
        "{body}C: hello\n! body-end\n! cut\n! eof\n= fatal write-failed\n= outcome not-sent\n\
         = rcpt <b@y.example> not-attempted\n"
    );
    assert_eq!(replay_all(&at_the_end), Ok(()));
}
