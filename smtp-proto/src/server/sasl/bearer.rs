//! The bearer-token mechanisms: XOAUTH2 (Google's format) and OAUTHBEARER (RFC 7628),
//! their messages, and the answer a client owes an error challenge.

use crate::auth::Secret;

use super::gs2::split_header;
use super::{SaslCredentials, SaslError, SaslMechanism};

/// The key-value separator of both formats (RFC 7628 §3.1 `kvsep`).
const KVSEP: char = '\x01';

/// Decodes XOAUTH2's `user=U ^A auth=Bearer T ^A ^A`.
///
/// ```
/// use smtp_proto::server::{SaslCredentials, decode_xoauth2};
/// let creds = decode_xoauth2(b"user=ann@example.org\x01auth=Bearer ya29.x\x01\x01")?;
/// let SaslCredentials::OAuth2 { user, token } = creds else { panic!() };
/// assert_eq!((user.as_str(), token.expose()), ("ann@example.org", "ya29.x"));
/// # Ok::<(), smtp_proto::server::SaslError>(())
/// ```
pub fn decode_xoauth2(blob: &[u8]) -> Result<SaslCredentials, SaslError> {
    let bad = SaslError::Malformed(SaslMechanism::XOAuth2);
    let text = std::str::from_utf8(blob).map_err(|_| bad.clone())?;
    let body = text.strip_suffix("\x01\x01").ok_or(bad.clone())?;
    let (user, auth) = body.split_once(KVSEP).ok_or(bad.clone())?;
    let user = user.strip_prefix("user=").ok_or(bad.clone())?;
    let token = auth.strip_prefix("auth=Bearer ").ok_or(bad.clone())?;
    if user.is_empty() || token.is_empty() || token.contains(KVSEP) {
        return Err(bad);
    }
    Ok(SaslCredentials::OAuth2 {
        user: user.to_owned(),
        token: Secret::new(token),
    })
}

/// Decodes OAUTHBEARER's client response (RFC 7628 §3.1):
/// `gs2-header ^A *(key=value ^A) ^A`, with `auth=Bearer <token>` required and `host=`,
/// `port=` optional; other keys are ignored, a repeated key is an error.
///
/// ```
/// use smtp_proto::server::{SaslCredentials, decode_oauthbearer};
/// let message = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01\
///                 auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
/// let SaslCredentials::OAuthBearer { authzid, token, host, port } =
///     decode_oauthbearer(message)?
/// else {
///     panic!()
/// };
/// assert_eq!(authzid, "user@example.com");
/// assert_eq!(token.expose(), "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
/// assert_eq!((host.as_deref(), port), (Some("server.example.com"), Some(143)));
/// # Ok::<(), smtp_proto::server::SaslError>(())
/// ```
pub fn decode_oauthbearer(blob: &[u8]) -> Result<SaslCredentials, SaslError> {
    let invalid = |reason| SaslError::Invalid {
        mechanism: SaslMechanism::OAuthBearer,
        reason,
    };
    let text = std::str::from_utf8(blob).map_err(|_| invalid("not UTF-8"))?;
    let (header, rest) = split_header(text).map_err(invalid)?;
    let pairs = rest
        .strip_prefix(KVSEP)
        .ok_or(invalid("no ^A after the GS2 header"))?
        .strip_suffix(KVSEP)
        .ok_or(invalid("does not end with ^A"))?;
    let (mut token, mut host, mut port) = (None, None, None);
    for pair in pairs.split_terminator(KVSEP) {
        let (key, value) = pair
            .split_once('=')
            .ok_or(invalid("a key-value pair has no '='"))?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid("a key is not letters only"));
        }
        let slot = match key {
            "auth" => &mut token,
            "host" => &mut host,
            "port" => &mut port,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(invalid("a key is repeated"));
        }
    }
    if !pairs.is_empty() && !pairs.ends_with(KVSEP) {
        return Err(invalid("the last key-value pair does not end with ^A"));
    }
    let token = bearer_token(token.ok_or(invalid("no auth= pair"))?).ok_or(invalid(
        "auth= is not \"Bearer\" and a token without spaces or controls",
    ))?;
    if host.is_some_and(|h| h.is_empty() || h.chars().any(char::is_control)) {
        return Err(invalid("host= is empty or has a control character"));
    }
    let port = port
        .map(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse::<u16>().ok())
                .flatten()
                .ok_or(invalid("port= is not a number from 0 to 65535"))
        })
        .transpose()?;
    Ok(SaslCredentials::OAuthBearer {
        authzid: header.authzid,
        token: Secret::new(token),
        host: host.map(str::to_owned),
        port,
    })
}

/// The token of `Bearer <token>`: the scheme is case-insensitive (RFC 7235 §2.1), one or
/// more spaces follow it, and the token has no space or control. That is looser than RFC
/// 6750 §2.1's `b64token` on purpose: which tokens are valid is the application's call (a
/// test server compares them to the configured ones), and this crate's client sends only
/// `b64token`s.
fn bearer_token(auth: &str) -> Option<&str> {
    let scheme = auth.get(..6).filter(|s| s.eq_ignore_ascii_case("Bearer"))?;
    let token = auth.get(scheme.len()..)?;
    let token = token.strip_prefix(' ')?.trim_start_matches(' ');
    let ok = !token.is_empty() && !token.chars().any(|c| c == ' ' || c.is_control());
    ok.then_some(token)
}

/// Checks a client's answer to an error challenge: empty for XOAUTH2 (Google's
/// documentation), a lone `^A` for OAUTHBEARER (RFC 7628 §3.2.3).
pub(crate) fn check_error_answer(mechanism: SaslMechanism, blob: &[u8]) -> Result<(), SaslError> {
    let (expected, reason): (&[u8], _) = match mechanism {
        SaslMechanism::OAuthBearer => (b"\x01", "the answer to an error challenge is not ^A"),
        _ => (b"", "the answer to an error challenge is not empty"),
    };
    if blob == expected {
        Ok(())
    } else {
        Err(SaslError::Invalid { mechanism, reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(reason: &'static str) -> Result<SaslCredentials, SaslError> {
        Err(SaslError::Invalid {
            mechanism: SaslMechanism::OAuthBearer,
            reason,
        })
    }

    #[test]
    fn xoauth2_blob() {
        let c = decode_xoauth2(b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01")
            .unwrap();
        let SaslCredentials::OAuth2 { user, token } = c else {
            panic!()
        };
        assert_eq!(
            (user.as_str(), token.expose()),
            ("someuser@example.com", "ya29.vF9dft4")
        );
        let bad = Err(SaslError::Malformed(SaslMechanism::XOAuth2));
        for blob in [
            &b"user=x\x01auth=Basic y\x01\x01"[..],
            b"user=\x01auth=Bearer t\x01\x01",
            b"user=x\x01auth=Bearer \x01\x01",
            b"user=x\x01auth=Bearer t\x01x\x01\x01",
            b"user=x\x01auth=Bearer t\x01",
        ] {
            assert_eq!(decode_xoauth2(blob), bad, "{blob:?}");
        }
    }

    #[test]
    fn oauthbearer_of_our_client_without_host_and_port() {
        let c = decode_oauthbearer(b"n,a=a=2Cb,\x01auth=BEARER  tok\x01\x01").unwrap();
        assert_eq!(
            c,
            SaslCredentials::OAuthBearer {
                authzid: "a,b".into(),
                token: Secret::new("tok"),
                host: None,
                port: None,
            }
        );
        let c = decode_oauthbearer(b"n,,\x01x=1\x01auth=Bearer t\x01\x01").unwrap();
        assert_eq!(c.username(), "");
    }

    #[test]
    fn oauthbearer_rejections_are_precise() {
        for (blob, reason) in [
            (&b"\x01"[..], "no GS2 header (expected \"n,\")"),
            (b"n,,auth=Bearer t\x01\x01", "no ^A after the GS2 header"),
            (
                b"n,,\x01auth=Bearer t\x01",
                "the last key-value pair does not end with ^A",
            ),
            (b"n,,\x01auth=Bearer t", "does not end with ^A"),
            (b"n,,\x01\x01", "no auth= pair"),
            (b"n,,\x01auth\x01\x01", "a key-value pair has no '='"),
            (
                b"n,,\x01a1=x\x01auth=Bearer t\x01\x01",
                "a key is not letters only",
            ),
            (
                b"n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01",
                "a key is repeated",
            ),
            (
                b"n,,\x01auth=Basic dTpw\x01\x01",
                "auth= is not \"Bearer\" and a token without spaces or controls",
            ),
            (
                b"n,,\x01auth=Bearer a b\x01\x01",
                "auth= is not \"Bearer\" and a token without spaces or controls",
            ),
            (
                b"n,,\x01port=99999\x01auth=Bearer t\x01\x01",
                "port= is not a number from 0 to 65535",
            ),
            (
                b"n,,\x01host=\x01auth=Bearer t\x01\x01",
                "host= is empty or has a control character",
            ),
            (
                b"p=tls-unique,,\x01auth=Bearer t\x01\x01",
                "channel binding is not supported",
            ),
            (b"n,,\x01auth=Bearer \xff\x01\x01", "not UTF-8"),
        ] {
            assert_eq!(decode_oauthbearer(blob), invalid(reason), "{blob:?}");
        }
    }

    #[test]
    fn error_answers() {
        assert_eq!(check_error_answer(SaslMechanism::XOAuth2, b""), Ok(()));
        assert_eq!(
            check_error_answer(SaslMechanism::OAuthBearer, b"\x01"),
            Ok(())
        );
        assert_eq!(
            check_error_answer(SaslMechanism::OAuthBearer, b""),
            Err(SaslError::Invalid {
                mechanism: SaslMechanism::OAuthBearer,
                reason: "the answer to an error challenge is not ^A"
            })
        );
        assert!(check_error_answer(SaslMechanism::XOAuth2, b"\x01").is_err());
    }
}
