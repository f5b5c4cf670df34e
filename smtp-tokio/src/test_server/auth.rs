//! The session's AUTH decisions: which credentials are valid, the bearer error challenge,
//! the SCRAM keys, and what is recorded.

use smtp_proto::server::{SaslCredentials, SaslMechanism, ScramKeys};

use super::handler::{Action, Handler};
use super::record::AuthRecord;
use super::rules::{Fault, Stage};

/// The SCRAM iteration count: RFC 7677 §4's minimum, which the client accepts by default.
const SCRAM_ITERATIONS: u32 = 4096;

/// Google's error challenge for a refused XOAUTH2 token.
const XOAUTH2_ERROR: &[u8] =
    br#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;

/// The error challenge for a refused OAUTHBEARER token (RFC 7628 §3.2.2).
const OAUTHBEARER_ERROR: &[u8] =
    br#"{"status":"invalid_token","schemes":"bearer","scope":"https://mail.google.com/"}"#;

impl Handler {
    /// A scripted refusal or fault for this user, before the credentials are looked at.
    /// The refusals that need no credentials (already authenticated, during a
    /// transaction, AUTH not offered, no TLS) come from the core when AUTH arrives, before
    /// any challenge (`ServerConfig::auth_requires_tls`).
    fn auth_gate(&mut self, user: &str) -> Option<Action> {
        self.scripted(Stage::Auth, std::iter::once(user))
    }

    /// Credentials at the end of an exchange: 235, 535, or a bearer error challenge.
    pub(super) fn authenticate(&mut self, credentials: SaslCredentials) -> Action {
        let mechanism = credentials.mechanism();
        let scram = mechanism == SaslMechanism::ScramSha256;
        // A SCRAM exchange went through the gate at its lookup already.
        if !scram && let Some(action) = self.auth_gate(credentials.username()) {
            return action;
        }
        let Some((user, valid)) = self.check(&credentials) else {
            return self.answer(504, (5, 5, 4), "Unrecognized authentication type");
        };
        let bearer_error = !valid && mechanism.is_bearer();
        let record = AuthRecord {
            mechanism,
            user: user.clone(),
            accepted: valid,
            error_answered: bearer_error.then_some(false),
        };
        self.store.update(self.id, |r| match r.auth.last_mut() {
            // The SCRAM attempt was recorded at its lookup.
            Some(last) if scram => last.accepted = valid,
            _ => r.auth.push(record),
        });
        if bearer_error {
            let error = match mechanism {
                SaslMechanism::OAuthBearer => OAUTHBEARER_ERROR,
                _ => XOAUTH2_ERROR,
            };
            return Action::SaslError(error.to_vec());
        }
        if !valid {
            return self.answer(535, (5, 7, 8), "Authentication credentials invalid");
        }
        self.authenticated = Some(user);
        self.answer(235, (2, 7, 0), "Authentication successful")
    }

    /// The user the credentials name and whether they are valid; `None` for a kind this
    /// server does not know.
    fn check(&self, credentials: &SaslCredentials) -> Option<(String, bool)> {
        let settings = &self.settings;
        // A user may have several passwords or tokens; secrets are compared in constant
        // time by the core.
        let password_matches = |user: &str| {
            (settings.passwords.iter()).any(|(u, p)| u == user && credentials.verify_password(p))
        };
        let checked = match credentials {
            SaslCredentials::Password {
                username, authzid, ..
            } => {
                let authzid_ok = authzid.is_empty() || authzid == username;
                (username.clone(), password_matches(username) && authzid_ok)
            }
            SaslCredentials::CramMd5 { username, .. } => {
                (username.clone(), password_matches(username))
            }
            SaslCredentials::OAuth2 { user, .. } => {
                let known =
                    (settings.tokens.iter()).any(|(u, t)| u == user && credentials.verify_token(t));
                (user.clone(), known)
            }
            SaslCredentials::OAuthBearer { authzid, .. } => {
                // Without an authzid the token alone names the user (RFC 7628 §3.1).
                let owner = (settings.tokens.iter()).find(|(u, t)| {
                    (authzid.is_empty() || u == authzid) && credentials.verify_token(t)
                });
                match owner {
                    Some((user, _)) => (user.clone(), true),
                    None => (authzid.clone(), false),
                }
            }
            SaslCredentials::Scram {
                username,
                authzid,
                verified,
            } => {
                let authzid_ok = authzid.is_empty() || authzid == username;
                (username.clone(), *verified && authzid_ok)
            }
            _ => return None,
        };
        Some(checked)
    }

    /// A SCRAM exchange asks for the user's keys: derived from the password (unknown
    /// users get 535 now), or forged when the fault says so.
    pub(super) fn scram_lookup(&mut self, username: String) -> Action {
        if let Some(action) = self.auth_gate(&username) {
            return action;
        }
        let record = AuthRecord {
            mechanism: SaslMechanism::ScramSha256,
            user: username.clone(),
            accepted: false,
            error_answered: None,
        };
        self.store.update(self.id, |r| r.auth.push(record));
        let password = (self.settings.passwords.iter())
            .find(|(u, _)| *u == username)
            .map(|(_, p)| p.clone());
        let Some(password) = password else {
            return self.answer(535, (5, 7, 8), "Authentication credentials invalid");
        };
        let salt = format!("smtp-tokio test server salt for {username}");
        let keys = match ScramKeys::from_password(&password, salt.as_bytes(), SCRAM_ITERATIONS) {
            Ok(keys) => keys,
            Err(_) => return self.answer(454, (4, 7, 0), "Temporary authentication failure"),
        };
        let forged = (self.settings.rules)
            .fires(|f| matches!(f, Fault::ForgedScramSignature))
            .is_some();
        if !forged {
            return Action::ScramKeys(keys);
        }
        let mut server_key = *keys.server_key();
        server_key[0] ^= 0x80;
        let salt = keys.salt().to_vec();
        Action::ScramKeys(ScramKeys::new(
            salt,
            keys.iterations(),
            *keys.stored_key(),
            server_key,
        ))
    }

    /// The client answered the bearer error challenge as it should: the final 535.
    pub(super) fn sasl_error_answered(&mut self) -> Action {
        self.store.update(self.id, |r| {
            if let Some(last) = r.auth.last_mut() {
                last.error_answered = Some(true);
            }
        });
        self.answer(535, (5, 7, 8), "Authentication credentials invalid")
    }
}
