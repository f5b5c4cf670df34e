//! [`Chain`]: a list of commands run in order, with a policy for the first failure.

use std::fmt;

use super::super::cmd::{BodyChunk, Cmd, Step};
use super::super::simple::Rset;
use super::{BoxedCmd, closed_error, finished_in_step};
use crate::client::{Context, Position, ReplyKind};
use crate::error::{LogicError, ProtocolError};
use crate::response::Response;

/// What a [`Chain`] does when one of its commands is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnError {
    /// Stop: the refusal is the chain's result.
    #[default]
    Stop,
    /// Stop, and send RSET (RFC 5321 §4.1.1.5) after the failing command, so that no half
    /// mail transaction is left open; the refusal is still the result, whatever RSET's
    /// reply. Nothing is sent when the chain wrote nothing (the first command's check
    /// failed, or its start refused before a byte) or when the session is closing.
    StopAndReset,
}

/// Runs boxed commands in order; the output is every output, in order.
///
/// Each command is checked when it starts, against the session the earlier ones left.
/// The first refusal (or failed check) ends the chain with that error, per [`OnError`];
/// the outputs of the commands before it are dropped.
///
/// ```
/// use smtp_proto::command::{Chain, CmdExt, Noop, OnError, Rset};
///
/// let chain = Chain::new(vec![Noop::default().boxed(), Rset.boxed()])
///     .on_error(OnError::StopAndReset);
/// assert_eq!(chain.len(), 2);
/// ```
pub struct Chain<T> {
    commands: Vec<BoxedCmd<T>>,
    on_error: OnError,
    outputs: Vec<T>,
    next: usize,
    /// Where the output stood when the chain started: RSET only follows what it wrote.
    origin: Option<Position>,
    /// The refusal being reported once RSET is answered.
    resetting: Option<LogicError>,
}

impl<T> Chain<T> {
    /// The commands, run in this order; the policy is [`OnError::Stop`].
    pub fn new(commands: Vec<BoxedCmd<T>>) -> Self {
        Self {
            commands,
            on_error: OnError::Stop,
            outputs: Vec::new(),
            next: 0,
            origin: None,
            resetting: None,
        }
    }

    /// Appends a command.
    pub fn push(mut self, cmd: BoxedCmd<T>) -> Self {
        self.commands.push(cmd);
        self
    }

    /// Sets what happens on the first failure.
    pub fn on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// The number of commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether the chain has no command (it then succeeds at once, writing nothing).
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Starts the command at `self.next`, or finishes.
    fn start_next(&mut self, cx: &mut Context<'_>) -> Step<T> {
        let Some(cmd) = self.commands.get_mut(self.next) else {
            return Step::Fatal(ProtocolError::Misuse("chain started past its end"));
        };
        match cmd.check(cx.session()) {
            Ok(()) => super::start_fresh(cmd, cx),
            Err(error) => Step::Done(Err(error)),
        }
    }

    fn advance(&mut self, mut step: Step<T>, cx: &mut Context<'_>) -> Step<Vec<T>> {
        loop {
            match step {
                Step::Continue => return Step::Continue,
                Step::Fatal(error) => return Step::Fatal(error),
                Step::Done(Err(error)) => return self.fail(error, cx),
                Step::Done(Ok(output)) => {
                    if let Err(error) = finished_in_step(cx) {
                        return Step::Fatal(error);
                    }
                    self.outputs.push(output);
                    self.next += 1;
                    if self.next >= self.commands.len() {
                        return Step::Done(Ok(std::mem::take(&mut self.outputs)));
                    }
                    if cx.is_closing() {
                        return Step::Done(Err(closed_error("the next command")));
                    }
                    step = self.start_next(cx);
                }
            }
        }
    }

    fn fail(&mut self, error: LogicError, cx: &mut Context<'_>) -> Step<Vec<T>> {
        self.outputs.clear();
        let reset = self.on_error == OnError::StopAndReset
            && self.origin.is_some_and(|origin| cx.position() > origin)
            && !cx.is_closing()
            && cx.replies_awaited() == 0;
        if reset {
            // The failed command's body request ends with it.
            cx.withdraw_body_request();
            cx.command(ReplyKind::Other, |out| Rset.encode(out));
            self.resetting = Some(error);
            Step::Continue
        } else {
            Step::Done(Err(error))
        }
    }
}

impl<T> fmt::Debug for Chain<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("len", &self.commands.len())
            .field("on_error", &self.on_error)
            .field("next", &self.next)
            .field("resetting", &self.resetting)
            .finish_non_exhaustive()
    }
}

impl<T> Cmd for Chain<T> {
    type Output = Vec<T>;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<T>> {
        self.outputs.clear();
        self.next = 0;
        self.origin = Some(cx.position());
        self.resetting = None;
        if self.commands.is_empty() {
            return Step::Done(Ok(Vec::new()));
        }
        let step = self.start_next(cx);
        self.advance(step, cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<T>> {
        if let Some(error) = self.resetting.take() {
            cx.reset_transaction();
            return match Step::completion("RSET", reply) {
                Step::Fatal(fatal) => Step::Fatal(fatal),
                _ => Step::Done(Err(error)),
            };
        }
        let step = match self.commands.get_mut(self.next) {
            Some(cmd) => cmd.on_reply(reply, cx),
            None => Step::Fatal(ProtocolError::Misuse("reply after the chain ended")),
        };
        self.advance(step, cx)
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Vec<T>> {
        if self.resetting.is_some() {
            // The refused command asked for this piece before its refusal was read; it goes
            // nowhere, and the caller is not asked for the rest.
            return Step::Continue;
        }
        let step = match self.commands.get_mut(self.next) {
            Some(cmd) => cmd.on_body(chunk, cx),
            None => Step::Fatal(ProtocolError::Misuse(
                "body handed to a chain that takes none",
            )),
        };
        self.advance(step, cx)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Vec<T>> {
        if self.resetting.is_some() {
            // The refused command's output stops with its refusal.
            return Step::Continue;
        }
        let step = match self.commands.get_mut(self.next) {
            Some(cmd) => cmd.on_writable(cx),
            None => Step::Fatal(ProtocolError::Misuse(
                "room to write offered to a chain that asked for none",
            )),
        };
        self.advance(step, cx)
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        if let Some(cmd) = self.commands.get_mut(self.next) {
            cmd.on_failure(written);
        }
    }
}
