//! The server side of SCRAM-SHA-256 (RFC 7677, RFC 5802) without channel binding: the
//! stored keys, the client messages, the proof check and the server signature, with the
//! client's HMAC code.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::auth::encode_base64;
use crate::auth::scram::hmac;

use super::gs2::{split_header, unescape_saslname};
use super::scram_keys::ScramKeys;
use super::{SaslError, SaslMechanism, constant_time_eq};

fn invalid(reason: &'static str) -> SaslError {
    SaslError::Invalid {
        mechanism: SaslMechanism::ScramSha256,
        reason,
    }
}

/// A parsed client-first-message (RFC 5802 §7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientFirst {
    gs2_header: String,
    bare: String,
    pub(crate) username: String,
    pub(crate) authzid: String,
    client_nonce: String,
}

/// Parses `gs2-header [m=...,] n=saslname,r=nonce[,extensions]`; an `m=` extension is
/// mandatory and unknown, so it fails (RFC 5802 §5.1).
pub(crate) fn parse_client_first(blob: &[u8]) -> Result<ClientFirst, SaslError> {
    let text = std::str::from_utf8(blob).map_err(|_| invalid("not UTF-8"))?;
    let (header, bare) = split_header(text).map_err(invalid)?;
    if bare.starts_with("m=") {
        return Err(invalid("unknown mandatory extension m="));
    }
    let mut parts = bare.split(',');
    let username = parts
        .next()
        .and_then(|p| p.strip_prefix("n="))
        .ok_or(invalid("client-first does not start with n="))?;
    let username = unescape_saslname(username).map_err(invalid)?;
    if username.is_empty() {
        return Err(invalid("user name is empty"));
    }
    let nonce = parts
        .next()
        .and_then(|p| p.strip_prefix("r="))
        .ok_or(invalid("client-first lacks r= after n="))?;
    if !is_printable_nonce(nonce) {
        return Err(invalid("client nonce is empty or not printable ASCII"));
    }
    Ok(ClientFirst {
        gs2_header: header.raw.to_owned(),
        bare: bare.to_owned(),
        username,
        authzid: header.authzid,
        client_nonce: nonce.to_owned(),
    })
}

/// `nonce` (RFC 5802 §7): printable ASCII except `,`, at least one character.
fn is_printable_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// An exchange after the server-first-message: what the client-final must match.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ScramExchange {
    first: ClientFirst,
    nonce: String,
    server_first: String,
    keys: ScramKeys,
}

impl fmt::Debug for ScramExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramExchange")
            .field("username", &self.first.username)
            .finish_non_exhaustive()
    }
}

impl ScramExchange {
    /// Builds the server-first-message `r=nonce,s=salt,i=count` from the keys, the client
    /// nonce and the server's part.
    pub(crate) fn new(first: ClientFirst, keys: ScramKeys, server_nonce: &str) -> Self {
        let nonce = format!("{}{server_nonce}", first.client_nonce);
        let server_first = format!(
            "r={nonce},s={},i={}",
            encode_base64(keys.salt()),
            keys.iterations()
        );
        Self {
            first,
            nonce,
            server_first,
            keys,
        }
    }

    /// The server-first-message, to send in a 334.
    pub(crate) fn server_first(&self) -> &str {
        &self.server_first
    }

    /// The client's user name and GS2 authzid.
    pub(crate) fn identity(&self) -> (&str, &str) {
        (&self.first.username, &self.first.authzid)
    }

    /// Checks `c=biws,r=nonce[,ext],p=proof` (RFC 5802 §7). `Err` when malformed;
    /// `Ok(None)` when the proof is wrong; `Ok(Some(v))` with the server-final-message
    /// `v=signature` when it verified.
    pub(crate) fn verify_client_final(&self, blob: &[u8]) -> Result<Option<String>, SaslError> {
        let text = std::str::from_utf8(blob).map_err(|_| invalid("not UTF-8"))?;
        let (without_proof, proof) = text
            .rsplit_once(",p=")
            .ok_or(invalid("client-final lacks p= at its end"))?;
        let mut parts = without_proof.split(',');
        let binding = parts
            .next()
            .and_then(|p| p.strip_prefix("c="))
            .ok_or(invalid("client-final does not start with c="))?;
        let binding = crate::auth::decode_base64(binding.as_bytes())
            .map_err(|_| invalid("c= is not base64"))?;
        if binding != self.first.gs2_header.as_bytes() {
            return Err(invalid("c= does not repeat the GS2 header"));
        }
        let nonce = parts
            .next()
            .and_then(|p| p.strip_prefix("r="))
            .ok_or(invalid("client-final lacks r= after c="))?;
        if nonce != self.nonce {
            return Err(invalid("r= is not the nonce of the server-first-message"));
        }
        let proof = crate::auth::decode_base64(proof.as_bytes())
            .map_err(|_| invalid("p= is not base64"))?;
        let proof: [u8; 32] = proof
            .try_into()
            .map_err(|_| invalid("p= is not 32 octets"))?;
        let auth_message = format!("{},{},{without_proof}", self.first.bare, self.server_first);
        let Ok(client_signature) = hmac(self.keys.stored_key(), auth_message.as_bytes()) else {
            return Ok(None);
        };
        let mut client_key = [0u8; 32];
        for ((k, p), s) in client_key.iter_mut().zip(&proof).zip(&client_signature) {
            *k = p ^ s;
        }
        let stored: [u8; 32] = Sha256::digest(client_key).into();
        if !constant_time_eq(&stored, self.keys.stored_key()) {
            return Ok(None);
        }
        Ok(hmac(self.keys.server_key(), auth_message.as_bytes())
            .ok()
            .map(|signature| format!("v={}", encode_base64(&signature))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3's example: user "user", password "pencil".
    const CLIENT_FIRST: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const CLIENT_FINAL: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
        p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc_exchange(password: &str) -> ScramExchange {
        let salt = crate::auth::decode_base64(SALT.as_bytes()).unwrap();
        let keys = ScramKeys::from_password(password, &salt, 4096).unwrap();
        let first = parse_client_first(CLIENT_FIRST).unwrap();
        ScramExchange::new(first, keys, SERVER_NONCE)
    }

    /// `Debug` names the user and shows nothing of the keys, the salt or the nonce: an
    /// exchange in a log must not give an offline guess a start.
    #[test]
    fn debug_shows_the_user_only() {
        let shown = format!("{:?}", rfc_exchange("pencil"));
        assert_eq!(shown, r#"ScramExchange { username: "user", .. }"#);
    }

    #[test]
    fn rfc_7677_example_verifies_and_signs() {
        let exchange = rfc_exchange("pencil");
        assert_eq!(
            exchange.server_first(),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        assert_eq!(exchange.identity(), ("user", ""));
        assert_eq!(
            exchange.verify_client_final(CLIENT_FINAL),
            Ok(Some(SERVER_FINAL.to_owned()))
        );
        assert_eq!(
            rfc_exchange("pencil!").verify_client_final(CLIENT_FINAL),
            Ok(None)
        );
    }

    #[test]
    fn client_first_rejections_are_precise() {
        for (blob, reason) in [
            (&b"n,,m=x,n=user,r=a"[..], "unknown mandatory extension m="),
            (b"n,,r=a,n=user", "client-first does not start with n="),
            (b"n,,n=,r=a", "user name is empty"),
            (
                b"n,,n=u=1,r=a",
                "saslname has a bare ',' or '=' not followed by 2C or 3D",
            ),
            (b"n,,n=user", "client-first lacks r= after n="),
            (
                b"n,,n=user,r=",
                "client nonce is empty or not printable ASCII",
            ),
            (
                b"n,,n=user,r=a b",
                "client nonce is empty or not printable ASCII",
            ),
            (
                b"p=tls-server-end-point,,n=user,r=a",
                "channel binding is not supported",
            ),
            (b"\xff", "not UTF-8"),
        ] {
            assert_eq!(parse_client_first(blob), Err(invalid(reason)), "{blob:?}");
        }
        let first = parse_client_first(b"y,a=admin,n=a=2Cb,r=xyz,ext=1").unwrap();
        assert_eq!(
            (first.username.as_str(), first.authzid.as_str()),
            ("a,b", "admin")
        );
    }

    #[test]
    fn client_final_rejections_are_precise() {
        let exchange = rfc_exchange("pencil");
        let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        for (text, reason) in [
            (
                format!("c=biws,r={nonce}"),
                "client-final lacks p= at its end",
            ),
            (
                format!("r={nonce},{proof}"),
                "client-final does not start with c=",
            ),
            (format!("c=b!ws,r={nonce},{proof}"), "c= is not base64"),
            (
                format!("c=eSws,r={nonce},{proof}"),
                "c= does not repeat the GS2 header",
            ),
            (format!("c=biws,{proof}"), "client-final lacks r= after c="),
            (
                format!("c=biws,r=x,{proof}"),
                "r= is not the nonce of the server-first-message",
            ),
            (format!("c=biws,r={nonce},p=!"), "p= is not base64"),
            (format!("c=biws,r={nonce},p=QUJD"), "p= is not 32 octets"),
        ] {
            assert_eq!(
                exchange.verify_client_final(text.as_bytes()),
                Err(invalid(reason)),
                "{text}"
            );
        }
    }
}
