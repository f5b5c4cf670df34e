//! SASL target: arbitrary challenge sequences into every mechanism.
//!
//! Input: a selector byte, then challenges separated by `\n`. The selector picks the
//! mechanism (low three bits), whether the initial response is sent on the command line or
//! requested by an empty challenge (`0x08`), whether each challenge is base64 text to
//! decode first (`0x10`), whether the last challenge is handed to `finish` as 235
//! additional data instead of a step (`0x20`), and whether the user name is 400 characters
//! long (`0x40`), so that [`Auth`] defers the initial response (RFC 4954 §4) and it is
//! handed back with [`SaslExchange::defer_initial_response`].
//!
//! Properties asserted: no panic; the AUTH line is at most 512 octets and carries the
//! initial response exactly when it fits; a deferred response answers an empty first
//! challenge unchanged; every answer encodes as a response line that decodes back; no more
//! successful steps than the mechanism has; after an error every call reports `Ended`; the
//! OAuth error answers are exactly the documented bytes; base64 decodes re-encode to the
//! same bytes; mechanism names round-trip; and SCRAM never reports success unless the
//! server-final it was given carries the signature an independent computation expects.

use crate::auth::{
    Credentials, Mechanism, SaslError, SaslExchange, SaslParams, SaslResponse, decode_base64,
    encode_base64,
};
use crate::command::{Auth, COMMAND_LINE_LIMIT, InitialResponse, encode_sasl_response};

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
    let user = if selector & 0x40 != 0 {
        "u".repeat(400)
    } else {
        USER.to_owned()
    };

    let credentials = match mechanism {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
            Credentials::oauth2(user.as_str(), "ya29.token")
        }
        _ => Credentials::password(user.as_str(), PASSWORD),
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
    let deferred = if skip_initial {
        None
    } else {
        send_auth(&mut exchange)
    };

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

    let max_steps =
        match mechanism {
            Mechanism::Plain => 0,
            Mechanism::Login => 2,
            Mechanism::ScramSha256 => 2,
            _ => 1,
        } + usize::from((skip_initial || deferred.is_some()) && mechanism.is_client_first());
    let mut ok_steps = 0;
    let mut ended = false;
    let mut scram = ScramTrace::new(&user);
    for (index, challenge) in challenges.iter().enumerate() {
        let result = exchange.step(challenge);
        if ended {
            assert_eq!(result, Err(SaslError::Ended));
            continue;
        }
        match result {
            Ok(response) => {
                ok_steps += 1;
                if index == 0
                    && let Some(raw) = &deferred
                {
                    assert_eq!(response.as_bytes(), raw.as_slice());
                }
                check_response_line(&response);
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

/// Sends AUTH with the initial response as the client will; returns the raw bytes it had to
/// defer, after handing them back to the exchange.
fn send_auth(exchange: &mut SaslExchange) -> Option<Vec<u8>> {
    let mechanism = exchange.mechanism().clone();
    let initial = exchange.initial_response();
    assert_eq!(initial.is_some(), mechanism.is_client_first());
    let raw = initial.as_ref().map(|r| r.as_bytes().to_vec());
    let auth = Auth::new(mechanism.clone(), initial);
    let mut line = Vec::new();
    let outcome = auth.encode(&mut line);
    assert!(line.len() <= COMMAND_LINE_LIMIT);
    let bare = format!("AUTH {mechanism}\r\n");
    assert_eq!(outcome == InitialResponse::Absent, raw.is_none());
    let raw = raw.unwrap_or_default();
    match outcome {
        InitialResponse::Absent => {
            assert_eq!(line, bare.as_bytes());
            None
        }
        InitialResponse::Sent => {
            let text = if raw.is_empty() {
                "=".to_owned()
            } else {
                encode_base64(&raw)
            };
            assert_eq!(line, format!("AUTH {mechanism} {text}\r\n").as_bytes());
            None
        }
        InitialResponse::Deferred => {
            assert_eq!(line, bare.as_bytes());
            let would_be = bare.len() + 1 + encode_base64(&raw).len();
            assert!(
                would_be > COMMAND_LINE_LIMIT,
                "deferred a {would_be}-octet line"
            );
            if let Some(response) = auth.into_initial_response() {
                exchange.defer_initial_response(response);
            }
            Some(raw)
        }
    }
}

/// A response line is the base64 of the response and CRLF, and decodes back to it.
fn check_response_line(response: &SaslResponse) {
    let mut line = Vec::new();
    if encode_sasl_response(response, &mut line).is_ok() {
        let text = line.strip_suffix(b"\r\n").unwrap_or_default();
        assert_eq!(
            decode_base64(text).ok().as_deref(),
            Some(response.as_bytes())
        );
    }
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
struct ScramTrace {
    /// The user name the exchange was started with (read by the SCRAM checks only).
    #[cfg_attr(not(feature = "sasl-scram"), expect(dead_code))]
    user: String,
    /// The server-first and client-final messages, once a server-first was accepted.
    first_and_final: Option<(Vec<u8>, Vec<u8>)>,
    /// The challenge accepted after them (the server-final, delivered by a 334).
    server_final: Option<Vec<u8>>,
}

impl ScramTrace {
    fn new(user: &str) -> Self {
        Self {
            user: user.to_owned(),
            first_and_final: None,
            server_final: None,
        }
    }

    fn record(&mut self, challenge: &[u8], response: &[u8]) {
        if challenge.starts_with(b"r=")
            && response.starts_with(b"c=")
            && self.first_and_final.is_none()
        {
            // Differential: the proof must be what RFC 5802 §3 computes from scratch.
            #[cfg(feature = "sasl-scram")]
            assert_eq!(
                reference::client_final(&self.user, challenge).as_deref(),
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
            .and_then(|(first, last)| reference::server_signature(&self.user, first, last));
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

    /// The attributes of an accepted server-first: nonce, salt, iteration count. The
    /// server nonce must be the client's with something added (RFC 5802 §5.1 `r`).
    fn server_first(server_first: &[u8]) -> Option<(&str, Vec<u8>, u32)> {
        let text = std::str::from_utf8(server_first).ok()?;
        let mut attributes = text.split(',');
        let nonce = attributes.next()?.strip_prefix("r=")?;
        if nonce.strip_prefix(super::NONCE).is_none_or(str::is_empty) {
            return None;
        }
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

    fn auth_message(user: &str, server_first: &[u8], without_proof: &[u8]) -> Vec<u8> {
        let mut auth_message = format!("n={user},r={}", super::NONCE).into_bytes();
        auth_message.push(b',');
        auth_message.extend_from_slice(server_first);
        auth_message.push(b',');
        auth_message.extend_from_slice(without_proof);
        auth_message
    }

    /// client-final-message = "c=biws,r=" nonce ",p=" base64(ClientKey XOR ClientSignature).
    pub(super) fn client_final(user: &str, server_first_message: &[u8]) -> Option<Vec<u8>> {
        let (nonce, salt, count) = server_first(server_first_message)?;
        let salted = salted_password(&salt, count)?;
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = auth_message(user, server_first_message, without_proof.as_bytes());
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
        user: &str,
        server_first_message: &[u8],
        client_final: &[u8],
    ) -> Option<Vec<u8>> {
        let (_, salt, count) = server_first(server_first_message)?;
        let salted = salted_password(&salt, count)?;
        let proof_at = client_final.windows(3).rposition(|w| w == b",p=")?;
        let without_proof = client_final.get(..proof_at)?;
        let auth_message = auth_message(user, server_first_message, without_proof);
        hmac(&hmac(&salted, b"Server Key")?, &auth_message)
    }
}

#[cfg(all(test, feature = "sasl-scram"))]
mod tests {
    //! The SCRAM differential can only see what its reference refuses. The reference takes
    //! any server nonce, so a client that stopped checking that the server nonce extends
    //! its own (RFC 5802 §5.1 `r`: `SaslError::NonceMismatch`) would compute exactly the
    //! proof the reference computes, and with the matching `v=` the target would accept its
    //! success.

    use super::{NONCE, USER, reference};

    #[test]
    fn the_reference_refuses_a_server_nonce_that_does_not_extend_the_clients() {
        let foreign = b"r=someone-elses-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1";
        assert_eq!(reference::client_final(USER, foreign), None);
    }

    #[test]
    fn the_reference_refuses_a_server_nonce_that_adds_nothing() {
        let same = format!("r={NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1");
        assert_eq!(reference::client_final(USER, same.as_bytes()), None);
    }
}
