//! Properties over arbitrary credentials: field layout, injection refusal, escaping.

use proptest::prelude::*;
use smtp_proto::auth::{Credentials, Mechanism, SaslError, SaslExchange, SaslParams};

/// Field text without controls (C0, DEL, C1; any other Unicode allowed).
fn field() -> impl Strategy<Value = String> {
    "[^\\x00-\\x1f\\x7f-\\x9f]{1,24}"
}

proptest! {
    #[test]
    fn plain_fields_are_recovered_by_splitting_on_nul(
        authzid in field(), username in field(), password in field()
    ) {
        let credentials = Credentials::password(username.clone(), password.clone());
        let params = SaslParams::new().authzid(authzid.clone());
        let mut plain = SaslExchange::new(&Mechanism::Plain, &credentials, &params).unwrap();
        let message = plain.initial_response().unwrap();
        let parts: Vec<&[u8]> = message.as_bytes().split(|&b| b == 0).collect();
        prop_assert_eq!(parts, vec![authzid.as_bytes(), username.as_bytes(), password.as_bytes()]);
    }

    #[test]
    fn a_control_anywhere_is_refused_by_every_mechanism(
        prefix in field(), control in 0u8..0x20, suffix in field(), in_secret in any::<bool>()
    ) {
        let bad = format!("{prefix}{}{suffix}", char::from(control));
        let (user, secret) = if in_secret { ("user".to_owned(), bad) } else { (bad, "secret".to_owned()) };
        let params = SaslParams::new().client_nonce("nonce");
        for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5, Mechanism::ScramSha256] {
            let credentials = Credentials::password(user.clone(), secret.clone());
            let result = SaslExchange::new(&mechanism, &credentials, &params);
            let refused = matches!(
                result,
                Err(SaslError::InvalidField { .. } | SaslError::UnsupportedMechanism(_))
            );
            prop_assert!(refused, "{}", mechanism);
        }
        for mechanism in [Mechanism::XOAuth2, Mechanism::OAuthBearer] {
            let credentials = Credentials::oauth2(user.clone(), secret.clone());
            let result = SaslExchange::new(&mechanism, &credentials, &params);
            let refused = matches!(result, Err(SaslError::InvalidField { .. }));
            prop_assert!(refused, "{}", mechanism);
        }
    }

    #[test]
    fn gs2_authzid_never_ends_its_attribute_early(user in field()) {
        let credentials = Credentials::oauth2(user.clone(), "token");
        let mut bearer = SaslExchange::new(&Mechanism::OAuthBearer, &credentials, &SaslParams::new()).unwrap();
        let message = bearer.initial_response().unwrap();
        let text = std::str::from_utf8(message.as_bytes()).unwrap();
        let header = text.split('\u{1}').next().unwrap();
        // "n,a=" escaped-name "," : exactly two commas, and unescaping gives the name back.
        prop_assert_eq!(header.matches(',').count(), 2);
        let name = header.strip_prefix("n,a=").unwrap().strip_suffix(',').unwrap();
        prop_assert_eq!(name.replace("=2C", ",").replace("=3D", "="), user);
    }

    #[test]
    fn selection_is_the_first_preferred_offer(
        preference in proptest::sample::subsequence(
            vec![Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login, Mechanism::XOAuth2], 0..4),
        offered in proptest::sample::subsequence(
            vec![Mechanism::Login, Mechanism::Plain, Mechanism::XOAuth2, Mechanism::ScramSha256], 0..4),
    ) {
        let pick = smtp_proto::auth::select_mechanism(&preference, &offered);
        let expected = preference.iter().find(|m| m.is_supported() && offered.contains(m)).cloned();
        prop_assert_eq!(&pick, &expected);
        if let Some(pick) = pick {
            // Nothing the caller preferred more was offered.
            let rank = preference.iter().position(|m| *m == pick).unwrap();
            prop_assert!(preference[..rank].iter().all(|m| !offered.contains(m) || !m.is_supported()));
        }
    }
}
