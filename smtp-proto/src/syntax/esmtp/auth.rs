//! The AUTH parameter of MAIL (RFC 4954 §5): who submitted the message.

use std::fmt;
use std::str::FromStr;

use super::error::EsmtpError;
use super::xtext::{decode_xtext, encode_xtext};
use crate::syntax::{AddressEncoding, Mailbox};

/// The value of `AUTH=`: the authenticated submitter, or `<>` when unknown (RFC 4954 §5).
///
/// On the wire the mailbox (or `<>`) is xtext-encoded, so the value is always ASCII; under
/// [`AddressEncoding::Ascii`] the domain is written as A-labels first. What xtext carries is
/// still an addr-spec (RFC 4954 §5), ASCII unless SMTPUTF8 is in use (RFC 6531 §3.3): a
/// mailbox with a non-ASCII local part, which has no ASCII form, needs SMTPUTF8
/// ([`AuthSubmitter::needs_smtputf8`]) just as it would in the reverse path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthSubmitter {
    /// `AUTH=<>`: the submitter is unknown or not authenticated.
    Unknown,
    /// `AUTH=addr-spec`: the authenticated submitter.
    Mailbox(Mailbox),
}

impl AuthSubmitter {
    fn render(&self, enc: AddressEncoding) -> Vec<u8> {
        match self {
            AuthSubmitter::Unknown => b"<>".to_vec(),
            AuthSubmitter::Mailbox(m) => {
                let mut raw = Vec::with_capacity(m.encoded_len(enc));
                m.write_to(&mut raw, enc);
                raw
            }
        }
    }

    /// Whether the submitter needs SMTPUTF8: when its mailbox does, i.e. has a non-ASCII
    /// local part (RFC 6531 §3.3). xtext makes the octets ASCII, not the address: a
    /// non-ASCII domain alone has A-labels and does not need it.
    pub fn needs_smtputf8(&self) -> bool {
        match self {
            AuthSubmitter::Unknown => false,
            AuthSubmitter::Mailbox(m) => m.needs_smtputf8(),
        }
    }

    /// Appends the xtext-encoded value.
    pub fn write_to(&self, out: &mut Vec<u8>, enc: AddressEncoding) {
        encode_xtext(&self.render(enc), out);
    }

    /// The number of octets [`AuthSubmitter::write_to`] appends.
    pub fn encoded_len(&self, enc: AddressEncoding) -> usize {
        super::xtext::xtext_encoded_len(&self.render(enc))
    }
}

impl FromStr for AuthSubmitter {
    type Err = EsmtpError;

    /// Parses the xtext value as it appears after `AUTH=`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let decoded = String::from_utf8(decode_xtext(s)?).map_err(|_| EsmtpError::InvalidUtf8)?;
        if decoded == "<>" {
            return Ok(AuthSubmitter::Unknown);
        }
        decoded
            .parse::<Mailbox>()
            .map(AuthSubmitter::Mailbox)
            .map_err(|_| {
                EsmtpError::invalid_value("AUTH", s, "decoded value is not <> or a mailbox")
            })
    }
}

impl fmt::Display for AuthSubmitter {
    /// The xtext form under [`AddressEncoding::Utf8`], which keeps the domain as given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out, AddressEncoding::Utf8);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}
