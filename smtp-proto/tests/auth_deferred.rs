//! RFC 4954 §4 deferral end to end: an initial response too long for the 512-octet AUTH
//! line goes after the server's empty 334, byte for byte what the line would have carried,
//! and the rest of the exchange succeeds, for every client-first mechanism.

use smtp_proto::auth::{
    Credentials, Mechanism, SaslError, SaslExchange, SaslParams, SaslResponse, encode_base64,
};
use smtp_proto::command::{Auth, InitialResponse, encode_sasl_response};

/// Sends AUTH as the client will, asserts it was deferred, hands the response back, and
/// returns the raw bytes that did not fit.
fn send_deferred_auth(exchange: &mut SaslExchange) -> Vec<u8> {
    let initial = exchange.initial_response().unwrap();
    let raw = initial.as_bytes().to_vec();
    let auth = Auth::new(exchange.mechanism().clone(), Some(initial));
    let mut out = Vec::new();
    assert_eq!(auth.encode(&mut out), InitialResponse::Deferred);
    assert_eq!(out, format!("AUTH {}\r\n", exchange.mechanism()).as_bytes());
    // On the line it would have been over 512 octets.
    let would_be = 5 + exchange.mechanism().as_str().len() + 1 + encode_base64(&raw).len() + 2;
    assert!(would_be > 512, "{would_be}");
    exchange.defer_initial_response(auth.into_initial_response().unwrap());
    raw
}

/// Answers the server's empty 334 (`334 `) and checks the line is exactly the base64 of
/// the deferred bytes.
fn answer_empty_challenge(exchange: &mut SaslExchange, raw: &[u8]) {
    let answer = exchange.step(b"").unwrap();
    assert_eq!(answer.as_bytes(), raw);
    let mut line = Vec::new();
    encode_sasl_response(&answer, &mut line).unwrap();
    assert_eq!(line, format!("{}\r\n", encode_base64(raw)).as_bytes());
}

#[test]
fn plain_with_a_400_character_password() {
    let password = "p".repeat(400);
    let credentials = Credentials::password("tim", password.as_str());
    let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap();
    let raw = send_deferred_auth(&mut plain);
    assert_eq!(raw, [b"\0tim\0".as_slice(), password.as_bytes()].concat());
    answer_empty_challenge(&mut plain, &raw);
    plain.finish(None).unwrap();
}

#[test]
fn xoauth2_with_a_long_token() {
    let token = "t".repeat(500);
    let credentials = Credentials::oauth2("someuser@example.com", token.as_str());
    let mut xoauth2 =
        SaslExchange::new(&Mechanism::XOAuth2, &credentials, &SaslParams::new()).unwrap();
    let raw = send_deferred_auth(&mut xoauth2);
    assert_eq!(
        raw,
        format!("user=someuser@example.com\x01auth=Bearer {token}\x01\x01").as_bytes()
    );
    answer_empty_challenge(&mut xoauth2, &raw);
    xoauth2.finish(None).unwrap();
}

#[test]
fn xoauth2_error_challenge_after_deferral() {
    let token = "t".repeat(500);
    let credentials = Credentials::oauth2("someuser@example.com", token.as_str());
    let mut xoauth2 =
        SaslExchange::new(&Mechanism::XOAuth2, &credentials, &SaslParams::new()).unwrap();
    let raw = send_deferred_auth(&mut xoauth2);
    answer_empty_challenge(&mut xoauth2, &raw);
    assert!(xoauth2.step(br#"{"status":"401"}"#).unwrap().is_empty());
    assert_eq!(xoauth2.server_error(), Some(r#"{"status":"401"}"#));
}

#[test]
fn oauthbearer_with_a_long_token() {
    let token = "t".repeat(500);
    let credentials = Credentials::oauth2("user@example.com", token.as_str());
    let params = SaslParams::new().host("server.example.com").port(587);
    let mut bearer = SaslExchange::new(&Mechanism::OAuthBearer, &credentials, &params).unwrap();
    let raw = send_deferred_auth(&mut bearer);
    assert_eq!(
        raw,
        format!(
            "n,a=user@example.com,\x01host=server.example.com\x01port=587\x01auth=Bearer {token}\x01\x01"
        )
        .as_bytes()
    );
    answer_empty_challenge(&mut bearer, &raw);
    bearer.finish(None).unwrap();
}

#[test]
fn a_non_empty_challenge_after_deferral_ends_the_exchange() {
    let password = "p".repeat(400);
    let credentials = Credentials::password("tim", password.as_str());
    let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap();
    send_deferred_auth(&mut plain);
    assert_eq!(
        plain.step(b"hello"),
        Err(SaslError::UnexpectedChallenge {
            mechanism: Mechanism::Plain,
            step: 1
        })
    );
    assert_eq!(plain.step(b""), Err(SaslError::Ended));
    assert_eq!(plain.finish(None), Err(SaslError::Ended));
}

#[test]
fn a_response_neither_sent_nor_handed_back_is_never_replaced_by_an_empty_answer() {
    // The original defect: taken out, deferred by AUTH, not given back.
    let password = "p".repeat(400);
    let credentials = Credentials::password("tim", password.as_str());
    let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap();
    let auth = Auth::new(Mechanism::Plain, plain.initial_response());
    assert_eq!(auth.encode(&mut Vec::new()), InitialResponse::Deferred);
    assert_eq!(
        plain.step(b""),
        Err(SaslError::UnexpectedChallenge {
            mechanism: Mechanism::Plain,
            step: 1
        })
    );
}

#[test]
fn deferral_after_the_end_is_ignored() {
    let credentials = Credentials::password("tim", "tanstaaf");
    let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap();
    let initial = plain.initial_response().unwrap();
    plain.finish(None).unwrap();
    plain.defer_initial_response(initial);
    assert_eq!(plain.step(b""), Err(SaslError::Ended));
}

#[test]
fn a_short_response_goes_on_the_line_and_is_not_repeated() {
    let credentials = Credentials::password("tim", "tanstaaftanstaaf");
    let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap();
    let auth = Auth::new(Mechanism::Plain, plain.initial_response());
    let mut out = Vec::new();
    assert_eq!(auth.encode(&mut out), InitialResponse::Sent);
    assert_eq!(out, b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    assert!(matches!(
        plain.step(b""),
        Err(SaslError::UnexpectedChallenge { .. })
    ));
}

#[test]
fn external_code_builds_its_own_response() {
    // A mechanism outside the crate (EXTERNAL, RFC 4422 appendix A) with an authzid.
    let response = SaslResponse::from(b"admin".to_vec());
    let auth = Auth::new("EXTERNAL".parse().unwrap(), Some(response));
    let mut out = Vec::new();
    assert_eq!(auth.encode(&mut out), InitialResponse::Sent);
    assert_eq!(out, b"AUTH EXTERNAL YWRtaW4=\r\n");
    assert_eq!(
        format!("{auth:?}"),
        r#"Auth { mechanism: Other(OtherMechanism("EXTERNAL")), initial_response: Some("<redacted, 5 octets>") }"#
    );
}

#[cfg(feature = "sasl-scram")]
mod scram {
    //! SCRAM-SHA-256 with a 400-character user name, the server side computed here from
    //! RFC 5802 §3 (hmac, sha2 and pbkdf2 are the crate's own optional dependencies).

    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    use smtp_proto::auth::decode_base64;

    const PASSWORD: &str = "pencil";
    const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SALT: &[u8] = b"a salt of sixteen";
    const ITERATIONS: u32 = 4096;

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// The server's view: its first message, the client-final it expects, and its final.
    struct Server {
        first: String,
        expected_client_final: String,
        last: String,
    }

    fn server(client_first_bare: &str) -> Server {
        let nonce = format!("{CLIENT_NONCE}%hvYDpWUa2RaTCAfuxFIlj");
        let first = format!("r={nonce},s={},i={ITERATIONS}", encode_base64(SALT));
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{first},{without_proof}");
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2::<Hmac<Sha256>>(PASSWORD.as_bytes(), SALT, ITERATIONS, &mut salted).unwrap();
        let client_key = hmac(&salted, b"Client Key");
        let signature = hmac(&Sha256::digest(&client_key), auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = hmac(&hmac(&salted, b"Server Key"), auth_message.as_bytes());
        Server {
            first,
            expected_client_final: format!("{without_proof},p={}", encode_base64(&proof)),
            last: format!("v={}", encode_base64(&server_signature)),
        }
    }

    fn long_user() -> (String, SaslExchange) {
        let user = "u".repeat(400);
        let credentials = Credentials::password(user.as_str(), PASSWORD);
        let params = SaslParams::new().client_nonce(CLIENT_NONCE);
        let scram = SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap();
        (user, scram)
    }

    #[test]
    fn deferred_client_first_then_verified_server_signature() {
        let (user, mut scram) = long_user();
        let raw = send_deferred_auth(&mut scram);
        let bare = format!("n={user},r={CLIENT_NONCE}");
        assert_eq!(raw, format!("n,,{bare}").as_bytes());
        answer_empty_challenge(&mut scram, &raw);
        let server = server(&bare);
        let client_final = scram.step(server.first.as_bytes()).unwrap();
        assert_eq!(
            client_final.as_bytes(),
            server.expected_client_final.as_bytes()
        );
        assert!(scram.awaits_server_final());
        assert!(scram.step(server.last.as_bytes()).unwrap().is_empty());
        scram.finish(None).unwrap();
    }

    #[test]
    fn deferred_client_first_then_server_final_with_235() {
        let (user, mut scram) = long_user();
        let raw = send_deferred_auth(&mut scram);
        answer_empty_challenge(&mut scram, &raw);
        let server = server(&format!("n={user},r={CLIENT_NONCE}"));
        scram.step(server.first.as_bytes()).unwrap();
        scram.finish(Some(server.last.as_bytes())).unwrap();
    }

    #[test]
    fn deferred_client_first_then_forged_server_signature() {
        let (user, mut scram) = long_user();
        let raw = send_deferred_auth(&mut scram);
        answer_empty_challenge(&mut scram, &raw);
        let server = server(&format!("n={user},r={CLIENT_NONCE}"));
        scram.step(server.first.as_bytes()).unwrap();
        let mut signature = decode_base64(&server.last.as_bytes()[2..]).unwrap();
        signature[0] ^= 1;
        let forged = format!("v={}", encode_base64(&signature));
        assert_eq!(
            scram.step(forged.as_bytes()),
            Err(SaslError::ServerSignatureMismatch)
        );
    }
}
