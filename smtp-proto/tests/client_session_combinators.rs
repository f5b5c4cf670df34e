//! Either, Select, Then, Map, boxed commands and Chain through the driver.

mod client_support;

use client_support::{Feed, ehlo_cmd, fresh, greet, ready, run, run_both};
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::client::{Client, Context, ReplyKind};
use smtp_proto::command::{
    Authenticate, BodyChunk, BoxedCmd, Chain, Cmd, CmdExt, Either, Greeting, LogicError, Noop,
    OnError, Quit, Rset, Select, StartTls, Step,
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
    assert_eq!((chain().len(), chain().is_empty()), (3, false));
    let run = run_both(plain, || Chain::<u16>::new(Vec::new()), &[]);
    assert_eq!(run.written, "");
    assert!(run.ok().is_empty());
    let empty = Chain::<u16>::new(Vec::new());
    assert_eq!((empty.len(), empty.is_empty()), (0, true));
    let pushed = empty.push(code(Rset));
    assert_eq!((pushed.len(), pushed.is_empty()), (1, false));
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

/// A command records where the connection failed; boxed, borrowed or inside any
/// combinator, it still hears it.
#[test]
fn boxed_and_borrowed_commands_hear_of_a_failure() {
    use smtp_proto::client::Position;
    use std::sync::{Arc, Mutex};
    /// Records where the connection failed; its clones share the record.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Option<Position>>>);
    impl Recorder {
        fn heard(&self) -> bool {
            self.0.lock().unwrap().is_some()
        }
    }
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
            *self.0.lock().unwrap() = Some(written);
        }
    }
    // The server closes instead of answering the NOOP.
    fn fail<C: Cmd>(cmd: C) {
        let mut client = plain();
        let mut ex = client.send(cmd);
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

    let recorder = Recorder::default();
    fail(Box::new(recorder.clone()));
    assert!(recorder.heard(), "boxed");

    let recorder = Recorder::default();
    fail(&mut recorder.clone());
    assert!(recorder.heard(), "borrowed");

    // Through a Select, only the branch that ran hears it.
    let (chosen, other) = (Recorder::default(), Recorder::default());
    fail(Select::new(|_| true, chosen.clone(), other.clone()));
    assert!(chosen.heard() && !other.heard(), "selected");

    // Through an Either, whichever side it holds.
    let left = Recorder::default();
    fail(Either::<_, Recorder>::Left(left.clone()));
    assert!(left.heard(), "either, left");
    let right = Recorder::default();
    fail(Either::<Recorder, _>::Right(right.clone()));
    assert!(right.heard(), "either, right");

    // Through a Chain, a Then (only the command running) and a Map.
    let (first, second) = (Recorder::default(), Recorder::default());
    fail(Chain::new(vec![
        first.clone().boxed(),
        second.clone().boxed(),
    ]));
    assert!(first.heard() && !second.heard(), "chain");
    let (first, second) = (Recorder::default(), Recorder::default());
    fail(first.clone().then(second.clone()));
    assert!(first.heard() && !second.heard(), "then");
    let mapped = Recorder::default();
    fail(mapped.clone().map(|()| 1));
    assert!(mapped.heard(), "map");
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

/// `Then` is checked as its first command is, before a byte is written (the second is
/// checked when it starts); `Debug` of `Then`, `Map` and `Chain` shows where they are.
#[test]
fn then_checks_its_first_command_and_composites_show_their_state() {
    let no_tls = || ready("250-mx\r\n250 PIPELINING\r\n", false);
    let tls_then_noop = || StartTls.then(Noop::default());
    assert!(matches!(
        tls_then_noop().check(no_tls().session()),
        Err(LogicError::Unsupported { .. })
    ));
    let run = run_both(no_tls, tls_then_noop, &[b"220 go\r\n"]);
    assert_eq!(run.written, "");
    assert!(matches!(run.refused(), LogicError::Unsupported { .. }));
    assert!(
        Noop::default()
            .then(StartTls)
            .check(no_tls().session())
            .is_ok()
    );

    let then = format!("{:?}", Rset.then(Quit));
    assert!(
        then.starts_with("Then {") && then.contains("in_second: false"),
        "{then}"
    );
    let map = format!("{:?}", Rset.map(|_| 1));
    assert!(map.starts_with("Map {") && map.contains("Rset"), "{map}");
    let chain = format!(
        "{:?}",
        Chain::new(vec![code(Rset)]).on_error(OnError::StopAndReset)
    );
    assert!(
        chain.starts_with("Chain {") && chain.contains("len: 1") && chain.contains("StopAndReset"),
        "{chain}"
    );
}

/// The RSET a chain sends after a refusal is held to RSET's replies: a 354 is fatal.
#[test]
fn an_impossible_reply_to_the_chains_rset_is_fatal() {
    let chain = || Chain::new(vec![code(Noop::default())]).on_error(OnError::StopAndReset);
    let run = run_both(plain, chain, &[b"550 no\r\n", b"354 go on\r\n"]);
    assert_eq!(run.written, "NOOP\r\nRSET\r\n");
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "RSET",
            ..
        }
    ));
}

/// Sends `XUPLOAD` and takes a streamed body; done once both the reply and the body's end
/// are in. A refusal ends it at once, whatever of the body it has not taken yet.
#[derive(Default)]
struct Upload {
    received: u16,
    ended: bool,
    accepted: bool,
}

impl Upload {
    fn finish(&self) -> Step<u16> {
        if self.ended && self.accepted {
            Step::Done(Ok(self.received))
        } else {
            Step::Continue
        }
    }
}

impl Cmd for Upload {
    type Output = u16;
    fn start(&mut self, cx: &mut Context<'_>) -> Step<u16> {
        cx.command(ReplyKind::Other, |o| o.extend_from_slice(b"XUPLOAD\r\n"));
        cx.request_body();
        Step::Continue
    }
    fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<u16> {
        if reply.is_negative() {
            return Step::Done(Err(LogicError::refused("XUPLOAD", reply)));
        }
        self.accepted = true;
        self.finish()
    }
    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<u16> {
        match chunk {
            BodyChunk::Data(data) => {
                self.received += u16::try_from(data.len()).unwrap();
                cx.request_body();
                Step::Continue
            }
            BodyChunk::End => {
                self.ended = true;
                self.finish()
            }
        }
    }
}

/// A chain hands a streamed body to the command running. Once that command is refused,
/// a piece it asked for goes nowhere and the caller is asked for no more, inside a chain (which
/// then sends RSET) as at the top.
#[test]
fn a_streamed_body_goes_to_the_running_command_until_a_refusal() {
    use smtp_proto::client::Output;
    let now = std::time::Instant::now();
    let mut client = plain();
    let mut ex = client.send(Chain::new(vec![
        Upload::default().boxed(),
        code(Noop::default()),
    ]));
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(t)) if t.bytes() == b"XUPLOAD\r\n"));
    for piece in [&b"Subject: x\r\n"[..], b"\r\nhello\r\n"] {
        assert!(matches!(ex.poll_output(now), Ok(Output::NeedBody)));
        ex.handle_body(piece);
    }
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedBody)));
    ex.handle_body_end();
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"250 stored\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(t)) if t.bytes() == b"NOOP\r\n"));
    ex.handle_input(b"250 ok\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Done(Ok(codes))) if codes == [21, 250]));

    // Refused in a chain: RSET goes out, the piece asked for is withdrawn.
    let mut client = plain();
    let chain = Chain::new(vec![Upload::default().boxed()]).on_error(OnError::StopAndReset);
    let mut ex = client.send(chain);
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(_))));
    ex.handle_input(b"550 no uploads\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(t)) if t.bytes() == b"RSET\r\n"));
    assert!(matches!(ex.poll_output(now), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"250 reset\r\n");
    assert!(matches!(
        ex.poll_output(now),
        Ok(Output::Done(Err(LogicError::Refused {
            command: "XUPLOAD",
            ..
        })))
    ));
    drop(ex);
    assert!(client.is_usable());

    // Refused alone: done at once, no body asked for.
    let mut client = plain();
    let mut ex = client.send(Upload::default());
    assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(_))));
    ex.handle_input(b"550 no uploads\r\n");
    assert!(matches!(
        ex.poll_output(now),
        Ok(Output::Done(Err(LogicError::Refused {
            command: "XUPLOAD",
            ..
        })))
    ));
}

/// A mail with a streamed body over BDAT whose MAIL is refused, in one transmit with its
/// RCPT and first chunk (CHUNKING and PIPELINING, chunks of 30 octets).
fn refused_streamed_mail() -> smtp_proto::command::SendMail {
    use smtp_proto::command::{Envelope, MailBody, SendMail, StreamedBody, TransactionOptions};
    let envelope = Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap();
    let options = TransactionOptions {
        bdat_chunk_size: std::num::NonZeroUsize::new(30).unwrap(),
        ..TransactionOptions::default()
    };
    SendMail::with_options(
        envelope,
        MailBody::Streamed(StreamedBody::default()),
        options,
    )
}

/// An inner command that finishes while it has a body piece requested withdraws the
/// request, as the same command does at the top (`Context::request_body`: "A command that
/// finishes withdraws its request: the caller is asked for no more of the body"). A
/// composite that starts the next command must not let the caller's next piece of the
/// first command's body reach it.
#[test]
fn a_finished_inner_command_withdraws_its_body_request() {
    use smtp_proto::client::Output;
    let now = std::time::Instant::now();
    const EHLO_CHUNKING: &str = "250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
    /// Runs `cmd` up to the point where the mail is over: returns what the driver asks
    /// next, as a word.
    fn after_the_mail<C: Cmd>(ex: &mut smtp_proto::client::Exchange<'_, C>) -> &'static str
    where
        C::Output: std::fmt::Debug,
    {
        let now = std::time::Instant::now();
        assert!(matches!(ex.poll_output(now), Ok(Output::Transmit(t))
            if t.bytes() == b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"));
        assert!(matches!(ex.poll_output(now), Ok(Output::NeedBody)));
        ex.handle_body(b"Subject: x\r\n\r\nthirty octets and then some more\r\n");
        assert!(
            matches!(ex.poll_output(now), Ok(Output::Transmit(t)) if t.bytes().starts_with(b"BDAT 30\r\n"))
        );
        assert!(matches!(ex.poll_output(now), Ok(Output::NeedBody)));
        // The replies are here before the next piece is read (an adapter reads what has
        // arrived first: a refusal spares the body).
        ex.handle_input(b"550 5.7.1 no\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n");
        match ex.poll_output(now) {
            Ok(Output::Done(Ok(_))) => "done",
            Ok(Output::Transmit(t)) if t.bytes() == b"NOOP\r\n" => match ex.poll_output(now) {
                Ok(Output::NeedInput { .. }) => "noop then input",
                Ok(Output::NeedBody) => "noop then body",
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
    // Alone: the mail's report, and the rest of the body is not asked for.
    let mut client = ready(EHLO_CHUNKING, false);
    let mut ex = client.send(refused_streamed_mail());
    assert_eq!(after_the_mail(&mut ex), "done");
    drop(ex);

    // Followed by NOOP: the NOOP's reply is awaited, no body is asked for.
    let mut client = ready(EHLO_CHUNKING, false);
    let mut ex = client.send(refused_streamed_mail().then(Noop::default()));
    assert_eq!(after_the_mail(&mut ex), "noop then input");
    ex.handle_input(b"250 ok\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Done(Ok(_)))));

    // In a chain, the same.
    let mut client = ready(EHLO_CHUNKING, false);
    let chain = Chain::new(vec![
        refused_streamed_mail().map(|_| 0).boxed(),
        code(Noop::default()),
    ]);
    let mut ex = client.send(chain);
    assert_eq!(after_the_mail(&mut ex), "noop then input");
    ex.handle_input(b"250 ok\r\n");
    assert!(matches!(ex.poll_output(now), Ok(Output::Done(Ok(codes))) if codes == [0, 250]));
}

/// Applies `effect` when it starts, before any reply of its own, then sends NOOP.
struct EffectAtStart {
    effect: fn(&mut Context<'_>),
}

impl Cmd for EffectAtStart {
    type Output = ();
    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        (self.effect)(cx);
        cx.command(ReplyKind::Other, |o| o.extend_from_slice(b"NOOP\r\n"));
        Step::Continue
    }
    fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<()> {
        Step::completion("NOOP", reply).map(drop)
    }
}

/// The effects are allowed only in the reply they belong to (`Context`: "EHLO data from a
/// reply that is not to EHLO ... is the fatal ProtocolError::Misuse"). A command that a
/// composite starts has no reply of its own yet: the reply that finished the command
/// before it is not its to use.
#[test]
fn a_command_started_by_a_composite_cannot_use_the_previous_reply_for_effects() {
    use smtp_proto::response::EhloData;
    let fake_ehlo = |cx: &mut Context<'_>| {
        let reply = Response::parse(b"250-mx.example\r\n250 AUTH PLAIN\r\n").unwrap();
        cx.store_ehlo(EhloData::try_from(reply).unwrap());
    };
    let refused = ProtocolError::Misuse("EHLO data stored outside a reply to EHLO");
    // Alone, on a client past EHLO: refused.
    let run = run_both(
        plain,
        || EffectAtStart { effect: fake_ehlo },
        &[b"250 ok\r\n"],
    );
    assert_eq!(run.fatal(), refused);
    // Started by `Then` inside EHLO's 250: refused the same.
    let greeted = || {
        let mut client = fresh(false);
        greet(&mut client);
        client
    };
    let run = run_both(
        greeted,
        || ehlo_cmd().then(EffectAtStart { effect: fake_ehlo }),
        &[EHLO.as_bytes(), b"250 ok\r\n"],
    );
    assert_eq!(run.fatal(), refused);
    // And by `Chain`.
    let run = run_both(
        greeted,
        || {
            Chain::new(vec![
                ehlo_cmd().map(drop).boxed(),
                EffectAtStart { effect: fake_ehlo }.boxed(),
            ])
        },
        &[EHLO.as_bytes(), b"250 ok\r\n"],
    );
    assert_eq!(run.fatal(), refused);
}

/// SECURITY.md: a failed or missing QUIT reply never changes an outcome. After
/// `SendMail.then(Quit)` ends in a fatal error at QUIT, the mail's report is still there
/// through `Then::first`.
#[test]
fn the_first_commands_report_survives_a_fatal_error_in_the_second() {
    use smtp_proto::client::Output;
    use smtp_proto::command::{Envelope, MailBody, Outcome, Quit, SendMail};
    let now = std::time::Instant::now();
    let mut client = plain();
    let envelope = Envelope::new(
        "<a@example.org>".parse().unwrap(),
        ["<b@example.net>".parse().unwrap()],
    )
    .unwrap();
    let send = SendMail::new(envelope, MailBody::bytes(&b"x\r\n"[..])).then(Quit);
    let mut ex = client.send(send);
    let mut script = [
        &b"250 ok\r\n"[..],
        b"250 ok\r\n",
        b"354 go\r\n",
        b"250 queued\r\n",
    ]
    .into_iter();
    let error = loop {
        match ex.poll_output(now) {
            Ok(Output::Transmit(_)) => {}
            Ok(Output::NeedInput { .. }) => match script.next() {
                Some(reply) => ex.handle_input(reply),
                None => ex.handle_eof(),
            },
            Ok(other) => panic!("{other:?}"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, ProtocolError::UnexpectedEof(_)), "{error}");
    let report = ex.command().first().report().expect("the mail's report");
    assert_eq!(report.outcome(), Outcome::Delivered);
}

/// Refuses in `start`, before writing a byte (an encoder that refused its input).
struct RefusesAtStart;

impl Cmd for RefusesAtStart {
    type Output = u16;
    fn start(&mut self, _: &mut Context<'_>) -> Step<u16> {
        Step::Done(Err(LogicError::WrongState {
            command: "XREFUSE",
            reason: "refused before a byte",
        }))
    }
    fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<u16> {
        Step::Fatal(ProtocolError::Misuse("no reply expected"))
    }
}

/// `OnError::StopAndReset` resets only what the chain wrote: a first command refused in
/// its `start`, before a byte, leaves nothing to reset.
#[test]
fn a_chain_that_wrote_nothing_sends_no_rset() {
    use smtp_proto::client::Output;
    let now = std::time::Instant::now();
    let mut client = plain();
    let chain = Chain::new(vec![RefusesAtStart.boxed()]).on_error(OnError::StopAndReset);
    let mut ex = client.send(chain);
    assert!(matches!(
        ex.poll_output(now),
        Ok(Output::Done(Err(LogicError::WrongState {
            command: "XREFUSE",
            ..
        })))
    ));
}
