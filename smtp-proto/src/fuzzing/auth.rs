//! SASL target: arbitrary challenge sequences into every mechanism.
//!
//! Input: a selector byte, then challenges separated by `\n`. The selector picks the
//! mechanism (low three bits), whether the initial response is sent on the command line or
//! requested by an empty challenge (`0x08`), whether each challenge is base64 text to
//! decode first (`0x10`), and whether the last challenge is handed to `finish` as 235
//! additional data instead of a step (`0x20`).
//!
//! Properties asserted: no panic; no more successful steps than the mechanism has; after an
//! error every call reports `Ended`; the OAuth error answers are exactly the documented
//! bytes; base64 decodes re-encode to the same bytes; mechanism names round-trip; and
//! SCRAM never reports success unless the server-final it was given carries the signature
//! an independent computation expects.

use crate::auth::{
    Credentials, Mechanism, SaslError, SaslExchange, SaslParams, decode_base64, encode_base64,
};

/// The SCRAM credentials and nonce of RFC 7677 §3, so seeds can replay the RFC example.
const USER: &str = "user";
const PASSWORD: &str = "pencil";
const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

/// Feeds `data` as a challenge sequence to one mechanism and checks the invariants.
pub fn sasl(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mechanisms = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha256,
    ];
    let Some(mechanism) = mechanisms.get(usize::from(selector & 0x07)) else {
        names(rest);
        return;
    };
    let skip_initial = selector & 0x08 != 0;
    let base64_text = selector & 0x10 != 0;
    let last_is_additional = selector & 0x20 != 0;

    let credentials = match mechanism {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => Credentials::oauth2(USER, "ya29.token"),
        _ => Credentials::password(USER, PASSWORD),
    };
    let params = SaslParams::new()
        .client_nonce(NONCE)
        .host("server.example.com")
        .port(587)
        .scram_iteration_bounds(1..=4096);
    let mut exchange = match SaslExchange::new(mechanism, &credentials, &params) {
        Ok(exchange) => exchange,
        Err(e) => {
            // Only a mechanism compiled out may refuse these valid credentials.
            assert!(
                matches!(e, SaslError::UnsupportedMechanism(_)),
                "valid credentials refused: {e}"
            );
            return;
        }
    };
    if !skip_initial {
        let _ = exchange.initial_response();
    }

    let mut challenges: Vec<Vec<u8>> = Vec::new();
    for chunk in rest.split(|&b| b == b'\n') {
        if base64_text {
            match decode_base64(chunk) {
                Ok(bytes) => {
                    assert_eq!(
                        decode_base64(encode_base64(&bytes).as_bytes()).ok(),
                        Some(bytes.clone())
                    );
                    challenges.push(bytes);
                }
                Err(_) => break,
            }
        } else {
            challenges.push(chunk.to_vec());
        }
    }
    let additional = if last_is_additional {
        challenges.pop()
    } else {
        None
    };

    let max_steps = match mechanism {
        Mechanism::Plain => 0,
        Mechanism::Login => 2,
        Mechanism::ScramSha256 => 2,
        _ => 1,
    } + usize::from(skip_initial && mechanism.is_client_first());
    let mut ok_steps = 0;
    let mut ended = false;
    let mut scram = ScramTrace::default();
    for challenge in &challenges {
        let result = exchange.step(challenge);
        if ended {
            assert_eq!(result, Err(SaslError::Ended));
            continue;
        }
        match result {
            Ok(response) => {
                ok_steps += 1;
                assert!(
                    ok_steps <= max_steps,
                    "{mechanism}: step {ok_steps} accepted"
                );
                let oauth = matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer);
                if oauth && ok_steps == max_steps {
                    // The error challenge: answered with the documented dummy, and kept.
                    let expected: &[u8] = if *mechanism == Mechanism::XOAuth2 {
                        b""
                    } else {
                        b"\x01"
                    };
                    assert_eq!(response.as_bytes(), expected);
                    assert!(exchange.server_error().is_some());
                }
                if *mechanism == Mechanism::ScramSha256 {
                    scram.record(challenge, response.as_bytes());
                }
            }
            Err(_) => ended = true,
        }
    }
    let finished = exchange.finish(additional.as_deref());
    if ended {
        assert_eq!(finished, Err(SaslError::Ended));
    }
    if finished.is_ok() && *mechanism == Mechanism::ScramSha256 {
        scram.assert_verified(additional.as_deref());
    }
    assert_eq!(exchange.finish(None), Err(SaslError::Ended));
}

/// Mechanism names: a parsed name prints as the input, upper-cased, and parses back.
fn names(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mechanism) = text.parse::<Mechanism>() {
        assert!(mechanism.as_str().eq_ignore_ascii_case(text));
        assert_eq!(
            mechanism.as_str().parse::<Mechanism>().ok(),
            Some(mechanism)
        );
    }
    for mechanism in Mechanism::parse_list(text) {
        assert!(text.to_ascii_uppercase().contains(mechanism.as_str()));
    }
}

/// What the SCRAM exchange went through, to check a success independently.
#[derive(Default)]
struct ScramTrace {
    /// The server-first and client-final messages, once a server-first was accepted.
    first_and_final: Option<(Vec<u8>, Vec<u8>)>,
    /// The challenge accepted after them (the server-final, delivered by a 334).
    server_final: Option<Vec<u8>>,
}

impl ScramTrace {
    fn record(&mut self, challenge: &[u8], response: &[u8]) {
        if challenge.starts_with(b"r=")
            && response.starts_with(b"c=")
            && self.first_and_final.is_none()
        {
            // Differential: the proof must be what RFC 5802 §3 computes from scratch.
            #[cfg(feature = "sasl-scram")]
            assert_eq!(
                reference::client_final(challenge).as_deref(),
                Some(response)
            );
            self.first_and_final = Some((challenge.to_vec(), response.to_vec()));
        } else if self.first_and_final.is_some() {
            self.server_final = Some(challenge.to_vec());
        }
    }

    #[cfg(feature = "sasl-scram")]
    fn assert_verified(&self, additional: Option<&[u8]>) {
        let expected = self
            .first_and_final
            .as_ref()
            .and_then(|(first, last)| reference::server_signature(first, last));
        let delivered = self
            .server_final
            .as_deref()
            .or(additional)
            .and_then(|message| message.split(|&b| b == b',').next())
            .and_then(|first| first.strip_prefix(b"v="))
            .and_then(|signature| decode_base64(signature).ok());
        assert!(
            expected.is_some() && expected == delivered,
            "SCRAM success without the expected server signature"
        );
    }

    #[cfg(not(feature = "sasl-scram"))]
    fn assert_verified(&self, _additional: Option<&[u8]>) {
        assert!(
            self.first_and_final.is_none(),
            "SCRAM success without the sasl-scram feature"
        );
    }
}

/// RFC 5802 §3 written out again, independent of the crate's SCRAM client.
#[cfg(feature = "sasl-scram")]
mod reference {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    fn hmac(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
        mac.update(data);
        Some(mac.finalize().into_bytes().to_vec())
    }

    /// The attributes of an accepted server-first: nonce, salt, iteration count.
    fn server_first(server_first: &[u8]) -> Option<(&str, Vec<u8>, u32)> {
        let text = std::str::from_utf8(server_first).ok()?;
        let mut attributes = text.split(',');
        let nonce = attributes.next()?.strip_prefix("r=")?;
        let salt = super::decode_base64(attributes.next()?.strip_prefix("s=")?.as_bytes()).ok()?;
        let count: u32 = attributes.next()?.strip_prefix("i=")?.parse().ok()?;
        Some((nonce, salt, count))
    }

    fn salted_password(salt: &[u8], count: u32) -> Option<[u8; 32]> {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2::<Hmac<Sha256>>(super::PASSWORD.as_bytes(), salt, count, &mut salted)
            .ok()?;
        Some(salted)
    }

    fn auth_message(server_first: &[u8], without_proof: &[u8]) -> Vec<u8> {
        let mut auth_message = format!("n={},r={}", super::USER, super::NONCE).into_bytes();
        auth_message.push(b',');
        auth_message.extend_from_slice(server_first);
        auth_message.push(b',');
        auth_message.extend_from_slice(without_proof);
        auth_message
    }

    /// client-final-message = "c=biws,r=" nonce ",p=" base64(ClientKey XOR ClientSignature).
    pub(super) fn client_final(server_first_message: &[u8]) -> Option<Vec<u8>> {
        let (nonce, salt, count) = server_first(server_first_message)?;
        let salted = salted_password(&salt, count)?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = auth_message(server_first_message, without_proof.as_bytes());
        let client_key = hmac(&salted, b"Client Key")?;
        let stored_key = <Sha256 as sha2::Digest>::digest(&client_key);
        let signature = hmac(&stored_key, &auth_message)?;
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        Some(format!("{without_proof},p={}", super::encode_base64(&proof)).into_bytes())
    }

    /// ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage); `None` if
    /// the messages lack what it needs (then no success may be reported either).
    pub(super) fn server_signature(
        server_first_message: &[u8],
        client_final: &[u8],
    ) -> Option<Vec<u8>> {
        let (_, salt, count) = server_first(server_first_message)?;
        let salted = salted_password(&salt, count)?;
        let proof_at = client_final.windows(3).rposition(|w| w == b",p=")?;
        let without_proof = client_final.get(..proof_at)?;
        let auth_message = auth_message(server_first_message, without_proof);
        hmac(&hmac(&salted, b"Server Key")?, &auth_message)
    }
}
