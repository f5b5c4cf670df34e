//! PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one client message.

use super::credentials::{check_no_controls, check_not_empty};
use super::error::{Field, SaslError};
use super::secret::{SaslResponse, Secret};

/// Builds the PLAIN message (RFC 4616 §2).
///
/// NUL separates the fields, so a NUL inside one would shift them: every ASCII control is
/// refused (RFC 4616 `UTF8SAFE` excludes NUL; SASLprep excludes the rest). `authcid` and
/// `passwd` need at least one character. Non-ASCII text is sent as UTF-8 unchanged:
/// RFC 4616 §2 leaves the preparation of the received strings to the server.
pub(super) fn message(
    authzid: Option<&str>,
    username: &str,
    password: &Secret,
) -> Result<SaslResponse, SaslError> {
    if let Some(authzid) = authzid {
        check_no_controls(Field::Authzid, authzid)?;
    }
    check_not_empty(Field::Username, username)?;
    check_no_controls(Field::Username, username)?;
    check_not_empty(Field::Password, password.expose())?;
    check_no_controls(Field::Password, password.expose())?;
    let authzid = authzid.unwrap_or_default();
    let mut bytes =
        Vec::with_capacity(authzid.len() + username.len() + password.expose().len() + 2);
    bytes.extend_from_slice(authzid.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(username.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(password.expose().as_bytes());
    Ok(SaslResponse::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::error::FieldProblem;

    #[test]
    fn nul_in_any_field_is_refused() {
        let password = Secret::new("pw");
        assert_eq!(
            message(None, "ti\0m", &password),
            Err(SaslError::InvalidField {
                field: Field::Username,
                problem: FieldProblem::Control {
                    position: 2,
                    byte: 0
                }
            })
        );
        assert!(matches!(
            message(Some("a\0"), "tim", &password),
            Err(SaslError::InvalidField {
                field: Field::Authzid,
                ..
            })
        ));
        assert!(matches!(
            message(None, "tim", &Secret::new("p\0w")),
            Err(SaslError::InvalidField {
                field: Field::Password,
                ..
            })
        ));
        assert!(matches!(
            message(None, "tim", &Secret::new("")),
            Err(SaslError::InvalidField {
                field: Field::Password,
                problem: FieldProblem::Empty
            })
        ));
    }
}
