//! [`Then`] (one command after another) and [`Map`] (a command with its output mapped).

use std::fmt;

use super::super::cmd::{BodyChunk, Cmd, Step};
use super::{closed_error, finished_in_step, start_checked};
use crate::client::{Context, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::Response;

/// Runs `first`, then, if it succeeded, `second`; the output is both outputs. Built by
/// [`CmdExt::then`](super::CmdExt::then).
///
/// `second` is checked when it starts, against the session `first` left: `Xclient` then
/// `Ehlo` is how a session is re-opened after XCLIENT. A refusal of either is the result;
/// nothing runs after a refusal of `first`, nor after a command that closed the session.
pub struct Then<A: Cmd, B> {
    first: A,
    second: B,
    first_output: Option<A::Output>,
    in_second: bool,
}

impl<A: Cmd, B: Cmd> Then<A, B> {
    /// `first`, then `second`.
    pub fn new(first: A, second: B) -> Self {
        Self {
            first,
            second,
            first_output: None,
            in_second: false,
        }
    }

    /// The first command, as it stands: after a fatal error in the second, what it knows
    /// (the report of a `SendMail` followed by a `Quit` the server never answered).
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second command, as it stands.
    pub fn second(&self) -> &B {
        &self.second
    }

    fn after_first(
        &mut self,
        step: Step<A::Output>,
        cx: &mut Context<'_>,
    ) -> Step<(A::Output, B::Output)> {
        match step {
            Step::Continue => Step::Continue,
            Step::Fatal(error) => Step::Fatal(error),
            Step::Done(Err(error)) => Step::Done(Err(error)),
            Step::Done(Ok(output)) => {
                if let Err(error) = finished_in_step(cx) {
                    return Step::Fatal(error);
                }
                if cx.is_closing() {
                    return Step::Done(Err(closed_error("the next command")));
                }
                self.first_output = Some(output);
                self.in_second = true;
                let step = start_checked(&mut self.second, cx);
                self.after_second(step)
            }
        }
    }

    fn after_second(&mut self, step: Step<B::Output>) -> Step<(A::Output, B::Output)> {
        match step {
            Step::Continue => Step::Continue,
            Step::Fatal(error) => Step::Fatal(error),
            Step::Done(Err(error)) => Step::Done(Err(error)),
            Step::Done(Ok(second)) => match self.first_output.take() {
                Some(first) => Step::Done(Ok((first, second))),
                None => Step::Fatal(ProtocolError::Misuse("command finished twice")),
            },
        }
    }
}

impl<A: Cmd + fmt::Debug, B: fmt::Debug> fmt::Debug for Then<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Then")
            .field("first", &self.first)
            .field("second", &self.second)
            .field("in_second", &self.in_second)
            .finish_non_exhaustive()
    }
}

impl<A: Cmd, B: Cmd> Cmd for Then<A, B> {
    type Output = (A::Output, B::Output);

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        self.first.check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        self.in_second = false;
        self.first_output = None;
        let step = self.first.start(cx);
        self.after_first(step, cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
        if self.in_second {
            let step = self.second.on_reply(reply, cx);
            self.after_second(step)
        } else {
            let step = self.first.on_reply(reply, cx);
            self.after_first(step, cx)
        }
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Self::Output> {
        if self.in_second {
            let step = self.second.on_body(chunk, cx);
            self.after_second(step)
        } else {
            let step = self.first.on_body(chunk, cx);
            self.after_first(step, cx)
        }
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        if self.in_second {
            let step = self.second.on_writable(cx);
            self.after_second(step)
        } else {
            let step = self.first.on_writable(cx);
            self.after_first(step, cx)
        }
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        if self.in_second {
            self.second.on_failure(written);
        } else {
            self.first.on_failure(written);
        }
    }
}

/// A command whose output is mapped by a function; built by
/// [`CmdExt::map`](super::CmdExt::map).
///
/// ```
/// use smtp_proto::command::{CmdExt, Noop};
///
/// // A NOOP that yields the reply code only.
/// let noop = Noop::default().map(|reply| reply.code().get());
/// # let _ = noop;
/// ```
pub struct Map<C, F> {
    cmd: C,
    f: F,
}

impl<C, F> Map<C, F> {
    /// `cmd` with its output mapped by `f`.
    pub fn new(cmd: C, f: F) -> Self {
        Self { cmd, f }
    }

    /// The inner command.
    pub fn inner(&self) -> &C {
        &self.cmd
    }
}

impl<C: fmt::Debug, F> fmt::Debug for Map<C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("cmd", &self.cmd)
            .finish_non_exhaustive()
    }
}

impl<C: Cmd, U, F: FnMut(C::Output) -> U> Cmd for Map<C, F> {
    type Output = U;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        self.cmd.check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<U> {
        self.cmd.start(cx).map(&mut self.f)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<U> {
        self.cmd.on_reply(reply, cx).map(&mut self.f)
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<U> {
        self.cmd.on_body(chunk, cx).map(&mut self.f)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<U> {
        self.cmd.on_writable(cx).map(&mut self.f)
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        self.cmd.on_failure(written);
    }
}
