//! SASL mechanism names and the choice of one from the server's offer.

use std::fmt;
use std::str::FromStr;

use super::error::MechanismNameError;

/// A SASL mechanism name, as an EHLO `AUTH` line lists it (RFC 4954 §3, RFC 4422 §3.1).
///
/// The known mechanisms are variants; any other syntactically valid name is kept as
/// [`Mechanism::Other`] so that an offer can be shown and compared even when this crate
/// cannot run it. Names are case-insensitive (RFC 4422 §3.1) and are stored upper-cased.
/// Which variants can actually run depends on features: see [`Mechanism::is_supported`].
///
/// ```
/// use smtp_proto::auth::Mechanism;
///
/// let m: Mechanism = "scram-sha-256".parse().unwrap();
/// assert_eq!(m, Mechanism::ScramSha256);
/// assert_eq!(m.as_str(), "SCRAM-SHA-256");
/// assert_eq!("NTLM".parse::<Mechanism>().unwrap().as_str(), "NTLM");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): authzid, username and password in one message.
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login): username, then password, each on request.
    Login,
    /// `XOAUTH2`: Google's OAuth 2.0 bearer-token mechanism, also offered by Microsoft.
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628): the standard OAuth 2.0 bearer-token mechanism.
    OAuthBearer,
    /// `CRAM-MD5` (RFC 2195): challenge-response keyed with the password (feature
    /// `sasl-cram-md5`).
    CramMd5,
    /// `SCRAM-SHA-256` (RFC 7677, RFC 5802): salted challenge-response with mutual
    /// authentication (feature `sasl-scram`).
    ScramSha256,
    /// Any other mechanism name; this crate cannot run it.
    Other(OtherMechanism),
}

/// The name of a mechanism this crate does not know, validated and upper-cased.
///
/// Only [`Mechanism::from_str`] builds one, so it never spells a known mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherMechanism(String);

impl OtherMechanism {
    /// The upper-cased mechanism name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest mechanism name RFC 4422 §3.1 allows.
const MAX_NAME_LEN: usize = 20;

impl Mechanism {
    /// The registered (IANA) name, upper-case.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::CramMd5 => "CRAM-MD5",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::Other(other) => other.as_str(),
        }
    }

    /// Whether this build can run the mechanism (known, and its feature enabled).
    pub fn is_supported(&self) -> bool {
        match self {
            Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer => true,
            Self::CramMd5 => cfg!(feature = "sasl-cram-md5"),
            Self::ScramSha256 => cfg!(feature = "sasl-scram"),
            Self::Other(_) => false,
        }
    }

    /// Whether the client sends the first message (so it has an initial response).
    ///
    /// RFC 4422 §5: for these the AUTH command can carry the initial response (RFC 4954 §4);
    /// CRAM-MD5 and LOGIN wait for the server's first challenge.
    pub fn is_client_first(&self) -> bool {
        matches!(
            self,
            Self::Plain | Self::XOAuth2 | Self::OAuthBearer | Self::ScramSha256
        )
    }

    /// Parses the mechanism names of an EHLO `AUTH` line's parameters, skipping invalid ones.
    ///
    /// The parameters are separated by spaces (RFC 4954 §3); a name that is not valid
    /// SASL syntax is ignored rather than failing the whole offer, so one odd name from a
    /// server cannot hide the others. Duplicates are kept once, in order.
    ///
    /// ```
    /// use smtp_proto::auth::Mechanism;
    ///
    /// let offered = Mechanism::parse_list("login PLAIN  XOAUTH2 bad/name PLAIN");
    /// assert_eq!(offered, [Mechanism::Login, Mechanism::Plain, Mechanism::XOAuth2]);
    /// ```
    pub fn parse_list(params: &str) -> Vec<Mechanism> {
        let mut list: Vec<Mechanism> = Vec::new();
        for mechanism in params
            .split_ascii_whitespace()
            .filter_map(|n| n.parse().ok())
        {
            if !list.contains(&mechanism) {
                list.push(mechanism);
            }
        }
        list
    }
}

impl FromStr for Mechanism {
    type Err = MechanismNameError;

    /// Parses a mechanism name case-insensitively (RFC 4422 §3.1: 1 to 20 characters of
    /// `A-Z`, `0-9`, `-` and `_`).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name.is_empty() {
            return Err(MechanismNameError::Empty);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(MechanismNameError::TooLong { len: name.len() });
        }
        if let Some((position, ch)) = name
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(MechanismNameError::InvalidChar { position, ch });
        }
        let upper = name.to_ascii_uppercase();
        Ok(match upper.as_str() {
            "PLAIN" => Self::Plain,
            "LOGIN" => Self::Login,
            "XOAUTH2" => Self::XOAuth2,
            "OAUTHBEARER" => Self::OAuthBearer,
            "CRAM-MD5" => Self::CramMd5,
            "SCRAM-SHA-256" => Self::ScramSha256,
            _ => Self::Other(OtherMechanism(upper)),
        })
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the first mechanism of the caller's `preference` that the server `offered` and
/// this build supports.
///
/// The caller's order wins, never the server's: a server (or an attacker rewriting a
/// plaintext EHLO) cannot steer the choice to a weaker mechanism than the caller allows.
/// This is the only choice: if the exchange with the chosen mechanism fails, no other
/// mechanism is tried (no downgrade, SECURITY.md "credentials"). `None` means nothing
/// usable is offered, which a caller with credentials must treat as an error.
///
/// ```
/// use smtp_proto::auth::{select_mechanism, Mechanism};
///
/// let offered = Mechanism::parse_list("LOGIN PLAIN");
/// let pick = select_mechanism(&[Mechanism::OAuthBearer, Mechanism::Plain], &offered);
/// assert_eq!(pick, Some(Mechanism::Plain));
/// assert_eq!(select_mechanism(&[Mechanism::XOAuth2], &offered), None);
/// ```
pub fn select_mechanism(preference: &[Mechanism], offered: &[Mechanism]) -> Option<Mechanism> {
    preference
        .iter()
        .find(|m| m.is_supported() && offered.contains(m))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_parse_case_insensitively_and_round_trip() {
        for m in [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::XOAuth2,
            Mechanism::OAuthBearer,
            Mechanism::CramMd5,
            Mechanism::ScramSha256,
        ] {
            assert_eq!(m.as_str().parse::<Mechanism>().unwrap(), m);
            assert_eq!(
                m.as_str()
                    .to_ascii_lowercase()
                    .parse::<Mechanism>()
                    .unwrap(),
                m
            );
        }
        assert_eq!("Plain".parse::<Mechanism>().unwrap(), Mechanism::Plain);
    }

    #[test]
    fn invalid_names_are_refused_with_position() {
        assert_eq!("".parse::<Mechanism>(), Err(MechanismNameError::Empty));
        assert_eq!(
            "GSS API".parse::<Mechanism>(),
            Err(MechanismNameError::InvalidChar {
                position: 3,
                ch: ' '
            })
        );
        assert_eq!(
            "A23456789012345678901".parse::<Mechanism>(),
            Err(MechanismNameError::TooLong { len: 21 })
        );
        // Twenty characters is the longest name RFC 4422 §3.1 allows, not one too many.
        let longest = "A2345678901234567890".parse::<Mechanism>().unwrap();
        assert_eq!(longest.as_str(), "A2345678901234567890");
    }

    #[test]
    fn other_is_upper_cased_and_unsupported() {
        let m: Mechanism = "gssapi".parse().unwrap();
        assert_eq!(m.as_str(), "GSSAPI");
        assert!(!m.is_supported());
    }

    #[test]
    fn selection_follows_the_caller_not_the_server() {
        let offered = Mechanism::parse_list("PLAIN LOGIN XOAUTH2");
        let preference = [Mechanism::Login, Mechanism::Plain];
        assert_eq!(
            select_mechanism(&preference, &offered),
            Some(Mechanism::Login)
        );
        let unknown: Mechanism = "NTLM".parse().unwrap();
        assert_eq!(
            select_mechanism(&[unknown], &Mechanism::parse_list("NTLM")),
            None
        );
    }
}
