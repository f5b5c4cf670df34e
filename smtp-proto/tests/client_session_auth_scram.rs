//! SCRAM-SHA-256 through the driver (RFC 7677 §3 known answer): the server must prove
//! it knows the password, in the last 334 or in the 235.
#![cfg(feature = "sasl-scram")]

mod client_support;

use client_support::{ready, run_both};
use smtp_proto::auth::{Credentials, Mechanism, SaslError, SaslParams};
use smtp_proto::client::Client;
use smtp_proto::command::Authenticate;
use smtp_proto::error::ProtocolError;

const CLIENT_FIRST: &str = "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=";
const SERVER_FIRST: &[u8] = b"334 cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=\r\n";
const CLIENT_FINAL: &str = "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==";
const SERVER_FINAL: &str = "dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==";
const FORGED_FINAL: &str = "dj1BQUFBVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==";

fn tls() -> Client {
    ready("250-mx\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n", true)
}

fn scram() -> Authenticate {
    Authenticate::new(Credentials::password("user", "pencil"))
        .params(SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO"))
}

#[test]
fn server_final_in_the_last_334() {
    let server_final = format!("334 {SERVER_FINAL}\r\n");
    let run = run_both(
        tls,
        scram,
        &[SERVER_FIRST, server_final.as_bytes(), b"235 ok\r\n"],
    );
    assert_eq!(
        run.written,
        format!("AUTH SCRAM-SHA-256 {CLIENT_FIRST}\r\n{CLIENT_FINAL}\r\n\r\n")
    );
    assert_eq!(run.log[0], "AUTH SCRAM-SHA-256 [secret]");
    assert!(!run.log.join("\n").contains(CLIENT_FINAL));
    assert_eq!(run.ok(), Mechanism::ScramSha256);
}

#[test]
fn server_final_as_235_additional_data() {
    let success = format!("235 {SERVER_FINAL}\r\n");
    let run = run_both(tls, scram, &[SERVER_FIRST, success.as_bytes()]);
    assert_eq!(run.ok(), Mechanism::ScramSha256);
}

#[test]
fn a_forged_server_signature_is_fatal_in_334_and_in_235() {
    let forged = format!("334 {FORGED_FINAL}\r\n");
    let run = run_both(tls, scram, &[SERVER_FIRST, forged.as_bytes()]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            error: SaslError::ServerSignatureMismatch,
            ..
        }
    ));
    let forged = format!("235 {FORGED_FINAL}\r\n");
    let run = run_both(tls, scram, &[SERVER_FIRST, forged.as_bytes()]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            error: SaslError::ServerSignatureMismatch,
            ..
        }
    ));
}

#[test]
fn success_without_a_server_signature_is_fatal() {
    let run = run_both(tls, scram, &[SERVER_FIRST, b"235 2.7.0 ok\r\n"]);
    assert!(matches!(
        run.fatal(),
        ProtocolError::Sasl {
            error: SaslError::ServerSignatureMissing,
            ..
        }
    ));
}

#[test]
fn without_a_client_nonce_scram_is_skipped() {
    let plain = || Authenticate::new(Credentials::password("user", "pencil"));
    let run = run_both(tls, plain, &[b"235 ok\r\n"]);
    assert!(run.written.starts_with("AUTH PLAIN "));
    assert_eq!(run.ok(), Mechanism::Plain);
}
