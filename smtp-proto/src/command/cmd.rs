//! The [`Cmd`] trait: how every command, built in or written by a user, talks to the driver.

use crate::client::{Context, ProtocolError};
use crate::response::Response;

use super::LogicError;

/// One SMTP command (or a composite of several) as the client driver runs it.
///
/// A command never touches a socket. It writes its line(s) into the [`Context`], which counts
/// one reply per line, and reacts to each reply in order. It reads the [`Session`] through the
/// context and changes it only through the context's typed effects, which the driver
/// validates. So a command written outside this crate runs on every adapter (tokio,
/// async-std/smol, blocking) and in any hand-written event loop, exactly as the built-ins do:
/// EHLO, STARTTLS, AUTH and the mail transaction are all written against this trait.
///
/// The life of a command:
///
/// 1. [`check`](Self::check) against the session, before a byte is written (the seed's
///    `check_cmd_availability`): a missing capability is a [`LogicError`] and nothing is sent.
/// 2. [`start`](Self::start) writes the first line(s), or only expects a reply (the greeting).
/// 3. [`on_reply`](Self::on_reply) for every reply, strictly in order, even after a refusal
///    (RFC 2920 §3.1): the command may write more lines, ask for body chunks, apply effects,
///    and finally return [`Step::Done`].
/// 4. [`on_body`](Self::on_body) for each body chunk the caller hands over after the command
///    asked for one with [`Context::request_body`].
/// 5. [`on_writable`](Self::on_writable) once what the command wrote has (nearly) all left,
///    after it asked with [`Context::request_writable`]: a large output held in memory (a
///    whole body over 64 KiB) is written a data block at a time.
///
/// A command that wraps another forwards every method, `on_body` and `on_writable`
/// included: the defaults of those two end the exchange as a misuse, so a wrapper that
/// drops them breaks the commands inside it that stream (a large mail, for one).
///
/// The driver finishes the exchange when the command is done **and** every reply it
/// expected has arrived; finishing with replies outstanding is a fatal misuse, so a command
/// cannot leave the connection out of step.
///
/// ```
/// use smtp_proto::client::{Context, ReplyKind};
/// use smtp_proto::command::{Cmd, Step};
/// use smtp_proto::response::Response;
///
/// /// `XPING`: a vendor command answered by 250.
/// struct XPing;
///
/// impl Cmd for XPing {
///     type Output = Response;
///
///     fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
///         cx.command(ReplyKind::Other, |line| line.extend_from_slice(b"XPING\r\n"));
///         Step::Continue
///     }
///
///     fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
///         // 2xx: the output; 4xx/5xx: a refusal (`LogicError::Refused`); 3xx: fatal.
///         Step::completion("XPING", reply)
///     }
/// }
/// ```
///
/// [`Session`]: crate::client::Session
pub trait Cmd {
    /// What a successful command yields.
    type Output;

    /// Checked before a byte is written: the capabilities and session state the command
    /// needs. The default accepts.
    fn check(&self, session: &crate::client::Session) -> Result<(), LogicError> {
        let _ = session;
        Ok(())
    }

    /// Writes the first line(s), or declares the reply awaited without a line.
    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output>;

    /// Takes the next reply, in order.
    ///
    /// A 421 reply reaches the command (so that a report can record it) and then ends the
    /// connection with the fatal `ServiceClosing`, whatever the command returns.
    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output>;

    /// The connection failed (the exchange is ending with a [`ProtocolError`]): octets
    /// before `written` left or may have (the stream accepted them), octets from it on did
    /// not (a write failed there, see
    /// [`Exchange::handle_write_error`](crate::client::Exchange::handle_write_error)).
    /// A command that reports what it sent compares this with the
    /// [`Context::position`] it recorded. The default does nothing.
    fn on_failure(&mut self, written: crate::client::Position) {
        let _ = written;
    }

    /// Takes the next piece of a streamed body (only ever after
    /// [`Context::request_body`]). The default treats it as a misuse.
    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Self::Output> {
        let _ = (chunk, cx);
        Step::Fatal(ProtocolError::Misuse(
            "body handed to a command that takes none",
        ))
    }

    /// The output written so far has (nearly) all been handed out to the connection:
    /// write the next part of a large output (only ever after
    /// [`Context::request_writable`]). A command that has a large body in memory writes it
    /// a data block at a time this way, so that the client holds one block of it, not a
    /// copy of all of it. It is called again at once while less than a data block is
    /// unsent, so a call that asks for more must have written something: asking again
    /// after writing nothing is the fatal [`ProtocolError::Misuse`] (the driver would
    /// otherwise call it forever). The default treats the call itself as a misuse.
    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let _ = cx;
        Step::Fatal(ProtocolError::Misuse(
            "room to write offered to a command that asked for none",
        ))
    }
}

/// What a command says after each event.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// Not finished: waiting for replies or body.
    Continue,
    /// Finished with this result (the exchange ends once every expected reply has arrived).
    Done(Result<T, LogicError>),
    /// The connection cannot go on.
    Fatal(ProtocolError),
}

impl Step<Response> {
    /// What a one-reply command makes of its reply: a positive completion (2xx) is the
    /// output, a negative reply (4xx, 5xx) the refusal [`LogicError::Refused`], and an
    /// intermediate 3xx (354, 334) is impossible here and fatal
    /// ([`ProtocolError::ImpossibleReply`]).
    ///
    /// ```
    /// use smtp_proto::command::Step;
    /// use smtp_proto::response::Response;
    ///
    /// let reply = Response::parse(b"354 go ahead\r\n")?;
    /// assert!(matches!(Step::completion("NOOP", reply), Step::Fatal(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn completion(command: &'static str, reply: Response) -> Self {
        if reply.is_positive_completion() {
            Step::Done(Ok(reply))
        } else if reply.is_negative() {
            Step::Done(Err(LogicError::refused(command, reply)))
        } else {
            Step::Fatal(ProtocolError::ImpossibleReply {
                command,
                response: reply,
            })
        }
    }
}

impl<T> Step<T> {
    /// Maps the output of a finished step.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Continue => Step::Continue,
            Step::Done(result) => Step::Done(result.map(f)),
            Step::Fatal(error) => Step::Fatal(error),
        }
    }
}

/// A piece of a streamed body, as the caller hands it to the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyChunk<'a> {
    /// The next octets of the message.
    Data(&'a [u8]),
    /// The message is complete.
    End,
}

impl<C: Cmd + ?Sized> Cmd for Box<C> {
    type Output = C::Output;

    fn check(&self, session: &crate::client::Session) -> Result<(), LogicError> {
        (**self).check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).start(cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_reply(reply, cx)
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_body(chunk, cx)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_writable(cx)
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        (**self).on_failure(written)
    }
}

impl<C: Cmd + ?Sized> Cmd for &mut C {
    type Output = C::Output;

    fn check(&self, session: &crate::client::Session) -> Result<(), LogicError> {
        (**self).check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).start(cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_reply(reply, cx)
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_body(chunk, cx)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        (**self).on_writable(cx)
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        (**self).on_failure(written)
    }
}
