//! Either, Select, Then, Map, boxed commands and Chain through the driver.

mod client_support;

use client_support::{Feed, ehlo_cmd, fresh, greet, ready, run, run_both};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::{Client, Context, ReplyKind};
use smtp_proto::command::{
    Authenticate, BoxedCmd, Chain, Cmd, CmdExt, Either, Greeting, LogicError, Noop, OnError, Quit,
    Rset, Select, StartTls, Step,
};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{Capability, Response};

const EHLO: &str = "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n";

fn plain() -> Client {
    ready(EHLO, false)
}

/// Any command as a boxed command yielding its reply code.
fn code<C>(cmd: C) -> BoxedCmd<u16>
where
    C: Cmd<Output = Response> + Send + 'static,
{
    cmd.map(|r: Response| r.code().get()).boxed()
}

#[test]
fn either_runs_the_chosen_command() {
    let run = run_both(plain, || Either::<Rset, Noop>::Left(Rset), &[b"250 ok\r\n"]);
    assert_eq!(run.written, "RSET\r\n");
    let run = run_both(
        plain,
        || Either::<Rset, Noop>::Right(Noop::default()),
        &[b"250 ok\r\n"],
    );
    assert_eq!(run.written, "NOOP\r\n");
    // The chosen command's check applies.
    let run = run_both(
        || ready("250 mx\r\n", false),
        || Either::<StartTls, StartTls>::Left(StartTls),
        &[],
    );
    assert!(matches!(run.refused(), LogicError::Unsupported { .. }));
}

fn xoauth2_else_plain() -> Select<Authenticate, Authenticate> {
    let token = Authenticate::new(Credentials::oauth2("tim@example.org", "ya29.token"))
        .preference(vec![Mechanism::XOAuth2]);
    let password = Authenticate::new(Credentials::password("tim", "tanstaaftanstaaf"))
        .preference(vec![Mechanism::Plain]);
    Select::if_auth_offered(Mechanism::XOAuth2, token, password)
}

#[test]
fn select_xoauth2_if_offered_else_plain() {
    let run = run_both(
        || ready("250-mx\r\n250 AUTH PLAIN XOAUTH2\r\n", true),
        xoauth2_else_plain,
        &[b"235 ok\r\n"],
    );
    assert!(run.written.starts_with("AUTH XOAUTH2 "));
    assert_eq!(run.ok(), Mechanism::XOAuth2);
    let run = run_both(
        || ready("250-mx\r\n250 AUTH PLAIN LOGIN\r\n", true),
        xoauth2_else_plain,
        &[b"235 ok\r\n"],
    );
    assert!(run.written.starts_with("AUTH PLAIN "));
    assert_eq!(run.ok(), Mechanism::Plain);
    // The chosen branch's check runs: no TLS, no AUTH.
    let run = run_both(
        || ready("250-mx\r\n250 AUTH XOAUTH2\r\n", false),
        xoauth2_else_plain,
        &[],
    );
    assert_eq!(run.written, "");
    assert_eq!(run.refused(), LogicError::PlaintextAuth);
}

#[test]
fn select_by_capability_and_by_predicate() {
    let tls_or_noop = || {
        Select::if_supports(
            Capability::StartTls,
            StartTls.map(|()| "tls"),
            Noop::default().map(|_| "noop"),
        )
    };
    let mut client = plain();
    let chosen = run(&mut client, tls_or_noop(), &[b"220 go\r\n"], Feed::Whole);
    assert_eq!(chosen.ok(), "tls");
    let run = run_both(|| ready("250 mx\r\n", false), tls_or_noop, &[b"250 ok\r\n"]);
    assert_eq!(run.written, "NOOP\r\n");
    assert_eq!(run.ok(), "noop");

    let by_tls = || Select::new(|s| s.is_tls(), code(Rset), code(Noop::default()));
    let run = run_both(|| ready(EHLO, true), by_tls, &[b"250 ok\r\n"]);
    assert_eq!(run.written, "RSET\r\n");
}

#[test]
fn chain_runs_in_order_and_collects_outputs() {
    let chain = || {
        Chain::new(vec![
            code(Noop::default()),
            code(Rset),
            code(Noop::default()),
        ])
    };
    let run = run_both(plain, chain, &[b"250 a\r\n", b"251 b\r\n", b"252 c\r\n"]);
    assert_eq!(run.written, "NOOP\r\nRSET\r\nNOOP\r\n");
    assert_eq!(run.ok(), [250, 251, 252]);
    let run = run_both(plain, || Chain::<u16>::new(Vec::new()), &[]);
    assert_eq!(run.written, "");
    assert!(run.ok().is_empty());
}

#[test]
fn chain_stops_at_the_first_refusal() {
    let chain = || {
        Chain::new(vec![
            code(Noop::default()),
            code(Noop::default()),
            code(Rset),
        ])
    };
    let run = run_both(plain, chain, &[b"250 a\r\n", b"550 no\r\n"]);
    assert_eq!(run.written, "NOOP\r\nNOOP\r\n");
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "NOOP",
            ..
        }
    ));
}

#[test]
fn chain_stop_and_reset_sends_rset_after_the_failure() {
    let chain = || {
        Chain::new(vec![
            code(Noop::default()),
            code(Noop::default()),
            code(Noop::default()),
        ])
        .on_error(OnError::StopAndReset)
    };
    let run = run_both(
        plain,
        chain,
        &[b"250 a\r\n", b"451 later\r\n", b"250 reset\r\n"],
    );
    assert_eq!(run.written, "NOOP\r\nNOOP\r\nRSET\r\n");
    let error = run.refused();
    assert_eq!(error.response().unwrap().code().get(), 451);
    // A failed check mid-chain also resets; a failed first check sends nothing.
    let mid = || {
        Chain::new(vec![code(Noop::default()), StartTls.map(|()| 220).boxed()])
            .on_error(OnError::StopAndReset)
    };
    let run = run_both(
        || ready("250 mx\r\n", false),
        mid,
        &[b"250 a\r\n", b"250 r\r\n"],
    );
    assert_eq!(run.written, "NOOP\r\nRSET\r\n");
    assert!(matches!(run.refused(), LogicError::Unsupported { .. }));
    let first = || Chain::new(vec![StartTls.map(|()| 220).boxed()]).on_error(OnError::StopAndReset);
    let run = run_both(|| ready("250 mx\r\n", false), first, &[]);
    assert_eq!(run.written, "");
    assert!(matches!(run.refused(), LogicError::Unsupported { .. }));
}

#[test]
fn chain_checks_each_command_against_the_session_earlier_ones_left() {
    let greeted = || {
        let mut client = fresh(false);
        greet(&mut client);
        client
    };
    // STARTTLS is checked after EHLO ran, so the capability is visible.
    let chain = || {
        Chain::new(vec![
            ehlo_cmd().map(|_| 0).boxed(),
            StartTls.map(|()| 1).boxed(),
        ])
    };
    let run = run_both(greeted, chain, &[EHLO.as_bytes(), b"220 go\r\n"]);
    assert_eq!(run.written, "EHLO client.example\r\nSTARTTLS\r\n<TLS>");
    assert_eq!(run.ok(), [0, 1]);
}

#[test]
fn nothing_runs_after_quit_in_a_chain() {
    let chain = || Chain::new(vec![code(Quit), code(Noop::default())]);
    let mut client = plain();
    let run = run(&mut client, chain(), &[b"221 bye\r\n"], Feed::Whole);
    assert_eq!(run.written, "QUIT\r\n");
    assert!(matches!(run.refused(), LogicError::WrongState { .. }));
    assert!(client.session().is_closed());
}

#[test]
fn a_fatal_inner_reply_is_fatal_for_the_chain() {
    let chain = || Chain::new(vec![code(Noop::default()), code(Rset)]);
    let run = run_both(plain, chain, &[b"354 what\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "NOOP",
            ..
        }
    ));
}

/// Finishes while its line's reply is still outstanding: a broken inner command.
struct Hasty;
impl Cmd for Hasty {
    type Output = u16;
    fn start(&mut self, cx: &mut Context<'_>) -> Step<u16> {
        cx.command(ReplyKind::Other, |o| o.extend_from_slice(b"NOOP\r\n"));
        Step::Done(Ok(0))
    }
    fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<u16> {
        Step::Done(Ok(0))
    }
}

#[test]
fn an_inner_command_done_with_replies_outstanding_is_a_misuse() {
    let run = run_both(plain, || Chain::new(vec![Hasty.boxed(), code(Rset)]), &[]);
    assert_eq!(run.written, "");
    assert!(matches!(run.fatal(), ProtocolError::Misuse(_)));
    let run = run_both(plain, || Hasty.then(Rset), &[]);
    assert!(matches!(run.fatal(), ProtocolError::Misuse(_)));
}

#[test]
fn then_yields_both_outputs_and_stops_on_refusal() {
    let run = run_both(
        plain,
        || Noop::default().then(Rset),
        &[b"250 a\r\n", b"250 b\r\n"],
    );
    assert_eq!(run.written, "NOOP\r\nRSET\r\n");
    let (a, b) = run.ok();
    assert_eq!((a.code().get(), b.code().get()), (250, 250));
    let run = run_both(plain, || Noop::default().then(Rset), &[b"500 a\r\n"]);
    assert_eq!(run.written, "NOOP\r\n");
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "NOOP",
            ..
        }
    ));
}

#[test]
fn greeting_then_ehlo_as_one_exchange() {
    let run = run_both(
        || fresh(false),
        || Greeting.then(ehlo_cmd()),
        &[b"220 hi\r\n", EHLO.as_bytes()],
    );
    assert_eq!(run.written, "EHLO client.example\r\n");
    let (greeting, hello) = run.ok();
    assert_eq!(greeting.code().get(), 220);
    assert!(hello.ehlo().unwrap().supports(Capability::Pipelining));
}

/// `chosen` says which branch ran: none before it starts, then the one the predicate chose.
#[test]
fn select_says_which_branch_ran() {
    let by_tls = || Select::new(|s| s.is_tls(), code(Rset), code(Noop::default()));
    assert_eq!(by_tls().chosen(), None);
    for (tls, chosen) in [(true, Some(true)), (false, Some(false))] {
        let mut client = ready(EHLO, tls);
        let mut select = by_tls();
        assert_eq!(
            run(&mut client, &mut select, &[b"250 ok\r\n"], Feed::Whole).ok(),
            250
        );
        assert_eq!(select.chosen(), chosen, "tls: {tls}");
    }
}

/// A command records where the connection failed; boxed, borrowed or selected, it still
/// hears it.
#[test]
fn boxed_and_borrowed_commands_hear_of_a_failure() {
    use smtp_proto::client::Position;
    #[derive(Default)]
    struct Recorder(Option<Position>);
    impl Cmd for Recorder {
        type Output = ();
        fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"NOOP\r\n"));
            Step::Continue
        }
        fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
            Step::Done(Ok(()))
        }
        fn on_failure(&mut self, written: Position) {
            self.0 = Some(written);
        }
    }
    // The server closes instead of answering the NOOP.
    fn fail<C: Cmd>(ex: &mut smtp_proto::client::Exchange<'_, C>) {
        let now = std::time::Instant::now();
        assert!(matches!(
            ex.poll_output(now),
            Ok(smtp_proto::client::Output::Transmit(_))
        ));
        assert!(matches!(
            ex.poll_output(now),
            Ok(smtp_proto::client::Output::NeedInput { .. })
        ));
        ex.handle_eof();
        assert!(ex.poll_output(now).is_err());
    }

    let mut client = plain();
    let mut ex = client.send(Box::new(Recorder::default()));
    fail(&mut ex);
    assert!(ex.command().0.is_some(), "boxed");

    let mut client = plain();
    let mut recorder = Recorder::default();
    let mut ex = client.send(&mut recorder);
    fail(&mut ex);
    drop(ex);
    assert!(recorder.0.is_some(), "borrowed");

    // Through a Select, only the branch that ran hears it.
    let mut client = plain();
    let (mut chosen, mut other) = (Recorder::default(), Recorder::default());
    let mut ex = client.send(Select::new(|_| true, &mut chosen, &mut other));
    fail(&mut ex);
    drop(ex);
    assert!(chosen.0.is_some() && other.0.is_none(), "selected");
}

/// The branch the predicate picks is checked before a byte is written, also when the caller
/// asks `check` directly; `Debug` shows both branches and the choice.
#[test]
fn select_checks_the_branch_it_would_choose() {
    // PIPELINING is offered, STARTTLS is not: the chosen STARTTLS is refused unsent.
    let tls_if_pipelining = || {
        Select::if_supports(
            Capability::Pipelining,
            StartTls.map(|()| "tls"),
            Noop::default().map(|_| "noop"),
        )
    };
    let pipelining = || ready("250-mx\r\n250 PIPELINING\r\n", false);
    let run = run_both(pipelining, tls_if_pipelining, &[b"220 go\r\n"]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::Unsupported {
            capability: "STARTTLS",
            ..
        }
    ));
    assert_eq!(
        xoauth2_else_plain().check(ready("250-mx\r\n250 AUTH XOAUTH2\r\n", false).session()),
        Err(LogicError::PlaintextAuth)
    );
    assert_eq!(
        xoauth2_else_plain().check(ready("250-mx\r\n250 AUTH XOAUTH2\r\n", true).session()),
        Ok(())
    );
    let shown = format!(
        "{:?}",
        Select::if_supports(Capability::Pipelining, Rset, Quit)
    );
    assert_eq!(
        shown,
        "Select { if_true: Rset, if_false: Quit, chosen: None, .. }"
    );
}
