//! No secret reaches `Debug` or `Display`: not the credentials, not the responses that
//! carry them, not an exchange at any stage, not an error (SECURITY.md "credentials").

use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams, Secret};

const PASSWORD: &str = "pencil-s3cr3t";
const TOKEN: &str = "ya29.T0K3N";

/// Every way a value can be formatted for a log.
fn renderings(value: &(impl std::fmt::Debug + ?Sized)) -> [String; 2] {
    [format!("{value:?}"), format!("{value:#?}")]
}

fn assert_clean(text: &str) {
    for secret in [PASSWORD, TOKEN, "cGVuY2ls", "czNjcjN0", "VDBLM04"] {
        assert!(!text.contains(secret), "secret {secret:?} in {text}");
    }
}

#[test]
fn secret_and_credentials() {
    let secret = Secret::new(PASSWORD);
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    assert_eq!(format!("{secret}"), "***");
    let credentials = [
        Credentials::password("user", PASSWORD),
        Credentials::oauth2("user", TOKEN),
    ];
    for credentials in &credentials {
        for text in renderings(credentials) {
            assert_clean(&text);
            assert!(text.contains("user"), "the user stays visible: {text}");
        }
    }
}

#[test]
fn every_response_and_exchange_stage() {
    let nonce = "rOprNGfwEbeRWgbNEkqO";
    let params = SaslParams::new()
        .client_nonce(nonce)
        .scram_iteration_bounds(1..=4096);
    let runs: Vec<(Mechanism, Credentials, Vec<Vec<u8>>)> = vec![
        (
            Mechanism::Plain,
            Credentials::password("user", PASSWORD),
            vec![],
        ),
        (
            Mechanism::Login,
            Credentials::password("user", PASSWORD),
            vec![b"Username:".to_vec(), b"Password:".to_vec()],
        ),
        (
            Mechanism::XOAuth2,
            Credentials::oauth2("user", TOKEN),
            vec![b"{}".to_vec()],
        ),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth2("user", TOKEN),
            vec![b"{}".to_vec()],
        ),
        #[cfg(feature = "sasl-cram-md5")]
        (
            Mechanism::CramMd5,
            Credentials::password("user", PASSWORD),
            vec![b"<1@x>".to_vec()],
        ),
        #[cfg(feature = "sasl-scram")]
        (
            Mechanism::ScramSha256,
            Credentials::password("user", PASSWORD),
            vec![format!("r={nonce}srv,s=c2FsdA==,i=16").into_bytes()],
        ),
    ];
    for (mechanism, credentials, challenges) in runs {
        let mut exchange = SaslExchange::new(&mechanism, &credentials, &params).unwrap();
        renderings(&exchange).iter().for_each(|t| assert_clean(t));
        // What is shown instead of the state is its stage, so a log still says where it is.
        let stage = match mechanism {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => "OAuth",
            Mechanism::ScramSha256 => "Scram",
            _ => &format!("{mechanism:?}"),
        };
        let shown = format!("{exchange:?}");
        assert!(shown.contains(&format!("state: {stage},")), "{shown}");
        let mut responses = Vec::new();
        let initial = exchange.initial_response();
        assert_eq!(
            initial.is_some(),
            mechanism.is_client_first(),
            "{mechanism}"
        );
        responses.extend(initial);
        for challenge in &challenges {
            responses.push(exchange.step(challenge).unwrap());
            renderings(&exchange).iter().for_each(|t| assert_clean(t));
        }
        for response in &responses {
            renderings(response).iter().for_each(|t| assert_clean(t));
            let encoded = response.encode_base64();
            renderings(&encoded).iter().for_each(|t| assert_clean(t));
            assert_clean(&encoded.to_string());
        }
        // The secret really is in what goes on the wire, just never in what is logged.
        let wire: Vec<u8> = responses
            .iter()
            .flat_map(|r| r.as_bytes().to_vec())
            .collect();
        let plain_secret = matches!(
            mechanism,
            Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer
        );
        let secret = if matches!(credentials, Credentials::OAuth2 { .. }) {
            TOKEN
        } else {
            PASSWORD
        };
        assert_eq!(
            wire.windows(secret.len()).any(|w| w == secret.as_bytes()),
            plain_secret,
            "{mechanism}"
        );
    }
}

#[test]
fn errors_name_the_field_not_its_value() {
    let credentials = Credentials::password("user", "pencil\0s3cr3t");
    let error = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new()).unwrap_err();
    let text = error.to_string();
    assert_eq!(
        text,
        "SASL Password holds control character 0x00 at position 6"
    );
    assert!(!text.contains("s3cr3t") && !format!("{error:?}").contains("s3cr3t"));
}
