//! The base64 helpers the SMTP layer uses around SASL (RFC 4954 §4, RFC 4648 §4).
//!
//! A 334 reply carries its challenge as base64 text, and every client answer is base64.
//! Decoding accepts the standard alphabet either unpadded or with exactly the padding RFC
//! 4648 §4 requires (padding does not change the bytes) and refuses everything else: partial
//! padding, spaces, line breaks, the URL-safe alphabet and non-canonical trailing bits, each
//! with its position.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::error::Base64Error;

/// Standard alphabet; encodes with padding, decodes text that ends in padding only when
/// the padding is complete.
const PADDED: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(false),
);

/// Standard alphabet, for text without any padding.
const UNPADDED: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes the base64 text of a 334 challenge (or of 235 additional data) into bytes.
///
/// The SMTP layer passes the reply text after the code and its separator, with the line
/// end removed; an empty text is an empty challenge.
///
/// ```
/// use smtp_proto::auth::{decode_base64, Base64Error};
///
/// assert_eq!(decode_base64(b"VXNlcm5hbWU6").unwrap(), b"Username:");
/// assert_eq!(decode_base64(b"").unwrap(), b"");
/// assert_eq!(
///     decode_base64(b"VXNl cm5h"),
///     Err(Base64Error::InvalidByte { position: 4, byte: b' ' })
/// );
/// ```
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let engine = if text.ends_with(b"=") {
        &PADDED
    } else {
        &UNPADDED
    };
    engine.decode(text).map_err(|e| match e {
        base64::DecodeError::InvalidByte(position, byte) => {
            Base64Error::InvalidByte { position, byte }
        }
        base64::DecodeError::InvalidLength(len) => Base64Error::InvalidLength { len },
        base64::DecodeError::InvalidLastSymbol(position, byte) => {
            Base64Error::InvalidLastSymbol { position, byte }
        }
        base64::DecodeError::InvalidPadding => Base64Error::InvalidPadding,
    })
}

/// Encodes bytes as padded standard base64, for a response line or the AUTH initial
/// response.
///
/// For a response that carries credentials prefer [`SaslResponse::encode_base64`], which
/// keeps the text inside a redacting [`Secret`].
///
/// [`SaslResponse::encode_base64`]: super::SaslResponse::encode_base64
/// [`Secret`]: super::Secret
///
/// ```
/// assert_eq!(smtp_proto::auth::encode_base64(b"Password:"), "UGFzc3dvcmQ6");
/// ```
pub fn encode_base64(bytes: &[u8]) -> String {
    PADDED.encode(bytes)
}

pub(crate) use encode_base64 as encode;

/// Appends the padded base64 of `bytes` to `out`, in place: with enough capacity reserved,
/// no buffer but `out` ever holds the text, so a secret's encoding (a SCRAM proof) leaves no
/// copy behind in freed memory.
#[cfg(feature = "sasl-scram")]
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let written = out
        .get_mut(start..)
        .and_then(|tail| PADDED.encode_slice(bytes, tail).ok())
        .unwrap_or(0);
    out.truncate(start + written);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[cfg(feature = "sasl-scram")]
    #[test]
    fn encode_into_appends_what_encode_writes() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", &[0xff; 32]] {
            let mut out = b"p=".to_vec();
            encode_into(bytes, &mut out);
            assert_eq!(out, [&b"p="[..], encode(bytes).as_bytes()].concat());
        }
    }

    #[test]
    fn padding_is_optional_on_input_and_always_written() {
        assert_eq!(decode_base64(b"dGlt").unwrap(), b"tim");
        assert_eq!(decode_base64(b"dGk=").unwrap(), b"ti");
        assert_eq!(decode_base64(b"dGk").unwrap(), b"ti");
        assert_eq!(encode_base64(b"ti"), "dGk=");
    }

    /// Padding is all or nothing (RFC 4648 §4): one `=` where two belong is malformed,
    /// as is padding where none belongs.
    #[test]
    fn partial_or_needless_padding_is_refused() {
        assert_eq!(decode_base64(b"dGltCg==").unwrap(), b"tim\n");
        assert_eq!(decode_base64(b"dGltCg").unwrap(), b"tim\n");
        for bad in [&b"dGltCg="[..], b"dGlt=", b"dGlt====", b"dGk=="] {
            assert!(decode_base64(bad).is_err(), "{}", bad.escape_ascii());
        }
        assert_eq!(decode_base64(b"dGltCg="), Err(Base64Error::InvalidPadding));
    }

    #[test]
    fn malformed_text_is_a_typed_error() {
        assert_eq!(
            decode_base64(b"dGk_"),
            Err(Base64Error::InvalidByte {
                position: 3,
                byte: b'_'
            })
        );
        assert_eq!(
            decode_base64(b"dGltd"),
            Err(Base64Error::InvalidLength { len: 5 })
        );
        assert_eq!(
            decode_base64(b"dGl="),
            Err(Base64Error::InvalidLastSymbol {
                position: 2,
                byte: b'l'
            })
        );
        assert!(decode_base64(b"dGltCg==\r\n").is_err());
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(decode_base64(encode_base64(&bytes).as_bytes()).unwrap(), bytes);
        }

        #[test]
        fn decode_never_panics(text in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(bytes) = decode_base64(&text) {
                // Whatever decodes re-encodes to the same text up to padding.
                let again = encode_base64(&bytes);
                prop_assert_eq!(again.trim_end_matches('='), std::str::from_utf8(&text).unwrap().trim_end_matches('='));
            }
        }
    }
}
