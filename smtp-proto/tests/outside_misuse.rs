//! Commands written outside the crate that misbehave: each gets a typed error, nothing
//! it should not write leaves, and the client is never out of step.

mod outside_support {
    pub(crate) mod driver;
}

use outside_support::driver::drive;
use smtp_proto::client::{Client, ClientConfig, Context, ReplyKind};
use smtp_proto::command::{Cmd, Ehlo, Greeting, Noop, Step};
use smtp_proto::data::BodySink;
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Response;
use smtp_proto::syntax::ClientId;

fn ready() -> Client {
    let mut client = Client::new(ClientConfig::default());
    drive(client.send(Greeting), &[b"220 mx.example ESMTP\r\n"])
        .result
        .unwrap()
        .unwrap();
    let ehlo = Ehlo::new(ClientId::localhost()).unwrap();
    drive(
        client.send(ehlo),
        &[b"250-mx.example\r\n250 PIPELINING\r\n"],
    )
    .result
    .unwrap()
    .unwrap();
    client
}

/// A user command that writes `lines` (kind, text) in `start` and, on each reply, runs
/// `react`; done once nothing more is awaited.
struct Script {
    lines: Vec<(ReplyKind, &'static str)>,
    react: fn(&Response, &mut Context<'_>),
}

impl Cmd for Script {
    type Output = Vec<u16>;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<u16>> {
        for (kind, line) in &self.lines {
            cx.command(*kind, |out| out.extend_from_slice(line.as_bytes()));
        }
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<u16>> {
        (self.react)(&reply, cx);
        if cx.replies_awaited() == 0 {
            Step::Done(Ok(vec![reply.code().get()]))
        } else {
            Step::Continue
        }
    }
}

/// After 354: the body, its end, and the verdict awaited.
fn body_after_354(reply: &Response, cx: &mut Context<'_>) {
    if reply.code().get() == 354 {
        cx.body(|out| out.put(b"Subject: x\r\n\r\nbody\r\n.\r\n"));
        cx.expect_reply(ReplyKind::DataEnd);
    }
}

/// RFC 2920 §3.1: DATA "can only appear as the last command in a group", since after its
/// 354 every octet is message content. A user command that pipelines a command line after
/// DATA would have that line delivered inside the message (the driver refuses a command
/// line once DATA got its 354, `Context::command` docs, but not while DATA's reply, which
/// may be that 354, is still due: `Client::may_be_in_mail_data` knows the difference).
/// The line must not leave; the command gets a typed error.
#[test]
fn a_command_line_pipelined_after_data_never_becomes_message_content() {
    let mut client = ready();
    let cmd = Script {
        lines: vec![
            (ReplyKind::Mail, "MAIL FROM:<a@example.org>\r\n"),
            (ReplyKind::Rcpt, "RCPT TO:<b@example.net>\r\n"),
            (ReplyKind::Data, "DATA\r\n"),
            (ReplyKind::Other, "NOOP\r\n"),
        ],
        react: body_after_354,
    };
    let run = drive(
        client.send(cmd),
        &[
            b"250 ok\r\n250 ok\r\n354 go\r\n",
            b"250 queued\r\n",
            b"250 ?\r\n",
        ],
    );
    let wire = String::from_utf8_lossy(&run.written).into_owned();
    assert!(
        !wire.contains("DATA\r\nNOOP\r\n"),
        "a command line left after DATA, in the same group: the server reads it as the \
         first line of the message: {wire:?}, result {:?}",
        run.result
            .as_ref()
            .map(|r| r.as_ref().map_err(ToString::to_string))
    );
}

fn nothing(_: &Response, _: &mut Context<'_>) {}

/// The session's greeting is the server's first reply (`Session::greeting`: "The
/// server's greeting, once received"); a command changes the session only through
/// validated effects (`Cmd` docs). A user command that declares a later line's reply to
/// be of kind `Greeting` must not replace it.
#[test]
fn a_later_reply_never_replaces_the_greeting() {
    let mut client = ready();
    let cmd = Script {
        lines: vec![(ReplyKind::Greeting, "NOOP\r\n")],
        react: nothing,
    };
    let run = drive(client.send(cmd), &[b"250 2.0.0 not a greeting\r\n"]);
    let greeting = client.session().greeting().map(ToString::to_string);
    assert_eq!(
        greeting.as_deref(),
        Some("220 mx.example ESMTP"),
        "result {:?}",
        run.result.map(|r| r.map_err(|e| e.to_string()))
    );
}

/// RFC 5321 §3.8 and `Cmd::on_reply`: a 421 reaches the command and then ends the
/// connection, whatever the command returns; the command's result stays available.
#[test]
fn a_421_to_a_user_command_is_fatal_whatever_it_returns() {
    let mut client = ready();
    let cmd = Script {
        lines: vec![(ReplyKind::Other, "XFOO\r\n")],
        react: nothing,
    };
    let run = drive(client.send(cmd), &[b"421 4.3.2 shutting down\r\n"]);
    assert!(matches!(run.result, Err(ProtocolError::ServiceClosing(_))));
    assert!(!client.is_usable());
    let run = drive(client.send(Noop::default()), &[]);
    assert_eq!(run.written, b"");
    assert!(matches!(run.result, Err(ProtocolError::Unusable)));
}

/// A user command writing each line with a "clear, then write" closure, as one does with
/// a scratch buffer; `secret_first` writes a secret line first (the driver then hands the
/// closures a fresh buffer of their own).
struct ClearThenWrite {
    lines: Vec<&'static str>,
    secret_first: bool,
    replies: Vec<u16>,
}

impl Cmd for ClearThenWrite {
    type Output = Vec<u16>;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<u16>> {
        if self.secret_first {
            cx.secret(ReplyKind::Other, 5, |out| {
                out.extend_from_slice(b"XAUTH c2VjcmV0\r\n")
            });
        }
        for line in &self.lines {
            cx.command(ReplyKind::Other, |out| {
                out.clear();
                out.extend_from_slice(line.as_bytes());
            });
        }
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<u16>> {
        self.replies.push(reply.code().get());
        if cx.replies_awaited() == 0 {
            Step::Done(Ok(std::mem::take(&mut self.replies)))
        } else {
            Step::Continue
        }
    }
}

/// `Context::command` hands its closure the client's output buffer, with the lines of
/// earlier commands still in it (handed out, not yet compacted away) and any unsent
/// pipelined ones, unless a secret is unsent, when it hands a fresh buffer. A closure
/// that clears what it is given (the scratch-buffer idiom) then has only the tail of its
/// line checked and sent: after `EHLO localhost\r\n` (16 octets), `ETRN example.org\r\n`
/// leaves as `\r\n`, an empty line, and the command takes the server's 500 for ETRN's
/// answer. The docs promise that a line that is not exactly the one CRLF-terminated line
/// is removed with `Misuse` ("no bug in a command (built in or not) can inject a second
/// command"); what leaves must be the line written, or nothing.
#[test]
fn a_closure_that_clears_its_buffer_cannot_send_part_of_its_line() {
    for secret_first in [true, false] {
        let mut client = ready();
        let cmd = ClearThenWrite {
            lines: vec!["ETRN example.org\r\n"],
            secret_first,
            replies: Vec::new(),
        };
        let replies: &[&[u8]] = if secret_first {
            &[b"250 s\r\n250 queued\r\n"]
        } else {
            &[b"250 queued\r\n"]
        };
        let run = drive(client.send(cmd), replies);
        let wire = String::from_utf8_lossy(&run.written).into_owned();
        let misuse = matches!(run.result, Err(ProtocolError::Misuse(_)));
        assert!(
            misuse || wire.ends_with("ETRN example.org\r\n"),
            "secret first: {secret_first}: wire {wire:?}, result {:?}",
            run.result.map(|r| r.map_err(|e| e.to_string()))
        );
    }
}

/// Message content pipelined behind DATA: should DATA be refused, the server would read
/// it as commands (RFC 2920 §3.1). It is removed before it can leave, and the connection
/// fails with `Misuse`.
struct BodyBeforeData;

impl Cmd for BodyBeforeData {
    type Output = ();

    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.command(ReplyKind::Mail, |out| {
            out.extend_from_slice(b"MAIL FROM:<a@example.org>\r\n")
        });
        cx.command(ReplyKind::Rcpt, |out| {
            out.extend_from_slice(b"RCPT TO:<b@example.net>\r\n")
        });
        cx.command(ReplyKind::Data, |out| out.extend_from_slice(b"DATA\r\n"));
        cx.body(|out| out.put(b"RSET\r\nMAIL FROM:<evil@example.org>\r\n.\r\n"));
        Step::Continue
    }

    fn on_reply(&mut self, _: Response, _: &mut Context<'_>) -> Step<()> {
        Step::Done(Ok(()))
    }
}

#[test]
fn message_content_before_datas_reply_never_leaves() {
    let mut client = ready();
    let run = drive(
        client.send(BodyBeforeData),
        &[b"250 ok\r\n250 ok\r\n554 no\r\n"],
    );
    assert!(
        matches!(run.result, Err(ProtocolError::Misuse(_))),
        "{:?}",
        run.result.map(|r| r.map_err(|e| e.to_string()))
    );
    assert_eq!(run.written, b"", "nothing of the group left");
    assert!(!client.is_usable());
}

/// A body write that writes nothing behind DATA (an encoder with nothing left) is no
/// misuse: nothing follows DATA in its group.
struct EmptyBodyAfterData;

impl Cmd for EmptyBodyAfterData {
    type Output = u16;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<u16> {
        cx.command(ReplyKind::Data, |out| out.extend_from_slice(b"DATA\r\n"));
        cx.body(|_| {});
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<u16> {
        Step::Done(Ok(reply.code().get()))
    }
}

#[test]
fn an_empty_body_write_behind_data_is_no_misuse() {
    let mut client = ready();
    let run = drive(
        client.send(EmptyBodyAfterData),
        &[b"554 no valid recipients\r\n"],
    );
    assert!(
        matches!(run.result, Ok(Ok(554))),
        "{:?}",
        run.result.map(|r| r.map_err(|e| e.to_string()))
    );
    assert_eq!(run.written, b"DATA\r\n");
}
