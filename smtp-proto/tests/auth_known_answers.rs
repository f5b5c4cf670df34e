//! Known answers from the specifications' own examples, driven through the public API the
//! way the SMTP layer will: base64 in, base64 out.

use smtp_proto::auth::{
    Credentials, Mechanism, SaslError, SaslExchange, SaslParams, decode_base64,
};

fn start(mechanism: Mechanism, credentials: &Credentials, params: &SaslParams) -> SaslExchange {
    SaslExchange::new(&mechanism, credentials, params).unwrap()
}

/// Answers a base64 challenge with a base64 response, as over SMTP.
fn answer(exchange: &mut SaslExchange, challenge: &str) -> String {
    let decoded = decode_base64(challenge.as_bytes()).unwrap();
    exchange
        .step(&decoded)
        .unwrap()
        .encode_base64()
        .expose()
        .to_owned()
}

#[test]
fn rfc_4616_plain_examples() {
    // §4: authcid "tim", password "tanstaaftanstaaf", no authzid.
    let tim = Credentials::password("tim", "tanstaaftanstaaf");
    let mut plain = start(Mechanism::Plain, &tim, &SaslParams::new());
    let initial = plain.initial_response().unwrap();
    assert_eq!(
        initial.encode_base64().expose(),
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
    );
    assert!(plain.initial_response().is_none());
    plain.finish(None).unwrap();

    // §4: authzid "Ursel", authcid "Kurt", password "xipj3plmq".
    let kurt = Credentials::password("Kurt", "xipj3plmq");
    let mut plain = start(Mechanism::Plain, &kurt, &SaslParams::new().authzid("Ursel"));
    let initial = plain.initial_response().unwrap();
    assert_eq!(initial.as_bytes(), b"Ursel\0Kurt\0xipj3plmq");
    assert_eq!(
        initial.encode_base64().expose(),
        "VXJzZWwAS3VydAB4aXBqM3BsbXE="
    );
}

#[test]
fn plain_without_initial_response_answers_the_empty_challenge() {
    // RFC 4954 §4 / RFC 4422 §5: AUTH PLAIN, then "334 " with an empty challenge.
    let tim = Credentials::password("tim", "tanstaaftanstaaf");
    let mut plain = start(Mechanism::Plain, &tim, &SaslParams::new());
    assert_eq!(answer(&mut plain, ""), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    assert!(matches!(
        plain.step(b""),
        Err(SaslError::UnexpectedChallenge { step: 2, .. })
    ));
}

#[test]
fn login_draft_example() {
    // draft-murchison-sasl-login §4 (IMAP example): "User Name\0", "Password\0".
    let tim = Credentials::password("tim", "tanstaaftanstaaf");
    let mut login = start(Mechanism::Login, &tim, &SaslParams::new());
    assert!(login.initial_response().is_none());
    assert_eq!(answer(&mut login, "VXNlciBOYW1lAA=="), "dGlt");
    assert_eq!(
        answer(&mut login, "UGFzc3dvcmQA"),
        "dGFuc3RhYWZ0YW5zdGFhZg=="
    );
    login.finish(None).unwrap();
}

#[test]
fn login_with_the_usual_smtp_prompts() {
    // "334 VXNlcm5hbWU6" (Username:) and "334 UGFzc3dvcmQ6" (Password:).
    let tim = Credentials::password("tim", "tanstaaftanstaaf");
    let mut login = start(Mechanism::Login, &tim, &SaslParams::new());
    assert_eq!(answer(&mut login, "VXNlcm5hbWU6"), "dGlt");
    assert_eq!(
        answer(&mut login, "UGFzc3dvcmQ6"),
        "dGFuc3RhYWZ0YW5zdGFhZg=="
    );
}

#[test]
fn xoauth2_documentation_example() {
    // Google's XOAUTH2 protocol page, "Initial Client Response".
    let credentials = Credentials::oauth2(
        "someuser@example.com",
        "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
    );
    let mut xoauth2 = start(Mechanism::XOAuth2, &credentials, &SaslParams::new());
    let initial = xoauth2.initial_response().unwrap();
    assert_eq!(
        initial.as_bytes(),
        b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
    );
    assert_eq!(
        initial.encode_base64().expose(),
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    );
    xoauth2.finish(None).unwrap();
}

#[test]
fn xoauth2_error_challenge_gets_an_empty_response() {
    // The documented failure: a base64 JSON challenge, an empty answer, then 535.
    let credentials = Credentials::oauth2("someuser@example.com", "expired");
    let mut xoauth2 = start(Mechanism::XOAuth2, &credentials, &SaslParams::new());
    xoauth2.initial_response().unwrap();
    let json = "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==";
    assert_eq!(answer(&mut xoauth2, json), "");
    assert_eq!(
        xoauth2.server_error(),
        Some(r#"{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}"#)
    );
    assert!(matches!(
        xoauth2.step(b"{}"),
        Err(SaslError::UnexpectedChallenge { .. })
    ));
}

#[test]
fn rfc_7628_oauthbearer_example() {
    // §4.1: authzid user@example.com, host server.example.com, port 143.
    let credentials = Credentials::oauth2(
        "user@example.com",
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
    );
    let params = SaslParams::new().host("server.example.com").port(143);
    let mut bearer = start(Mechanism::OAuthBearer, &credentials, &params);
    let initial = bearer.initial_response().unwrap();
    assert_eq!(
        initial.encode_base64().expose(),
        "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
    );
    bearer.finish(None).unwrap();
}

#[test]
fn rfc_7628_failed_exchange_answers_ctrl_a() {
    // §4.3 (SMTP): the error challenge is answered with %x01 ("AQ=="), then 535.
    let credentials = Credentials::oauth2(
        "user@example.com",
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
    );
    let params = SaslParams::new().host("server.example.com").port(587);
    let mut bearer = start(Mechanism::OAuthBearer, &credentials, &params);
    let initial = bearer.initial_response().unwrap();
    assert!(
        initial
            .as_bytes()
            .starts_with(b"n,a=user@example.com,\x01host=server.example.com\x01port=587\x01")
    );
    let json = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";
    assert_eq!(answer(&mut bearer, json), "AQ==");
    assert!(
        bearer
            .server_error()
            .unwrap()
            .starts_with(r#"{"status":"invalid_token""#)
    );
    // A 235 after the error challenge is not believed.
    assert_eq!(
        bearer.finish(None),
        Err(SaslError::SuccessAfterError(Mechanism::OAuthBearer))
    );
}

#[cfg(feature = "sasl-cram-md5")]
#[test]
fn rfc_2195_cram_md5_example() {
    let tim = Credentials::password("tim", "tanstaaftanstaaf");
    let mut cram = start(Mechanism::CramMd5, &tim, &SaslParams::new());
    assert!(cram.initial_response().is_none());
    let challenge = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
    assert_eq!(
        decode_base64(challenge.as_bytes()).unwrap(),
        b"<1896.697170952@postoffice.reston.mci.net>"
    );
    assert_eq!(
        answer(&mut cram, challenge),
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    );
    cram.finish(None).unwrap();
}

#[cfg(feature = "sasl-scram")]
mod scram {
    use super::*;

    const SERVER_FIRST: &[u8] =
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const SERVER_FINAL: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    /// RFC 7677 §3: user "user", password "pencil", client nonce "rOprNGfwEbeRWgbNEkqO".
    fn rfc_7677() -> SaslExchange {
        let credentials = Credentials::password("user", "pencil");
        let params = SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO");
        SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap()
    }

    #[test]
    fn rfc_7677_client_messages() {
        let mut scram = rfc_7677();
        assert_eq!(
            scram.initial_response().unwrap().as_bytes(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let client_final = scram.step(SERVER_FIRST).unwrap();
        assert_eq!(
            client_final.as_bytes(),
            &b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="[..]
        );
    }

    #[test]
    fn rfc_7677_server_final_in_the_last_334() {
        let mut scram = rfc_7677();
        scram.initial_response().unwrap();
        scram.step(SERVER_FIRST).unwrap();
        assert!(scram.awaits_server_final());
        assert!(scram.step(SERVER_FINAL).unwrap().is_empty());
        assert!(!scram.awaits_server_final());
        scram.finish(None).unwrap();
    }

    #[test]
    fn rfc_7677_server_final_as_235_additional_data() {
        let mut scram = rfc_7677();
        scram.initial_response().unwrap();
        scram.step(SERVER_FIRST).unwrap();
        scram.finish(Some(SERVER_FINAL)).unwrap();
    }

    #[test]
    fn rfc_7677_without_initial_response() {
        let mut scram = rfc_7677();
        assert_eq!(
            scram.step(b"").unwrap().as_bytes(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        scram.step(SERVER_FIRST).unwrap();
        scram.step(SERVER_FINAL).unwrap();
        scram.finish(None).unwrap();
    }

    #[test]
    fn authzid_and_username_are_escaped() {
        let credentials = Credentials::password("a,b=c", "pencil");
        let params = SaslParams::new().client_nonce("abc").authzid("x=y,z");
        let mut scram = SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap();
        assert_eq!(
            scram.initial_response().unwrap().as_bytes(),
            b"n,a=x=3Dy=2Cz,n=a=2Cb=3Dc,r=abc"
        );
    }
}
