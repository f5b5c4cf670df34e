//! AUTH as a whole SASL exchange (RFC 4954): mechanism choice, challenges, verification.

use super::auth::{Auth, InitialResponse, encode_sasl_response};
use super::cmd::{Cmd, Step};
use crate::auth::{
    Credentials, Mechanism, OAUTH2_PREFERENCE, PASSWORD_PREFERENCE, SaslError, SaslExchange,
    SaslParams, decode_base64, select_mechanism,
};
use crate::client::{Context, ReplyKind, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::Response;

/// The default bound on 334 challenges in one exchange: more than any supported mechanism
/// needs (SCRAM and LOGIN take two, three after a deferred initial response).
pub const DEFAULT_MAX_CHALLENGES: u32 = 8;

/// `AUTH`: authenticates with the first mechanism of the caller's preference that the
/// current EHLO data offers (RFC 4954).
///
/// Checked before a byte is written:
///
/// - without TLS, or over TLS whose certificate is not verified
///   ([`Session::is_tls_unverified`]), unless [`allow_plaintext`](Self::allow_plaintext):
///   [`LogicError::PlaintextAuth`];
/// - already authenticated (RFC 4954 §4 forbids a second AUTH), or a mail transaction
///   open (RFC 4954 §4 forbids AUTH there too): [`LogicError::WrongState`];
/// - no preferred mechanism offered by the current EHLO (after STARTTLS, the post-TLS
///   one): [`LogicError::NoMechanism`]. Mechanisms the configuration cannot run are
///   skipped first: those for the other kind of credentials, and SCRAM-SHA-256 without a
///   client nonce ([`SaslParams::client_nonce`]; the core draws no randomness);
/// - a credential field the mechanism refuses (a control character, an authorization
///   identity it cannot carry): [`LogicError::Sasl`].
///
/// Then `AUTH <mechanism>[ <initial-response>]` (the response deferred to the first, empty,
/// 334 when the line would exceed 512 octets), and each 334 challenge is decoded and
/// answered. Every line that carries a response is tagged secret: logs show
/// `AUTH PLAIN [secret]`, never the credential.
///
/// - `235`: success once the exchange agrees (SCRAM: the server signature verified, from
///   the last 334 or the 235's additional data); the session records the mechanism and the
///   output is it.
/// - any other reply: [`LogicError::Refused`] with `command: "AUTH"`; no other mechanism
///   is tried (no downgrade).
/// - fatal: a challenge that is not base64 or that the mechanism refuses
///   ([`ProtocolError::Sasl`]), a success the exchange does not confirm (a SCRAM server
///   signature that does not verify), more challenges than
///   [`max_challenges`](Self::max_challenges) ([`ProtocolError::TooManyChallenges`]).
///
/// ```
/// use smtp_proto::auth::{Credentials, SaslParams};
/// use smtp_proto::command::Authenticate;
///
/// let auth = Authenticate::new(Credentials::password("tim", "tanstaaftanstaaf"))
///     .params(SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO"))
///     .max_challenges(4);
/// assert_eq!(auth.preferences()[0], smtp_proto::auth::PASSWORD_PREFERENCE[0]);
/// assert!(!format!("{auth:?}").contains("tanstaaf"));
/// ```
#[derive(Debug)]
pub struct Authenticate {
    credentials: Credentials,
    preference: Vec<Mechanism>,
    params: SaslParams,
    allow_plaintext: bool,
    max_challenges: u32,
    running: Option<Running>,
}

/// The exchange in progress.
#[derive(Debug)]
struct Running {
    mechanism: Mechanism,
    exchange: SaslExchange,
    challenges: u32,
}

impl Authenticate {
    /// Authenticates with `credentials`; the preference is [`PASSWORD_PREFERENCE`] for a
    /// password and [`OAUTH2_PREFERENCE`] for a token.
    pub fn new(credentials: Credentials) -> Self {
        let preference = match &credentials {
            Credentials::OAuth2 { .. } => OAUTH2_PREFERENCE,
            Credentials::Password { .. } => PASSWORD_PREFERENCE,
        };
        Self {
            credentials,
            preference: preference.to_vec(),
            params: SaslParams::new(),
            allow_plaintext: false,
            max_challenges: DEFAULT_MAX_CHALLENGES,
            running: None,
        }
    }

    /// The mechanisms allowed, most preferred first; the server's order never matters.
    pub fn preference(mut self, preference: Vec<Mechanism>) -> Self {
        self.preference = preference;
        self
    }

    /// The options of the exchange (authorization identity, SCRAM client nonce, ...).
    pub fn params(mut self, params: SaslParams) -> Self {
        self.params = params;
        self
    }

    /// Allows AUTH on a connection without TLS (default: refused). Only for test servers
    /// and connections protected otherwise (a local socket).
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.allow_plaintext = allow;
        self
    }

    /// The most 334 challenges accepted ([`DEFAULT_MAX_CHALLENGES`] by default).
    pub fn max_challenges(mut self, max: u32) -> Self {
        self.max_challenges = max;
        self
    }

    /// The mechanisms allowed, most preferred first.
    pub fn preferences(&self) -> &[Mechanism] {
        &self.preference
    }

    /// Whether AUTH may go over a connection without TLS.
    pub fn is_plaintext_allowed(&self) -> bool {
        self.allow_plaintext
    }

    /// The mechanism in use, once started.
    pub fn mechanism(&self) -> Option<&Mechanism> {
        self.running.as_ref().map(|r| &r.mechanism)
    }

    /// The mechanism this command would use in `session`, or why it cannot run there.
    pub fn select(&self, session: &Session) -> Result<Mechanism, LogicError> {
        if session.authenticated().is_some() {
            return Err(LogicError::WrongState {
                command: "AUTH",
                reason: "the session is already authenticated (RFC 4954 §4)",
            });
        }
        if session.in_transaction() {
            return Err(LogicError::WrongState {
                command: "AUTH",
                reason: "AUTH is not permitted during a mail transaction (RFC 4954 §4)",
            });
        }
        if (!session.is_tls() || session.is_tls_unverified()) && !self.allow_plaintext {
            return Err(LogicError::PlaintextAuth);
        }
        let offered: Vec<Mechanism> = session
            .ehlo()
            .map(|ehlo| {
                ehlo.auth_mechanisms()
                    .filter_map(|name| name.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let usable: Vec<Mechanism> = self
            .preference
            .iter()
            .filter(|m| self.fits(m))
            .cloned()
            .collect();
        select_mechanism(&usable, &offered).ok_or(LogicError::NoMechanism)
    }

    /// Whether `mechanism` can run with these credentials and parameters at all: a token
    /// does not fit PLAIN, SCRAM needs a client nonce. Decided from the caller's
    /// configuration alone, before anything is sent, so skipping one is no downgrade.
    fn fits(&self, mechanism: &Mechanism) -> bool {
        !matches!(
            self.exchange(mechanism),
            Err(SaslError::CredentialsMismatch(_)
                | SaslError::MissingClientNonce
                | SaslError::UnsupportedMechanism(_))
        )
    }

    fn exchange(&self, mechanism: &Mechanism) -> Result<SaslExchange, SaslError> {
        SaslExchange::new(mechanism, &self.credentials, &self.params)
    }

    fn on_challenge(&mut self, reply: &Response, cx: &mut Context<'_>) -> Step<Mechanism> {
        let max = self.max_challenges;
        let Some(run) = self.running.as_mut() else {
            return Step::Fatal(ProtocolError::Misuse("AUTH reply before AUTH"));
        };
        run.challenges = run.challenges.saturating_add(1);
        if run.challenges > max {
            return Step::Fatal(ProtocolError::TooManyChallenges(max));
        }
        let sasl = |error| {
            Step::Fatal(ProtocolError::Sasl {
                mechanism: run.mechanism.clone(),
                error,
            })
        };
        if reply.line_count() != 1 {
            return sasl(SaslError::MalformedChallenge {
                mechanism: run.mechanism.clone(),
                reason: "a 334 challenge spans several lines",
            });
        }
        let challenge = match decode_base64(reply.first_line().text()) {
            Ok(challenge) => challenge,
            Err(error) => return sasl(SaslError::Base64(error)),
        };
        let response = match run.exchange.step(&challenge) {
            Ok(response) => response,
            Err(error) => return sasl(error),
        };
        match cx.secret(ReplyKind::Auth, 0, |out| {
            encode_sasl_response(&response, out)
        }) {
            Ok(()) => Step::Continue,
            Err(_) => Step::Fatal(ProtocolError::Misuse(
                "SASL response longer than the 12288-octet line limit",
            )),
        }
    }

    fn on_success(&mut self, reply: &Response, cx: &mut Context<'_>) -> Step<Mechanism> {
        let Some(run) = self.running.as_mut() else {
            return Step::Fatal(ProtocolError::Misuse("AUTH reply before AUTH"));
        };
        // RFC 4954 §4: additional data with success is the 235's text, in base64; only SCRAM
        // expects any, and only when no 334 delivered its server-final-message.
        let data = if run.exchange.awaits_server_final() {
            decode_base64(reply.first_line().message()).ok()
        } else {
            None
        };
        match run.exchange.finish(data.as_deref()) {
            Ok(()) => {
                cx.authenticated(run.mechanism.clone());
                Step::Done(Ok(run.mechanism.clone()))
            }
            Err(error) => Step::Fatal(ProtocolError::Sasl {
                mechanism: run.mechanism.clone(),
                error,
            }),
        }
    }
}

/// Credentials or parameters the exchange refuses to start with: nothing was sent.
fn unusable(error: &SaslError) -> LogicError {
    LogicError::Sasl(error.clone())
}

impl Cmd for Authenticate {
    type Output = Mechanism;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        let mechanism = self.select(session)?;
        self.exchange(&mechanism)
            .map(drop)
            .map_err(|e| unusable(&e))
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Mechanism> {
        let mechanism = match self.select(cx.session()) {
            Ok(mechanism) => mechanism,
            Err(error) => return Step::Done(Err(error)),
        };
        let mut exchange = match self.exchange(&mechanism) {
            Ok(exchange) => exchange,
            Err(error) => return Step::Done(Err(unusable(&error))),
        };
        let auth = Auth::new(mechanism.clone(), exchange.initial_response());
        if auth.initial_response().is_some() {
            let shown = "AUTH ".len() + mechanism.as_str().len();
            let sent = cx.secret(ReplyKind::Auth, shown, |out| auth.encode(out));
            if sent == InitialResponse::Deferred
                && let Some(response) = auth.into_initial_response()
            {
                exchange.defer_initial_response(response);
            }
        } else {
            // No initial response: the line carries no secret.
            let _ = cx.command(ReplyKind::Auth, |out| auth.encode(out));
        }
        self.running = Some(Running {
            mechanism,
            exchange,
            challenges: 0,
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Mechanism> {
        match reply.code().get() {
            334 => self.on_challenge(&reply, cx),
            235 => self.on_success(&reply, cx),
            // RFC 4954 §4 and SECURITY.md: anything but 235 or 334 is a failure.
            _ => {
                self.running = None;
                Step::Done(Err(LogicError::refused("AUTH", reply)))
            }
        }
    }
}
