//! What the caller authenticates with, and the checks every field passes before use.

use std::fmt;

use super::error::{Field, FieldProblem, SaslError};
use super::mechanism::Mechanism;
use super::secret::Secret;

/// The credentials of one AUTH exchange; `Debug` shows the user, never the secret.
///
/// Which mechanisms can use them: a password works with PLAIN, LOGIN, CRAM-MD5 and
/// SCRAM-SHA-256; an OAuth 2.0 token with XOAUTH2 and OAUTHBEARER.
///
/// ```
/// use smtp_proto::auth::Credentials;
///
/// let credentials = Credentials::password("tim", "tanstaaftanstaaf");
/// assert_eq!(
///     format!("{credentials:?}"),
///     r#"Password { username: "tim", password: Secret(***) }"#
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and a password.
    Password {
        /// The authentication identity.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A user and an OAuth 2.0 access token (RFC 6750 bearer token).
    OAuth2 {
        /// The user the token was issued for (XOAUTH2 `user=`, OAUTHBEARER `a=`).
        user: String,
        /// The access token.
        token: Secret,
    },
}

impl Credentials {
    /// A user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Password {
            username: username.into(),
            password: password.into(),
        }
    }

    /// A user and an OAuth 2.0 access token.
    pub fn oauth2(user: impl Into<String>, token: impl Into<Secret>) -> Self {
        Self::OAuth2 {
            user: user.into(),
            token: token.into(),
        }
    }

    /// The user name (the authentication identity).
    pub fn username(&self) -> &str {
        match self {
            Self::Password { username, .. } => username,
            Self::OAuth2 { user, .. } => user,
        }
    }

    /// Whether `mechanism` authenticates with this kind of credentials: a password with
    /// PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256, a token with XOAUTH2 and OAUTHBEARER. (Whether
    /// this build can run it is [`Mechanism::is_supported`].) A caller's preference list can
    /// be checked with it before connecting: a mechanism that does not fit fails its
    /// exchange with [`SaslError::CredentialsMismatch`] once it is chosen.
    ///
    /// ```
    /// use smtp_proto::auth::{Credentials, Mechanism};
    ///
    /// let token = Credentials::oauth2("user@example.com", "ya29.token");
    /// assert!(token.fits(&Mechanism::XOAuth2));
    /// assert!(!token.fits(&Mechanism::Plain));
    /// ```
    pub fn fits(&self, mechanism: &Mechanism) -> bool {
        match self {
            Self::Password { .. } => matches!(
                mechanism,
                Mechanism::Plain | Mechanism::Login | Mechanism::CramMd5 | Mechanism::ScramSha256
            ),
            Self::OAuth2 { .. } => {
                matches!(mechanism, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written out so that a field added later cannot leak through a derive.
        match self {
            Self::Password { username, password } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", password)
                .finish(),
            Self::OAuth2 { user, token } => f
                .debug_struct("OAuth2")
                .field("user", user)
                .field("token", token)
                .finish(),
        }
    }
}

/// Refuses control characters (C0, DEL and C1) anywhere in a field: the crate's one guard,
/// [`crate::syntax::chars::find_control`].
///
/// They are never legitimate in a SASL identity or secret: SASLprep prohibits them
/// (RFC 4013 §2.3, tables C.2.1 and C.2.2), PLAIN's NUL and the OAuth `^A` are separators
/// (RFC 4616 §2, RFC 7628 §3.1), and CR/LF (or NEL, U+0085) would be command injection once
/// decoded by a careless server (SECURITY.md "command injection"). For a C1 control `byte`
/// is its code point.
pub(crate) fn check_no_controls(field: Field, value: &str) -> Result<(), SaslError> {
    match crate::syntax::chars::find_control(value) {
        Some((position, byte)) => Err(SaslError::InvalidField {
            field,
            problem: FieldProblem::Control { position, byte },
        }),
        None => Ok(()),
    }
}

/// Refuses an empty field where the mechanism's grammar needs at least one character.
pub(crate) fn check_not_empty(field: Field, value: &str) -> Result<(), SaslError> {
    if value.is_empty() {
        Err(SaslError::InvalidField {
            field,
            problem: FieldProblem::Empty,
        })
    } else {
        Ok(())
    }
}

/// Refuses non-ASCII characters where this crate would otherwise have to run SASLprep.
///
/// SASLprep (RFC 4013) is the identity on printable ASCII, which [`check_no_controls`]
/// already ensures; for anything else it maps, normalises (NFKC) and prohibits, and without
/// a stringprep implementation the bytes sent could differ from what the server prepares.
pub(crate) fn check_ascii(field: Field, value: &str) -> Result<(), SaslError> {
    match value.bytes().position(|b| !b.is_ascii()) {
        Some(position) => Err(SaslError::InvalidField {
            field,
            problem: FieldProblem::NonAscii { position },
        }),
        None => Ok(()),
    }
}

/// Escapes a name for a GS2 header or a SCRAM `n=` attribute (RFC 5802 §5.1 `saslname`):
/// `,` becomes `=2C` and `=` becomes `=3D`, so the value cannot end its attribute early.
pub(crate) fn escape_saslname(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for ch in name.chars() {
        match ch {
            ',' => escaped.push_str("=2C"),
            '=' => escaped.push_str("=3D"),
            _ => escaped.push(ch),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_both_kinds_hides_the_secret() {
        let p = Credentials::password("tim", "tanstaaftanstaaf");
        let o = Credentials::oauth2("user@example.com", "ya29.token");
        for text in [
            format!("{p:?}"),
            format!("{p:#?}"),
            format!("{o:?}"),
            format!("{o:#?}"),
        ] {
            assert!(!text.contains("tanstaaf"), "{text}");
            assert!(!text.contains("ya29"), "{text}");
        }
        assert_eq!(o.username(), "user@example.com");
    }

    /// `fits` agrees with what the exchange accepts: every mechanism this build runs starts
    /// with the credentials it fits, and fails with a mismatch with the others.
    #[test]
    fn fits_agrees_with_the_exchange() {
        use crate::auth::{SaslExchange, SaslParams};
        let params = SaslParams::new().client_nonce("rOprNGfwEbeRWgbNEkqO");
        let kinds = [
            Credentials::password("tim", "tanstaaftanstaaf"),
            Credentials::oauth2("user@example.com", "ya29.token"),
        ];
        let mechanisms = [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
            Mechanism::CramMd5,
            Mechanism::ScramSha256,
        ];
        for credentials in &kinds {
            for mechanism in mechanisms.iter().filter(|m| m.is_supported()) {
                let started = SaslExchange::new(mechanism, credentials, &params);
                let mismatch = matches!(started, Err(SaslError::CredentialsMismatch(_)));
                assert_eq!(
                    credentials.fits(mechanism),
                    !mismatch,
                    "{mechanism:?} with {credentials:?}: {started:?}"
                );
            }
            assert!(!credentials.fits(&"NTLM".parse().unwrap()));
        }
    }

    #[test]
    fn controls_are_reported_with_their_position() {
        assert_eq!(
            check_no_controls(Field::Password, "ab\u{1}c"),
            Err(SaslError::InvalidField {
                field: Field::Password,
                problem: FieldProblem::Control {
                    position: 2,
                    byte: 1
                }
            })
        );
        assert!(check_no_controls(Field::Username, "Kürt Ω").is_ok());
        assert!(check_no_controls(Field::Username, "a\u{7f}").is_err());
        assert!(check_no_controls(Field::Username, "a\u{85}").is_err());
    }

    #[test]
    fn saslname_escaping_follows_rfc_5802() {
        assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
        assert_eq!(escape_saslname("user"), "user");
        assert_eq!(
            check_ascii(Field::Username, "aé"),
            Err(SaslError::InvalidField {
                field: Field::Username,
                problem: FieldProblem::NonAscii { position: 1 }
            })
        );
    }
}
