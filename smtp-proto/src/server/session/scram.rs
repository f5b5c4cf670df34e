//! The SCRAM-SHA-256 steps of a [`Server`] (RFC 5802 §5): client-first, the keys from the
//! application, server-first, the proof check, the server signature.

use super::super::event::{Event, ServerError};
use super::super::sasl::scram::{ScramExchange, parse_client_first};
use super::super::sasl::{SaslCredentials, SaslError, SaslMechanism, ScramKeys};
use super::sasl::SaslStep;
use super::{Awaiting, Mode, Server};

impl Server {
    /// Answers [`Event::ScramLookup`] with the user's keys: the server sends the
    /// server-first-message (RFC 5802 §5.1: the client nonce and 22 characters of its own
    /// from [`ServerConfig::nonce_seed`](super::ServerConfig::nonce_seed), the salt, the
    /// iteration count) and checks the client proof that follows.
    ///
    /// A wrong proof comes out as [`SaslCredentials::Scram`] with `verified: false`; a
    /// right one makes the server send its signature (`v=`) in a 334, and the credentials
    /// come out once the client acknowledged it with an empty response.
    ///
    /// ```
    /// use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams, encode_base64};
    /// use smtp_proto::server::{
    ///     Event, Output, Reply, SaslCredentials, ScramKeys, Server, ServerConfig,
    /// };
    /// let params = SaslParams::new().client_nonce("fyko+d2lbbFgONRv9qkxdawL");
    /// let credentials = Credentials::password("user", "pencil");
    /// let mut client = SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params)?;
    /// let mut server = Server::new(ServerConfig::default());
    /// server.reply("220 ready".parse::<Reply>()?)?;
    /// assert!(matches!(server.poll_output(), Output::Transmit(_))); // the greeting
    /// let first = encode_base64(client.initial_response().unwrap().as_bytes());
    /// server.handle_input(format!("AUTH SCRAM-SHA-256 {first}\r\n").as_bytes());
    /// let mut verified = false;
    /// loop {
    ///     match server.poll_output() {
    ///         Output::Event(Event::ScramLookup { username, .. }) => {
    ///             assert_eq!(username, "user");
    ///             server.scram_keys(ScramKeys::from_password("pencil", b"NaCl", 4096)?)?;
    ///         }
    ///         Output::Transmit(line) => {
    ///             // A 334: the client answers it.
    ///             let text = std::str::from_utf8(&line)?.trim_end();
    ///             let challenge = smtp_proto::auth::decode_base64(text[4..].as_bytes())?;
    ///             let answer = encode_base64(client.step(&challenge)?.as_bytes());
    ///             server.handle_input(format!("{answer}\r\n").as_bytes());
    ///         }
    ///         Output::Event(Event::Authenticate(SaslCredentials::Scram { verified: v, .. })) => {
    ///             verified = v;
    ///             break;
    ///         }
    ///         other => panic!("{other:?}"),
    ///     }
    /// }
    /// assert!(verified);
    /// server.reply("235 2.7.0 Authenticated".parse::<Reply>()?)?;
    /// client.finish(None)?; // the client verified the server signature already
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scram_keys(&mut self, keys: ScramKeys) -> Result<(), ServerError> {
        let first = match self.awaiting.take() {
            Some(Awaiting::ScramLookup(first)) => first,
            None => return Err(ServerError::NotAwaitingReply),
            other => {
                self.awaiting = other;
                return Err(ServerError::NotScramLookup);
            }
        };
        let server_nonce = self.nonces.scram_nonce();
        let exchange = ScramExchange::new(*first, keys, &server_nonce);
        self.challenge(exchange.server_first().as_bytes());
        self.mode = Mode::Sasl(SaslStep::ScramFinal(Box::new(exchange)));
        Ok(())
    }

    /// The client-first-message: asks the application for the user's keys.
    pub(super) fn scram_first(&mut self, blob: &[u8]) {
        match parse_client_first(blob) {
            Ok(first) => {
                let event = Event::ScramLookup {
                    username: first.username.clone(),
                    authzid: first.authzid.clone(),
                };
                self.emit(event, Awaiting::ScramLookup(Box::new(first)));
            }
            Err(e) => self.refuse_line(e.into()),
        }
    }

    /// The client-final-message: a wrong proof goes to the application, a right one
    /// earns the server signature first.
    pub(super) fn scram_final(&mut self, exchange: &ScramExchange, blob: &[u8]) {
        let (username, authzid) = exchange.identity();
        let (username, authzid) = (username.to_owned(), authzid.to_owned());
        match exchange.verify_client_final(blob) {
            Err(e) => self.refuse_line(e.into()),
            Ok(None) => self.credentials(Ok(SaslCredentials::Scram {
                username,
                authzid,
                verified: false,
            })),
            Ok(Some(server_final)) => {
                self.challenge(server_final.as_bytes());
                self.mode = Mode::Sasl(SaslStep::ScramDone { username, authzid });
            }
        }
    }

    /// The client's answer to the server signature: empty (RFC 4422 §5), the exchange
    /// complete.
    pub(super) fn scram_done(&mut self, username: String, authzid: String, blob: &[u8]) {
        let credentials = if blob.is_empty() {
            Ok(SaslCredentials::Scram {
                username,
                authzid,
                verified: true,
            })
        } else {
            Err(SaslError::Invalid {
                mechanism: SaslMechanism::ScramSha256,
                reason: "the answer to the server-final-message is not empty",
            })
        };
        self.credentials(credentials);
    }
}
