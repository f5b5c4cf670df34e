//! The action table: `> name args` to a command and the rendering of its outcome.
//!
//! Adding a command to the transcript language is one arm in [`command`].

use crate::client::{Context, ReplyKind};
use crate::command::{BodyChunk, Cmd, LogicError, Step};
use crate::response::Response;

use super::line::RawLine;
use super::mail;
use super::render::render_ok;
use super::script::Action;
use super::session;
use crate::auth::Mechanism;
use crate::command::{Data, Greeting, Helo, Lhlo, Quit, Rset, SendMail, SendMails, StartTls};
use crate::response::EhloData;

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
/// | `greeting` | await the greeting | `ok 220` |
/// | `ehlo NAME` | `EHLO NAME` | `ok 250` |
/// | `line TEXT [kind=K]` | one raw line `TEXT` CRLF expecting one reply of kind `K` (`other`) | `ok CODE` |
///
/// ```
/// use smtp_proto::testing::{Action, Item, Script, command};
///
/// let script = Script::parse("x", "> line XPING")?;
/// let Some(Item::Action(action)) = script.lines().first().map(|l| &l.item) else { panic!() };
/// assert!(command(action).is_ok());
/// # Ok::<(), smtp_proto::testing::ParseError>(())
/// ```
pub fn command(action: &Action) -> Result<ScriptCommand, String> {
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
        _ => Err(format!("unknown action {name:?}")),
    }
}

/// `ok CODE` for a command whose output is its reply.
fn ok(response: Response) -> Vec<String> {
    vec![render_ok(&response)]
}

fn helo(action: &Action) -> Result<Helo, String> {
    Helo::new(session::client_id(action)?).map_err(|e| e.to_string())
}

fn lhlo(action: &Action) -> Result<Lhlo, String> {
    Lhlo::new(session::client_id(action)?).map_err(|e| e.to_string())
}

fn reply_kind(name: &str) -> Result<ReplyKind, String> {
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
        _ => return Err(format!("unknown reply kind {name:?}")),
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
