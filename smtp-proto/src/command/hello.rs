//! EHLO, HELO (RFC 5321 §4.1.1.1) and LHLO (RFC 2033 §4.1).

use super::error::CommandError;
use super::line::{check_line, render};
use crate::syntax::ClientId;

macro_rules! hello {
    ($(#[$doc:meta])* $name:ident, $verb:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            client_id: ClientId,
        }

        impl $name {
            /// The command for this client identity; fails only if the line would exceed
            /// 512 octets (possible only with an identity built by `from_unchecked`).
            pub fn new(client_id: ClientId) -> Result<Self, CommandError> {
                let cmd = $name { client_id };
                check_line(&cmd.render(), 0)?;
                Ok(cmd)
            }

            /// The client identity sent.
            pub fn client_id(&self) -> &ClientId {
                &self.client_id
            }

            fn render(&self) -> Vec<u8> {
                let mut id = Vec::with_capacity(self.client_id.encoded_len());
                self.client_id.write_to(&mut id);
                render($verb, &[&id])
            }

            #[doc = concat!("Appends `", $verb, " <client-id>` and CRLF.")]
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.render());
            }
        }
    };
}

hello!(
    /// `EHLO <domain or address literal>`: open an ESMTP session (RFC 5321 §4.1.1.1).
    Ehlo,
    "EHLO"
);
hello!(
    /// `HELO <domain or address literal>`: the fallback for servers without ESMTP
    /// (RFC 5321 §4.1.1.1).
    Helo,
    "HELO"
);
hello!(
    /// `LHLO <domain or address literal>`: the LMTP greeting (RFC 2033 §4.1).
    Lhlo,
    "LHLO"
);
