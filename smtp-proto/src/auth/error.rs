//! Errors of the SASL mechanisms, their inputs and the base64 helpers.

use super::mechanism::Mechanism;

/// Why a string is not a SASL mechanism name (RFC 4422 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MechanismNameError {
    /// The name is empty.
    #[error("empty SASL mechanism name")]
    Empty,
    /// The name is longer than 20 characters.
    #[error("SASL mechanism name is {len} characters long, at most 20 are allowed")]
    TooLong {
        /// Length of the offending name, in bytes.
        len: usize,
    },
    /// The name holds a character other than `A-Z`, `0-9`, `-` and `_`.
    #[error("invalid character {ch:?} at position {position} of a SASL mechanism name")]
    InvalidChar {
        /// Byte offset of the character.
        position: usize,
        /// The character.
        ch: char,
    },
}

/// Why base64 text (a 334 challenge or a 235 additional-data text) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// A byte outside the base64 alphabet (or misplaced padding).
    #[error("invalid base64 byte {byte:#04x} at position {position}")]
    InvalidByte {
        /// Offset of the byte in the text.
        position: usize,
        /// The byte.
        byte: u8,
    },
    /// The number of symbols cannot encode whole bytes.
    #[error("invalid base64 length {len}")]
    InvalidLength {
        /// Number of symbols (padding excluded).
        len: usize,
    },
    /// The last symbol carries non-zero unused bits, so the text is not canonical.
    #[error("non-canonical last base64 symbol {byte:#04x} at position {position}")]
    InvalidLastSymbol {
        /// Offset of the symbol.
        position: usize,
        /// The symbol.
        byte: u8,
    },
    /// Padding is malformed.
    #[error("invalid base64 padding")]
    InvalidPadding,
}

/// A credential field, named in [`SaslError::InvalidField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// The authentication identity (user name).
    Username,
    /// The authorization identity (act as this user).
    Authzid,
    /// The password.
    Password,
    /// The OAuth 2.0 access token.
    Token,
    /// The host name sent in OAUTHBEARER.
    Host,
    /// The SCRAM client nonce.
    ClientNonce,
}

/// What is wrong with a credential field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldProblem {
    /// The field is empty where the mechanism needs a value.
    Empty,
    /// An ASCII control character (NUL, CR, LF, `^A`, DEL, ...) at this byte offset.
    Control {
        /// Byte offset of the control character.
        position: usize,
        /// The control byte.
        byte: u8,
    },
    /// A non-ASCII character at this byte offset where SASLprep would be needed.
    NonAscii {
        /// Byte offset of the first byte of the character.
        position: usize,
    },
    /// A byte the field's syntax forbids (a `,` in a SCRAM nonce, a space in a token).
    Forbidden {
        /// Byte offset of the byte.
        position: usize,
        /// The byte.
        byte: u8,
    },
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The offending byte is printed only for controls and syntax bytes, never the
        // surrounding value: the field may be a password.
        match self {
            Self::Empty => f.write_str("is empty"),
            Self::Control { position, byte } => {
                write!(
                    f,
                    "holds control character {byte:#04x} at position {position}"
                )
            }
            Self::NonAscii { position } => write!(
                f,
                "holds a non-ASCII character at position {position} (SASLprep is not implemented)"
            ),
            Self::Forbidden { position, byte } => {
                write!(f, "holds forbidden byte {byte:#04x} at position {position}")
            }
        }
    }
}

/// A SASL exchange failed, or could not start.
///
/// Display never includes a secret. Any error ends the exchange: the SMTP layer cancels it
/// (`*`, RFC 4954 §4) or treats the connection as failed, and tries no other mechanism.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The mechanism is unknown to this crate or its feature is disabled.
    #[error("SASL mechanism {0} is not supported by this build")]
    UnsupportedMechanism(Mechanism),
    /// The credentials are of the wrong kind for the mechanism (a password for XOAUTH2).
    #[error("SASL mechanism {0} cannot use these credentials")]
    CredentialsMismatch(Mechanism),
    /// SCRAM needs a client nonce from the caller (the core draws no randomness).
    #[error("SCRAM needs a client nonce (SaslParams::client_nonce)")]
    MissingClientNonce,
    /// An authorization identity was requested but the mechanism cannot carry one
    /// (LOGIN, CRAM-MD5, XOAUTH2); sending without it would act as a different identity.
    #[error("SASL mechanism {0} cannot carry an authorization identity")]
    AuthzidUnsupported(Mechanism),
    /// A credential field is not acceptable for the mechanism.
    #[error("SASL {field:?} {problem}")]
    InvalidField {
        /// The field.
        field: Field,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// The server sent a challenge where the mechanism expects none (more challenges than
    /// the mechanism has steps, or a non-empty first challenge before the initial response).
    #[error("unexpected SASL challenge for {mechanism} at step {step}")]
    UnexpectedChallenge {
        /// The mechanism of the exchange.
        mechanism: Mechanism,
        /// Number of challenges received, this one included.
        step: usize,
    },
    /// The exchange already ended, with success or an error; it cannot be stepped again.
    #[error("the SASL exchange has already ended")]
    Ended,
    /// The server sent additional data with success where the exchange expects none.
    #[error("unexpected additional data with {0} success")]
    UnexpectedAdditionalData(Mechanism),
    /// A challenge is syntactically wrong for the mechanism.
    #[error("malformed {mechanism} challenge: {reason}")]
    MalformedChallenge {
        /// The mechanism of the exchange.
        mechanism: Mechanism,
        /// What is wrong, precisely.
        reason: &'static str,
    },
    /// Base64 in a challenge or SCRAM attribute is malformed.
    #[error("malformed base64: {0}")]
    Base64(#[from] Base64Error),
    /// LOGIN: the server asked for the password where the username is due, or the reverse.
    #[error("LOGIN prompt asks for the {asked} where the {expected} is due")]
    LoginPromptMismatch {
        /// What the prompt asks for.
        asked: &'static str,
        /// What the client would send at this step.
        expected: &'static str,
    },
    /// SCRAM: the server nonce does not extend the client nonce (RFC 5802 §5.1 `r`).
    #[error("SCRAM server nonce does not start with the client nonce or adds nothing to it")]
    NonceMismatch,
    /// SCRAM: the iteration count exceeds the configured maximum (denial-of-service guard).
    #[error("SCRAM iteration count {count} exceeds the maximum {max}")]
    IterationCountTooHigh {
        /// The server's count.
        count: u32,
        /// The configured maximum.
        max: u32,
    },
    /// SCRAM: the iteration count is below the configured minimum (RFC 7677 §4: at least
    /// 4096 by default, since a low count helps an impostor's offline guessing).
    #[error("SCRAM iteration count {count} is below the minimum {min}")]
    IterationCountTooLow {
        /// The server's count.
        count: u32,
        /// The configured minimum.
        min: u32,
    },
    /// SCRAM: the server asked for a mandatory extension (`m=`, RFC 5802 §5.1).
    #[error("SCRAM server requires an unsupported mandatory extension")]
    MandatoryExtension,
    /// SCRAM: the server signature does not verify: the server does not know the password.
    #[error("SCRAM server signature does not verify (server not authenticated)")]
    ServerSignatureMismatch,
    /// SCRAM: the server reported success without sending its signature.
    #[error("SCRAM success reported without a server signature")]
    ServerSignatureMissing,
    /// SCRAM: the server-final message carries an error (`e=`, RFC 5802 §7).
    #[error("SCRAM server error: {0}")]
    ServerError(String),
    /// XOAUTH2/OAUTHBEARER: the server reported success after an error challenge.
    #[error("{0} success reported after an error challenge")]
    SuccessAfterError(Mechanism),
}
