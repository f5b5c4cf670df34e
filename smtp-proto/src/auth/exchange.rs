//! One SASL exchange as a state machine: initial response, challenges, completion.

use super::credentials::{Credentials, check_no_controls, check_not_empty};
use super::error::{Field, SaslError};
use super::mechanism::Mechanism;
use super::params::SaslParams;
use super::secret::{SaslResponse, Secret};
use super::{login, oauth, plain};

/// The client side of one SASL exchange (RFC 4422 §5), without SMTP framing.
///
/// Drive it like this, the SMTP layer doing the base64 and the reply codes:
///
/// 1. [`initial_response`](Self::initial_response): `Some` for client-first mechanisms, to
///    send on the AUTH line (RFC 4954 §4), e.g. with [`command::Auth`](crate::command::Auth).
///    If the line would exceed 512 octets, `AUTH <mechanism>` goes alone: hand the response
///    back with [`defer_initial_response`](Self::defer_initial_response). The server then
///    sends an empty 334, and [`step`](Self::step) answers it with exactly those bytes (any
///    other challenge is then an error).
/// 2. For each 334: [`step`](Self::step) with the decoded challenge; send the answer. A
///    mechanism has a fixed number of steps; one challenge too many is an error.
/// 3. On 235: [`finish`](Self::finish), with the decoded additional data if the reply
///    carries the SCRAM server-final-message ([`awaits_server_final`](Self::awaits_server_final)).
///    Success counts only if it returns `Ok`. Any other reply is a failure, and no other
///    mechanism is tried.
///
/// A client-first response neither sent nor handed back is gone: an empty 334 is then
/// [`SaslError::UnexpectedChallenge`], never a silent empty answer.
///
/// Every error ends the exchange; later calls return [`SaslError::Ended`].
///
/// ```
/// use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams};
///
/// let credentials = Credentials::password("tim", "tanstaaftanstaaf");
/// let mut login = SaslExchange::new(&Mechanism::Login, &credentials, &SaslParams::new())?;
/// assert!(login.initial_response().is_none());
/// assert_eq!(login.step(b"Username:")?.as_bytes(), b"tim");
/// assert_eq!(login.step(b"Password:")?.as_bytes(), b"tanstaaftanstaaf");
/// assert!(login.step(b"Again?").is_err());
/// # Ok::<(), smtp_proto::auth::SaslError>(())
/// ```
#[derive(Debug)]
pub struct SaslExchange {
    mechanism: Mechanism,
    pending_initial: Option<SaslResponse>,
    state: State,
    challenges: usize,
    server_error: Option<String>,
}

/// The mechanism-specific part; secrets inside are redacting types.
enum State {
    /// PLAIN: everything was in the initial response.
    Plain,
    /// LOGIN: the number of answers given so far.
    Login {
        username: String,
        password: Secret,
        answered: usize,
    },
    /// XOAUTH2 or OAUTHBEARER: whether the error challenge has been answered.
    OAuth { xoauth2: bool, error_answered: bool },
    /// CRAM-MD5: whether the challenge has been answered.
    #[cfg(feature = "sasl-cram-md5")]
    CramMd5 {
        username: String,
        password: Secret,
        answered: bool,
    },
    /// SCRAM-SHA-256.
    #[cfg(feature = "sasl-scram")]
    Scram(Box<super::scram::ScramClient>),
    /// Succeeded or failed; nothing more to do.
    Ended,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the stage: never credentials, derived keys or messages.
        let stage = match self {
            Self::Plain => "Plain",
            Self::Login { .. } => "Login",
            Self::OAuth { .. } => "OAuth",
            #[cfg(feature = "sasl-cram-md5")]
            Self::CramMd5 { .. } => "CramMd5",
            #[cfg(feature = "sasl-scram")]
            Self::Scram(_) => "Scram",
            Self::Ended => "Ended",
        };
        f.write_str(stage)
    }
}

impl SaslExchange {
    /// Starts an exchange, checking every field before anything can be sent.
    ///
    /// Fails if the mechanism is unsupported by this build, the credentials are of the
    /// wrong kind, a field holds a control character (or is empty where the grammar needs
    /// a value), an authzid is requested from a mechanism that cannot carry one, or SCRAM
    /// has no client nonce.
    pub fn new(
        mechanism: &Mechanism,
        credentials: &Credentials,
        params: &SaslParams,
    ) -> Result<Self, SaslError> {
        if !mechanism.is_supported() {
            return Err(SaslError::UnsupportedMechanism(mechanism.clone()));
        }
        let mismatch = || SaslError::CredentialsMismatch(mechanism.clone());
        let authzid = params.authzid.as_deref();
        let refuse_authzid = || match authzid {
            Some(_) => Err(SaslError::AuthzidUnsupported(mechanism.clone())),
            None => Ok(()),
        };
        let (initial, state) = match (mechanism, credentials) {
            (Mechanism::Plain, Credentials::Password { username, password }) => (
                Some(plain::message(authzid, username, password)?),
                State::Plain,
            ),
            (Mechanism::Login, Credentials::Password { username, password }) => {
                refuse_authzid()?;
                check_not_empty(Field::Username, username)?;
                check_no_controls(Field::Username, username)?;
                check_no_controls(Field::Password, password.expose())?;
                let state = State::Login {
                    username: username.clone(),
                    password: password.clone(),
                    answered: 0,
                };
                (None, state)
            }
            (Mechanism::XOAuth2, Credentials::OAuth2 { user, token }) => {
                refuse_authzid()?;
                let message = oauth::xoauth2_message(user, token)?;
                (
                    Some(message),
                    State::OAuth {
                        xoauth2: true,
                        error_answered: false,
                    },
                )
            }
            (Mechanism::OAuthBearer, Credentials::OAuth2 { user, token }) => {
                // Checked under its own name first; the user stands in when none is given.
                if let Some(authzid) = authzid {
                    check_not_empty(Field::Authzid, authzid)?;
                    check_no_controls(Field::Authzid, authzid)?;
                }
                let authzid = authzid.unwrap_or(user);
                let host = params.host.as_deref();
                let message = oauth::oauthbearer_message(authzid, token, host, params.port)?;
                (
                    Some(message),
                    State::OAuth {
                        xoauth2: false,
                        error_answered: false,
                    },
                )
            }
            #[cfg(feature = "sasl-cram-md5")]
            (Mechanism::CramMd5, Credentials::Password { username, password }) => {
                refuse_authzid()?;
                check_not_empty(Field::Username, username)?;
                check_no_controls(Field::Username, username)?;
                check_no_controls(Field::Password, password.expose())?;
                let state = State::CramMd5 {
                    username: username.clone(),
                    password: password.clone(),
                    answered: false,
                };
                (None, state)
            }
            #[cfg(feature = "sasl-scram")]
            (Mechanism::ScramSha256, Credentials::Password { username, password }) => {
                let nonce = params
                    .client_nonce
                    .as_deref()
                    .ok_or(SaslError::MissingClientNonce)?;
                let bounds = params.scram_iterations.clone();
                let (client, first) =
                    super::scram::ScramClient::start(username, password, authzid, nonce, bounds)?;
                (Some(first), State::Scram(Box::new(client)))
            }
            _ => return Err(mismatch()),
        };
        Ok(Self {
            mechanism: mechanism.clone(),
            pending_initial: initial,
            state,
            challenges: 0,
            server_error: None,
        })
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The client's first message, for client-first mechanisms, once.
    ///
    /// `None` for LOGIN and CRAM-MD5, and on later calls. The SMTP layer encodes an empty
    /// initial response as `=` (RFC 4954 §4). The response leaves the exchange: if it does
    /// not go on the AUTH line, give it back with
    /// [`defer_initial_response`](Self::defer_initial_response).
    pub fn initial_response(&mut self) -> Option<SaslResponse> {
        self.pending_initial.take()
    }

    /// Takes back the initial response that did not fit on the AUTH line (RFC 4954 §4).
    ///
    /// Call it after [`initial_response`](Self::initial_response) when
    /// [`Auth::encode`](crate::command::Auth::encode) returned
    /// [`Deferred`](crate::command::InitialResponse::Deferred), before any
    /// [`step`](Self::step). The next challenge must then be empty and is answered with
    /// `response` unchanged; a non-empty one ends the exchange with
    /// [`SaslError::UnexpectedChallenge`]. Ignored (the response dropped and zeroed) once
    /// the exchange has ended.
    ///
    /// ```
    /// use smtp_proto::auth::{Credentials, Mechanism, SaslError, SaslExchange, SaslParams};
    ///
    /// let credentials = Credentials::password("tim", "tanstaaftanstaaf");
    /// let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new())?;
    /// let initial = plain.initial_response().unwrap();
    /// let expected = initial.as_bytes().to_vec();
    /// plain.defer_initial_response(initial); // "AUTH PLAIN" went alone
    /// assert_eq!(plain.step(b"")?.as_bytes(), expected);
    /// assert!(matches!(plain.step(b""), Err(SaslError::UnexpectedChallenge { .. })));
    /// # Ok::<(), SaslError>(())
    /// ```
    pub fn defer_initial_response(&mut self, response: SaslResponse) {
        if !matches!(self.state, State::Ended) {
            self.pending_initial = Some(response);
        }
    }

    /// Answers one server challenge (the decoded text of a 334 reply).
    ///
    /// Errors: a challenge the mechanism does not expect (after its last step, or a
    /// non-empty one while the initial response is still unsent), a malformed challenge, a
    /// failed SCRAM verification or a SCRAM `e=`; each ends the exchange.
    pub fn step(&mut self, challenge: &[u8]) -> Result<SaslResponse, SaslError> {
        self.challenges = self.challenges.saturating_add(1);
        let result = self.step_inner(challenge);
        if result.is_err() {
            self.end();
        }
        result
    }

    /// Whether a 235 must carry the SCRAM server-final-message as additional data, because
    /// no 334 has delivered it yet. Always `false` for the other mechanisms.
    pub fn awaits_server_final(&self) -> bool {
        match &self.state {
            #[cfg(feature = "sasl-scram")]
            State::Scram(client) => client.awaits_server_final(),
            _ => false,
        }
    }

    /// Completes the exchange on the server's success reply (235).
    ///
    /// `additional_data` is the decoded SCRAM server-final-message when the 235 carries
    /// it (RFC 4422 §5 "additional data with success"); pass `None` otherwise. SCRAM
    /// returns `Ok` only once the server signature verified, here or in the last
    /// [`step`](Self::step). XOAUTH2/OAUTHBEARER refuse success after an error challenge.
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        let result = self.finish_inner(additional_data);
        self.end();
        result
    }

    /// The error the server reported in an OAuth error challenge (RFC 7628 §3.2.2 JSON),
    /// printable ASCII only, for the failure report.
    pub fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    fn end(&mut self) {
        self.pending_initial = None;
        self.state = State::Ended;
    }

    fn unexpected(&self) -> SaslError {
        unexpected(&self.mechanism, self.challenges)
    }

    fn step_inner(&mut self, challenge: &[u8]) -> Result<SaslResponse, SaslError> {
        if matches!(self.state, State::Ended) {
            return Err(SaslError::Ended);
        }
        // RFC 4422 §5: without an initial response on the command, the server starts with
        // an empty challenge and the client sends its first message then.
        if let Some(initial) = self.pending_initial.take() {
            return if challenge.is_empty() {
                Ok(initial)
            } else {
                Err(self.unexpected())
            };
        }
        let (mechanism, step) = (&self.mechanism, self.challenges);
        match &mut self.state {
            State::Login {
                username,
                password,
                answered,
            } => {
                login::check_prompt(*answered, challenge)?;
                let answer = match answered {
                    0 => username.as_bytes().to_vec(),
                    1 => password.expose().as_bytes().to_vec(),
                    _ => return Err(unexpected(mechanism, step)),
                };
                *answered += 1;
                Ok(SaslResponse::new(answer))
            }
            State::OAuth {
                xoauth2,
                error_answered,
            } if !*error_answered => {
                *error_answered = true;
                let answer = oauth::error_answer(*xoauth2);
                self.server_error = Some(oauth::error_text(challenge));
                Ok(answer)
            }
            #[cfg(feature = "sasl-cram-md5")]
            State::CramMd5 {
                username,
                password,
                answered,
            } if !*answered => {
                *answered = true;
                super::cram_md5::respond(username, password, challenge)
            }
            #[cfg(feature = "sasl-scram")]
            State::Scram(client) => client.step(challenge, step),
            _ => Err(unexpected(mechanism, step)),
        }
    }

    fn finish_inner(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        match &mut self.state {
            State::Ended => Err(SaslError::Ended),
            #[cfg(feature = "sasl-scram")]
            State::Scram(client) => {
                if let Some(data) = additional_data {
                    client.server_final(data)?;
                }
                if client.is_verified() {
                    Ok(())
                } else {
                    Err(SaslError::ServerSignatureMissing)
                }
            }
            _ if additional_data.is_some() => {
                Err(SaslError::UnexpectedAdditionalData(self.mechanism.clone()))
            }
            State::OAuth {
                error_answered: true,
                ..
            } => Err(SaslError::SuccessAfterError(self.mechanism.clone())),
            _ => Ok(()),
        }
    }
}

/// The error for a challenge beyond what the mechanism expects.
fn unexpected(mechanism: &Mechanism, step: usize) -> SaslError {
    SaslError::UnexpectedChallenge {
        mechanism: mechanism.clone(),
        step,
    }
}
