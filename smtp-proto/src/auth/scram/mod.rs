//! SCRAM-SHA-256 (RFC 7677, RFC 5802) without channel binding: the client proves it knows
//! the password, and the server proves it knows the salted verifier.
//!
//! The exchange counts as successful only once the server signature (`v=`) has been
//! verified, in constant time; a 235 without it is an error (a server that cannot prove
//! itself may be an impostor). SASLprep is not implemented: the username and password
//! must be ASCII (on which SASLprep is the identity), anything else is refused before a
//! byte is sent rather than hashed differently from what the server prepared.

mod message;

use std::ops::RangeInclusive;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use self::message::{ServerFinal, parse_server_final, parse_server_first};
use super::credentials::{check_ascii, check_no_controls, check_not_empty, escape_saslname};
use super::error::{Field, FieldProblem, SaslError};
use super::mechanism::Mechanism;
use super::secret::{SaslResponse, Secret, zero_array};

type HmacSha256 = Hmac<Sha256>;

/// A 32-byte key derived from the password, zeroed on drop.
struct Key([u8; 32]);

impl Drop for Key {
    fn drop(&mut self) {
        zero_array(&mut self.0);
    }
}

/// Where a SCRAM client stands.
enum Stage {
    /// client-first sent, server-first due.
    ServerFirst,
    /// client-final sent, server-final due: the key and message it must verify.
    ServerFinal {
        server_key: Key,
        auth_message: String,
    },
    /// The server signature verified.
    Verified,
}

/// The client side of one SCRAM-SHA-256 exchange.
pub(super) struct ScramClient {
    password: Secret,
    gs2_header: String,
    client_first_bare: String,
    client_nonce: String,
    iterations: RangeInclusive<u32>,
    stage: Stage,
}

impl ScramClient {
    /// Validates the inputs and builds the client-first-message (RFC 5802 §7), returned
    /// with the client.
    pub(super) fn start(
        username: &str,
        password: &Secret,
        authzid: Option<&str>,
        client_nonce: &str,
        iterations: RangeInclusive<u32>,
    ) -> Result<(Self, SaslResponse), SaslError> {
        for (field, value) in [
            (Field::Username, username),
            (Field::Password, password.expose()),
        ] {
            check_not_empty(field, value)?;
            check_no_controls(field, value)?;
            check_ascii(field, value)?;
        }
        if let Some(authzid) = authzid {
            // `authzid = "a=" saslname`, and a saslname has at least one character.
            check_not_empty(Field::Authzid, authzid)?;
            check_no_controls(Field::Authzid, authzid)?;
            check_ascii(Field::Authzid, authzid)?;
        }
        check_nonce(client_nonce)?;
        let gs2_header = match authzid {
            Some(authzid) => format!("n,a={},", escape_saslname(authzid)),
            None => "n,,".to_owned(),
        };
        let client_first_bare = format!("n={},r={client_nonce}", escape_saslname(username));
        let first = format!("{gs2_header}{client_first_bare}");
        let client = Self {
            password: password.clone(),
            gs2_header,
            client_first_bare,
            client_nonce: client_nonce.to_owned(),
            iterations,
            stage: Stage::ServerFirst,
        };
        Ok((client, SaslResponse::new(first.into_bytes())))
    }

    /// Whether the server signature has been verified.
    pub(super) fn is_verified(&self) -> bool {
        matches!(self.stage, Stage::Verified)
    }

    /// Whether the server-final-message is still due.
    pub(super) fn awaits_server_final(&self) -> bool {
        matches!(self.stage, Stage::ServerFinal { .. })
    }

    /// Answers a challenge: the server-first-message, then the server-final-message (to
    /// which the answer is empty, RFC 4422 §5). A third challenge is an error.
    pub(super) fn step(
        &mut self,
        challenge: &[u8],
        step: usize,
    ) -> Result<SaslResponse, SaslError> {
        match self.stage {
            Stage::ServerFirst => self.server_first(challenge),
            Stage::ServerFinal { .. } => self
                .server_final(challenge)
                .map(|()| SaslResponse::new(Vec::new())),
            Stage::Verified => Err(SaslError::UnexpectedChallenge {
                mechanism: Mechanism::ScramSha256,
                step,
            }),
        }
    }

    /// Checks the server-first-message and computes the client-final-message with proof.
    fn server_first(&mut self, challenge: &[u8]) -> Result<SaslResponse, SaslError> {
        let first = parse_server_first(challenge)?;
        let server_part = first.nonce.strip_prefix(self.client_nonce.as_str());
        if server_part.is_none_or(str::is_empty) {
            return Err(SaslError::NonceMismatch);
        }
        if first.iterations > *self.iterations.end() {
            return Err(SaslError::IterationCountTooHigh {
                count: first.iterations,
                max: *self.iterations.end(),
            });
        }
        if first.iterations < *self.iterations.start() {
            return Err(SaslError::IterationCountTooLow {
                count: first.iterations,
                min: *self.iterations.start(),
            });
        }
        let channel_binding = super::base64::encode(self.gs2_header.as_bytes());
        let without_proof = format!("c={channel_binding},r={}", first.nonce);
        let server_first = std::str::from_utf8(challenge).unwrap_or_default();
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);

        let mut salted = Key([0; 32]);
        pbkdf2::pbkdf2::<HmacSha256>(
            self.password.expose().as_bytes(),
            &first.salt,
            first.iterations,
            &mut salted.0,
        )
        .map_err(|_| hmac_failure())?;
        let client_key = Key(hmac(&salted.0, b"Client Key")?);
        let stored_key = Key(Sha256::digest(client_key.0).into());
        let client_signature = Key(hmac(&stored_key.0, auth_message.as_bytes())?);
        let mut proof = Key([0; 32]);
        for ((p, k), s) in proof
            .0
            .iter_mut()
            .zip(&client_key.0)
            .zip(&client_signature.0)
        {
            *p = k ^ s;
        }
        let server_key = Key(hmac(&salted.0, b"Server Key")?);
        // The proof's base64 is written straight into the response's one buffer, which is
        // zeroed on drop: a `format!` would leave a copy in a freed temporary.
        let mut final_message = Vec::with_capacity(without_proof.len() + 3 + 44);
        final_message.extend_from_slice(without_proof.as_bytes());
        final_message.extend_from_slice(b",p=");
        super::base64::encode_into(&proof.0, &mut final_message);
        self.stage = Stage::ServerFinal {
            server_key,
            auth_message,
        };
        Ok(SaslResponse::new(final_message))
    }

    /// Verifies the server-final-message (from the last 334 or the 235's additional data).
    pub(super) fn server_final(&mut self, message: &[u8]) -> Result<(), SaslError> {
        let Stage::ServerFinal {
            server_key,
            auth_message,
        } = &self.stage
        else {
            return Err(SaslError::UnexpectedAdditionalData(Mechanism::ScramSha256));
        };
        match parse_server_final(message)? {
            ServerFinal::Error(error) => Err(SaslError::ServerError(error)),
            ServerFinal::Verifier(signature) => {
                let mut mac =
                    HmacSha256::new_from_slice(&server_key.0).map_err(|_| hmac_failure())?;
                mac.update(auth_message.as_bytes());
                // verify_slice compares in constant time (and refuses a wrong length).
                mac.verify_slice(&signature)
                    .map_err(|_| SaslError::ServerSignatureMismatch)?;
                self.stage = Stage::Verified;
                Ok(())
            }
        }
    }
}

/// The client nonce: printable ASCII except `,` (RFC 5802 §7 `c-nonce`).
fn check_nonce(nonce: &str) -> Result<(), SaslError> {
    check_not_empty(Field::ClientNonce, nonce)?;
    match nonce
        .bytes()
        .enumerate()
        .find(|&(_, b)| !(0x21..=0x7e).contains(&b) || b == b',')
    {
        Some((position, byte)) => Err(SaslError::InvalidField {
            field: Field::ClientNonce,
            problem: FieldProblem::Forbidden { position, byte },
        }),
        None => Ok(()),
    }
}

/// HMAC-SHA-256 of `data` under `key`.
pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Result<[u8; 32], SaslError> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| hmac_failure())?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// HMAC accepts keys of any length, so this cannot happen; an error rather than a panic.
fn hmac_failure() -> SaslError {
    SaslError::MalformedChallenge {
        mechanism: Mechanism::ScramSha256,
        reason: "HMAC key rejected",
    }
}
