//! The greeting and EHLO/HELO/LHLO as commands through the driver.

mod client_support;

use client_support::{Feed, ehlo_cmd, fresh, greet, lmtp_greeted, ready, run, run_both};
use smtp_proto::client::{Client, ClientConfig, Protocol};
use smtp_proto::command::{Greeting, Hello, Helo, Lhlo, LogicError};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Capability;
use smtp_proto::syntax::ClientId;

const EHLO_REPLY: &str = "250-mx.example hi\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 1000\r\n";

fn client_id() -> ClientId {
    ClientId::from_host_name("client.example").unwrap()
}

#[test]
fn greeting_220_is_the_output_and_nothing_is_written() {
    let run = run_both(
        || fresh(false),
        || Greeting,
        &[b"220 mx.example ESMTP ready\r\n"],
    );
    assert_eq!(run.written, "");
    assert_eq!(run.ok().code().get(), 220);
}

#[test]
fn greeting_is_kept_in_the_session() {
    let mut client = fresh(false);
    greet(&mut client);
    assert_eq!(client.session().greeting().unwrap().code().get(), 220);
    assert!(client.is_usable());
}

#[test]
fn greeting_554_quits_politely_and_closes() {
    let mut client = fresh(false);
    let run = run(
        &mut client,
        Greeting,
        &[b"554 no service for you\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, "QUIT\r\n");
    let error = run.refused();
    assert!(matches!(
        error,
        LogicError::Refused {
            command: "greeting",
            ..
        }
    ));
    assert_eq!(error.response().unwrap().code().get(), 554);
    assert!(client.session().is_closed());
    assert!(!client.is_usable());
}

#[test]
fn greeting_other_negative_replies_are_refused_too() {
    for reply in [&b"451 later\r\n"[..], b"550 go away\r\n"] {
        let run = run_both(|| fresh(false), || Greeting, &[reply]);
        assert_eq!(run.written, "QUIT\r\n");
        assert!(matches!(
            run.refused(),
            LogicError::Refused {
                command: "greeting",
                ..
            }
        ));
    }
}

/// A greeting is 220 or 554 (RFC 5321 §4.3.2). A 334 there is SECURITY.md's "unexpected
/// 334 outside AUTH", fatal; so is any other positive or intermediate reply, and nothing
/// is written, not even QUIT.
#[test]
fn greeting_positive_or_intermediate_other_than_220_is_fatal() {
    for (reply, code) in [
        (&b"334 VXNlcm5hbWU6\r\n"[..], 334),
        (b"354 go ahead\r\n", 354),
        (b"250 odd\r\n", 250),
    ] {
        let run = run_both(|| fresh(false), || Greeting, &[reply]);
        assert_eq!(run.written, "");
        assert!(
            matches!(
                run.fatal(),
                ProtocolError::ImpossibleReply { command: "greeting", ref response }
                    if response.code().get() == code
            ),
            "{code}"
        );
    }
}

#[test]
fn greeting_421_is_fatal_without_quit() {
    let run = run_both(|| fresh(false), || Greeting, &[b"421 too busy\r\n"]);
    assert_eq!(run.written, "");
    assert!(matches!(run.fatal(), ProtocolError::ServiceClosing(r) if r.code().get() == 421));
}

#[test]
fn greeting_eof_is_fatal() {
    let run = run_both(|| fresh(false), || Greeting, &[]);
    assert_eq!(
        run.fatal(),
        ProtocolError::UnexpectedEof(smtp_proto::client::ReplyKind::Greeting)
    );
}

#[test]
fn ehlo_stores_the_data() {
    let mut client = fresh(false);
    greet(&mut client);
    let run = run(
        &mut client,
        ehlo_cmd(),
        &[EHLO_REPLY.as_bytes()],
        Feed::Bytewise,
    );
    assert_eq!(run.written, "EHLO client.example\r\n");
    let Hello::Ehlo(ehlo) = run.ok() else {
        panic!()
    };
    assert_eq!(ehlo.size_limit(), Some(1000));
    let session = client.session();
    assert!(session.supports(Capability::StartTls));
    assert!(session.has_hello() && !session.is_helo());
    assert_eq!(session.ehlo(), Some(&ehlo));
}

#[test]
fn ehlo_500_or_502_falls_back_to_helo_with_the_same_identity() {
    for code in ["500", "502"] {
        let refusal = format!("{code} 5.5.1 what?\r\n");
        let run = run_both(
            ready_greeted,
            ehlo_cmd,
            &[refusal.as_bytes(), b"250 mx.example\r\n"],
        );
        assert_eq!(
            run.written,
            "EHLO client.example\r\nHELO client.example\r\n"
        );
        let Hello::Helo(reply) = run.ok() else {
            panic!()
        };
        assert_eq!(reply.code().get(), 250);
    }
    let mut client = ready_greeted();
    run(
        &mut client,
        ehlo_cmd(),
        &[b"502 no\r\n", b"250 ok\r\n"],
        Feed::Whole,
    )
    .ok();
    assert!(client.session().is_helo());
    assert!(client.session().ehlo().is_none());
    assert!(!client.session().supports(Capability::Pipelining));
}

#[test]
fn ehlo_without_fallback_is_refused() {
    let run = run_both(
        ready_greeted,
        || ehlo_cmd().without_helo_fallback(),
        &[b"502 5.5.1 no EHLO\r\n"],
    );
    assert_eq!(run.written, "EHLO client.example\r\n");
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "EHLO",
            ..
        }
    ));
}

#[test]
fn ehlo_transient_refusals_do_not_fall_back() {
    for reply in [&b"451 later\r\n"[..], b"454 not now\r\n"] {
        let mut client = ready_greeted();
        let run = run(&mut client, ehlo_cmd(), &[reply], Feed::Whole);
        assert_eq!(run.written, "EHLO client.example\r\n");
        assert!(matches!(
            run.refused(),
            LogicError::Refused {
                command: "EHLO",
                ..
            }
        ));
        assert!(!client.session().has_hello());
        assert!(client.is_usable());
    }
}

#[test]
fn every_permanent_ehlo_refusal_falls_back() {
    // RFC 5321 §3.2: 500, 501, 502 or 550 to an EHLO the server does not accept.
    for reply in [&b"550 go away\r\n"[..], b"501 bad name\r\n", b"554 no\r\n"] {
        let mut client = ready_greeted();
        let run = run(
            &mut client,
            ehlo_cmd(),
            &[reply, b"250 mx.example\r\n"],
            Feed::Whole,
        );
        assert_eq!(
            run.written,
            "EHLO client.example\r\nHELO client.example\r\n"
        );
        assert!(client.session().is_helo());
    }
}

#[test]
fn helo_refused_after_fallback_names_helo() {
    let run = run_both(ready_greeted, ehlo_cmd, &[b"500 eh?\r\n", b"501 no\r\n"]);
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "HELO",
            ..
        }
    ));
}

#[test]
fn intermediate_reply_to_ehlo_or_helo_is_fatal() {
    let run = run_both(ready_greeted, ehlo_cmd, &[b"354 go ahead\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "EHLO",
            ..
        }
    ));
    let run = run_both(ready_greeted, ehlo_cmd, &[b"500 eh?\r\n", b"334 \r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "HELO",
            ..
        }
    ));
}

#[test]
fn helo_alone_opens_a_session_without_extensions() {
    let mut client = ready_greeted();
    let helo = Helo::new(client_id()).unwrap();
    let run = run(&mut client, helo, &[b"250 mx.example\r\n"], Feed::Bytewise);
    assert_eq!(run.written, "HELO client.example\r\n");
    assert_eq!(run.ok().code().get(), 250);
    assert!(client.session().is_helo());
}

#[test]
fn ehlo_again_replaces_the_data() {
    let mut client = ready(EHLO_REPLY, false);
    run(
        &mut client,
        ehlo_cmd(),
        &[b"250-mx\r\n250 CHUNKING\r\n"],
        Feed::Whole,
    )
    .ok();
    assert!(client.session().supports(Capability::Chunking));
    assert!(!client.session().supports(Capability::StartTls));
}

#[test]
fn lhlo_stores_ehlo_data_in_lmtp() {
    let mut client = lmtp_greeted();
    let lhlo = Lhlo::new(client_id()).unwrap();
    let run = run(
        &mut client,
        lhlo,
        &[b"250-lmtp.example\r\n250 PIPELINING\r\n"],
        Feed::Bytewise,
    );
    assert_eq!(run.written, "LHLO client.example\r\n");
    assert!(run.ok().supports(Capability::Pipelining));
    assert!(client.session().supports(Capability::Pipelining));
}

#[test]
fn hello_of_the_wrong_protocol_is_refused_before_a_byte() {
    let mut client = lmtp_greeted();
    let run = run(&mut client, ehlo_cmd(), &[], Feed::Whole);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::WrongState {
            command: "EHLO",
            reason: "an LMTP session opens with LHLO (RFC 2033 §4.1)",
        }
    ));
    let run = run_both(ready_greeted, || Lhlo::new(client_id()).unwrap(), &[]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::WrongState {
            command: "LHLO",
            reason: "the session speaks SMTP, not LMTP",
        }
    ));
    let mut client = Client::new(ClientConfig::default()).with_protocol(Protocol::Lmtp);
    let helo = client_support::run(
        &mut client,
        Helo::new(client_id()).unwrap(),
        &[],
        Feed::Whole,
    );
    assert!(matches!(
        helo.refused(),
        LogicError::WrongState {
            command: "HELO",
            ..
        }
    ));
}

fn ready_greeted() -> Client {
    let mut client = fresh(false);
    greet(&mut client);
    client
}
