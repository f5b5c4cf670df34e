//! LOGIN (draft-murchison-sasl-login): the username answers the first challenge, the
//! password the second.
//!
//! The draft says the client ignores the challenge text, and servers vary ("Username:",
//! "User Name\0", localised prompts, empty). So the answer goes by position, with one
//! guard: a prompt that plainly asks for the *other* field (a "Password" prompt where the
//! username is due, a "User" prompt where the password is due) fails the exchange, because
//! answering it could put the password where a server logs user names.

use super::error::SaslError;

/// What a LOGIN prompt plainly asks for, if it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prompt {
    /// "Username:", "User Name", "user".
    Username,
    /// "Password:", "Pass".
    Password,
    /// Anything else: empty, localised, binary.
    Unknown,
}

/// Classifies a prompt by its first letters, ignoring case and leading spaces.
pub(super) fn classify(challenge: &[u8]) -> Prompt {
    let start = challenge
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(challenge.len());
    let text = challenge.get(start..).unwrap_or_default();
    let starts_with = |prefix: &[u8]| {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if starts_with(b"user") {
        Prompt::Username
    } else if starts_with(b"pass") {
        Prompt::Password
    } else {
        Prompt::Unknown
    }
}

/// Checks that the prompt at `step` (0: username due, 1: password due) does not ask for
/// the other field.
pub(super) fn check_prompt(step: usize, challenge: &[u8]) -> Result<(), SaslError> {
    match (step, classify(challenge)) {
        (0, Prompt::Password) => Err(SaslError::LoginPromptMismatch {
            asked: "password",
            expected: "username",
        }),
        (1, Prompt::Username) => Err(SaslError::LoginPromptMismatch {
            asked: "username",
            expected: "password",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_of_real_servers_are_classified() {
        assert_eq!(classify(b"Username:"), Prompt::Username);
        assert_eq!(classify(b"User Name\0"), Prompt::Username);
        assert_eq!(classify(b"  PASSWORD:"), Prompt::Password);
        assert_eq!(classify(b"Password\0"), Prompt::Password);
        assert_eq!(classify(b"Benutzername:"), Prompt::Unknown);
        assert_eq!(classify(b""), Prompt::Unknown);
        assert_eq!(classify(b"us"), Prompt::Unknown);
    }

    #[test]
    fn only_a_prompt_for_the_other_field_is_refused() {
        assert!(check_prompt(0, b"Username:").is_ok());
        assert!(check_prompt(0, b"Kennung:").is_ok());
        assert_eq!(
            check_prompt(0, b"Password:"),
            Err(SaslError::LoginPromptMismatch {
                asked: "password",
                expected: "username"
            })
        );
        assert!(check_prompt(1, b"Password:").is_ok());
        assert!(matches!(
            check_prompt(1, b"Username:"),
            Err(SaslError::LoginPromptMismatch { .. })
        ));
    }
}
