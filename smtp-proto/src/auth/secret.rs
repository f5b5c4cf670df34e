//! Redacting, self-zeroing holders for passwords, tokens and the responses that carry them.

use std::fmt;

/// A password or token: redacted in `Debug` and `Display`, zeroed on drop.
///
/// Zeroing is "as far as safe Rust allows": the buffer this value owns (its whole capacity)
/// is overwritten before it is freed, behind [`std::hint::black_box`] so the compiler does
/// not elide the writes. Copies made elsewhere are out of reach: the caller's own strings,
/// buffers a `String` left behind when it grew before it was handed over, and what the OS
/// or TLS layer keeps. Read the value with [`Secret::expose`], at the last moment.
///
/// ```
/// use smtp_proto::auth::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?} {password}"), "Secret(***) ***");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zero_vec(std::mem::take(&mut self.0).into_bytes());
    }
}

/// The bytes a SASL step answers with, before base64: redacted in `Debug`, zeroed on drop.
///
/// Any response may carry a credential (PLAIN, the LOGIN password, a token, a SCRAM proof),
/// so every response is treated as one: the SMTP layer tags its transmit as secret and
/// logs only the redacted form. Encode it with [`SaslResponse::encode_base64`], or write
/// the whole line with [`command::encode_sasl_response`](crate::command::encode_sasl_response)
/// or [`command::Auth`](crate::command::Auth).
///
/// A mechanism implemented outside this crate builds its responses with
/// [`SaslResponse::new`] (or `From<Vec<u8>>`), which takes the buffer over without copying.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslResponse(Vec<u8>);

impl SaslResponse {
    /// Wraps the raw (not base64) bytes of a response, taking the buffer over.
    ///
    /// For mechanisms implemented outside [`SaslExchange`](super::SaslExchange). The
    /// buffer is moved, not copied, and zeroed when the response is dropped; copies the
    /// caller made before (while building the message, or a `Vec` that reallocated as it
    /// grew) are out of reach, so build the message into a buffer with enough capacity.
    ///
    /// ```
    /// use smtp_proto::auth::SaslResponse;
    ///
    /// let response = SaslResponse::new(b"\0tim\0tanstaaf".to_vec());
    /// assert_eq!(response.as_bytes(), b"\0tim\0tanstaaf");
    /// assert_eq!(format!("{response:?}"), "SaslResponse(*** 13 bytes)");
    /// ```
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The length of the raw response, in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The raw response bytes (not base64-encoded).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether the response is empty (sent as an empty line in SMTP, RFC 4954 §4).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The base64 encoding (RFC 4648 §4, padded) for a 334 answer, still as a [`Secret`].
    ///
    /// An empty response encodes to the empty string; as an initial response on the AUTH
    /// line the SMTP layer writes `=` instead (RFC 4954 §4).
    pub fn encode_base64(&self) -> Secret {
        Secret(super::base64::encode(&self.0))
    }
}

impl From<Vec<u8>> for SaslResponse {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SaslResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SaslResponse(*** {} bytes)", self.0.len())
    }
}

impl Drop for SaslResponse {
    fn drop(&mut self) {
        zero_vec(std::mem::take(&mut self.0));
    }
}

/// Overwrites a buffer's whole capacity with zeros before it is freed.
pub(crate) fn zero_vec(mut bytes: Vec<u8>) {
    bytes.fill(0);
    // Extending within the capacity never reallocates; it reaches bytes a shorter length
    // hid (a string that shrank, a buffer that was truncated).
    let spare = bytes.capacity() - bytes.len();
    bytes.extend(std::iter::repeat_n(0, spare));
    std::hint::black_box(&mut bytes);
}

/// Overwrites a fixed buffer with zeros, so that derived keys do not outlive their use.
#[cfg_attr(not(feature = "sasl-scram"), allow(dead_code))]
pub(crate) fn zero_array<const N: usize>(bytes: &mut [u8; N]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats_its_value() {
        let secret = Secret::from("tanstaaf".to_string());
        assert!(!format!("{secret:?}").contains("tanstaaf"));
        assert!(!format!("{secret}").contains("tanstaaf"));
        assert!(!format!("{secret:#?}").contains("tanstaaf"));
        assert!(!secret.is_empty());
        assert!(Secret::new("").is_empty());
    }

    #[test]
    fn response_formats_only_its_length() {
        let response = SaslResponse::new(b"\0tim\0tanstaaf".to_vec());
        assert_eq!(format!("{response:?}"), "SaslResponse(*** 13 bytes)");
        let encoded = response.encode_base64();
        assert_eq!(encoded.expose(), "AHRpbQB0YW5zdGFhZg==");
        assert_eq!(format!("{encoded:?}"), "Secret(***)");
    }

    #[test]
    fn zeroing_clears_derived_keys() {
        let mut a = *b"key!";
        zero_array(&mut a);
        assert_eq!(a, [0; 4]);
    }
}
