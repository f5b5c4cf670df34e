//! [`Select`]: one of two commands, chosen by the session when it starts.

use std::fmt;

use super::super::cmd::{BodyChunk, Cmd, Step};
use crate::auth::Mechanism;
use crate::client::{Context, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::{Capability, Response};

type Predicate = Box<dyn Fn(&Session) -> bool + Send + Sync>;

/// Runs `if_true` or `if_false`, chosen by a predicate on the [`Session`] when the command
/// starts (after an EHLO earlier in the same exchange, for instance).
///
/// The predicate is evaluated for [`check`](Cmd::check) and again at
/// [`start`](Cmd::start), against the same session, so it must depend on the session only.
///
/// XOAUTH2 when the server offers it, else PLAIN:
///
/// ```
/// use smtp_proto::auth::{Credentials, Mechanism};
/// use smtp_proto::command::{Authenticate, Select};
///
/// let token = Authenticate::new(Credentials::oauth2("tim@example.org", "ya29.token"))
///     .preference(vec![Mechanism::XOAuth2]);
/// let password = Authenticate::new(Credentials::password("tim", "app-password"))
///     .preference(vec![Mechanism::Plain]);
/// let auth = Select::if_auth_offered(Mechanism::XOAuth2, token, password);
/// # let _ = auth;
/// ```
pub struct Select<A, B> {
    predicate: Predicate,
    if_true: A,
    if_false: B,
    chosen: Option<bool>,
}

impl<A, B> Select<A, B> {
    /// Chooses `if_true` when `predicate` holds for the session, else `if_false`.
    pub fn new(
        predicate: impl Fn(&Session) -> bool + Send + Sync + 'static,
        if_true: A,
        if_false: B,
    ) -> Self {
        Self {
            predicate: Box::new(predicate),
            if_true,
            if_false,
            chosen: None,
        }
    }

    /// Chooses `if_true` when the current EHLO data announces `capability`.
    pub fn if_supports(capability: Capability, if_true: A, if_false: B) -> Self {
        Self::new(move |s| s.supports(capability), if_true, if_false)
    }

    /// Chooses `if_true` when the current EHLO `AUTH` line lists `mechanism` (RFC 4954 §3).
    pub fn if_auth_offered(mechanism: Mechanism, if_true: A, if_false: B) -> Self {
        Self::new(
            move |s| {
                s.ehlo()
                    .is_some_and(|ehlo| ehlo.supports_auth(mechanism.as_str()))
            },
            if_true,
            if_false,
        )
    }

    /// Which command ran: `Some(true)` for `if_true`, `None` before it started.
    pub fn chosen(&self) -> Option<bool> {
        self.chosen
    }
}

impl<A: fmt::Debug, B: fmt::Debug> fmt::Debug for Select<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("if_true", &self.if_true)
            .field("if_false", &self.if_false)
            .field("chosen", &self.chosen)
            .finish_non_exhaustive()
    }
}

impl<A, B> Cmd for Select<A, B>
where
    A: Cmd,
    B: Cmd<Output = A::Output>,
{
    type Output = A::Output;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if (self.predicate)(session) {
            self.if_true.check(session)
        } else {
            self.if_false.check(session)
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<A::Output> {
        let choice = (self.predicate)(cx.session());
        self.chosen = Some(choice);
        if choice {
            self.if_true.start(cx)
        } else {
            self.if_false.start(cx)
        }
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<A::Output> {
        match self.chosen {
            Some(true) => self.if_true.on_reply(reply, cx),
            Some(false) => self.if_false.on_reply(reply, cx),
            None => Step::Fatal(ProtocolError::Misuse("reply before the command started")),
        }
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<A::Output> {
        match self.chosen {
            Some(true) => self.if_true.on_body(chunk, cx),
            Some(false) => self.if_false.on_body(chunk, cx),
            None => Step::Fatal(ProtocolError::Misuse("body before the command started")),
        }
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<A::Output> {
        match self.chosen {
            Some(true) => self.if_true.on_writable(cx),
            Some(false) => self.if_false.on_writable(cx),
            None => Step::Fatal(ProtocolError::Misuse(
                "room to write before the command started",
            )),
        }
    }

    fn on_failure(&mut self, written: crate::client::Position) {
        match self.chosen {
            Some(true) => self.if_true.on_failure(written),
            Some(false) => self.if_false.on_failure(written),
            None => {}
        }
    }
}
