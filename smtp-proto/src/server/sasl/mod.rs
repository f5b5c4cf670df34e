//! The server half of AUTH (RFC 4954): the mechanism line, the SASL blobs of PLAIN
//! (RFC 4616), LOGIN (draft-murchison-sasl-login), XOAUTH2 and OAUTHBEARER (RFC 7628)
//! decoded into credentials, and the server steps of CRAM-MD5 (RFC 2195, feature
//! `sasl-cram-md5`) and SCRAM-SHA-256 (RFC 7677, RFC 5802, feature `sasl-scram`).

mod bearer;
mod credentials;
mod gs2;
mod nonce;

#[cfg(feature = "sasl-cram-md5")]
pub(crate) mod cram_md5;
#[cfg(feature = "sasl-scram")]
pub(crate) mod scram;
#[cfg(feature = "sasl-scram")]
mod scram_keys;

use std::fmt;

use crate::auth::{Secret, decode_base64};

pub(crate) use bearer::check_error_answer as bearer_error_answer;
pub use bearer::{decode_oauthbearer, decode_xoauth2};
pub use credentials::SaslCredentials;
pub(crate) use nonce::Nonces;
#[cfg(feature = "sasl-scram")]
pub use scram_keys::{ScramKeys, ScramKeysError};

/// A SASL mechanism the server understands.
///
/// Every mechanism has a variant whatever the build; [`is_supported`](Self::is_supported)
/// says whether this build runs it (CRAM-MD5 and SCRAM-SHA-256 need their features).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login-00).
    Login,
    /// `XOAUTH2` (Google's bearer-token mechanism).
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
    /// `CRAM-MD5` (RFC 2195), feature `sasl-cram-md5`.
    CramMd5,
    /// `SCRAM-SHA-256` (RFC 7677) without channel binding, feature `sasl-scram`.
    ScramSha256,
}

impl SaslMechanism {
    /// Every mechanism, in the order a server would rather see them chosen.
    pub const ALL: [Self; 6] = [
        Self::ScramSha256,
        Self::OAuthBearer,
        Self::XOAuth2,
        Self::Plain,
        Self::Login,
        Self::CramMd5,
    ];

    /// The registered name, as in the EHLO `AUTH` line (RFC 4954 §3).
    ///
    /// ```
    /// use smtp_proto::server::SaslMechanism;
    /// assert_eq!(SaslMechanism::ScramSha256.name(), "SCRAM-SHA-256");
    /// assert_eq!(SaslMechanism::from_name("cram-md5"), Some(SaslMechanism::CramMd5));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::CramMd5 => "CRAM-MD5",
            Self::ScramSha256 => "SCRAM-SHA-256",
        }
    }

    /// The mechanism of a name, ASCII case-insensitively (RFC 4422 §3.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether this build runs the mechanism: CRAM-MD5 needs the feature
    /// `sasl-cram-md5`, SCRAM-SHA-256 the feature `sasl-scram`; the others always run.
    pub fn is_supported(self) -> bool {
        !(matches!(self, Self::CramMd5) && cfg!(not(feature = "sasl-cram-md5"))
            || matches!(self, Self::ScramSha256) && cfg!(not(feature = "sasl-scram")))
    }

    /// Whether it carries an OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER): a refused
    /// token may go through the error challenge ([`Server::sasl_error`](super::Server::sasl_error)).
    pub fn is_bearer(self) -> bool {
        matches!(self, Self::XOAuth2 | Self::OAuthBearer)
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
    /// A response breaks the mechanism's grammar in the way `reason` says (501).
    #[error("malformed {mechanism} response: {reason}")]
    Invalid {
        /// The mechanism.
        mechanism: SaslMechanism,
        /// What was wrong.
        reason: &'static str,
    },
    /// The client sent `*` (RFC 4954 §4: 501).
    #[error("authentication cancelled by the client")]
    Cancelled,
}

/// Parses AUTH's arguments: the mechanism and the optional initial response, where `=`
/// stands for an empty one (RFC 4954 §4). A mechanism this build does not run is
/// [`SaslError::UnsupportedMechanism`].
pub fn parse_auth(args: &str) -> Result<(SaslMechanism, Option<Vec<u8>>), SaslError> {
    let mut words = args.trim_end().split(' ');
    let name = words
        .next()
        .filter(|w| !w.is_empty())
        .ok_or(SaslError::Syntax)?;
    let mechanism = SaslMechanism::from_name(name)
        .filter(|m| m.is_supported())
        .ok_or_else(|| SaslError::UnsupportedMechanism(name.chars().take(20).collect()))?;
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

/// Decodes one LOGIN response (user name or password) as UTF-8 text.
pub(crate) fn login_text(blob: Vec<u8>) -> Result<String, SaslError> {
    String::from_utf8(blob).map_err(|_| SaslError::Malformed(SaslMechanism::Login))
}

/// The `AUTH` line a client starts `client` with: its initial response inline, or deferred
/// to the first empty challenge (RFC 4954 §4). For the server's own tests and fuzzing,
/// which drive both sides.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn auth_line(client: &mut crate::auth::SaslExchange, inline: bool) -> String {
    let mut line = format!("AUTH {}", client.mechanism());
    match client.initial_response() {
        Some(initial) if inline => {
            line.push(' ');
            line.push_str(&crate::auth::encode_base64(initial.as_bytes()));
        }
        Some(initial) => client.defer_initial_response(initial),
        None => {}
    }
    line.push_str("\r\n");
    line
}

/// Compares two byte strings in time independent of where they differ, so that a
/// verifier does not leak how much of a guess was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        // RFC 4616 §2: authcid is 1*SAFE, and there are exactly three fields.
        for bad in [
            &b"a\0b"[..],
            b"\0\0pencil",
            b"\0tim\0pen\0cil",
            b"\0tim\0\xff",
        ] {
            assert_eq!(
                decode_plain(bad),
                Err(SaslError::Malformed(SaslMechanism::Plain)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn auth_line() {
        assert_eq!(
            parse_auth("plain ="),
            Ok((SaslMechanism::Plain, Some(vec![])))
        );
        assert_eq!(parse_auth("LOGIN"), Ok((SaslMechanism::Login, None)));
        assert_eq!(
            parse_auth("oauthbearer"),
            Ok((SaslMechanism::OAuthBearer, None))
        );
        assert_eq!(parse_auth("PLAIN *"), Err(SaslError::Cancelled));
        assert_eq!(parse_auth("PLAIN !!"), Err(SaslError::Base64));
        assert_eq!(parse_auth("PLAIN = x"), Err(SaslError::Syntax));
        assert_eq!(parse_auth(""), Err(SaslError::Syntax));
        assert_eq!(
            parse_auth("DIGEST-MD5"),
            Err(SaslError::UnsupportedMechanism("DIGEST-MD5".into()))
        );
        let cram = parse_auth("CRAM-MD5");
        if cfg!(feature = "sasl-cram-md5") {
            assert_eq!(cram, Ok((SaslMechanism::CramMd5, None)));
        } else {
            assert_eq!(
                cram,
                Err(SaslError::UnsupportedMechanism("CRAM-MD5".into()))
            );
        }
    }

    #[test]
    fn names_round_trip_and_support_follows_the_features() {
        for mechanism in SaslMechanism::ALL {
            assert_eq!(SaslMechanism::from_name(mechanism.name()), Some(mechanism));
            assert_eq!(mechanism.to_string(), mechanism.name());
        }
        assert_eq!(
            SaslMechanism::ScramSha256.is_supported(),
            cfg!(feature = "sasl-scram")
        );
        assert_eq!(
            SaslMechanism::CramMd5.is_supported(),
            cfg!(feature = "sasl-cram-md5")
        );
        assert!(SaslMechanism::Plain.is_supported() && SaslMechanism::Login.is_supported());
        assert!(SaslMechanism::OAuthBearer.is_supported());
        assert!(SaslMechanism::XOAuth2.is_bearer() && !SaslMechanism::Plain.is_bearer());
        assert_eq!(SaslMechanism::from_name("SCRAM-SHA-1"), None);
    }

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        // Two differences that are the same bit must not cancel out.
        assert!(!constant_time_eq(b"aa", b"``"));
        assert!(constant_time_eq(b"", b""));
    }
}
