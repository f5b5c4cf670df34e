//! The GS2 header that OAUTHBEARER and SCRAM messages start with (RFC 5801 §4), and the
//! `saslname` escaping inside it (RFC 5802 §5.1).

/// A parsed GS2 header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Gs2Header<'a> {
    /// The header as sent, both commas included (SCRAM's `c=` must repeat it).
    pub(crate) raw: &'a str,
    /// The authorization identity, unescaped; empty when absent.
    pub(crate) authzid: String,
}

/// Splits `gs2-cbind-flag "," [ "a=" saslname ] ","` from the rest of the message.
///
/// Only `n` (the client does not do channel binding) and `y` (it does, but thinks the
/// server does not) are accepted: this server offers no `-PLUS` mechanism, so `p=` is
/// refused (RFC 5802 §6, RFC 7628 §3.1).
pub(crate) fn split_header(text: &str) -> Result<(Gs2Header<'_>, &str), &'static str> {
    let (flag, rest) = text
        .split_once(',')
        .ok_or("no GS2 header (expected \"n,\")")?;
    match flag {
        "n" | "y" => {}
        _ if flag.starts_with("p=") => return Err("channel binding is not supported"),
        _ => return Err("GS2 channel-binding flag is not n or y"),
    }
    let (authzid, body) = rest
        .split_once(',')
        .ok_or("GS2 header does not end with ','")?;
    let authzid = match authzid {
        "" => String::new(),
        a => {
            let name = a
                .strip_prefix("a=")
                .ok_or("GS2 authzid does not start with a=")?;
            let name = unescape_saslname(name)?;
            if name.is_empty() {
                return Err("GS2 authzid is empty");
            }
            name
        }
    };
    let raw = text
        .get(..text.len() - body.len())
        .ok_or("GS2 header boundary")?;
    Ok((Gs2Header { raw, authzid }, body))
}

/// Undoes `saslname` escaping: `=2C` is `,` and `=3D` is `=`; any other `=` and any
/// literal `,` are errors (RFC 5802 §5.1), as are control characters.
pub(crate) fn unescape_saslname(name: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find(['=', ',']) {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        rest = match tail.get(..3) {
            Some("=2C") => {
                out.push(',');
                tail.get(3..).unwrap_or_default()
            }
            Some("=3D") => {
                out.push('=');
                tail.get(3..).unwrap_or_default()
            }
            _ => return Err("saslname has a bare ',' or '=' not followed by 2C or 3D"),
        };
    }
    out.push_str(rest);
    if out.chars().any(char::is_control) {
        return Err("name has a control character");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_and_without_authzid() {
        let (header, rest) = split_header("n,,n=user,r=abc").unwrap();
        assert_eq!((header.raw, header.authzid.as_str()), ("n,,", ""));
        assert_eq!(rest, "n=user,r=abc");
        let (header, rest) = split_header("y,a=a=2Cb=3Dc,\u{1}auth").unwrap();
        assert_eq!(
            (header.raw, header.authzid.as_str()),
            ("y,a=a=2Cb=3Dc,", "a,b=c")
        );
        assert_eq!(rest, "\u{1}auth");
    }

    #[test]
    fn header_rejections_say_why() {
        for (text, reason) in [
            ("n", "no GS2 header (expected \"n,\")"),
            ("p=tls-unique,,x", "channel binding is not supported"),
            ("x,,", "GS2 channel-binding flag is not n or y"),
            ("n,a=u", "GS2 header does not end with ','"),
            ("n,u,", "GS2 authzid does not start with a="),
            ("n,a=,", "GS2 authzid is empty"),
            (
                "n,a=u=2,",
                "saslname has a bare ',' or '=' not followed by 2C or 3D",
            ),
            ("n,a=u\r\n,", "name has a control character"),
        ] {
            assert_eq!(split_header(text), Err(reason), "{text:?}");
        }
    }

    #[test]
    fn unescaping_inverts_the_clients_escaping() {
        for name in ["plain", "a,b", "=", "=2C", ",,==", "ünï"] {
            let escaped = name.replace('=', "=3D").replace(',', "=2C");
            assert_eq!(unescape_saslname(&escaped).as_deref(), Ok(name));
        }
        assert!(unescape_saslname("a,b").is_err());
        assert!(unescape_saslname("a=").is_err());
    }
}
