//! The driver's own rules, with minimal commands written against the public API.

mod driver_support;

use std::time::Duration;

use driver_support::{Hello, Lines, t0};
use smtp_proto::client::{Client, ClientConfig, Context, Output, ReplyKind};
use smtp_proto::command::{Cmd, LogicError, Step};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Response;

#[test]
fn greeting_then_pipelined_lines_in_one_transmit() {
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"220 hi\r\n");
    let Ok(Output::Done(Ok(greeting))) = ex.poll_output(now) else {
        panic!()
    };
    assert_eq!(greeting.code().get(), 220);

    let mut ex = client.send(Lines(&[b"NOOP\r\n", b"RSET\r\n"], Vec::new()));
    match ex.poll_output(now) {
        Ok(Output::Transmit(t)) => {
            assert_eq!(t.bytes(), b"NOOP\r\nRSET\r\n");
            assert_eq!(t.redacted().to_string(), "NOOP\nRSET");
        }
        other => panic!("{other:?}"),
    }
    let Ok(Output::NeedInput { deadline }) = ex.poll_output(now) else {
        panic!()
    };
    assert_eq!(deadline, now + Duration::from_secs(300));
    ex.handle_input(b"250 a\r\n25");
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"0 b\r\n");
    let Ok(Output::Done(Ok(replies))) = ex.poll_output(now) else {
        panic!()
    };
    assert_eq!(replies.len(), 2);
    assert!(client.is_usable());
}

#[test]
fn injected_line_is_refused_before_it_leaves() {
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Lines(&[b"NOOP\r\nRSET\r\n"], Vec::new()));
    assert!(matches!(ex.poll_output(now), Err(ProtocolError::Misuse(_))));
    drop(ex);
    assert!(!client.is_usable());
}

#[test]
fn deadline_is_not_stretched_by_dripping() {
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    let Ok(Output::NeedInput { deadline }) = ex.poll_output(now) else {
        panic!()
    };
    for (i, b) in b"220 slow".iter().enumerate() {
        ex.handle_input(&[*b]);
        let later = now + Duration::from_secs(60 * i as u64);
        match ex.poll_output(later) {
            Ok(Output::NeedInput { deadline: d }) => assert_eq!(d, deadline),
            other => panic!("{other:?}"),
        }
        if later >= deadline {
            // The caller's wait for the next byte ends at the unmoved deadline.
            ex.handle_timeout(later);
            assert!(matches!(
                ex.poll_output(later),
                Err(ProtocolError::Timeout(ReplyKind::Greeting))
            ));
            return;
        }
    }
    panic!("never timed out");
}

#[test]
fn a_deadline_passed_before_the_poll_is_judged_after_reading() {
    // The caller paused past the deadline (between the results of `SendMails`): the core
    // does not time out on its own; the caller reads what came meanwhile first.
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    let Ok(Output::NeedInput { deadline }) = ex.poll_output(now) else {
        panic!()
    };
    let late = deadline + Duration::from_secs(60);
    let Ok(Output::NeedInput { deadline: d }) = ex.poll_output(late) else {
        panic!()
    };
    assert_eq!(d, deadline, "the deadline does not move");
    ex.handle_input(b"220 came while nobody read\r\n");
    assert!(matches!(ex.poll_output(late), Ok(Output::Done(Ok(_)))));
    assert!(client.is_usable());
}

#[test]
fn reply_with_nothing_in_flight_is_fatal_and_421_while_idle_is_reported() {
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    let _ = ex.poll_output(now);
    ex.handle_input(b"220 hi\r\n250 extra\r\n");
    assert!(matches!(
        ex.poll_output(now),
        Err(ProtocolError::UnexpectedReply(_))
    ));

    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Hello);
    let _ = ex.poll_output(now);
    ex.handle_input(b"220 hi\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Done(Ok(_)))));
    client.handle_input(b"421 bye\r\n");
    assert!(!client.is_usable());
    let mut ex = client.send(Lines(&[b"NOOP\r\n"], Vec::new()));
    assert!(matches!(
        ex.poll_output(now),
        Err(ProtocolError::ServiceClosing(_))
    ));
}

#[test]
fn refusal_is_a_logic_error_and_keeps_the_client_usable() {
    struct Must;
    impl Cmd for Must {
        type Output = ();
        fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.command(ReplyKind::Other, |o| o.extend_from_slice(b"XYZ\r\n"));
            Step::Continue
        }
        fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<()> {
            Step::Done(Err(LogicError::refused("XYZ", reply)))
        }
    }
    let now = t0();
    let mut client = Client::new(ClientConfig::default());
    let mut ex = client.send(Must);
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(_))));
    let _ = ex.poll_output(now);
    ex.handle_input(b"502 no\r\n");
    let Ok(Output::Done(Err(error))) = ex.poll_output(now) else {
        panic!()
    };
    assert_eq!(error.to_string(), "XYZ refused: 502 no");
    assert!(client.is_usable());
}

/// A refused greeting finishes with QUIT written and the session closing: a reply to that
/// QUIT read before the next poll (or after its write failed) is nobody's, the end of the
/// connection before that poll with no reply at all is no error either, and the result is
/// still the refusal.
#[test]
fn a_reply_to_the_quit_of_a_finished_closing_command_is_dropped() {
    use smtp_proto::command::Greeting;
    for ending in ["answered", "cut, then answered", "never answered"] {
        let now = t0();
        let mut client = Client::new(ClientConfig::default());
        let mut ex = client.send(Greeting);
        assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
        ex.handle_input(b"554 5.7.1 go away\r\n");
        let Ok(Output::Transmit(t)) = ex.poll_output(now) else {
            panic!("QUIT")
        };
        assert_eq!(t.bytes(), b"QUIT\r\n");
        match ending {
            "answered" => ex.handle_input(b"221 2.0.0 bye\r\n"),
            "cut, then answered" => {
                ex.handle_write_error(6);
                ex.handle_input(b"221 2.0.0 bye\r\n");
                ex.handle_eof();
            }
            _ => ex.handle_eof(),
        }
        match ex.poll_output(now) {
            Ok(Output::Done(Err(LogicError::Refused { response, .. }))) => {
                assert_eq!(response.code().get(), 554, "{ending}")
            }
            other => panic!("{ending}: {other:?}"),
        }
        assert!(client.session().is_closed());
        assert!(!client.is_usable());
    }
}
