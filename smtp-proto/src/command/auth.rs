//! AUTH (RFC 4954 §4) and the SASL response lines that follow a 334 challenge.
//!
//! Both write a credential, base64-encoded, into the caller's buffer. The buffer is reserved
//! before the secret is written, so it does not reallocate and leave a copy behind; the
//! caller clears those octets (`fill(0)`) once they are written out. The client does all of
//! this itself: it tags the line as secret, logs only its redacted form, and zeroes the line
//! once handed out, before its buffer is written again, compacted or dropped.

use std::fmt;

use super::error::CommandError;
use super::line::COMMAND_LINE_LIMIT;
use crate::auth::{Mechanism, SaslResponse};

/// The longest SASL response line, CRLF included (RFC 4954 §4).
pub const SASL_LINE_LIMIT: usize = 12288;

/// What [`Auth::encode`] did with the initial response.
#[must_use = "a deferred initial response must be handed back to the SASL exchange"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialResponse {
    /// There was none: the mechanism starts with a server challenge.
    Absent,
    /// It was sent on the AUTH line (base64, or `=` when empty).
    Sent,
    /// It did not fit in 512 octets, so `AUTH <mechanism>` went alone (RFC 4954 §4).
    ///
    /// Hand it back with [`Auth::into_initial_response`] and
    /// [`SaslExchange::defer_initial_response`](crate::auth::SaslExchange::defer_initial_response):
    /// the exchange then answers the server's empty 334 with it, and the client writes
    /// that answer with [`encode_sasl_response`].
    Deferred,
}

/// `AUTH <mechanism>[ <initial-response>]` (RFC 4954 §4).
///
/// The initial response is a [`SaslResponse`]: `Debug` shows only its length, and it is
/// zeroed when the command is dropped. [`encode`](Self::encode) writes it in base64 (see the
/// module notes on clearing the output buffer).
///
/// With a [`SaslExchange`](crate::auth::SaslExchange) the sequence is:
///
/// 1. `Auth::new(mechanism, exchange.initial_response())`, then [`encode`](Self::encode).
/// 2. If it returns [`InitialResponse::Deferred`], give the response back:
///    [`into_initial_response`](Self::into_initial_response), then
///    [`SaslExchange::defer_initial_response`](crate::auth::SaslExchange::defer_initial_response).
/// 3. Each 334: decode it, `exchange.step(challenge)`, write the answer with
///    [`encode_sasl_response`]. After a deferral the first 334 is empty and its answer is
///    exactly the bytes that did not fit on the AUTH line.
///
/// ```
/// use smtp_proto::auth::{Credentials, Mechanism, SaslExchange, SaslParams};
/// use smtp_proto::command::{Auth, InitialResponse, encode_sasl_response};
///
/// let password = "p".repeat(400);
/// let credentials = Credentials::password("tim", password.as_str());
/// let mut exchange = SaslExchange::new(&Mechanism::Plain, &credentials, &SaslParams::new())?;
/// let auth = Auth::new(Mechanism::Plain, exchange.initial_response());
/// let mut out = Vec::new();
/// if auth.encode(&mut out) == InitialResponse::Deferred
///     && let Some(response) = auth.into_initial_response()
/// {
///     exchange.defer_initial_response(response);
/// }
/// assert_eq!(out, b"AUTH PLAIN\r\n");
/// // The server answers "334 " (an empty challenge).
/// let answer = exchange.step(b"")?;
/// out.clear();
/// encode_sasl_response(&answer, &mut out).unwrap();
/// assert_eq!(out.len(), 4 * (1 + 3 + 1 + 400usize).div_ceil(3) + 2);
/// out.fill(0); // written out: clear the credential
/// exchange.finish(None)?; // the server said 235
/// # Ok::<(), smtp_proto::auth::SaslError>(())
/// ```
///
/// A short response goes on the line:
///
/// ```
/// use smtp_proto::auth::{Mechanism, SaslResponse};
/// use smtp_proto::command::{Auth, InitialResponse};
/// let auth = Auth::new(Mechanism::Plain, Some(SaslResponse::new(b"\0user\0pass".to_vec())));
/// let mut out = Vec::new();
/// assert_eq!(auth.encode(&mut out), InitialResponse::Sent);
/// assert_eq!(out, b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    mechanism: Mechanism,
    initial_response: Option<SaslResponse>,
}

impl Auth {
    /// The command; `initial_response` is the raw (not yet base64) client-first message.
    pub fn new(mechanism: Mechanism, initial_response: Option<SaslResponse>) -> Self {
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
    pub fn initial_response(&self) -> Option<&SaslResponse> {
        self.initial_response.as_ref()
    }

    /// Gives the initial response back, to hand to the exchange after a deferral.
    ///
    /// It is moved out, not copied; `None` if the command had none.
    pub fn into_initial_response(mut self) -> Option<SaslResponse> {
        self.initial_response.take()
    }

    /// Appends the AUTH line and says where the initial response went.
    ///
    /// Never fails: a mechanism name is at most 20 octets (RFC 4422 §3.1, checked when the
    /// [`Mechanism`] was parsed), and a response that would push the line past 512 octets
    /// is deferred instead; an empty one is written `=` (RFC 4954 §4). When it is sent,
    /// `out` holds the credential in base64: clear it once written.
    pub fn encode(&self, out: &mut Vec<u8>) -> InitialResponse {
        let mech = self.mechanism.as_str().as_bytes();
        let Some(response) = &self.initial_response else {
            write_auth(out, mech, None);
            return InitialResponse::Absent;
        };
        if response.is_empty() {
            write_auth(out, mech, Some(b"="));
            return InitialResponse::Sent;
        }
        // "AUTH " + mechanism + " " + response + CRLF, checked before anything is encoded.
        let fits = base64::encoded_len(response.len(), true)
            .and_then(|b64| b64.checked_add(5 + mech.len() + 1 + 2))
            .is_some_and(|len| len <= COMMAND_LINE_LIMIT);
        if fits {
            let encoded = response.encode_base64();
            write_auth(out, mech, Some(encoded.expose().as_bytes()));
            InitialResponse::Sent
        } else {
            write_auth(out, mech, None);
            InitialResponse::Deferred
        }
    }
}

/// Writes `AUTH <mechanism>[ <argument>]` CRLF straight into `out`, reserved first so that
/// no intermediate or abandoned buffer keeps the argument.
fn write_auth(out: &mut Vec<u8>, mech: &[u8], argument: Option<&[u8]>) {
    let argument_len = argument.map_or(0, |a| a.len() + 1);
    out.reserve(5 + mech.len() + argument_len + 2);
    out.extend_from_slice(b"AUTH ");
    out.extend_from_slice(mech);
    if let Some(argument) = argument {
        out.push(b' ');
        out.extend_from_slice(argument);
    }
    out.extend_from_slice(b"\r\n");
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
/// [`SASL_LINE_LIMIT`] octets. On success `out` holds the response in base64, which may be
/// a credential: the client tags the transmit as secret and clears `out` once written.
///
/// ```
/// use smtp_proto::auth::SaslResponse;
/// use smtp_proto::command::encode_sasl_response;
/// let mut out = Vec::new();
/// encode_sasl_response(&SaslResponse::new(b"user".to_vec()), &mut out).unwrap();
/// assert_eq!(out, b"dXNlcg==\r\n");
/// ```
pub fn encode_sasl_response(
    response: &SaslResponse,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    let len = base64::encoded_len(response.len(), true)
        .unwrap_or(usize::MAX)
        .saturating_add(2);
    if len > SASL_LINE_LIMIT {
        return Err(CommandError::SaslLineTooLong {
            len,
            max: SASL_LINE_LIMIT,
        });
    }
    let encoded = response.encode_base64();
    out.reserve(len);
    out.extend_from_slice(encoded.expose().as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends `*` and CRLF: cancel the exchange (RFC 4954 §4), answered by 501.
pub fn encode_sasl_cancel(out: &mut Vec<u8>) {
    out.extend_from_slice(b"*\r\n");
}
