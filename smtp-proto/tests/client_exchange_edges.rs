//! The exchange at its edges: input, end and body handed over at the wrong time, commands
//! that misuse the driver, and the client's state between commands. Nothing the server sent
//! is dropped silently, and every misuse is an error.

mod driver_support;

use std::time::Duration;

use driver_support::{Hello, Lines, idle_client, t0};
use smtp_proto::client::{Client, ClientConfig, Context, Output, ReplyKind};
use smtp_proto::command::{Cmd, Step};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Response;

/// While idle, only a 421 is the server closing; any other reply is one nobody asked for.
#[test]
fn a_reply_other_than_421_while_idle_is_unexpected() {
    let mut client = idle_client(ClientConfig::default());
    client.handle_input(b"250 what\r\n");
    assert!(!client.is_usable());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    match ex.poll_output(t0()) {
        Err(ProtocolError::UnexpectedReply(reply)) => assert_eq!(reply.code().get(), 250),
        other => panic!("{other:?}"),
    }
}

/// The server closed the connection while no command ran: the next command fails before
/// anything is written.
#[test]
fn an_end_while_idle_fails_the_next_command_unsent() {
    let mut client = idle_client(ClientConfig::default());
    client.handle_eof();
    assert!(!client.is_usable());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(
        ex.poll_output(t0()),
        Err(ProtocolError::ConnectionClosed)
    ));
}

/// An exchange dropped half-way leaves replies in flight that no command will read: the
/// client refuses every later command, though no error was reported.
#[test]
fn an_abandoned_exchange_makes_the_client_unusable() {
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    drop(ex);
    assert!(!client.is_usable());
    // Every later command fails the same way, not with what the first refusal left.
    for _ in 0..2 {
        let mut ex = client.send(Lines(&[b"RSET\r\n"], Vec::new()));
        assert!(matches!(ex.poll_output(t0()), Err(ProtocolError::Unusable)));
    }
}

/// `Client::config` is the configuration the client was made with.
#[test]
fn the_client_keeps_its_configuration() {
    let config = ClientConfig {
        max_group: std::num::NonZeroUsize::new(3),
        ..ClientConfig::default()
    };
    let client = idle_client(config);
    assert_eq!(client.config().max_group, std::num::NonZeroUsize::new(3));
}

/// A command that neither finishes nor awaits a reply would hang: the driver fails it, and
/// the client with it.
#[test]
fn a_command_that_waits_for_nothing_is_a_misuse_that_ends_the_client() {
    struct Idle;
    impl Cmd for Idle {
        type Output = ();
        fn start(&mut self, _: &mut Context<'_>) -> Step<()> {
            Step::Continue
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
            Step::Continue
        }
    }
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Idle);
    assert_eq!(
        ex.poll_output(t0()).unwrap_err(),
        ProtocolError::Misuse("command waits for nothing")
    );
    drop(ex);
    assert!(!client.is_usable());
}

/// The last reply and the end of the connection read together: the command has its
/// result, and the end is no error.
#[test]
fn the_end_right_after_the_last_reply_leaves_the_result() {
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    ex.handle_input(b"250 ok\r\n");
    ex.handle_eof();
    match ex.poll_output(t0()) {
        Ok(Output::Done(Ok(replies))) => assert_eq!(replies[0].code().get(), 250),
        other => panic!("{other:?}"),
    }
    drop(ex);
    assert!(!client.is_usable());
}

/// `handle_timeout` fails the exchange at the awaited reply's deadline, not before: the
/// next poll reports it whatever time that poll is given.
#[test]
fn handle_timeout_fails_the_exchange_at_the_deadline_not_before() {
    let now = t0();
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(_))));
    let Ok(Output::NeedInput { deadline }) = ex.poll_output(now) else {
        panic!()
    };
    ex.handle_timeout(deadline - Duration::from_millis(1));
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_timeout(deadline);
    assert_eq!(
        ex.poll_output(now).unwrap_err(),
        ProtocolError::Timeout(ReplyKind::Other)
    );
}

/// Bytes handed over before the first poll are kept for the command: a greeting read before
/// polling is the greeting, and an end read with it is judged once the command awaits.
#[test]
fn input_before_the_first_poll_is_read_once_the_command_starts() {
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    ex.handle_input(b"220 hi\r\n");
    match ex.poll_output(t0()) {
        Ok(Output::Done(Ok(greeting))) => assert_eq!(greeting.code().get(), 220),
        other => panic!("{other:?}"),
    }
    drop(ex);
    assert!(client.is_usable());

    // Half a greeting, then the end: a reply cut off, not a wait until the timeout.
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    ex.handle_input(b"220 h");
    ex.handle_eof();
    assert_eq!(
        ex.poll_output(t0()).unwrap_err(),
        ProtocolError::TruncatedReply(ReplyKind::Greeting)
    );

    // Before any line left, a reply cannot be the command's.
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    ex.handle_input(b"250 early\r\n");
    assert!(matches!(
        ex.poll_output(t0()),
        Err(ProtocolError::UnexpectedReply(_))
    ));
}

/// Bytes handed to an exchange that has ended are the idle client's: a 421 then is the
/// server closing, reported by the next command, not lost.
#[test]
fn input_after_the_exchange_ended_is_the_idle_clients() {
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    ex.handle_input(b"250 ok\r\n");
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Done(Ok(_)))));
    ex.handle_input(b"421 4.3.2 shutting down\r\n");
    drop(ex);
    assert!(!client.is_usable());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    match ex.poll_output(t0()) {
        Err(ProtocolError::ServiceClosing(reply)) => assert_eq!(reply.code().get(), 421),
        other => panic!("{other:?}"),
    }
}

/// A body handed over unasked, before the first poll or after `Done`, is a misuse that
/// fails the connection, never silently dropped.
#[test]
fn a_body_handed_over_unasked_is_a_misuse() {
    let misuse = ProtocolError::Misuse("body handed over without NeedBody");
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    ex.handle_body(b"Subject: early\r\n");
    assert_eq!(ex.poll_output(t0()).unwrap_err(), misuse);

    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    ex.handle_input(b"250 ok\r\n");
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Done(Ok(_)))));
    assert_eq!(ex.last_reply_code().map(|code| code.get()), Some(250));
    ex.handle_body_end();
    drop(ex);
    assert!(!client.is_usable());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert_eq!(ex.poll_output(t0()).unwrap_err(), misuse);
}

/// A command that finished on a 421 has its result, though the exchange fails: the caller
/// takes it after the error (a mail's report).
#[test]
fn a_result_finished_on_a_421_is_kept_after_the_error() {
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    ex.handle_input(b"421 4.3.2 bye\r\n");
    assert!(matches!(
        ex.poll_output(t0()),
        Err(ProtocolError::ServiceClosing(_))
    ));
    assert_eq!(ex.last_reply_code().map(|code| code.get()), Some(421));
    match ex.take_result() {
        Some(Ok(replies)) => assert_eq!(replies[0].code().get(), 421),
        other => panic!("{other:?}"),
    }
    assert!(ex.take_result().is_none());
}

/// A command may ask to close the session before its last reply and still read it: only a
/// finished command's outstanding replies are nobody's.
#[test]
fn a_running_command_that_closes_still_reads_its_replies() {
    struct CloseThenWait;
    impl Cmd for CloseThenWait {
        type Output = Response;
        fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"QUIT\r\n"));
            cx.close();
            Step::Continue
        }
        fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<Response> {
            Step::Done(Ok(reply))
        }
    }
    let mut client = idle_client(ClientConfig::default());
    let mut ex = client.send(CloseThenWait);
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Transmit(_))));
    assert!(matches!(ex.poll_output(t0()), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"221 2.0.0 bye\r\n");
    match ex.poll_output(t0()) {
        Ok(Output::Done(Ok(reply))) => assert_eq!(reply.code().get(), 221),
        other => panic!("{other:?}"),
    }
    drop(ex);
    assert!(client.session().is_closed());
}
