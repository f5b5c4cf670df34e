//! What the `server` fuzz target's two round trips reach on its committed corpus.
//!
//! `fuzz/README.md` says the target runs "on every input a SASL round trip (user, secret and
//! mechanism from the input)" and, on the same input, the dot-stuffing round trip and a whole
//! DATA session. Both take their data from the same client stream. The SASL round trip once
//! took its user and secret from NUL-separated octets, which every mechanism refuses in an
//! SMTP session's stream (CR LF come first) and `encode_data` refuses in a body, so the two
//! never ran on one input (review of 2026-12-02). It now takes the first two words of the
//! stream's first line (`fuzzing::server_credentials`); this replays the corpus through the
//! target's two decisions (that split, mechanism `seed % 6` and `SaslExchange::new`; the
//! CR-dropping canonical lines and `encode_data`) and requires both to run together.
#![cfg(feature = "fuzzing")]

use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams};
use smtp_proto::data::{BodyPolicy, encode_data};

/// Whether the target's SASL round trip starts at least one exchange for this input.
fn sasl_runs(seed: u8, stream: &[u8]) -> bool {
    let (user, secret) = smtp_proto::fuzzing::server_credentials(stream);
    let mechanisms = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::XOAuth2,
        Mechanism::OAuthBearer,
        Mechanism::CramMd5,
        Mechanism::ScramSha256,
    ];
    let mechanism = &mechanisms[usize::from(seed % 6)];
    let bearer = matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer);
    let params = SaslParams::new()
        .client_nonce("fuzz+nonce")
        .scram_iteration_bounds(1..=1);
    [secret.clone(), format!("x{secret}")]
        .into_iter()
        .any(|presented| {
            let credentials = if bearer {
                Credentials::oauth2(user.clone(), presented)
            } else {
                Credentials::password(user.clone(), presented)
            };
            SaslExchange::new(mechanism, &credentials, &params).is_ok()
        })
}

/// Whether the target's dot-stuffing round trip (and DATA session) runs for this input.
fn dot_runs(stream: &[u8]) -> bool {
    let mut canonical = Vec::new();
    for line in stream.split(|&b| b == b'\n').filter(|_| !stream.is_empty()) {
        canonical.extend(line.iter().filter(|&&b| b != b'\r'));
        canonical.extend_from_slice(b"\r\n");
    }
    encode_data(&canonical, BodyPolicy::default(), &mut Vec::new()).is_ok()
}

#[test]
fn the_server_targets_sasl_and_dot_round_trips_run_together_on_the_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/server");
    let (mut inputs, mut sasl, mut dot, mut both) = (0, 0, 0, 0);
    for entry in std::fs::read_dir(dir).expect("corpus") {
        let data = std::fs::read(entry.expect("entry").path()).expect("input");
        let [_, seed, stream @ ..] = data.as_slice() else {
            continue;
        };
        inputs += 1;
        let (s, d) = (sasl_runs(*seed, stream), dot_runs(stream));
        sasl += usize::from(s);
        dot += usize::from(d);
        both += usize::from(s && d);
    }
    let summary = format!(
        "{inputs} inputs: SASL round trip on {sasl}, dot round trip on {dot}, both on {both}"
    );
    assert!(both > 0, "never both: {summary}");
    assert!(
        2 * sasl >= inputs,
        "SASL round trip on a minority: {summary}"
    );
}
