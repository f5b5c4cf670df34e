//! The one action no built-in covers: a raw vendor line, for the driver rules that do not
//! depend on any command (replies with nothing in flight, limits, time).

use crate::client::{Context, ReplyKind};
use crate::command::{Cmd, LogicError, Step};
use crate::response::Response;

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
