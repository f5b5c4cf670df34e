//! [`SaslCredentials`]: what a client presented, and how the application checks it.

use crate::auth::Secret;

use super::{SaslMechanism, constant_time_eq};

/// Credentials a client presented, for the application to accept (235) or refuse (535).
///
/// [`verify_password`](Self::verify_password) checks the password-based ones against the
/// password the application keeps; bearer tokens are compared by the application.
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
    /// An OAUTHBEARER message (RFC 7628 §3.1): the GS2 authorization identity, the bearer
    /// token and the optional host and port the client says it connected to.
    OAuthBearer {
        /// The GS2 `a=` identity, unescaped (RFC 5801 §4); empty when absent, the token
        /// then naming the user.
        authzid: String,
        /// The bearer token.
        token: Secret,
        /// `host=`, if sent.
        host: Option<String>,
        /// `port=`, if sent.
        port: Option<u16>,
    },
    /// A CRAM-MD5 answer (RFC 2195 §2): the user and the keyed digest of the challenge
    /// the server sent; check it with [`verify_password`](Self::verify_password).
    CramMd5 {
        /// The user name.
        username: String,
        /// The challenge the server issued (`<nonce.counter@host>`).
        challenge: String,
        /// The client's HMAC-MD5 digest, 32 lower-case hex digits: redacted in `Debug`,
        /// because with the challenge it allows an offline guess of the password.
        digest: Secret,
    },
    /// The end of a SCRAM-SHA-256 exchange (RFC 5802 §5): the server has checked the
    /// client proof against the `ScramKeys` the application gave, and
    /// when it verified, sent its own signature and got the client's empty answer.
    Scram {
        /// The user name (`n=`), unescaped.
        username: String,
        /// The GS2 `a=` identity, unescaped; empty when absent.
        authzid: String,
        /// Whether the client proof verified: only then may the application answer 235.
        verified: bool,
    },
}

impl SaslCredentials {
    /// The mechanism these credentials came from.
    pub fn mechanism(&self) -> SaslMechanism {
        match self {
            Self::Password { mechanism, .. } => *mechanism,
            Self::OAuth2 { .. } => SaslMechanism::XOAuth2,
            Self::OAuthBearer { .. } => SaslMechanism::OAuthBearer,
            Self::CramMd5 { .. } => SaslMechanism::CramMd5,
            Self::Scram { .. } => SaslMechanism::ScramSha256,
        }
    }

    /// The user the client claims to be: the authentication identity, or for OAUTHBEARER
    /// the authorization identity (empty when absent).
    pub fn username(&self) -> &str {
        match self {
            Self::Password { username, .. }
            | Self::CramMd5 { username, .. }
            | Self::Scram { username, .. } => username,
            Self::OAuth2 { user, .. } => user,
            Self::OAuthBearer { authzid, .. } => authzid,
        }
    }

    /// Whether the credentials prove knowledge of `password`: the same password (PLAIN,
    /// LOGIN) or the right digest of the challenge (CRAM-MD5), compared in constant time.
    ///
    /// Always `false` for tokens ([`verify_token`](Self::verify_token)) and SCRAM (the
    /// server verified the proof already: see `verified`). Identity checks (which user,
    /// which authzid) are the application's.
    ///
    /// ```
    /// use smtp_proto::server::decode_plain;
    /// let credentials = decode_plain(b"\0tim\0tanstaaf")?;
    /// assert!(credentials.verify_password("tanstaaf"));
    /// assert!(!credentials.verify_password("tanstaa"));
    /// # Ok::<(), smtp_proto::server::SaslError>(())
    /// ```
    pub fn verify_password(&self, password: &str) -> bool {
        match self {
            Self::Password { password: sent, .. } => {
                constant_time_eq(sent.expose().as_bytes(), password.as_bytes())
            }
            Self::CramMd5 {
                username,
                challenge,
                digest,
            } => cram_md5_matches(username, challenge, digest.expose(), password),
            _ => false,
        }
    }

    /// Whether the XOAUTH2 or OAUTHBEARER credentials carry `token`, compared in constant
    /// time; always `false` for the other kinds.
    ///
    /// ```
    /// use smtp_proto::server::decode_xoauth2;
    /// let credentials = decode_xoauth2(b"user=tim\x01auth=Bearer ya29.t\x01\x01")?;
    /// assert!(credentials.verify_token("ya29.t"));
    /// assert!(!credentials.verify_token("ya29.u"));
    /// # Ok::<(), smtp_proto::server::SaslError>(())
    /// ```
    pub fn verify_token(&self, token: &str) -> bool {
        match self {
            Self::OAuth2 { token: sent, .. } | Self::OAuthBearer { token: sent, .. } => {
                constant_time_eq(sent.expose().as_bytes(), token.as_bytes())
            }
            _ => false,
        }
    }
}

#[cfg(feature = "sasl-cram-md5")]
fn cram_md5_matches(username: &str, challenge: &str, digest: &str, password: &str) -> bool {
    super::cram_md5::digest_matches(username, challenge, digest, password)
}

#[cfg(not(feature = "sasl-cram-md5"))]
fn cram_md5_matches(_: &str, _: &str, _: &str, _: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_and_username_of_each_kind() {
        let bearer = SaslCredentials::OAuthBearer {
            authzid: "ann@example.org".into(),
            token: Secret::new("t"),
            host: None,
            port: None,
        };
        assert_eq!(bearer.mechanism(), SaslMechanism::OAuthBearer);
        assert_eq!(bearer.username(), "ann@example.org");
        assert!(!bearer.verify_password("t"));
        let scram = SaslCredentials::Scram {
            username: "tim".into(),
            authzid: String::new(),
            verified: true,
        };
        assert_eq!(
            (scram.mechanism(), scram.username()),
            (SaslMechanism::ScramSha256, "tim")
        );
        assert!(!scram.verify_password("anything"));
        let xoauth2 = SaslCredentials::OAuth2 {
            user: "u".into(),
            token: Secret::new("t"),
        };
        assert_eq!(xoauth2.mechanism(), SaslMechanism::XOAuth2);
        let shown = format!("{bearer:?}{xoauth2:?}");
        assert_eq!(shown.matches("token: Secret(***)").count(), 2, "{shown}");
    }

    /// A bearer token verifies only itself (not a prefix, an extension or another case),
    /// and no other kind of credentials verifies a token, not even a password that is
    /// that token.
    #[test]
    fn only_the_same_token_verifies() {
        let tokens = [
            SaslCredentials::OAuth2 {
                user: "u".into(),
                token: Secret::new("ya29.t"),
            },
            SaslCredentials::OAuthBearer {
                authzid: String::new(),
                token: Secret::new("ya29.t"),
                host: None,
                port: None,
            },
        ];
        for credentials in &tokens {
            assert!(credentials.verify_token("ya29.t"), "{credentials:?}");
            for other in ["ya29.", "ya29.tt", "YA29.T", ""] {
                assert!(!credentials.verify_token(other), "{credentials:?} {other}");
            }
        }
        let password = SaslCredentials::Password {
            mechanism: SaslMechanism::Plain,
            authzid: String::new(),
            username: "tim".into(),
            password: Secret::new("ya29.t"),
        };
        assert!(!password.verify_token("ya29.t"));
    }

    /// Without the feature, CRAM-MD5 credentials never verify: not even the right digest.
    #[cfg(not(feature = "sasl-cram-md5"))]
    #[test]
    fn cram_md5_needs_its_feature() {
        let credentials = SaslCredentials::CramMd5 {
            username: "tim".into(),
            challenge: "<1896.697170952@postoffice.reston.mci.net>".into(),
            digest: Secret::new("b913a602c7eda7a495b4e6e7334d3890"),
        };
        assert!(!credentials.verify_password("tanstaaftanstaaf"));
    }
}
