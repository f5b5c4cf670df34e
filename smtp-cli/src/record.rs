//! [`Recorded`]: any command, keeping the last reply it saw (AUTH's final reply, which its
//! output does not carry, is what the JSON's `auth.reply` needs).

use smtp_proto::client::{Context, Position, Session};
use smtp_proto::command::{BodyChunk, Cmd, LogicError, Step};
use smtp_proto::response::Response;

/// Runs `inner` unchanged and remembers the last reply handed to it.
#[derive(Debug)]
pub(crate) struct Recorded<C> {
    /// The command itself.
    pub(crate) inner: C,
    /// The last reply it received (a 421 included: the driver hands it over first).
    pub(crate) last: Option<Response>,
}

impl<C> Recorded<C> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: C) -> Self {
        Self { inner, last: None }
    }
}

impl<C: Cmd> Cmd for Recorded<C> {
    type Output = C::Output;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        self.inner.check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<C::Output> {
        self.inner.start(cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<C::Output> {
        self.last = Some(reply.clone());
        self.inner.on_reply(reply, cx)
    }

    fn on_failure(&mut self, written: Position) {
        self.inner.on_failure(written);
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<C::Output> {
        self.inner.on_body(chunk, cx)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<C::Output> {
        self.inner.on_writable(cx)
    }
}
