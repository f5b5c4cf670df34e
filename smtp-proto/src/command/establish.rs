//! [`Establish`]: the session setup every connection starts with (greeting, EHLO,
//! STARTTLS, EHLO again, AUTH).

use super::authenticate::Authenticate;
use super::cmd::{Cmd, Step};
use super::combinators::start_checked;
use super::error::CommandError;
use super::greeting::Greeting;
use super::hello::{Ehlo, Hello, Lhlo};
use super::simple::StartTls;
use crate::auth::Mechanism;
use crate::client::{Context, Protocol, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::{Capability, EhloData, Response};
use crate::syntax::ClientId;

/// When to upgrade a plaintext connection with STARTTLS (RFC 3207).
///
/// A connection that is TLS from its first byte (implicit TLS, RFC 8314) needs no upgrade
/// under any policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// STARTTLS or nothing: a server that does not offer it, or refuses it, is the fatal
    /// [`ProtocolError::StartTlsUnavailable`], before any AUTH or mail byte (defeats
    /// STARTTLS stripping).
    #[default]
    Required,
    /// STARTTLS when offered; not offered or refused, the session goes on in plaintext
    /// (AUTH then still needs [`Authenticate::allow_plaintext`]).
    Opportunistic,
    /// Never STARTTLS.
    Disabled,
}

/// What [`Establish`] set up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Established {
    /// The server's 220 greeting.
    pub greeting: Response,
    /// The last hello: the EHLO (LHLO) data inside TLS when STARTTLS ran, or HELO's reply.
    pub hello: Hello,
    /// Whether the connection is TLS (implicit, or after STARTTLS).
    pub tls: bool,
    /// The mechanism the session authenticated with, if AUTH ran.
    pub authenticated: Option<Mechanism>,
}

impl Established {
    /// The current EHLO data, unless the session fell back to HELO.
    pub fn ehlo(&self) -> Option<&EhloData> {
        self.hello.ehlo()
    }
}

/// The session setup: greeting, EHLO (LHLO for LMTP), STARTTLS per [`TlsPolicy`], EHLO
/// again inside TLS, then the optional [`Authenticate`].
///
/// The EHLO data from before TLS is discarded by the driver at STARTTLS's 220, so the
/// capabilities that count (AUTH mechanisms above all) come from the EHLO sent inside TLS
/// (RFC 3207 §4.2). With [`TlsPolicy::Required`] (the default) a missing or refused
/// STARTTLS is fatal and nothing else is written. The steps' refusals are the result
/// ([`LogicError`]): a refused greeting (the client has quit), a refused EHLO, an AUTH
/// failure or missing mechanism.
///
/// ```
/// use smtp_proto::auth::Credentials;
/// use smtp_proto::command::{Authenticate, Establish, TlsPolicy};
/// use smtp_proto::syntax::ClientId;
///
/// let setup = Establish::new(ClientId::localhost())?
///     .tls(TlsPolicy::Required)
///     .authenticate(Authenticate::new(Credentials::password("tim", "secret")));
/// assert_eq!(setup.tls_policy(), TlsPolicy::Required);
/// # Ok::<(), smtp_proto::command::CommandError>(())
/// ```
#[derive(Debug)]
pub struct Establish {
    ehlo: Ehlo,
    lhlo: Lhlo,
    policy: TlsPolicy,
    auth: Option<Authenticate>,
    stage: Stage,
    greeting: Option<Response>,
    hello: Option<Hello>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Greeting,
    Hello { inside_tls: bool },
    StartTls,
    Auth,
}

impl Establish {
    /// The last hello that was accepted while this setup ran, also after it failed: the
    /// EHLO (LHLO) data from before TLS until the EHLO inside TLS is accepted, or HELO's
    /// reply. It tells what a setup that ended early saw, where the session cannot: the
    /// session forgets the plaintext EHLO at STARTTLS's 220 (RFC 3207 §4.2), so after a
    /// failed handshake it has none. `None` once the setup succeeded (the hello is then in
    /// [`Established`]).
    pub fn last_hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    /// The setup for this client identity, with [`TlsPolicy::Required`] and no AUTH.
    pub fn new(client_id: ClientId) -> Result<Self, CommandError> {
        Ok(Self {
            ehlo: Ehlo::new(client_id.clone())?,
            lhlo: Lhlo::new(client_id)?,
            policy: TlsPolicy::default(),
            auth: None,
            stage: Stage::Greeting,
            greeting: None,
            hello: None,
        })
    }

    /// Sets the STARTTLS policy.
    pub fn tls(mut self, policy: TlsPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Turns EHLO's HELO fallback on or off (on by default; see [`Ehlo`]).
    pub fn helo_fallback(mut self, fallback: bool) -> Self {
        self.ehlo = self.ehlo.helo_fallback(fallback);
        self
    }

    /// Authenticates at the end of the setup.
    pub fn authenticate(mut self, auth: Authenticate) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The STARTTLS policy.
    pub fn tls_policy(&self) -> TlsPolicy {
        self.policy
    }

    fn after_greeting(&mut self, step: Step<Response>, cx: &mut Context<'_>) -> Step<Established> {
        match finished(step, cx) {
            Ok(greeting) => {
                self.greeting = Some(greeting);
                self.begin_hello(false, cx)
            }
            Err(step) => step,
        }
    }

    fn begin_hello(&mut self, inside_tls: bool, cx: &mut Context<'_>) -> Step<Established> {
        self.stage = Stage::Hello { inside_tls };
        if inside_tls {
            // No HELO inside TLS: the server that negotiated it speaks ESMTP, and a refused
            // EHLO there is a refusal (RFC 3207 §4.2).
            self.ehlo.set_helo_fallback(false);
        }
        let step = if cx.session().protocol() == Protocol::Lmtp {
            start_checked(&mut self.lhlo, cx).map(Hello::Ehlo)
        } else {
            start_checked(&mut self.ehlo, cx)
        };
        self.after_hello(step, cx)
    }

    fn after_hello(&mut self, step: Step<Hello>, cx: &mut Context<'_>) -> Step<Established> {
        let hello = match finished(step, cx) {
            Ok(hello) => hello,
            Err(step) => return step,
        };
        self.hello = Some(hello);
        let session = cx.session();
        if matches!(self.stage, Stage::Hello { inside_tls: true })
            || session.is_tls()
            || self.policy == TlsPolicy::Disabled
        {
            return self.begin_auth(cx);
        }
        if session.supports(Capability::StartTls) {
            self.stage = Stage::StartTls;
            let step = start_checked(&mut StartTls, cx);
            return self.after_starttls(step, cx);
        }
        match self.policy {
            TlsPolicy::Required => Step::Fatal(ProtocolError::StartTlsUnavailable(None)),
            _ => self.begin_auth(cx),
        }
    }

    fn after_starttls(&mut self, step: Step<()>, cx: &mut Context<'_>) -> Step<Established> {
        match step {
            Step::Continue => Step::Continue,
            Step::Fatal(error) => Step::Fatal(error),
            Step::Done(Ok(())) => self.begin_hello(true, cx),
            Step::Done(Err(error)) => match self.policy {
                TlsPolicy::Required => Step::Fatal(ProtocolError::StartTlsUnavailable(
                    error.response().cloned(),
                )),
                _ => self.begin_auth(cx),
            },
        }
    }

    fn begin_auth(&mut self, cx: &mut Context<'_>) -> Step<Established> {
        let Some(auth) = self.auth.as_mut() else {
            return self.finish(None, cx);
        };
        self.stage = Stage::Auth;
        let step = start_checked(auth, cx);
        self.after_auth(step, cx)
    }

    fn after_auth(&mut self, step: Step<Mechanism>, cx: &mut Context<'_>) -> Step<Established> {
        match finished(step, cx) {
            Ok(mechanism) => self.finish(Some(mechanism), cx),
            Err(step) => step,
        }
    }

    fn finish(&mut self, authenticated: Option<Mechanism>, cx: &Context<'_>) -> Step<Established> {
        match (self.greeting.take(), self.hello.take()) {
            (Some(greeting), Some(hello)) => Step::Done(Ok(Established {
                greeting,
                hello,
                tls: cx.session().is_tls(),
                authenticated,
            })),
            _ => Step::Fatal(ProtocolError::Misuse("session setup finished out of order")),
        }
    }
}

/// The output of an inner step that finished well, or the step the composite returns.
fn finished<T, U>(step: Step<T>, cx: &Context<'_>) -> Result<T, Step<U>> {
    match step {
        Step::Continue => Err(Step::Continue),
        Step::Fatal(error) => Err(Step::Fatal(error)),
        Step::Done(Err(error)) => Err(Step::Done(Err(error))),
        Step::Done(Ok(_)) if cx.replies_awaited() > 0 || cx.is_closing() => Err(Step::Fatal(
            ProtocolError::Misuse("inner command finished with replies outstanding"),
        )),
        Step::Done(Ok(output)) => Ok(output),
    }
}

impl Cmd for Establish {
    type Output = Established;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.greeting().is_some() || session.has_hello() {
            return Err(LogicError::WrongState {
                command: "session setup",
                reason: "the session is already set up",
            });
        }
        // AUTH will be refused whatever the server offers: say so before a byte is sent.
        let plaintext = self.policy == TlsPolicy::Disabled && !session.is_tls();
        if let Some(auth) = &self.auth
            && (plaintext || session.is_tls_unverified())
            && !auth.is_plaintext_allowed()
        {
            return Err(LogicError::PlaintextAuth);
        }
        Ok(())
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Established> {
        self.stage = Stage::Greeting;
        self.greeting = None;
        self.hello = None;
        let step = start_checked(&mut Greeting, cx);
        self.after_greeting(step, cx)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Established> {
        match self.stage {
            Stage::Greeting => {
                let step = Greeting.on_reply(reply, cx);
                self.after_greeting(step, cx)
            }
            Stage::Hello { .. } => {
                let step = if cx.session().protocol() == Protocol::Lmtp {
                    self.lhlo.on_reply(reply, cx).map(Hello::Ehlo)
                } else {
                    self.ehlo.on_reply(reply, cx)
                };
                self.after_hello(step, cx)
            }
            Stage::StartTls => {
                let step = StartTls.on_reply(reply, cx);
                self.after_starttls(step, cx)
            }
            Stage::Auth => match self.auth.as_mut() {
                Some(auth) => {
                    let step = auth.on_reply(reply, cx);
                    self.after_auth(step, cx)
                }
                None => Step::Fatal(ProtocolError::Misuse("AUTH reply without AUTH")),
            },
        }
    }
}
