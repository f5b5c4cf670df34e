//! [`ScramKeys`]: what a SCRAM-SHA-256 server stores for a user (RFC 5802 §3).

use std::fmt;

use hmac::Hmac;
use sha2::{Digest, Sha256};

use crate::auth::scram::hmac;

/// What a SCRAM server stores for a user instead of the password (RFC 5802 §3): the salt,
/// the iteration count, `StoredKey` and `ServerKey`. Debug shows neither key; both are
/// zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramKeys {
    salt: Vec<u8>,
    iterations: u32,
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

/// Keys that cannot be derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScramKeysError {
    /// The salt is empty (RFC 5802 §7 requires a value).
    #[error("SCRAM salt is empty")]
    EmptySalt,
    /// The iteration count is zero (RFC 5802 §7 `posit-number`).
    #[error("SCRAM iteration count is zero")]
    ZeroIterations,
    /// The HMAC refused the password as a key (HMAC takes any length: not expected).
    #[error("HMAC-SHA-256 refused the key")]
    Hmac,
}

impl ScramKeys {
    /// Derives the keys from a password (RFC 5802 §3): `SaltedPassword` by PBKDF2 with
    /// HMAC-SHA-256, then `StoredKey = H(HMAC(SaltedPassword, "Client Key"))` and
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    ///
    /// The password is used as given: SASLprep (RFC 4013) is the identity on printable
    /// ASCII, and this crate's client sends only that.
    ///
    /// ```
    /// use smtp_proto::server::ScramKeys;
    /// let keys = ScramKeys::from_password("pencil", b"salt", 4096)?;
    /// assert_eq!((keys.salt(), keys.iterations()), (&b"salt"[..], 4096));
    /// assert!(!format!("{keys:?}").contains(&format!("{:?}", keys.server_key())));
    /// # Ok::<(), smtp_proto::server::ScramKeysError>(())
    /// ```
    pub fn from_password(
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, ScramKeysError> {
        if salt.is_empty() {
            return Err(ScramKeysError::EmptySalt);
        }
        if iterations == 0 {
            return Err(ScramKeysError::ZeroIterations);
        }
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), salt, iterations, &mut salted)
            .map_err(|_| ScramKeysError::Hmac)?;
        let client_key = hmac(&salted, b"Client Key").map_err(|_| ScramKeysError::Hmac)?;
        let server_key = hmac(&salted, b"Server Key").map_err(|_| ScramKeysError::Hmac)?;
        salted.fill(0);
        std::hint::black_box(&mut salted);
        Ok(Self::new(
            salt.to_vec(),
            iterations,
            Sha256::digest(client_key).into(),
            server_key,
        ))
    }

    /// Keys stored earlier (or altered on purpose: a wrong `server_key` makes a server
    /// whose signature the client must refuse).
    pub fn new(salt: Vec<u8>, iterations: u32, stored_key: [u8; 32], server_key: [u8; 32]) -> Self {
        Self {
            salt,
            iterations,
            stored_key,
            server_key,
        }
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// `StoredKey`: what the client proof is checked against.
    pub fn stored_key(&self) -> &[u8; 32] {
        &self.stored_key
    }

    /// `ServerKey`: what the server signature is made with.
    pub fn server_key(&self) -> &[u8; 32] {
        &self.server_key
    }
}

impl fmt::Debug for ScramKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ScramKeys {{ salt: {} bytes, iterations: {}, keys: *** }}",
            self.salt.len(),
            self.iterations
        )
    }
}

impl Drop for ScramKeys {
    fn drop(&mut self) {
        self.stored_key.fill(0);
        self.server_key.fill(0);
        std::hint::black_box(&mut self.stored_key);
        std::hint::black_box(&mut self.server_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_refuse_empty_salt_and_zero_iterations() {
        assert_eq!(
            ScramKeys::from_password("p", b"", 1),
            Err(ScramKeysError::EmptySalt)
        );
        assert_eq!(
            ScramKeys::from_password("p", b"s", 0),
            Err(ScramKeysError::ZeroIterations)
        );
        let keys = ScramKeys::from_password("p", b"s", 1).unwrap();
        assert_eq!(
            format!("{keys:?}"),
            "ScramKeys { salt: 1 bytes, iterations: 1, keys: *** }"
        );
    }
}
