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

#[cfg(feature = "sasl-scram")]
mod scram {
    use super::*;

    const SERVER_FIRST: &[u8] =
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    fn scram_with(params: SaslParams) -> SaslExchange {
        let credentials = Credentials::password("user", "pencil");
        let mut scram = SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap();
        scram.initial_response().unwrap();
        scram
    }

    fn scram() -> SaslExchange {
        scram_with(SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO"))
    }

    fn server_first(nonce: &str, count: &str) -> Vec<u8> {
        format!("r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i={count}").into_bytes()
    }

    #[test]
    fn bad_server_signature_fails_in_334_and_in_235() {
        // The RFC 7677 signature with its first symbol changed.
        let forged = b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.step(forged),
            Err(SaslError::ServerSignatureMismatch)
        );
        assert_eq!(exchange.finish(None), Err(SaslError::Ended));

        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.finish(Some(forged)),
            Err(SaslError::ServerSignatureMismatch)
        );
        // A signature of the wrong length is a mismatch too, not a panic.
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.step(b"v=AAAA"),
            Err(SaslError::ServerSignatureMismatch)
        );
    }

    #[test]
    fn success_without_server_signature_is_refused() {
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.finish(None),
            Err(SaslError::ServerSignatureMissing)
        );
        // 235 right after the client-first: the server proved nothing.
        assert_eq!(scram().finish(None), Err(SaslError::ServerSignatureMissing));
    }

    #[test]
    fn nonce_must_extend_the_client_nonce() {
        for nonce in ["XOprNGfwEbeRWgbNEkqO%hv", "rOprNGfwEbeRWgbNEkqO", "rOprNG"] {
            assert_eq!(
                scram().step(&server_first(nonce, "4096")),
                Err(SaslError::NonceMismatch),
                "{nonce}"
            );
        }
    }

    #[test]
    fn server_error_is_reported() {
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.step(b"e=invalid-proof"),
            Err(SaslError::ServerError("invalid-proof".into()))
        );
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        assert_eq!(
            exchange.finish(Some(b"e=other-error,x=1")),
            Err(SaslError::ServerError("other-error".into()))
        );
    }

    #[test]
    fn iteration_count_is_bounded() {
        let nonce = "rOprNGfwEbeRWgbNEkqOsrv";
        assert_eq!(
            scram().step(&server_first(nonce, "1000001")),
            Err(SaslError::IterationCountTooHigh {
                count: 1_000_001,
                max: 1_000_000
            })
        );
        assert_eq!(
            scram().step(&server_first(nonce, "4294967295")),
            Err(SaslError::IterationCountTooHigh {
                count: u32::MAX,
                max: 1_000_000
            })
        );
        assert_eq!(
            scram().step(&server_first(nonce, "4095")),
            Err(SaslError::IterationCountTooLow {
                count: 4095,
                min: 4096
            })
        );
        let relaxed = SaslParams::new()
            .client_nonce("rOprNGfwEbeRWgbNEkqO")
            .scram_iteration_bounds(1..=64);
        assert!(
            scram_with(relaxed.clone())
                .step(&server_first(nonce, "2"))
                .is_ok()
        );
        assert_eq!(
            scram_with(relaxed).step(SERVER_FIRST),
            Err(SaslError::IterationCountTooHigh {
                count: 4096,
                max: 64
            })
        );
    }

    #[test]
    fn malformed_server_first_messages() {
        assert_eq!(
            scram().step(&[b"m=ext,", SERVER_FIRST].concat()),
            Err(SaslError::MandatoryExtension)
        );
        assert_eq!(
            scram().step(b"r=rOprNGfwEbeRWgbNEkqOx,s=W22Z*J0S,i=4096"),
            Err(SaslError::Base64(Base64Error::InvalidByte {
                position: 4,
                byte: b'*'
            }))
        );
        for message in [
            &b""[..],
            b"r=rOprNGfwEbeRWgbNEkqOx",
            b"r=rOprNGfwEbeRWgbNEkqOx,i=1,s=QUJD",
            b"\xff",
        ] {
            assert!(
                matches!(
                    scram().step(message),
                    Err(SaslError::MalformedChallenge { .. })
                ),
                "{message:?}"
            );
        }
    }

    #[test]
    fn a_third_challenge_after_verification_is_refused() {
        let mut exchange = scram();
        exchange.step(SERVER_FIRST).unwrap();
        exchange
            .step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(matches!(
            exchange.step(b""),
            Err(SaslError::UnexpectedChallenge { step: 3, .. })
        ));
    }

    #[test]
    fn saslprep_is_avoided_by_refusing_non_ascii() {
        let params = SaslParams::new().client_nonce("abc");
        let refused = [
            (
                Credentials::password("user", "pässword"),
                Field::Password,
                1,
            ),
            (Credentials::password("üser", "pencil"), Field::Username, 0),
        ];
        for (credentials, field, position) in refused {
            assert_eq!(
                SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap_err(),
                SaslError::InvalidField {
                    field,
                    problem: FieldProblem::NonAscii { position }
                }
            );
        }
    }

    #[test]
    fn client_nonce_is_required_and_checked() {
        let credentials = Credentials::password("user", "pencil");
        assert_eq!(
            SaslExchange::new(&Mechanism::ScramSha256, &credentials, &SaslParams::new())
                .unwrap_err(),
            SaslError::MissingClientNonce
        );
        let params = SaslParams::new().client_nonce("ab,c");
        assert_eq!(
            SaslExchange::new(&Mechanism::ScramSha256, &credentials, &params).unwrap_err(),
            SaslError::InvalidField {
                field: Field::ClientNonce,
                problem: FieldProblem::Forbidden {
                    position: 2,
                    byte: b','
                }
            }
        );
    }
}
