//! SASL mechanisms as pure steps: no SMTP framing, no IO, no randomness.
//!
//! | mechanism | spec | feature | credentials |
//! |---|---|---|---|
//! | `PLAIN` | RFC 4616 | always | password (optional authzid) |
//! | `LOGIN` | draft-murchison-sasl-login | always | password |
//! | `XOAUTH2` | Google's XOAUTH2 documentation | always | OAuth 2.0 token |
//! | `OAUTHBEARER` | RFC 7628 | always | OAuth 2.0 token (optional authzid, host, port) |
//! | `CRAM-MD5` | RFC 2195 | `sasl-cram-md5` | password |
//! | `SCRAM-SHA-256` | RFC 7677, RFC 5802 | `sasl-scram` | password, client nonce |
//!
//! The pieces, in the order an AUTH command (RFC 4954) uses them:
//!
//! - [`Mechanism`]: a name from the EHLO `AUTH` line, parsed case-insensitively;
//!   [`select_mechanism`] picks the first of the caller's preference the server offers
//!   (no downgrade: nothing else is tried after a failure).
//! - [`SaslExchange`]: one exchange: [`initial_response`](SaslExchange::initial_response)
//!   (handed back with [`defer_initial_response`](SaslExchange::defer_initial_response) when
//!   it does not fit on the AUTH line), then [`step`](SaslExchange::step) per 334
//!   challenge, then [`finish`](SaslExchange::finish) on 235. A bounded number of steps
//!   per mechanism.
//! - [`decode_base64`] / [`encode_base64`]: the base64 of 334 texts and responses.
//! - [`Secret`], [`Credentials`], [`SaslResponse`]: redacted in `Debug`, secrets zeroed on
//!   drop, so credentials never reach a log (SECURITY.md "credentials"). A mechanism
//!   written outside the crate wraps its answers with [`SaslResponse::new`].
//!
//! Every field is checked before anything is produced: ASCII controls (NUL, CR, LF, `^A`,
//! ...) are refused in every identity, secret, host and nonce, since they are separators or
//! injection in one mechanism or another and SASLprep prohibits them anyway. SASLprep
//! (RFC 4013) itself is not implemented: it is the identity on printable ASCII, so SCRAM
//! (which hashes the prepared password) accepts ASCII only and refuses the rest with
//! [`FieldProblem::NonAscii`]; PLAIN, LOGIN and the OAuth mechanisms send UTF-8 as given,
//! the server preparing what it receives.
//!
//! Per mechanism:
//!
//! - LOGIN answers by position (username, then password), since servers word the prompts
//!   differently ("Username:", "User Name\0", localised, empty); only a prompt that plainly
//!   asks for the other field is refused, so the password never answers a user-name prompt.
//! - XOAUTH2 and OAUTHBEARER answer an error challenge with an empty response and `%x01`
//!   respectively, keep its text ([`SaslExchange::server_error`]) and refuse a 235 after it.
//! - SCRAM-SHA-256 takes the client nonce as input, bounds the server's iteration count
//!   ([`DEFAULT_SCRAM_MIN_ITERATIONS`]..=[`DEFAULT_SCRAM_MAX_ITERATIONS`], configurable), and
//!   counts as successful only after the server signature verified, whether the
//!   server-final arrived in the last 334 or with the 235.
//!
//! ```
//! use smtp_proto::auth::{self, Credentials, Mechanism, SaslExchange, SaslParams};
//!
//! let offered = Mechanism::parse_list("LOGIN PLAIN");
//! let mechanism = auth::select_mechanism(auth::PASSWORD_PREFERENCE, &offered).unwrap();
//! assert_eq!(mechanism, Mechanism::Plain);
//!
//! let credentials = Credentials::password("tim", "tanstaaftanstaaf");
//! let mut exchange = SaslExchange::new(&mechanism, &credentials, &SaslParams::new())?;
//! let initial = exchange.initial_response().unwrap();
//! assert_eq!(initial.encode_base64().expose(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
//! exchange.finish(None)?; // the server said 235
//! # Ok::<(), auth::SaslError>(())
//! ```

mod base64;
mod credentials;
mod error;
mod exchange;
mod login;
mod mechanism;
mod oauth;
mod params;
mod plain;
mod secret;

#[cfg(feature = "sasl-cram-md5")]
pub(crate) mod cram_md5;
#[cfg(feature = "sasl-scram")]
pub(crate) mod scram;

pub use self::base64::{decode_base64, encode_base64};
pub use self::credentials::Credentials;
pub use self::error::{Base64Error, Field, FieldProblem, MechanismNameError, SaslError};
pub use self::exchange::SaslExchange;
pub use self::mechanism::{Mechanism, OtherMechanism, select_mechanism};
pub use self::params::{DEFAULT_SCRAM_MAX_ITERATIONS, DEFAULT_SCRAM_MIN_ITERATIONS, SaslParams};
pub(crate) use self::secret::zero_vec;
pub use self::secret::{SaslResponse, Secret};

/// A default preference for password credentials: SCRAM-SHA-256 (when built), PLAIN, LOGIN.
///
/// SCRAM first because it never reveals the password and authenticates the server; PLAIN
/// before LOGIN because it takes one round trip. CRAM-MD5 is left out (it needs the
/// password stored recoverably on the server and adds nothing over TLS); list it
/// explicitly to use it.
pub const PASSWORD_PREFERENCE: &[Mechanism] = if cfg!(feature = "sasl-scram") {
    &[Mechanism::ScramSha256, Mechanism::Plain, Mechanism::Login]
} else {
    &[Mechanism::Plain, Mechanism::Login]
};

/// A default preference for OAuth 2.0 credentials: OAUTHBEARER (the standard), then XOAUTH2.
pub const OAUTH2_PREFERENCE: &[Mechanism] = &[Mechanism::OAuthBearer, Mechanism::XOAuth2];
