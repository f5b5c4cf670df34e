//! The action table: `> name args` to a command and the rendering of its outcome.
//!
//! Adding a command to the transcript language is one arm in [`command`].

use std::fmt;

use crate::client::{Context, ReplyKind};
use crate::command::{BodyChunk, Cmd, LogicError, Step};
use crate::response::Response;

use super::line::RawLine;
use super::mail;
use super::render::{render_ok, variant};
use super::script::Action;
use super::session;
use crate::auth::Mechanism;
use crate::command::{Data, Greeting, Helo, Lhlo, Quit, Rset, SendMail, SendMails, StartTls};
use crate::response::EhloData;

/// Why an action line gives no command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionError {
    /// The line is wrong (unknown action, missing argument): an error of the transcript.
    Syntax(String),
    /// The library refused an argument before any command existed, as it must for a CR, LF
    /// or NUL in an address, a client name or a text argument (SECURITY.md "command
    /// injection"). The engine takes `argument-refused KIND` as the action's outcome, so a
    /// transcript can show that nothing was written.
    Refused(String),
}

impl From<String> for ActionError {
    fn from(message: String) -> Self {
        ActionError::Syntax(message)
    }
}

impl From<&str> for ActionError {
    fn from(message: &str) -> Self {
        ActionError::Syntax(message.to_owned())
    }
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionError::Syntax(message) => f.write_str(message),
            ActionError::Refused(kind) => write!(f, "argument-refused {kind}"),
        }
    }
}

/// A library refusal of an argument, named by its error's variant.
pub(crate) fn refused(error: impl fmt::Debug) -> ActionError {
    ActionError::Refused(variant(&error))
}

/// A command as a transcript runs it: its output rendered as outcome lines.
///
/// [`command`] builds one from an action line. An adapter's mock test sends it with its
/// `Connection::send` like any command and compares the lines it yields (or the rendered
/// error followed by [`report`](Self::report)) with the transcript's `=` lines.
pub trait ScriptCmd: Cmd<Output = Vec<String>> {
    /// Lines that follow an error outcome: what the command recorded before it failed
    /// (a mail report after the connection died). Empty for most commands.
    fn report(&self) -> Vec<String>;
}

/// A boxed [`ScriptCmd`], what [`command`] returns.
pub type ScriptCommand = Box<dyn ScriptCmd>;

/// Builds the command for `action`, or says why the action line is wrong.
///
/// | action | command | outcome lines |
/// |---|---|---|
/// | `greeting` | [`Greeting`] | `ok 220` |
/// | `ehlo NAME [fallback=no]` | [`Ehlo`](crate::command::Ehlo) | `ok 250 ehlo`, or `ok 250 helo` after the fallback |
/// | `helo NAME`, `lhlo NAME` | [`Helo`], [`Lhlo`] | `ok 250` |
/// | `starttls` | [`StartTls`] (then `! tls`) | `ok` |
/// | `auth user=U pass=P` or `token=T`, `[mechanisms=A,B] [nonce=N] [authzid=Z] [plaintext=yes] [max-challenges=N]` | [`Authenticate`](crate::command::Authenticate) | `ok MECHANISM` |
/// | `establish NAME [tls=required\|opportunistic\|disabled] [fallback=no]` and the `auth` arguments | [`Establish`](crate::command::Establish) | `ok ehlo\|helo tls yes\|no auth MECHANISM\|none` |
/// | `rset`, `noop [TEXT]`, `help [TEXT]`, `vrfy TEXT`, `expn TEXT`, `quit` | the command | `ok CODE` |
/// | `xclient NAME=VALUE ...`, `xforward NAME=VALUE ...` | [`Xclient`](crate::command::Xclient), [`Xforward`](crate::command::Xforward) | `ok CODE` |
/// | `mail <a@x> [size=N] [body=8BITMIME] [smtputf8=yes]`, `rcpt <b@y> [notify=...]`, `data` | [`Mail`](crate::command::Mail), [`Rcpt`](crate::command::Rcpt), [`Data`] | `ok CODE` |
/// | `send_mail from=<a@x> to=<b@y>,<c@y> body="..."` (or `binary=`, `stream=7bit\|8bit\|utf8`), options | [`SendMail`] | `outcome OUTCOME transactions N`, then `rcpt <b@y> STATUS [CODE [CODE]]` per recipient |
/// | `send_mails count=N ...` | [`SendMails`], the same mail N times | each mail's report in turn |
/// | `line TEXT... [kind=K]` | a raw vendor line expecting one reply of kind `K` (`other`, `mail`, `data-end`, ...) | `ok CODE` |
///
/// ```
/// use smtp_proto::testing::{Action, Item, Script, command};
///
/// let script = Script::parse("x", "> line XPING")?;
/// let Some(Item::Action(action)) = script.lines().first().map(|l| &l.item) else { panic!() };
/// assert!(command(action).is_ok());
/// # Ok::<(), smtp_proto::testing::ParseError>(())
/// ```
pub fn command(action: &Action) -> Result<ScriptCommand, ActionError> {
    let name = action.name.as_str();
    match name {
        "greeting" => Ok(rendered(Greeting, ok)),
        "ehlo" => Ok(rendered(session::ehlo(action)?, |h| {
            session::render_hello(&h)
        })),
        "helo" => Ok(rendered(helo(action)?, ok)),
        "lhlo" => Ok(rendered(lhlo(action)?, |e: EhloData| {
            ok(e.response().clone())
        })),
        "starttls" => Ok(rendered(StartTls, |()| vec!["ok".to_owned()])),
        "auth" => Ok(rendered(session::authenticate(action)?, |m: Mechanism| {
            vec![format!("ok {m}")]
        })),
        "establish" => Ok(rendered(session::establish(action)?, |e| {
            session::render_established(&e)
        })),
        "rset" => Ok(rendered(Rset, ok)),
        "noop" => Ok(rendered(session::noop(action)?, ok)),
        "help" => Ok(rendered(session::help(action)?, ok)),
        "vrfy" => Ok(rendered(session::vrfy(action)?, ok)),
        "expn" => Ok(rendered(session::expn(action)?, ok)),
        "quit" => Ok(rendered(Quit, ok)),
        "xclient" => Ok(rendered(session::xclient(action)?, ok)),
        "xforward" => Ok(rendered(session::xforward(action)?, ok)),
        "line" => {
            let text = action
                .positional
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let kind = reply_kind(action.text("kind").as_deref().unwrap_or("other"))?;
            Ok(rendered(RawLine { text, kind }, ok))
        }
        "mail" => Ok(rendered(mail::mail_command(action)?, ok)),
        "rcpt" => Ok(rendered(mail::rcpt_command(action)?, ok)),
        "data" => Ok(rendered(Data, ok)),
        "send_mail" => Ok(reported(
            mail::send_mail(action)?,
            |report| mail::render_report(&report),
            |cmd: &SendMail| {
                cmd.report()
                    .map(|r| mail::render_report(&r))
                    .unwrap_or_default()
            },
        )),
        "send_mails" => Ok(reported(
            mail::send_mails(action)?,
            mail::render_reports,
            |cmd: &SendMails<mail::Mails>| {
                cmd.interrupted_reports()
                    .flat_map(|r| mail::render_report(&r))
                    .collect()
            },
        )),
        _ => Err(format!("unknown action {name:?}").into()),
    }
}

/// `ok CODE` for a command whose output is its reply.
fn ok(response: Response) -> Vec<String> {
    vec![render_ok(&response)]
}

fn helo(action: &Action) -> Result<Helo, ActionError> {
    Helo::new(session::client_id(action)?).map_err(refused)
}

fn lhlo(action: &Action) -> Result<Lhlo, ActionError> {
    Lhlo::new(session::client_id(action)?).map_err(refused)
}

fn reply_kind(name: &str) -> Result<ReplyKind, ActionError> {
    Ok(match name {
        "greeting" => ReplyKind::Greeting,
        "hello" => ReplyKind::Hello,
        "start-tls" => ReplyKind::StartTls,
        "auth" => ReplyKind::Auth,
        "mail" => ReplyKind::Mail,
        "rcpt" => ReplyKind::Rcpt,
        "data" => ReplyKind::Data,
        "data-end" => ReplyKind::DataEnd,
        "bdat" => ReplyKind::Bdat,
        "bdat-last" => ReplyKind::BdatLast,
        "other" => ReplyKind::Other,
        _ => return Err(format!("unknown reply kind {name:?}").into()),
    })
}

/// Wraps `cmd` so that its output becomes outcome lines.
fn rendered<C, F>(cmd: C, render: F) -> ScriptCommand
where
    C: Cmd + 'static,
    F: FnMut(C::Output) -> Vec<String> + 'static,
{
    reported(cmd, render, |_: &C| Vec::new())
}

/// Wraps `cmd` with its outcome rendering and what it reports after an error.
fn reported<C, F, R>(cmd: C, render: F, report: R) -> ScriptCommand
where
    C: Cmd + 'static,
    F: FnMut(C::Output) -> Vec<String> + 'static,
    R: Fn(&C) -> Vec<String> + 'static,
{
    Box::new(Rendered {
        cmd,
        render,
        report,
    })
}

struct Rendered<C, F, R> {
    cmd: C,
    render: F,
    report: R,
}

impl<C, F, R> Cmd for Rendered<C, F, R>
where
    C: Cmd,
    F: FnMut(C::Output) -> Vec<String>,
    R: Fn(&C) -> Vec<String>,
{
    type Output = Vec<String>;

    fn check(&self, session: &crate::client::Session) -> Result<(), LogicError> {
        self.cmd.check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<String>> {
        let step = self.cmd.start(cx);
        step.map(&mut self.render)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<String>> {
        let step = self.cmd.on_reply(reply, cx);
        step.map(&mut self.render)
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Vec<String>> {
        let step = self.cmd.on_body(chunk, cx);
        step.map(&mut self.render)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Vec<String>> {
        let step = self.cmd.on_writable(cx);
        step.map(&mut self.render)
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        self.cmd.on_failure(written);
    }
}

impl<C, F, R> ScriptCmd for Rendered<C, F, R>
where
    C: Cmd,
    F: FnMut(C::Output) -> Vec<String>,
    R: Fn(&C) -> Vec<String>,
{
    fn report(&self) -> Vec<String> {
        (self.report)(&self.cmd)
    }
}
