//! XOAUTH2 (Google's documented format) and OAUTHBEARER (RFC 7628): one message carrying a
//! bearer token; an error challenge, if the token is refused, answered with a dummy.

use super::credentials::{check_ascii, check_no_controls, check_not_empty, escape_saslname};
use super::error::{Field, FieldProblem, SaslError};
use super::secret::{SaslResponse, Secret};

/// The separator of both formats (`^A`, RFC 7628 §3.1 `kvsep`).
const KVSEP: u8 = 0x01;

/// Validates what both formats embed: no `^A` (or other control) may end a value early,
/// and the token is an RFC 6750 §2.1 `b64token`, as `Bearer` requires.
fn check_user_and_token(user: &str, token: &Secret) -> Result<(), SaslError> {
    check_not_empty(Field::Username, user)?;
    check_no_controls(Field::Username, user)?;
    check_not_empty(Field::Token, token.expose())?;
    check_no_controls(Field::Token, token.expose())?;
    check_b64token(token.expose())
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750
/// §2.1): a space or any other byte would make the server read another token, or refuse.
fn check_b64token(token: &str) -> Result<(), SaslError> {
    let body = token.trim_end_matches('=');
    let refused = if body.is_empty() {
        // Only padding: the first `=` is where a token character was needed.
        Some((0, b'='))
    } else {
        body.bytes().enumerate().find(|&(_, byte)| {
            !(byte.is_ascii_alphanumeric()
                || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
        })
    };
    match refused {
        None => Ok(()),
        Some((position, byte)) => Err(SaslError::InvalidField {
            field: Field::Token,
            problem: if byte.is_ascii() {
                FieldProblem::Forbidden { position, byte }
            } else {
                FieldProblem::NonAscii { position }
            },
        }),
    }
}

/// `user=` {user} `^Aauth=Bearer ` {token} `^A^A` (Google's XOAUTH2 documentation).
pub(super) fn xoauth2_message(user: &str, token: &Secret) -> Result<SaslResponse, SaslError> {
    check_user_and_token(user, token)?;
    let mut bytes = Vec::with_capacity(user.len() + token.expose().len() + 22);
    bytes.extend_from_slice(b"user=");
    bytes.extend_from_slice(user.as_bytes());
    bytes.push(KVSEP);
    bytes.extend_from_slice(b"auth=Bearer ");
    bytes.extend_from_slice(token.expose().as_bytes());
    bytes.extend_from_slice(&[KVSEP, KVSEP]);
    Ok(SaslResponse::new(bytes))
}

/// `n,a=` {authzid} `,^Ahost=` {host} `^Aport=` {port} `^Aauth=Bearer ` {token} `^A^A`
/// (RFC 7628 §3.1); host and port are optional, the authzid is GS2-escaped (RFC 5801 §4).
/// A host name with U-labels goes as its A-labels (a `value` is ASCII, RFC 7628 §3.1).
///
/// The message is built in a buffer of exactly its size: a buffer that grew would free a
/// copy of the token unzeroed.
pub(super) fn oauthbearer_message(
    authzid: &str,
    token: &Secret,
    host: Option<&str>,
    port: Option<u16>,
) -> Result<SaslResponse, SaslError> {
    // The authzid is the credentials' user unless the parameters name one (checked there).
    check_user_and_token(authzid, token)?;
    let host = match host {
        Some(host) => Some(ascii_host(host)?),
        None => None,
    };
    let authzid = escape_saslname(authzid);
    let port = port.map(|port| port.to_string());
    let token = token.expose().as_bytes();
    let len = "n,a=".len()
        + authzid.len()
        + ",".len()
        + 1
        + host
            .as_ref()
            .map_or(0, |host| "host=".len() + host.len() + 1)
        + port
            .as_ref()
            .map_or(0, |port| "port=".len() + port.len() + 1)
        + "auth=Bearer ".len()
        + token.len()
        + 2;
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(b"n,a=");
    bytes.extend_from_slice(authzid.as_bytes());
    bytes.push(b',');
    bytes.push(KVSEP);
    if let Some(host) = &host {
        bytes.extend_from_slice(b"host=");
        bytes.extend_from_slice(host.as_bytes());
        bytes.push(KVSEP);
    }
    if let Some(port) = &port {
        bytes.extend_from_slice(b"port=");
        bytes.extend_from_slice(port.as_bytes());
        bytes.push(KVSEP);
    }
    bytes.extend_from_slice(b"auth=Bearer ");
    bytes.extend_from_slice(token);
    bytes.extend_from_slice(&[KVSEP, KVSEP]);
    debug_assert_eq!(bytes.len(), len, "the buffer never grows");
    Ok(SaslResponse::new(bytes))
}

/// The `host=` value: not empty, no controls, ASCII; a domain with U-labels as A-labels.
fn ascii_host(host: &str) -> Result<std::borrow::Cow<'_, str>, SaslError> {
    check_not_empty(Field::Host, host)?;
    check_no_controls(Field::Host, host)?;
    if host.is_ascii() {
        return Ok(host.into());
    }
    match host.parse::<crate::syntax::Domain>() {
        Ok(domain) => Ok(domain.to_ascii().into_owned().into()),
        Err(_) => check_ascii(Field::Host, host).map(|()| host.into()),
    }
}

/// The answer to an error challenge: empty for XOAUTH2 (Google's documentation), `%x01`
/// for OAUTHBEARER (RFC 7628 §3.2.3). The server then sends its final failure reply.
pub(super) fn error_answer(xoauth2: bool) -> SaslResponse {
    SaslResponse::new(if xoauth2 { Vec::new() } else { vec![KVSEP] })
}

/// The error challenge as text for reports: JSON per RFC 7628 §3.2.2, kept only when it is
/// printable ASCII and cut at 256 bytes, since it comes from the peer.
pub(super) fn error_text(challenge: &[u8]) -> String {
    let shown = challenge.get(..256).unwrap_or(challenge);
    shown
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_a_in_user_or_token_is_refused() {
        let token = Secret::new("t\u{1}x");
        assert_eq!(
            xoauth2_message("u", &token),
            Err(SaslError::InvalidField {
                field: Field::Token,
                problem: FieldProblem::Control {
                    position: 1,
                    byte: 1
                }
            })
        );
        assert!(matches!(
            oauthbearer_message("u\u{1}", &Secret::new("t"), None, None),
            Err(SaslError::InvalidField {
                field: Field::Username,
                ..
            })
        ));
        assert!(matches!(
            oauthbearer_message("u", &Secret::new("t"), Some("h\u{1}"), None),
            Err(SaslError::InvalidField {
                field: Field::Host,
                ..
            })
        ));
    }

    #[test]
    fn the_token_is_a_b64token() {
        for token in ["ya29.a0Af-_~+/x", "eyJhbGciOi.eyJzdWIi.c2ln==", "t="] {
            assert!(xoauth2_message("u", &Secret::new(token)).is_ok(), "{token}");
            assert!(oauthbearer_message("u", &Secret::new(token), None, None).is_ok());
        }
        for (token, problem) in [
            (
                "ya29 x",
                FieldProblem::Forbidden {
                    position: 4,
                    byte: b' ',
                },
            ),
            (
                "a=b",
                FieldProblem::Forbidden {
                    position: 1,
                    byte: b'=',
                },
            ),
            (
                "==",
                FieldProblem::Forbidden {
                    position: 0,
                    byte: b'=',
                },
            ),
            (
                "a,b",
                FieldProblem::Forbidden {
                    position: 1,
                    byte: b',',
                },
            ),
            ("tök", FieldProblem::NonAscii { position: 1 }),
        ] {
            let expected = Err(SaslError::InvalidField {
                field: Field::Token,
                problem,
            });
            assert_eq!(
                xoauth2_message("u", &Secret::new(token)),
                expected,
                "{token}"
            );
            assert_eq!(
                oauthbearer_message("u", &Secret::new(token), None, None),
                expected,
                "{token}"
            );
        }
    }

    #[test]
    fn gs2_authzid_is_escaped_and_host_port_optional() {
        let message = oauthbearer_message("a,b=c", &Secret::new("t"), None, None).unwrap();
        assert_eq!(
            message.as_bytes(),
            b"n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01"
        );
        assert_eq!(
            error_text(b"{\"status\":\"401\"}\n"),
            "{\"status\":\"401\"}?"
        );
    }
}
