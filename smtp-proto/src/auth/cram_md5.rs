//! CRAM-MD5 (RFC 2195): `username SP hex(HMAC-MD5(password, challenge))`.
//!
//! Legacy: it needs the server to keep the password in a recoverable form, and over TLS it
//! protects nothing PLAIN does not. It is here because Postfix (Cyrus, Dovecot) and Exim
//! still offer it; it is not in the default preference.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

use super::error::SaslError;
use super::mechanism::Mechanism;
use super::secret::{SaslResponse, Secret};

/// Answers the server's challenge (RFC 2195 §2).
///
/// The challenge should be a `msg-id` (`<...@host>`); any non-empty bytes are accepted,
/// since only the server can judge its nonce, but an empty one is refused: it would make
/// the response a replayable constant.
pub(crate) fn respond(
    username: &str,
    password: &Secret,
    challenge: &[u8],
) -> Result<SaslResponse, SaslError> {
    if challenge.is_empty() {
        return Err(SaslError::MalformedChallenge {
            mechanism: Mechanism::CramMd5,
            reason: "empty challenge",
        });
    }
    let mut mac = Hmac::<Md5>::new_from_slice(password.expose().as_bytes()).map_err(|_| {
        // HMAC takes keys of any length; kept as an error rather than a panic.
        SaslError::MalformedChallenge {
            mechanism: Mechanism::CramMd5,
            reason: "HMAC key rejected",
        }
    })?;
    mac.update(challenge);
    let digest = mac.finalize().into_bytes();
    let mut bytes = Vec::with_capacity(username.len() + 33);
    bytes.extend_from_slice(username.as_bytes());
    bytes.push(b' ');
    for byte in digest.iter() {
        bytes.push(hex_digit(byte >> 4));
        bytes.push(hex_digit(byte & 0x0f));
    }
    Ok(SaslResponse::new(bytes))
}

/// One lower-case hex digit of a nibble (RFC 2195 §2: the digest is sent in lower case).
fn hex_digit(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        _ => b'a' + (nibble & 0x0f) - 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_challenge_is_refused() {
        assert_eq!(
            respond("tim", &Secret::new("x"), b""),
            Err(SaslError::MalformedChallenge {
                mechanism: Mechanism::CramMd5,
                reason: "empty challenge"
            })
        );
    }
}
