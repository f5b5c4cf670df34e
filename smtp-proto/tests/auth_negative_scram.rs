//! SCRAM-SHA-256 rejections: forged or missing server signatures, nonce games, `e=`,
//! iteration-count bounds, malformed server-first messages, SASLprep avoidance.
#![cfg(feature = "sasl-scram")]

use smtp_proto::auth::{
    Base64Error, Credentials, Field, FieldProblem, Mechanism, SaslError, SaslExchange, SaslParams,
};

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
        scram_with(relaxed.clone()).step(SERVER_FIRST),
        Err(SaslError::IterationCountTooHigh {
            count: 4096,
            max: 64
        })
    );
    // Both bounds are inclusive.
    for count in ["1", "64"] {
        let step = scram_with(relaxed.clone()).step(&server_first(nonce, count));
        assert!(step.is_ok(), "{count}: {step:?}");
    }
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
    // The nonce is printable ASCII (RFC 5802 §7 `printable`), even where it extends ours,
    // and never empty.
    for nonce in ["", "rOprNGfwEbeRWgbNEkqO\x7f", "rOprNGfwEbeRWgbNEkqO x"] {
        assert!(
            matches!(
                scram().step(&server_first(nonce, "4096")),
                Err(SaslError::MalformedChallenge { .. })
            ),
            "{nonce:?}"
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
        SaslExchange::new(&Mechanism::ScramSha256, &credentials, &SaslParams::new()).unwrap_err(),
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
