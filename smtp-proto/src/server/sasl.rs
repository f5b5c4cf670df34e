//! The server half of AUTH (RFC 4954): the mechanism line and the SASL blobs of PLAIN
//! (RFC 4616), LOGIN (draft-murchison-sasl-login) and XOAUTH2 decoded into credentials.

use crate::auth::{Secret, decode_base64};

/// A SASL mechanism the server understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login-00).
    Login,
    /// `XOAUTH2` (Google's bearer-token mechanism).
    XOAuth2,
}

/// Credentials a client presented, for the application to accept (235) or refuse (535).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslCredentials {
    /// A user name and password, from PLAIN or LOGIN.
    Password {
        /// The mechanism used.
        mechanism: SaslMechanism,
        /// PLAIN's authorization identity; empty when absent or with LOGIN.
        authzid: String,
        /// The authentication identity.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An XOAUTH2 user and bearer token.
    OAuth2 {
        /// The user.
        user: String,
        /// The bearer token.
        token: Secret,
    },
}

/// AUTH input the server refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// Not a mechanism this server offers (RFC 4954 §4: 504).
    #[error("unsupported SASL mechanism {0:?}")]
    UnsupportedMechanism(String),
    /// The AUTH line has no mechanism or extra words (RFC 4954 §4: 501).
    #[error("malformed AUTH command")]
    Syntax,
    /// A response is not valid base64 (RFC 4954 §4: 501).
    #[error("SASL response is not valid base64")]
    Base64,
    /// The decoded response does not have the mechanism's structure.
    #[error("malformed {0:?} response")]
    Malformed(SaslMechanism),
    /// The client sent `*` (RFC 4954 §4: 501).
    #[error("authentication cancelled by the client")]
    Cancelled,
}

/// Parses AUTH's arguments: the mechanism and the optional initial response, where `=`
/// stands for an empty one (RFC 4954 §4).
pub fn parse_auth(args: &str) -> Result<(SaslMechanism, Option<Vec<u8>>), SaslError> {
    let mut words = args.trim_end().split(' ');
    let name = words
        .next()
        .filter(|w| !w.is_empty())
        .ok_or(SaslError::Syntax)?;
    let mechanism = match name.to_ascii_uppercase().as_str() {
        "PLAIN" => SaslMechanism::Plain,
        "LOGIN" => SaslMechanism::Login,
        "XOAUTH2" => SaslMechanism::XOAuth2,
        _ => {
            return Err(SaslError::UnsupportedMechanism(
                name.chars().take(20).collect(),
            ));
        }
    };
    let initial = words.next().map(decode_response).transpose()?;
    match words.next() {
        None => Ok((mechanism, initial)),
        Some(_) => Err(SaslError::Syntax),
    }
}

/// Decodes one client response line: base64, `=` for empty, `*` for cancel (RFC 4954 §4).
pub fn decode_response(line: &str) -> Result<Vec<u8>, SaslError> {
    match line {
        "*" => Err(SaslError::Cancelled),
        "=" => Ok(Vec::new()),
        text => decode_base64(text.as_bytes()).map_err(|_| SaslError::Base64),
    }
}

/// Decodes PLAIN's `[authzid] NUL authcid NUL passwd` (RFC 4616 §2).
///
/// ```
/// use smtp_proto::server::{SaslCredentials, decode_plain};
/// let creds = decode_plain(b"\0tim\0tanstaaftanstaaf")?;
/// let SaslCredentials::Password { username, password, .. } = creds else { panic!() };
/// assert_eq!((username.as_str(), password.expose()), ("tim", "tanstaaftanstaaf"));
/// # Ok::<(), smtp_proto::server::SaslError>(())
/// ```
pub fn decode_plain(blob: &[u8]) -> Result<SaslCredentials, SaslError> {
    let bad = SaslError::Malformed(SaslMechanism::Plain);
    let text = std::str::from_utf8(blob).map_err(|_| bad.clone())?;
    let mut parts = text.split('\0');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(authzid), Some(username), Some(password), None) if !username.is_empty() => {
            Ok(SaslCredentials::Password {
                mechanism: SaslMechanism::Plain,
                authzid: authzid.to_owned(),
                username: username.to_owned(),
                password: Secret::new(password),
            })
        }
        _ => Err(bad),
    }
}

/// Decodes XOAUTH2's `user=U ^A auth=Bearer T ^A ^A`.
pub fn decode_xoauth2(blob: &[u8]) -> Result<SaslCredentials, SaslError> {
    let bad = SaslError::Malformed(SaslMechanism::XOAuth2);
    let text = std::str::from_utf8(blob).map_err(|_| bad.clone())?;
    let body = text.strip_suffix("\x01\x01").ok_or(bad.clone())?;
    let (user, auth) = body.split_once('\x01').ok_or(bad.clone())?;
    let user = user.strip_prefix("user=").ok_or(bad.clone())?;
    let token = auth.strip_prefix("auth=Bearer ").ok_or(bad.clone())?;
    if user.is_empty() || token.is_empty() || token.contains('\x01') {
        return Err(bad);
    }
    Ok(SaslCredentials::OAuth2 {
        user: user.to_owned(),
        token: Secret::new(token),
    })
}

/// Decodes one LOGIN response (user name or password) as UTF-8 text.
pub(crate) fn login_text(blob: Vec<u8>) -> Result<String, SaslError> {
    String::from_utf8(blob).map_err(|_| SaslError::Malformed(SaslMechanism::Login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_example() {
        let c = decode_plain(b"Ursel\0Kurt\0xipj3plmq").unwrap();
        let SaslCredentials::Password {
            authzid,
            username,
            password,
            ..
        } = c
        else {
            panic!()
        };
        assert_eq!(
            (authzid.as_str(), username.as_str(), password.expose()),
            ("Ursel", "Kurt", "xipj3plmq")
        );
        assert_eq!(
            decode_plain(b"a\0b"),
            Err(SaslError::Malformed(SaslMechanism::Plain))
        );
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
        assert!(decode_xoauth2(b"user=x\x01auth=Basic y\x01\x01").is_err());
    }

    #[test]
    fn auth_line() {
        assert_eq!(
            parse_auth("plain ="),
            Ok((SaslMechanism::Plain, Some(vec![])))
        );
        assert_eq!(parse_auth("LOGIN"), Ok((SaslMechanism::Login, None)));
        assert_eq!(parse_auth("PLAIN *"), Err(SaslError::Cancelled));
        assert_eq!(parse_auth("PLAIN !!"), Err(SaslError::Base64));
        assert!(matches!(
            parse_auth("CRAM-MD5"),
            Err(SaslError::UnsupportedMechanism(_))
        ));
    }
}
