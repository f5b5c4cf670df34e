//! RSET, NOOP, VRFY, EXPN, HELP, QUIT, XCLIENT and XFORWARD through the driver.

mod client_support;

use client_support::{Feed, ehlo_cmd, ready, run, run_both};
use smtp_proto::client::{Client, Context, ReplyKind};
use smtp_proto::command::{
    Cmd, CmdExt, Expn, Hello, Help, LogicError, Noop, Quit, Rset, StartTls, Step, Vrfy, XattrValue,
    Xclient, XclientAttribute, Xforward, XforwardAttribute,
};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{Capability, Response};

const EHLO: &str = "250-mx.example\r\n250-STARTTLS\r\n250-SMTPUTF8\r\n\
    250-XCLIENT NAME ADDR HELO\r\n250 XFORWARD NAME ADDR\r\n";
const BARE: &str = "250-mx.example\r\n250 PIPELINING\r\n";

fn plain() -> Client {
    ready(EHLO, false)
}

fn bare() -> Client {
    ready(BARE, false)
}

/// Opens a mail transaction the way MAIL does, for RSET to close.
struct FakeMail;
impl Cmd for FakeMail {
    type Output = ();
    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.command(ReplyKind::Mail, |o| {
            o.extend_from_slice(b"MAIL FROM:<>\r\n")
        });
        Step::Continue
    }
    fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
        Step::Done(Ok(()))
    }
}

#[test]
fn rset_resets_the_transaction_on_any_reply() {
    for reply in [&b"250 flushed\r\n"[..], b"500 what\r\n"] {
        let mut client = plain();
        run(&mut client, FakeMail, &[b"250 ok\r\n"], Feed::Whole).ok();
        assert!(client.session().in_transaction());
        let run = run(&mut client, Rset, &[reply], Feed::Whole);
        assert_eq!(run.written, "RSET\r\n");
        assert!(!client.session().in_transaction());
        if reply.starts_with(b"250") {
            assert_eq!(run.ok().code().get(), 250);
        } else {
            assert!(matches!(
                run.refused(),
                LogicError::Refused {
                    command: "RSET",
                    ..
                }
            ));
        }
    }
}

#[test]
fn noop_help_vrfy_expn_success_and_refusal() {
    let noop = run_both(plain, Noop::default, &[b"250 2.0.0 ok\r\n"]);
    assert_eq!(noop.written, "NOOP\r\n");
    assert_eq!(noop.ok().code().get(), 250);

    let help = run_both(
        plain,
        || Help::new(Some("MAIL".parse().unwrap())).unwrap(),
        &[b"214-Commands:\r\n214 MAIL RCPT\r\n"],
    );
    assert_eq!(help.written, "HELP MAIL\r\n");
    assert_eq!(help.ok().line_count(), 2);

    let vrfy = run_both(
        plain,
        || Vrfy::new("postmaster".parse().unwrap(), false).unwrap(),
        &[b"252 2.5.2 cannot verify\r\n"],
    );
    assert_eq!(vrfy.written, "VRFY postmaster\r\n");
    assert_eq!(vrfy.ok().code().get(), 252);

    let expn = run_both(
        plain,
        || Expn::new("staff".parse().unwrap(), false).unwrap(),
        &[b"550 5.7.1 no\r\n"],
    );
    assert_eq!(expn.written, "EXPN staff\r\n");
    let error = expn.refused();
    assert!(matches!(
        error,
        LogicError::Refused {
            command: "EXPN",
            ..
        }
    ));
    assert_eq!(error.response().unwrap().code().get(), 550);
}

#[test]
fn impossible_replies_are_fatal() {
    let run = run_both(plain, Noop::default, &[b"354 go ahead\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "NOOP",
            ..
        }
    ));
    // A 334 outside AUTH.
    let run = run_both(plain, Noop::default, &[b"334 VXNlcm5hbWU6\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "NOOP",
            ..
        }
    ));
    let run = run_both(plain, || Rset, &[b"334 \r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "RSET",
            ..
        }
    ));
    let run = run_both(plain, || Help::new(None).unwrap(), &[b"354 x\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "HELP",
            ..
        }
    ));
}

#[test]
fn vrfy_with_smtputf8_needs_the_capability() {
    let utf8 = || Vrfy::new("jörg".parse().unwrap(), true).unwrap();
    let run = run_both(bare, utf8, &[]);
    assert_eq!(run.written, "");
    assert_eq!(
        run.refused(),
        LogicError::Unsupported {
            command: "VRFY",
            capability: "SMTPUTF8"
        }
    );
    let run = run_both(plain, utf8, &[b"250 <j@example>\r\n"]);
    assert_eq!(run.written, "VRFY jörg SMTPUTF8\r\n");
    let expn = run_both(
        bare,
        || Expn::new("liste".parse().unwrap(), true).unwrap(),
        &[],
    );
    assert!(matches!(
        expn.refused(),
        LogicError::Unsupported {
            command: "EXPN",
            ..
        }
    ));
}

#[test]
fn quit_closes_on_any_reply() {
    for reply in [&b"221 2.0.0 bye\r\n"[..], b"500 whatever\r\n"] {
        let mut client = plain();
        assert!(!client.session().is_closed());
        let run = run(&mut client, Quit, &[reply], Feed::Bytewise);
        assert_eq!(run.written, "QUIT\r\n");
        assert_eq!(run.ok().as_bytes(), reply);
        assert!(client.session().is_closed());
        assert!(!client.is_usable());
        let after = client_support::run(&mut client, Noop::default(), &[], Feed::Whole);
        assert_eq!(after.written, "");
        assert_eq!(after.fatal(), ProtocolError::Unusable);
    }
}

#[test]
fn quit_without_a_reply_is_an_eof_the_caller_may_ignore() {
    let run = run_both(plain, || Quit, &[]);
    assert_eq!(run.written, "QUIT\r\n");
    assert_eq!(run.fatal(), ProtocolError::UnexpectedEof(ReplyKind::Other));
}

fn xclient() -> Xclient {
    Xclient::new(vec![
        (
            XclientAttribute::Addr,
            XattrValue::Value("192.0.2.7".into()),
        ),
        (XclientAttribute::Helo, XattrValue::Unavailable),
    ])
    .unwrap()
}

#[test]
fn xclient_220_resets_the_session() {
    let mut client = plain();
    let run = run(
        &mut client,
        xclient(),
        &[b"220 mx.example ESMTP\r\n"],
        Feed::Whole,
    );
    assert_eq!(run.written, "XCLIENT ADDR=192.0.2.7 HELO=[UNAVAILABLE]\r\n");
    assert_eq!(run.ok().code().get(), 220);
    assert!(!client.session().has_hello());
    // STARTTLS now needs EHLO first.
    let again = client_support::run(&mut client, StartTls, &[], Feed::Whole);
    assert_eq!(again.written, "");
    assert!(matches!(again.refused(), LogicError::Unsupported { .. }));
}

#[test]
fn xclient_then_ehlo_reopens_the_session_in_one_exchange() {
    let run = run_both(
        plain,
        || xclient().then(ehlo_cmd()),
        &[
            b"220 mx.example ESMTP\r\n",
            b"250-mx.example\r\n250 8BITMIME\r\n",
        ],
    );
    assert_eq!(
        run.written,
        "XCLIENT ADDR=192.0.2.7 HELO=[UNAVAILABLE]\r\nEHLO client.example\r\n"
    );
    let (greeting, hello) = run.ok();
    assert_eq!(greeting.code().get(), 220);
    assert!(matches!(hello, Hello::Ehlo(e) if e.supports(Capability::EightBitMime)));
}

#[test]
fn xclient_needs_the_capability_and_each_attribute() {
    let run = run_both(bare, xclient, &[]);
    assert_eq!(run.written, "");
    assert_eq!(
        run.refused(),
        LogicError::Unsupported {
            command: "XCLIENT",
            capability: "XCLIENT"
        }
    );
    let login = || {
        Xclient::new(vec![(
            XclientAttribute::Login,
            XattrValue::Value("u".into()),
        )])
        .unwrap()
    };
    let run = run_both(plain, login, &[]);
    assert_eq!(run.written, "");
    assert_eq!(
        run.refused(),
        LogicError::Unsupported {
            command: "XCLIENT",
            capability: "LOGIN"
        }
    );
}

#[test]
fn xclient_refusal_keeps_the_session() {
    let mut client = plain();
    let run = run(
        &mut client,
        xclient(),
        &[b"550 5.7.0 not authorized\r\n"],
        Feed::Whole,
    );
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "XCLIENT",
            ..
        }
    ));
    assert!(client.session().has_hello());
}

#[test]
fn xforward_250_and_checks() {
    let xforward = || {
        Xforward::new(vec![(
            XforwardAttribute::Name,
            XattrValue::Value("c.example".into()),
        )])
        .unwrap()
    };
    let mut client = plain();
    let run = run(&mut client, xforward(), &[b"250 Ok\r\n"], Feed::Bytewise);
    assert_eq!(run.written, "XFORWARD NAME=c.example\r\n");
    assert_eq!(run.ok().code().get(), 250);
    assert!(client.session().has_hello());

    let run = run_both(bare, xforward, &[]);
    assert_eq!(
        run.refused(),
        LogicError::Unsupported {
            command: "XFORWARD",
            capability: "XFORWARD"
        }
    );
    let ident = || {
        Xforward::new(vec![(
            XforwardAttribute::Ident,
            XattrValue::Value("42".into()),
        )])
        .unwrap()
    };
    let run = run_both(plain, ident, &[]);
    assert_eq!(run.written, "");
    assert!(matches!(
        run.refused(),
        LogicError::Unsupported {
            capability: "IDENT",
            ..
        }
    ));
    let run = run_both(plain, xforward, &[b"354 no\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "XFORWARD",
            ..
        }
    ));
}

/// MAIL, RCPT and DATA alone, for a transaction composed by hand: each is checked before a
/// byte is written, as a whole mail is (a greeting alone is not enough; an extension its
/// parameters need must be offered), and DATA's output is its 354.
#[test]
fn mail_rcpt_and_data_alone() {
    use smtp_proto::command::{
        Data, Envelope, Mail, MailBody, Rcpt, SendMail, SendMails, TransactionOptions,
    };
    use smtp_proto::syntax::esmtp::{MailParameter, MailParameters, Notify, RcptParameters};
    let mail = || Mail::new("<a@example.org>".parse().unwrap(), MailParameters::new());
    let rcpt = || Rcpt::new("<b@example.net>".parse().unwrap(), RcptParameters::new());

    // No EHLO yet: nothing is written.
    let greeted = || {
        let mut client = client_support::fresh(false);
        client_support::greet(&mut client);
        client
    };
    let no_hello = |command: &'static str| LogicError::WrongState {
        command,
        reason: "no EHLO, HELO or LHLO was accepted in this session",
    };
    let run = run_both(greeted, mail, &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), no_hello("MAIL"))
    );
    let run = run_both(greeted, rcpt, &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), no_hello("RCPT"))
    );
    let run = run_both(greeted, || Data, &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), no_hello("DATA"))
    );
    // So is a whole mail, one or several: refused at its MAIL.
    let envelope = || {
        let to = ["<b@example.net>".parse().unwrap()];
        Envelope::new("<a@example.org>".parse().unwrap(), to).unwrap()
    };
    let body = || MailBody::bytes(&b"hi\r\n"[..]);
    let run = run_both(greeted, || SendMail::new(envelope(), body()), &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), no_hello("MAIL"))
    );
    let mails = || {
        SendMails::new(
            [(envelope(), body())].into_iter(),
            TransactionOptions::default(),
        )
    };
    let run = run_both(greeted, mails, &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), no_hello("MAIL"))
    );

    // A parameter whose extension the server did not offer.
    let sized = || {
        let mut params = MailParameters::new();
        params.insert(MailParameter::Size(10)).unwrap();
        Mail::new("<a@example.org>".parse().unwrap(), params)
    };
    let run = run_both(bare, sized, &[]);
    let unsupported = |command, capability| LogicError::Unsupported {
        command,
        capability,
    };
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), unsupported("MAIL", "SIZE"))
    );
    let notify = || {
        let mut params = RcptParameters::new();
        params.notify = Some(Notify::Never);
        Rcpt::new("<b@example.net>".parse().unwrap(), params)
    };
    let run = run_both(bare, notify, &[]);
    assert_eq!(
        (run.written.clone(), run.refused()),
        (String::new(), unsupported("RCPT", "DSN"))
    );

    // Offered, or needing nothing: written and answered.
    let run = run_both(bare, mail, &[b"250 ok\r\n"]);
    assert_eq!(run.written, "MAIL FROM:<a@example.org>\r\n");
    assert_eq!(run.ok().code().get(), 250);
    let run = run_both(bare, rcpt, &[b"250 ok\r\n"]);
    assert_eq!(run.written, "RCPT TO:<b@example.net>\r\n");
    assert_eq!(run.ok().code().get(), 250);

    // DATA: its 354 is the output, a refusal is a refusal, and a 250 is impossible.
    let run = run_both(bare, || Data, &[b"354 go ahead\r\n"]);
    assert_eq!(run.written, "DATA\r\n");
    assert_eq!(run.ok().code().get(), 354);
    let run = run_both(bare, || Data, &[b"554 5.5.1 no valid recipients\r\n"]);
    assert!(matches!(
        run.refused(),
        LogicError::Refused {
            command: "DATA",
            ..
        }
    ));
    let run = run_both(bare, || Data, &[b"250 ok\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::ImpossibleReply {
            command: "DATA",
            ..
        }
    ));
}

/// The message and its end after a standalone DATA, as a caller's command writes them: the
/// body through `Context::body`, then the reply to the end of data expected.
struct Message(&'static [u8]);

impl Cmd for Message {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let body = self.0;
        cx.body(|out| {
            use smtp_proto::data::BodySink;
            out.put(body);
            out.put(b".\r\n");
        });
        cx.expect_reply(ReplyKind::DataEnd);
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("the end of data", reply)
    }
}

/// A client after MAIL and RCPT, both accepted.
fn with_recipient() -> Client {
    use smtp_proto::command::{Mail, Rcpt};
    let mut client = bare();
    let mail = Mail::new("<a@example.org>".parse().unwrap(), Default::default());
    let rcpt = Rcpt::new("<b@example.net>".parse().unwrap(), Default::default());
    run(&mut client, mail, &[b"250 ok\r\n"], Feed::Whole).ok();
    run(&mut client, rcpt, &[b"250 ok\r\n"], Feed::Whole).ok();
    assert!(client.session().in_transaction() && !client.session().in_mail_data());
    client
}

/// A client after MAIL and RCPT, with DATA answered 354: the server reads mail data.
fn in_mail_data() -> Client {
    let mut client = with_recipient();
    run(
        &mut client,
        smtp_proto::command::Data,
        &[b"354 go ahead\r\n"],
        Feed::Whole,
    )
    .ok();
    assert!(client.session().in_mail_data() && client.session().in_transaction());
    assert!(client.is_usable());
    client
}

/// RFC 5321 §4.1.1.4: after DATA's 354 the server takes every line as message content
/// until the end of data. Any command then (built in, or a caller's) is refused before a
/// byte of it is written, with `WrongState` naming it, and the connection stays usable;
/// the message and its end go, and commands go again after them.
#[test]
fn a_command_after_a_standalone_354_is_refused_before_a_byte() {
    struct Xping;
    impl Cmd for Xping {
        type Output = Response;
        fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"XPING\r\n"));
            Step::Continue
        }
        fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
            Step::completion("XPING", reply)
        }
    }
    let wrong_state = |command: &'static str| LogicError::WrongState {
        command,
        reason: "the server is reading mail data after DATA's 354 (RFC 5321 §4.1.1.4): \
                 only the message and its end may follow",
    };
    let refusals: [(&str, LogicError); 7] = [
        ("NOOP", run_both(in_mail_data, Noop::default, &[]).refused()),
        ("RSET", run_both(in_mail_data, || Rset, &[]).refused()),
        ("EHLO", run_both(in_mail_data, ehlo_cmd, &[]).refused()),
        ("QUIT", run_both(in_mail_data, || Quit, &[]).refused()),
        (
            "VRFY",
            run_both(
                in_mail_data,
                || Vrfy::new("b".parse().unwrap(), false).unwrap(),
                &[],
            )
            .refused(),
        ),
        (
            "HELP",
            run_both(in_mail_data, || Help::new(None).unwrap(), &[]).refused(),
        ),
        ("command", run_both(in_mail_data, || Xping, &[]).refused()),
    ];
    for (command, refusal) in refusals {
        assert_eq!(refusal, wrong_state(command));
    }
    // Nothing was written, and the session is as it was.
    let mut client = in_mail_data();
    let refused = run(&mut client, Noop::default(), &[], Feed::Whole);
    assert_eq!(refused.written, "");
    assert!(client.is_usable() && client.session().in_mail_data());
    // The message and its end.
    let message = run(
        &mut client,
        Message(b"Subject: hi\r\n\r\nhello\r\n"),
        &[b"250 2.0.0 queued\r\n"],
        Feed::Bytewise,
    );
    assert_eq!(message.written, "Subject: hi\r\n\r\nhello\r\n.\r\n");
    assert_eq!(message.ok().code().get(), 250);
    let session = client.session();
    assert!(!session.in_mail_data() && !session.in_transaction());
    let noop = run(&mut client, Noop::default(), &[b"250 ok\r\n"], Feed::Whole);
    assert_eq!(noop.written, "NOOP\r\n");
}

/// RFC 5321 §4.1.1.4: the same as a transcript (so over every adapter too), with the end
/// of data as a line of its own.
#[cfg(feature = "testing")]
#[test]
fn a_command_after_a_standalone_354_transcript() {
    client_support::replay("data-standalone-then-command.smtp");
}

/// RFC 5321 §4.1.1.4 inside a composite: the command a composite starts after DATA's 354
/// is refused the same way, unless it is the message.
#[test]
fn a_command_after_354_in_a_composite_is_refused_unless_it_is_the_message() {
    use smtp_proto::command::Data;
    let refused = run_both(
        with_recipient,
        || Data.then(Noop::default()),
        &[b"354 go\r\n"],
    );
    assert_eq!(refused.written, "DATA\r\n");
    assert!(matches!(
        refused.refused(),
        LogicError::WrongState {
            command: "NOOP",
            ..
        }
    ));
    let mut client = with_recipient();
    let sent = run(
        &mut client,
        Data.then(Message(b"x\r\n")),
        &[b"354 go\r\n", b"250 queued\r\n"],
        Feed::Whole,
    );
    assert_eq!(sent.written, "DATA\r\nx\r\n.\r\n");
    let (data, queued) = sent.ok();
    assert_eq!((data.code().get(), queued.code().get()), (354, 250));
    assert!(!client.session().in_mail_data() && !client.session().in_transaction());
    assert!(client.is_usable());
}

/// `Client::may_be_in_mail_data`, which tells an adapter to keep no stream for the caller:
/// from the moment DATA has left (its reply may be a 354) until the end of data is written;
/// not before DATA leaves, and not after DATA was refused.
#[test]
fn the_server_may_be_in_mail_data_from_data_sent_to_the_end_of_data() {
    use smtp_proto::client::Output;
    use smtp_proto::command::Data;
    let now = std::time::Instant::now();
    let mut client = with_recipient();
    assert!(!client.may_be_in_mail_data());
    {
        let mut exchange = client.send(Data);
        assert!(!exchange.may_be_in_mail_data(), "DATA has not left");
        assert!(matches!(exchange.poll_output(now), Ok(Output::Transmit(_))));
        assert!(
            exchange.may_be_in_mail_data(),
            "DATA left, its reply unread"
        );
        exchange.handle_input(b"354 go ahead\r\n");
        assert!(matches!(exchange.poll_output(now), Ok(Output::Done(Ok(_)))));
    }
    assert!(client.may_be_in_mail_data() && client.session().in_mail_data());
    let end = run(
        &mut client,
        Message(b"x\r\n"),
        &[b"250 ok\r\n"],
        Feed::Whole,
    );
    assert_eq!(end.ok().code().get(), 250);
    assert!(!client.may_be_in_mail_data());

    let mut client = with_recipient();
    let refused = run(&mut client, Data, &[b"554 no\r\n"], Feed::Whole);
    assert!(matches!(refused.refused(), LogicError::Refused { .. }));
    assert!(!client.may_be_in_mail_data());

    // Another command's reply awaited is not DATA's.
    let mut client = with_recipient();
    let mut exchange = client.send(Noop::default());
    assert!(matches!(exchange.poll_output(now), Ok(Output::Transmit(_))));
    assert!(!exchange.may_be_in_mail_data());
}
