//! Commands built from commands, as in the seed (new-tokio-smtp): [`Either`], [`Select`]
//! (by session state), [`Then`] and [`Map`] (via [`CmdExt`]), [`BoxedCmd`] for
//! heterogeneous lists, and [`Chain`] running such a list in order.
//!
//! Inner commands run with the composite's [`Context`], so they see the session as the
//! earlier ones left it and apply their effects themselves. Each inner command's
//! [`check`](Cmd::check) runs against the session as it stands when that command starts
//! ([`start_checked`]): an EHLO earlier in a chain makes the capabilities a later command
//! needs visible to its check. An inner command must finish with nothing outstanding, else
//! the composite fails with [`ProtocolError::Misuse`]; nothing starts after a command that
//! closed the session (QUIT).

mod chain;
mod select;
mod then;

pub use chain::{Chain, OnError};
pub use select::Select;
pub use then::{Map, Then};

use super::cmd::{BodyChunk, Cmd, Step};
use crate::client::{Context, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::Response;

/// A command behind a box, for lists of different commands with the same output
/// ([`Chain`]); build one with [`CmdExt::boxed`].
pub type BoxedCmd<T> = Box<dyn Cmd<Output = T> + Send>;

/// Starts `cmd` inside a composite: [`check`](Cmd::check) against the session as it is
/// now, then [`start`](Cmd::start). A failed check is the step `Done(Err(..))`, with
/// nothing written.
///
/// The driver does the same for the outermost command; composites written outside this
/// crate use this for theirs.
///
/// The command starts afresh, as the outermost one does: the reply being handled (the one
/// that finished the command before it) is not its to apply effects in, and a body piece
/// the command before it asked for is withdrawn.
pub fn start_checked<C: Cmd + ?Sized>(cmd: &mut C, cx: &mut Context<'_>) -> Step<C::Output> {
    match cmd.check(cx.session()) {
        Ok(()) => start_fresh(cmd, cx),
        Err(error) => Step::Done(Err(error)),
    }
}

/// [`Cmd::start`] with nothing of the command before it: no current reply for its effects
/// (restored afterwards, for the composite), no standing body request.
fn start_fresh<C: Cmd + ?Sized>(cmd: &mut C, cx: &mut Context<'_>) -> Step<C::Output> {
    let current = cx.current.take();
    cx.withdraw_body_request();
    let step = cmd.start(cx);
    cx.current = current;
    step
}

/// Whether an inner command that just finished left the connection in step: nothing
/// awaited (unless the session is closing).
fn finished_in_step(cx: &Context<'_>) -> Result<(), ProtocolError> {
    if cx.replies_awaited() == 0 || cx.is_closing() {
        Ok(())
    } else {
        Err(ProtocolError::Misuse(
            "inner command finished with replies outstanding",
        ))
    }
}

/// The refusal for a command that cannot start because an earlier one closed the session.
fn closed_error(command: &'static str) -> LogicError {
    LogicError::WrongState {
        command,
        reason: "an earlier command closed the session",
    }
}

/// Helpers on every command: box it, map its output, run another after it.
pub trait CmdExt: Cmd + Sized {
    /// Boxes the command for a list of different commands ([`Chain`]).
    fn boxed(self) -> BoxedCmd<Self::Output>
    where
        Self: Send + 'static,
    {
        Box::new(self)
    }

    /// Maps the command's output with `f`.
    fn map<U, F: FnMut(Self::Output) -> U>(self, f: F) -> Map<Self, F> {
        Map::new(self, f)
    }

    /// Runs `next` once this command succeeded; the output is both outputs. `next` is
    /// checked when it starts, against the session this command left.
    fn then<B: Cmd>(self, next: B) -> Then<Self, B> {
        Then::new(self, next)
    }
}

impl<C: Cmd> CmdExt for C {}

/// Either of two commands with the same output, chosen by the caller when it is built.
///
/// ```
/// use smtp_proto::command::{Either, Noop, Rset};
///
/// let reset_first = true;
/// let cmd: Either<Rset, Noop> = if reset_first { Either::Left(Rset) } else { Either::Right(Noop::default()) };
/// assert!(matches!(cmd, Either::Left(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first command.
    Left(A),
    /// The second command.
    Right(B),
}

impl<A, B> Cmd for Either<A, B>
where
    A: Cmd,
    B: Cmd<Output = A::Output>,
{
    type Output = A::Output;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        match self {
            Either::Left(a) => a.check(session),
            Either::Right(b) => b.check(session),
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<A::Output> {
        match self {
            Either::Left(a) => a.start(cx),
            Either::Right(b) => b.start(cx),
        }
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<A::Output> {
        match self {
            Either::Left(a) => a.on_reply(reply, cx),
            Either::Right(b) => b.on_reply(reply, cx),
        }
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<A::Output> {
        match self {
            Either::Left(a) => a.on_body(chunk, cx),
            Either::Right(b) => b.on_body(chunk, cx),
        }
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<A::Output> {
        match self {
            Either::Left(a) => a.on_writable(cx),
            Either::Right(b) => b.on_writable(cx),
        }
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        match self {
            Either::Left(a) => a.on_failure(written),
            Either::Right(b) => b.on_failure(written),
        }
    }
}
