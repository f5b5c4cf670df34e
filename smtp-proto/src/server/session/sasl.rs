//! The AUTH exchange of a [`Server`] (RFC 4954 §4): challenges, responses, credentials,
//! and the error challenge of the bearer mechanisms (RFC 7628 §3.2.2).

use crate::auth::encode_base64;

use super::super::event::{Event, Output, ServerError};
use super::super::sasl::bearer_error_answer;
use super::super::sasl::{
    SaslCredentials, SaslError, SaslMechanism, decode_oauthbearer, decode_plain, decode_response,
    decode_xoauth2, login_text,
};
use super::{Awaiting, Mode, Server};

/// The next response line expected during AUTH.
#[derive(Clone, Debug)]
pub(super) enum SaslStep {
    /// The mechanism's first message, after an empty 334 (RFC 4422 §5).
    Initial(SaslMechanism),
    LoginUser,
    LoginPassword(String),
    /// The client's answer to a bearer error challenge.
    ErrorAnswer(SaslMechanism),
    /// The answer to this CRAM-MD5 challenge.
    #[cfg(feature = "sasl-cram-md5")]
    CramMd5(String),
    /// The SCRAM client-final-message.
    #[cfg(feature = "sasl-scram")]
    ScramFinal(Box<super::super::sasl::scram::ScramExchange>),
    /// The client's empty answer to the SCRAM server-final-message.
    #[cfg(feature = "sasl-scram")]
    ScramDone {
        username: String,
        authzid: String,
    },
}

impl Server {
    /// Sends the error challenge for the bearer token of the pending
    /// [`Event::Authenticate`] (XOAUTH2 or OAUTHBEARER): `334` and `error` in base64,
    /// typically JSON (RFC 7628 §3.2.2; Google sends
    /// `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`).
    ///
    /// The client owes an answer (empty for XOAUTH2, `^A` for OAUTHBEARER, RFC 7628
    /// §3.2.3). When it comes, [`Event::SaslErrorAnswered`] asks for the final failure
    /// reply (535); any other answer is refused with 501 ([`SaslError::Invalid`]), `*`
    /// with 501 as a cancel.
    ///
    /// ```
    /// use smtp_proto::server::{Event, Output, Reply, SaslMechanism, Server, ServerConfig};
    /// let mut server = Server::new(ServerConfig::default());
    /// server.reply("220 ready".parse::<Reply>()?)?;
    /// // AUTH XOAUTH2 with user=ann, a bad token.
    /// server.handle_input(b"AUTH XOAUTH2 dXNlcj1hbm4BYXV0aD1CZWFyZXIgYmFkAQE=\r\n");
    /// while !matches!(server.poll_output(), Output::NeedReply) {}
    /// server.sasl_error(br#"{"status":"401","schemes":"bearer"}"#)?;
    /// let Output::Transmit(challenge) = server.poll_output() else { panic!() };
    /// assert!(challenge.starts_with(b"334 eyJzdGF0dXMi"));
    /// server.handle_input(b"\r\n"); // the client's empty answer
    /// let answered = Event::SaslErrorAnswered(SaslMechanism::XOAuth2);
    /// assert_eq!(server.poll_output(), Output::Event(answered));
    /// server.reply("535 5.7.8 Username and Password not accepted".parse::<Reply>()?)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sasl_error(&mut self, error: &[u8]) -> Result<(), ServerError> {
        let mechanism = match self.awaiting {
            None => return Err(ServerError::NotAwaitingReply),
            Some(Awaiting::Auth(mechanism)) if mechanism.is_bearer() => mechanism,
            Some(_) => return Err(ServerError::NotBearerAuth),
        };
        self.awaiting = None;
        self.challenge(error);
        self.mode = Mode::Sasl(SaslStep::ErrorAnswer(mechanism));
        Ok(())
    }

    /// Writes `334` and `data` in base64 (RFC 4954 §4).
    pub(super) fn challenge(&mut self, data: &[u8]) {
        let mut line = b"334 ".to_vec();
        line.extend_from_slice(encode_base64(data).as_bytes());
        line.extend_from_slice(b"\r\n");
        self.queue.push_back(Output::Transmit(line));
    }

    pub(super) fn auth_start(&mut self, mechanism: SaslMechanism, initial: Option<Vec<u8>>) {
        if !self.config.mechanisms.contains(&mechanism) {
            let name = mechanism.to_string();
            return self.refuse_line(SaslError::UnsupportedMechanism(name).into());
        }
        match (mechanism, initial) {
            (SaslMechanism::Login, Some(user)) => self.login_user(user),
            (SaslMechanism::Login, None) => {
                self.challenge(b"Username:");
                self.mode = Mode::Sasl(SaslStep::LoginUser);
            }
            #[cfg(feature = "sasl-cram-md5")]
            (SaslMechanism::CramMd5, None) => self.cram_md5_start(),
            (SaslMechanism::CramMd5, Some(_)) => self.refuse_line(
                SaslError::Invalid {
                    mechanism,
                    reason: "CRAM-MD5 takes no initial response",
                }
                .into(),
            ),
            (_, Some(blob)) => self.first_message(mechanism, &blob),
            (_, None) => {
                self.challenge(b"");
                self.mode = Mode::Sasl(SaslStep::Initial(mechanism));
            }
        }
    }

    pub(super) fn sasl_response(&mut self, step: SaslStep, line: &[u8]) {
        let blob = match std::str::from_utf8(line)
            .map_err(|_| SaslError::Base64)
            .and_then(decode_response)
        {
            Ok(blob) => blob,
            Err(e) => return self.refuse_line(e.into()),
        };
        match step {
            SaslStep::Initial(mechanism) => self.first_message(mechanism, &blob),
            SaslStep::LoginUser => self.login_user(blob),
            SaslStep::LoginPassword(username) => {
                self.credentials(login_text(blob).map(|password| SaslCredentials::Password {
                    mechanism: SaslMechanism::Login,
                    authzid: String::new(),
                    username,
                    password: password.into(),
                }))
            }
            SaslStep::ErrorAnswer(mechanism) => match bearer_error_answer(mechanism, &blob) {
                Ok(()) => self.emit(Event::SaslErrorAnswered(mechanism), Awaiting::Other),
                Err(e) => self.refuse_line(e.into()),
            },
            #[cfg(feature = "sasl-cram-md5")]
            SaslStep::CramMd5(challenge) => self.credentials(
                super::super::sasl::cram_md5::decode_answer(&blob, challenge),
            ),
            #[cfg(feature = "sasl-scram")]
            SaslStep::ScramFinal(exchange) => self.scram_final(&exchange, &blob),
            #[cfg(feature = "sasl-scram")]
            SaslStep::ScramDone { username, authzid } => self.scram_done(username, authzid, &blob),
        }
    }

    /// The first message of a client-first mechanism, on the AUTH line or after `334 `.
    fn first_message(&mut self, mechanism: SaslMechanism, blob: &[u8]) {
        match mechanism {
            SaslMechanism::Plain => self.credentials(decode_plain(blob)),
            SaslMechanism::XOAuth2 => self.credentials(decode_xoauth2(blob)),
            SaslMechanism::OAuthBearer => self.credentials(decode_oauthbearer(blob)),
            #[cfg(feature = "sasl-scram")]
            SaslMechanism::ScramSha256 => self.scram_first(blob),
            // LOGIN and CRAM-MD5 never get here, nor a mechanism this build lacks
            // (`parse_auth` refuses those, whatever the configuration).
            _ => self.refuse_line(SaslError::UnsupportedMechanism(mechanism.to_string()).into()),
        }
    }

    fn login_user(&mut self, blob: Vec<u8>) {
        match login_text(blob) {
            Ok(user) => {
                self.challenge(b"Password:");
                self.mode = Mode::Sasl(SaslStep::LoginPassword(user));
            }
            Err(e) => self.refuse_line(e.into()),
        }
    }

    #[cfg(feature = "sasl-cram-md5")]
    fn cram_md5_start(&mut self) {
        let challenge = self.nonces.cram_md5_challenge(&self.config.hostname);
        self.challenge(challenge.as_bytes());
        self.mode = Mode::Sasl(SaslStep::CramMd5(challenge));
    }

    pub(super) fn credentials(&mut self, creds: Result<SaslCredentials, SaslError>) {
        match creds {
            Ok(creds) => {
                let mechanism = creds.mechanism();
                self.emit(Event::Authenticate(creds), Awaiting::Auth(mechanism));
            }
            Err(e) => self.refuse_line(e.into()),
        }
    }
}
