//! Rejections: every malformed, unexpected or hostile input ends the exchange with the
//! exact error variant, and nothing after an error is answered.

use smtp_proto::auth::{
    Base64Error, Credentials, Field, FieldProblem, Mechanism, SaslError, SaslExchange, SaslParams,
    decode_base64,
};

fn password() -> Credentials {
    Credentials::password("tim", "tanstaaftanstaaf")
}

fn start(mechanism: Mechanism, credentials: &Credentials) -> Result<SaslExchange, SaslError> {
    SaslExchange::new(&mechanism, credentials, &SaslParams::new())
}

#[test]
fn malformed_base64_is_a_typed_error() {
    assert_eq!(
        decode_base64(b"VXNl*"),
        Err(Base64Error::InvalidByte {
            position: 4,
            byte: b'*'
        })
    );
    assert_eq!(
        decode_base64(b"VXNlc"),
        Err(Base64Error::InvalidLength { len: 5 })
    );
    assert_eq!(
        decode_base64(b"VXNlcm5hbWU6\r\n"),
        Err(Base64Error::InvalidByte {
            position: 12,
            byte: b'\r'
        })
    );
    assert_eq!(
        decode_base64(b"VX-l"),
        Err(Base64Error::InvalidByte {
            position: 2,
            byte: b'-'
        })
    );
}

#[test]
fn nul_and_controls_in_fields_are_refused_before_anything_is_sent() {
    let cases = [
        (
            Mechanism::Plain,
            Credentials::password("ti\0m", "pw"),
            Field::Username,
            2,
            0,
        ),
        (
            Mechanism::Plain,
            Credentials::password("tim", "p\0w"),
            Field::Password,
            1,
            0,
        ),
        (
            Mechanism::Login,
            Credentials::password("tim\r\nRSET", "pw"),
            Field::Username,
            3,
            b'\r',
        ),
        (
            Mechanism::Login,
            Credentials::password("tim", "pw\n"),
            Field::Password,
            2,
            b'\n',
        ),
        (
            Mechanism::XOAuth2,
            Credentials::oauth2("u\x01auth=x", "t"),
            Field::Username,
            1,
            1,
        ),
        (
            Mechanism::XOAuth2,
            Credentials::oauth2("u", "t\x01\x01"),
            Field::Token,
            1,
            1,
        ),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth2("u", "t\x01"),
            Field::Token,
            1,
            1,
        ),
        (
            Mechanism::OAuthBearer,
            Credentials::oauth2("u\x01", "t"),
            Field::Username,
            1,
            1,
        ),
    ];
    for (mechanism, credentials, field, position, byte) in cases {
        assert_eq!(
            start(mechanism.clone(), &credentials).unwrap_err(),
            SaslError::InvalidField {
                field,
                problem: FieldProblem::Control { position, byte }
            },
            "{mechanism}"
        );
    }
    let params = SaslParams::new().authzid("ad\0min");
    assert!(matches!(
        SaslExchange::new(&Mechanism::Plain, &password(), &params),
        Err(SaslError::InvalidField {
            field: Field::Authzid,
            ..
        })
    ));
    let params = SaslParams::new().authzid("a\x01b");
    assert_eq!(
        SaslExchange::new(
            &Mechanism::OAuthBearer,
            &Credentials::oauth2("u", "t"),
            &params
        )
        .unwrap_err(),
        SaslError::InvalidField {
            field: Field::Authzid,
            problem: FieldProblem::Control {
                position: 1,
                byte: 1
            }
        }
    );
    let params = SaslParams::new().host("evil\x01auth=Bearer x");
    assert!(matches!(
        SaslExchange::new(
            &Mechanism::OAuthBearer,
            &Credentials::oauth2("u", "t"),
            &params
        ),
        Err(SaslError::InvalidField {
            field: Field::Host,
            ..
        })
    ));
}

#[test]
fn plain_needs_username_and_password() {
    assert_eq!(
        start(Mechanism::Plain, &Credentials::password("", "pw")).unwrap_err(),
        SaslError::InvalidField {
            field: Field::Username,
            problem: FieldProblem::Empty
        }
    );
    assert_eq!(
        start(Mechanism::Plain, &Credentials::password("tim", "")).unwrap_err(),
        SaslError::InvalidField {
            field: Field::Password,
            problem: FieldProblem::Empty
        }
    );
    // PLAIN passes UTF-8 through: the server prepares it (RFC 4616 §2).
    let mut plain = start(Mechanism::Plain, &Credentials::password("Kürt", "pässwort")).unwrap();
    assert_eq!(
        plain.initial_response().unwrap().as_bytes(),
        "\0Kürt\0pässwort".as_bytes()
    );
}

#[test]
fn wrong_credentials_unknown_mechanisms_and_authzid_are_refused() {
    let token = Credentials::oauth2("u", "t");
    assert_eq!(
        start(Mechanism::Plain, &token).unwrap_err(),
        SaslError::CredentialsMismatch(Mechanism::Plain)
    );
    assert_eq!(
        start(Mechanism::XOAuth2, &password()).unwrap_err(),
        SaslError::CredentialsMismatch(Mechanism::XOAuth2)
    );
    let ntlm: Mechanism = "ntlm".parse().unwrap();
    assert_eq!(
        start(ntlm.clone(), &password()).unwrap_err(),
        SaslError::UnsupportedMechanism(ntlm)
    );
    for mechanism in [Mechanism::Login, Mechanism::XOAuth2] {
        let credentials = if mechanism == Mechanism::Login {
            password()
        } else {
            token.clone()
        };
        let params = SaslParams::new().authzid("other");
        assert_eq!(
            SaslExchange::new(&mechanism, &credentials, &params).unwrap_err(),
            SaslError::AuthzidUnsupported(mechanism)
        );
    }
}

#[test]
fn an_extra_challenge_is_an_error_for_every_mechanism() {
    let token = Credentials::oauth2("u", "t");
    let runs: [(Mechanism, &Credentials, &[&[u8]]); 4] = [
        (Mechanism::Plain, &password(), &[]),
        (Mechanism::Login, &password(), &[b"Username:", b"Password:"]),
        (Mechanism::XOAuth2, &token, &[b"{}"]),
        (Mechanism::OAuthBearer, &token, &[b"{}"]),
    ];
    for (mechanism, credentials, challenges) in runs {
        let mut exchange = start(mechanism.clone(), credentials).unwrap();
        let _ = exchange.initial_response();
        for challenge in challenges {
            exchange.step(challenge).unwrap();
        }
        assert_eq!(
            exchange.step(b"again"),
            Err(SaslError::UnexpectedChallenge {
                mechanism,
                step: challenges.len() + 1
            })
        );
        // The exchange is over: no further step, no success.
        assert_eq!(exchange.step(b""), Err(SaslError::Ended));
        assert_eq!(exchange.finish(None), Err(SaslError::Ended));
    }
}

#[test]
fn non_empty_challenge_while_the_initial_response_is_due() {
    let mut plain = start(Mechanism::Plain, &password()).unwrap();
    assert_eq!(
        plain.step(b"hello"),
        Err(SaslError::UnexpectedChallenge {
            mechanism: Mechanism::Plain,
            step: 1
        })
    );
}

#[test]
fn login_refuses_a_prompt_for_the_other_field() {
    let mut login = start(Mechanism::Login, &password()).unwrap();
    assert_eq!(
        login.step(b"Password:"),
        Err(SaslError::LoginPromptMismatch {
            asked: "password",
            expected: "username"
        })
    );
    let mut login = start(Mechanism::Login, &password()).unwrap();
    login.step(b"Username:").unwrap();
    assert_eq!(
        login.step(b"Username:"),
        Err(SaslError::LoginPromptMismatch {
            asked: "username",
            expected: "password"
        })
    );
}

#[test]
fn additional_data_with_success_is_refused_where_unexpected() {
    let mut plain = start(Mechanism::Plain, &password()).unwrap();
    plain.initial_response().unwrap();
    assert_eq!(
        plain.finish(Some(b"x")),
        Err(SaslError::UnexpectedAdditionalData(Mechanism::Plain))
    );
}

#[cfg(feature = "sasl-cram-md5")]
#[test]
fn cram_md5_refuses_an_empty_challenge_and_a_second_one() {
    let mut cram = start(Mechanism::CramMd5, &password()).unwrap();
    assert!(matches!(
        cram.step(b""),
        Err(SaslError::MalformedChallenge {
            reason: "empty challenge",
            ..
        })
    ));
    let mut cram = start(Mechanism::CramMd5, &password()).unwrap();
    cram.step(b"<1@x>").unwrap();
    assert!(matches!(
        cram.step(b"<2@x>"),
        Err(SaslError::UnexpectedChallenge { step: 2, .. })
    ));
}

/// A named authzid must name someone: `a=` takes a `saslname` of at least one character
/// (RFC 5802 §7, RFC 5801 §4), so an empty one is refused before anything is sent (PLAIN's
/// empty authzid is its way of naming none, RFC 4616 §2).
#[test]
fn an_empty_authzid_is_refused_where_the_grammar_needs_one() {
    let params = SaslParams::new()
        .authzid("")
        .client_nonce("rOprNGfwEbeRWgbNEkqO");
    let empty = SaslError::InvalidField {
        field: Field::Authzid,
        problem: FieldProblem::Empty,
    };
    let oauth = Credentials::oauth2("u", "t");
    assert_eq!(
        SaslExchange::new(&Mechanism::OAuthBearer, &oauth, &params).unwrap_err(),
        empty
    );
    #[cfg(feature = "sasl-scram")]
    assert_eq!(
        SaslExchange::new(&Mechanism::ScramSha256, &password(), &params).unwrap_err(),
        empty
    );
    assert!(SaslExchange::new(&Mechanism::Plain, &password(), &params).is_ok());
}

/// Padding is all or nothing (RFC 4648 §4): a challenge with part of it is malformed.
#[test]
fn partial_base64_padding_is_a_typed_error() {
    assert_eq!(decode_base64(b"dGltCg=="), Ok(b"tim\n".to_vec()));
    assert_eq!(decode_base64(b"dGltCg"), Ok(b"tim\n".to_vec()));
    assert_eq!(decode_base64(b"dGltCg="), Err(Base64Error::InvalidPadding));
}

/// An OAUTHBEARER `host=` value is ASCII (RFC 7628 §3.1): a host name with U-labels goes
/// as its A-labels, and a non-ASCII host that is no domain is refused.
#[test]
fn an_oauthbearer_host_goes_in_ascii() {
    let credentials = Credentials::oauth2("u", "t");
    let params = SaslParams::new().host("bücher.example").port(587);
    let mut exchange = SaslExchange::new(&Mechanism::OAuthBearer, &credentials, &params).unwrap();
    let message = exchange.initial_response().unwrap();
    assert_eq!(
        message.as_bytes(),
        b"n,a=u,\x01host=xn--bcher-kva.example\x01port=587\x01auth=Bearer t\x01\x01"
    );
    let params = SaslParams::new().host("bü cher");
    assert!(matches!(
        SaslExchange::new(&Mechanism::OAuthBearer, &credentials, &params),
        Err(SaslError::InvalidField {
            field: Field::Host,
            problem: FieldProblem::NonAscii { position: 1 },
        })
    ));
}
