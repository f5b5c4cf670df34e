//! AUTH (RFC 4954 §4) and the SASL response lines that follow a 334 challenge.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::CommandError;
use super::line::{COMMAND_LINE_LIMIT, render};
use crate::auth::Mechanism;

/// The longest SASL response line, CRLF included (RFC 4954 §4).
pub const SASL_LINE_LIMIT: usize = 12288;

/// What [`Auth::encode`] did with the initial response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialResponse {
    /// There was none: the mechanism starts with a server challenge.
    Absent,
    /// It was sent on the AUTH line (base64, or `=` when empty).
    Sent,
    /// It did not fit in 512 octets, so `AUTH <mechanism>` went alone: send the response
    /// with [`encode_sasl_response`] after the server's empty 334 (RFC 4954 §4).
    Deferred,
}

/// `AUTH <mechanism>[ <initial-response>]` (RFC 4954 §4).
///
/// The initial response is a secret: `Debug` shows only its length.
///
/// ```
/// use smtp_proto::auth::Mechanism;
/// use smtp_proto::command::{Auth, InitialResponse};
/// let auth = Auth::new(Mechanism::Plain, Some(b"\0user\0pass".to_vec()));
/// let mut out = Vec::new();
/// assert_eq!(auth.encode(&mut out), InitialResponse::Sent);
/// assert_eq!(out, b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    mechanism: Mechanism,
    initial_response: Option<Vec<u8>>,
}

impl Auth {
    /// The command; `initial_response` is the raw (not yet base64) client-first message.
    pub fn new(mechanism: Mechanism, initial_response: Option<Vec<u8>>) -> Self {
        Auth {
            mechanism,
            initial_response,
        }
    }

    /// The mechanism.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The initial response, if any.
    pub fn initial_response(&self) -> Option<&[u8]> {
        self.initial_response.as_deref()
    }

    /// Appends the AUTH line and says where the initial response went.
    ///
    /// Never fails: a mechanism name is at most 20 octets (RFC 4422 §3.1, checked when the
    /// [`Mechanism`] was parsed), and a response that would
    /// push the line past 512 octets is deferred instead.
    pub fn encode(&self, out: &mut Vec<u8>) -> InitialResponse {
        let mech = self.mechanism.as_str().as_bytes();
        let Some(ir) = &self.initial_response else {
            out.extend_from_slice(&render("AUTH", &[mech]));
            return InitialResponse::Absent;
        };
        let encoded = if ir.is_empty() {
            "=".to_owned()
        } else {
            STANDARD.encode(ir)
        };
        // "AUTH " + mechanism + " " + response + CRLF
        if 5 + mech.len() + 1 + encoded.len() + 2 <= COMMAND_LINE_LIMIT {
            out.extend_from_slice(&render("AUTH", &[mech, encoded.as_bytes()]));
            InitialResponse::Sent
        } else {
            out.extend_from_slice(&render("AUTH", &[mech]));
            InitialResponse::Deferred
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("mechanism", &self.mechanism)
            .field(
                "initial_response",
                &self
                    .initial_response
                    .as_ref()
                    .map(|r| format!("<redacted, {} octets>", r.len())),
            )
            .finish()
    }
}

/// Appends a SASL response line: the base64 of `response` and CRLF (RFC 4954 §4).
///
/// An empty response is an empty line. Refuses, before writing, a line over
/// [`SASL_LINE_LIMIT`] octets.
///
/// ```
/// use smtp_proto::command::encode_sasl_response;
/// let mut out = Vec::new();
/// encode_sasl_response(b"user", &mut out).unwrap();
/// assert_eq!(out, b"dXNlcg==\r\n");
/// ```
pub fn encode_sasl_response(response: &[u8], out: &mut Vec<u8>) -> Result<(), CommandError> {
    let len = base64::encoded_len(response.len(), true)
        .unwrap_or(usize::MAX)
        .saturating_add(2);
    if len > SASL_LINE_LIMIT {
        return Err(CommandError::SaslLineTooLong {
            len,
            max: SASL_LINE_LIMIT,
        });
    }
    out.extend_from_slice(STANDARD.encode(response).as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends `*` and CRLF: cancel the exchange (RFC 4954 §4), answered by 501.
pub fn encode_sasl_cancel(out: &mut Vec<u8>) {
    out.extend_from_slice(b"*\r\n");
}
