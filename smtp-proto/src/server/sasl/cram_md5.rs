//! The server side of CRAM-MD5 (RFC 2195): decoding the answer to the challenge, and
//! checking its digest with the client's own HMAC-MD5 code.

use crate::auth::Secret;

use super::{SaslCredentials, SaslError, SaslMechanism, constant_time_eq};

/// Decodes `username SP digest` (RFC 2195 §2), the digest 32 hex digits (kept in lower
/// case: the same number either way), into credentials to verify.
pub(crate) fn decode_answer(blob: &[u8], challenge: String) -> Result<SaslCredentials, SaslError> {
    let invalid = |reason| SaslError::Invalid {
        mechanism: SaslMechanism::CramMd5,
        reason,
    };
    let text = std::str::from_utf8(blob).map_err(|_| invalid("not UTF-8"))?;
    let (username, digest) = text
        .rsplit_once(' ')
        .ok_or(invalid("no space between user name and digest"))?;
    if username.is_empty() || username.chars().any(char::is_control) {
        return Err(invalid("user name is empty or has a control character"));
    }
    if digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("digest is not 32 hex digits"));
    }
    Ok(SaslCredentials::CramMd5 {
        username: username.to_owned(),
        challenge,
        digest: Secret::new(digest.to_ascii_lowercase()),
    })
}

/// Whether `digest` is HMAC-MD5 of `challenge` keyed with `password`, computed by the
/// client's code and compared in constant time.
pub(crate) fn digest_matches(
    username: &str,
    challenge: &str,
    digest: &str,
    password: &str,
) -> bool {
    let Ok(expected) =
        crate::auth::cram_md5::respond(username, &Secret::new(password), challenge.as_bytes())
    else {
        return false;
    };
    let mut sent = Vec::with_capacity(username.len() + 33);
    sent.extend_from_slice(username.as_bytes());
    sent.push(b' ');
    sent.extend_from_slice(digest.as_bytes());
    constant_time_eq(expected.as_bytes(), &sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2195 §2's example.
    const CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

    #[test]
    fn rfc_2195_example_verifies() {
        let answer = b"tim b913a602c7eda7a495b4e6e7334d3890";
        let credentials = decode_answer(answer, CHALLENGE.into()).unwrap();
        assert!(credentials.verify_password("tanstaaftanstaaf"));
        assert!(!credentials.verify_password("tanstaaftanstaaF"));
        // Upper-case hex is the same digest.
        let upper = b"tim B913A602C7EDA7A495B4E6E7334D3890";
        let credentials = decode_answer(upper, CHALLENGE.into()).unwrap();
        assert!(credentials.verify_password("tanstaaftanstaaf"));
        // Another challenge, another digest.
        let credentials = decode_answer(answer, "<1.2@x>".into()).unwrap();
        assert!(!credentials.verify_password("tanstaaftanstaaf"));
        // With the challenge, the digest allows an offline guess: never in `Debug`.
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("tim") && !shown.contains("b913a602"),
            "{shown}"
        );
    }

    #[test]
    fn user_names_with_spaces_split_at_the_last_one() {
        let credentials =
            decode_answer(b"tim smith b913a602c7eda7a495b4e6e7334d3890", "<c>".into()).unwrap();
        assert_eq!(credentials.username(), "tim smith");
    }

    #[test]
    fn malformed_answers_are_refused() {
        let invalid = |reason| {
            Err(SaslError::Invalid {
                mechanism: SaslMechanism::CramMd5,
                reason,
            })
        };
        for (blob, reason) in [
            (
                &b"timb913a602c7eda7a495b4e6e7334d3890"[..],
                "no space between user name and digest",
            ),
            (
                b" b913a602c7eda7a495b4e6e7334d3890",
                "user name is empty or has a control character",
            ),
            (
                b"t\0m b913a602c7eda7a495b4e6e7334d3890",
                "user name is empty or has a control character",
            ),
            (
                b"tim b913a602c7eda7a495b4e6e7334d389",
                "digest is not 32 hex digits",
            ),
            (
                b"tim b913a602c7eda7a495b4e6e7334d389g",
                "digest is not 32 hex digits",
            ),
            (b"tim \xff", "not UTF-8"),
        ] {
            assert_eq!(
                decode_answer(blob, "<c>".into()),
                invalid(reason),
                "{blob:?}"
            );
        }
    }
}
