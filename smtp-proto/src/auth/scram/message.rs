//! Parsing of the SCRAM server messages (RFC 5802 §7).

use crate::auth::base64::decode_base64;
use crate::auth::error::SaslError;
use crate::auth::mechanism::Mechanism;

/// The fields of a server-first-message that the client uses.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ServerFirst<'a> {
    /// The combined nonce (client nonce plus the server's part).
    pub(super) nonce: &'a str,
    /// The decoded salt.
    pub(super) salt: Vec<u8>,
    /// The iteration count.
    pub(super) iterations: u32,
}

/// What the server-final-message says.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ServerFinal {
    /// `v=`: the decoded server signature, still to be verified.
    Verifier(Vec<u8>),
    /// `e=`: the server's error value, made printable for reports.
    Error(String),
}

fn malformed(reason: &'static str) -> SaslError {
    SaslError::MalformedChallenge {
        mechanism: Mechanism::ScramSha256,
        reason,
    }
}

/// Splits `k=value` and checks the attribute letter.
fn attribute<'a>(
    part: Option<&'a str>,
    key: &str,
    missing: &'static str,
) -> Result<&'a str, SaslError> {
    part.and_then(|p| p.strip_prefix(key))
        .and_then(|p| p.strip_prefix('='))
        .ok_or_else(|| malformed(missing))
}

/// Parses `[m=...,]r=nonce,s=salt,i=count[,extensions]` (RFC 5802 §7
/// `server-first-message`).
///
/// An `m=` extension is mandatory by definition and unknown here, so it fails the exchange
/// (RFC 5802 §5.1); optional extensions after `i=` are ignored.
pub(super) fn parse_server_first(message: &[u8]) -> Result<ServerFirst<'_>, SaslError> {
    let text = std::str::from_utf8(message).map_err(|_| malformed("server-first is not UTF-8"))?;
    if text.starts_with("m=") {
        return Err(SaslError::MandatoryExtension);
    }
    let mut parts = text.split(',');
    let nonce = attribute(parts.next(), "r", "server-first does not start with r=")?;
    if nonce.is_empty() || !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(malformed("nonce is empty or not printable ASCII"));
    }
    let salt = attribute(parts.next(), "s", "server-first lacks s= after r=")?;
    let salt = decode_base64(salt.as_bytes())?;
    if salt.is_empty() {
        return Err(malformed("salt is empty"));
    }
    let count = attribute(parts.next(), "i", "server-first lacks i= after s=")?;
    let iterations = parse_count(count)?;
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// Parses a `posit-number` (RFC 5802 §7: a digit 1-9, then digits) into a `u32`.
fn parse_count(text: &str) -> Result<u32, SaslError> {
    let starts_well = text
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b));
    if !starts_well || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            "iteration count is not a positive decimal number",
        ));
    }
    text.parse()
        .map_err(|_| malformed("iteration count does not fit 32 bits"))
}

/// Parses `v=signature` or `e=error` with optional extensions after a `,` (RFC 5802 §7
/// `server-final-message`).
pub(super) fn parse_server_final(message: &[u8]) -> Result<ServerFinal, SaslError> {
    let text = std::str::from_utf8(message).map_err(|_| malformed("server-final is not UTF-8"))?;
    let first = text.split(',').next().unwrap_or_default();
    if let Some(error) = first.strip_prefix("e=") {
        let shown: String = error
            .chars()
            .take(128)
            .map(|c| {
                if crate::response::is_unsafe_to_show(c) {
                    '?'
                } else {
                    c
                }
            })
            .collect();
        return Ok(ServerFinal::Error(shown));
    }
    let verifier = first
        .strip_prefix("v=")
        .ok_or_else(|| malformed("server-final is neither v= nor e="))?;
    Ok(ServerFinal::Verifier(decode_base64(verifier.as_bytes())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::error::Base64Error;

    #[test]
    fn server_first_of_rfc_7677_parses() {
        let first = parse_server_first(
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        )
        .unwrap();
        assert_eq!(
            first.nonce,
            "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        );
        assert_eq!(first.salt.len(), 16);
        assert_eq!(first.iterations, 4096);
    }

    #[test]
    fn server_first_rejections_are_precise() {
        assert_eq!(
            parse_server_first(b"m=x,r=a,s=QUJD,i=1"),
            Err(SaslError::MandatoryExtension)
        );
        assert_eq!(
            parse_server_first(b"s=QUJD,r=a,i=1"),
            Err(malformed("server-first does not start with r="))
        );
        assert_eq!(
            parse_server_first(b"r=a,i=1,s=QUJD"),
            Err(malformed("server-first lacks s= after r="))
        );
        assert_eq!(
            parse_server_first(b"r=a,s=QU JD,i=1"),
            Err(SaslError::Base64(Base64Error::InvalidByte {
                position: 2,
                byte: b' '
            }))
        );
        assert_eq!(
            parse_server_first(b"r=a,s=,i=1"),
            Err(malformed("salt is empty"))
        );
        for count in ["0", "01", "-1", "+1", "", "1e3", "4294967296"] {
            let message = format!("r=a,s=QUJD,i={count}");
            assert!(
                matches!(
                    parse_server_first(message.as_bytes()),
                    Err(SaslError::MalformedChallenge { .. })
                ),
                "{count}"
            );
        }
        assert_eq!(
            parse_server_first(b"r=a,s=QUJD,i=4294967295,x=ext")
                .unwrap()
                .iterations,
            u32::MAX
        );
    }

    #[test]
    fn server_final_variants() {
        assert_eq!(
            parse_server_final(b"v=QUJD").unwrap(),
            ServerFinal::Verifier(b"ABC".to_vec())
        );
        assert_eq!(
            parse_server_final(b"e=invalid-proof").unwrap(),
            ServerFinal::Error("invalid-proof".into())
        );
        // The server's words are shown in errors: nothing in them may break or reorder a
        // log line.
        assert_eq!(
            parse_server_final("e=a\nb\u{2028}c\u{202e}d".as_bytes()).unwrap(),
            ServerFinal::Error("a?b?c?d".into())
        );
        assert_eq!(
            parse_server_final(b"x=1"),
            Err(malformed("server-final is neither v= nor e="))
        );
        assert!(matches!(
            parse_server_final(b"v=Q"),
            Err(SaslError::Base64(_))
        ));
    }
}
