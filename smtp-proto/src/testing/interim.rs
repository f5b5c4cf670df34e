//! Minimal commands for the actions the built-ins do not cover: a raw line, for driver
//! rules that do not depend on any command (replies with nothing in flight, limits, time).

use crate::client::{Context, ReplyKind};
use crate::command::{Cmd, LogicError, Step};
use crate::response::{EhloData, Response};

/// Awaits the greeting (until the built-in lands).
pub(crate) struct Greeting;

impl Cmd for Greeting {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.expect_reply(ReplyKind::Greeting);
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("greeting", reply)
    }
}

/// `EHLO name` (or `LHLO name`), storing the EHLO data (until the built-in lands).
pub(crate) struct Ehlo(pub(crate) &'static str, pub(crate) String);

impl Cmd for Ehlo {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let line = format!("{} {}\r\n", self.0, self.1);
        cx.command(ReplyKind::Hello, |out| {
            out.extend_from_slice(line.as_bytes())
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        if reply.is_positive_completion() {
            if let Ok(ehlo) = EhloData::try_from(reply.clone()) {
                cx.store_ehlo(ehlo);
            }
        }
        Step::completion("EHLO", reply)
    }
}

/// One raw line expecting one reply of `kind`: a vendor command, as a user would write it.
pub(crate) struct RawLine {
    pub(crate) text: String,
    pub(crate) kind: ReplyKind,
}

impl Cmd for RawLine {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let line = format!("{}\r\n", self.text);
        cx.command(self.kind, |out| out.extend_from_slice(line.as_bytes()));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        if reply.is_positive_completion() {
            Step::Done(Ok(reply))
        } else if reply.is_negative() {
            Step::Done(Err(LogicError::refused("line", reply)))
        } else {
            Step::Done(Ok(reply))
        }
    }
}
