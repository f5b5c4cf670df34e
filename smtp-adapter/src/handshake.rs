//! Why a TLS handshake failed, in words: rustls' `Display` names its enum variants
//! (`invalid peer certificate: UnknownIssuer`, `DnsName("mx.example")`), which is what a
//! person at a terminal or reading a log should not have to decode.

use std::io;

use rustls::{AlertDescription, CertificateError};

/// The reason behind `source`, a handshake's error: a sentence for rustls' certificate
/// errors, alerts and non-TLS answers; anything else as it displays itself.
pub(crate) fn reason(source: &io::Error) -> String {
    let Some(error) = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return source.to_string();
    };
    match error {
        rustls::Error::InvalidCertificate(certificate) => certificate_reason(certificate),
        rustls::Error::AlertReceived(alert) => {
            format!(
                "the server ended the handshake with the alert \"{}\"",
                words(alert)
            )
        }
        // A plaintext answer (`220 ...`) has a digit where the record's type goes.
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "the server's answer is not TLS (a plaintext service on this port?)".to_owned()
        }
        rustls::Error::InvalidMessage(invalid) => {
            format!("the server sent a malformed TLS message ({invalid:?})")
        }
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".to_owned(),
        other => other.to_string(),
    }
}

/// A certificate that did not verify, in words.
fn certificate_reason(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => {
            "the certificate is not issued by a trusted certificate authority".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<&str> = presented
                .iter()
                .filter_map(|name| host_name(name))
                .collect();
            let others = presented.len() - names.len();
            let others = match others {
                0 => String::new(),
                1 => " (and one name that is no host)".to_owned(),
                n => format!(" (and {n} names that are no hosts)"),
            };
            match names.as_slice() {
                [] => format!(
                    "the certificate names no host{others}, and {} was expected",
                    expected.to_str()
                ),
                names => format!(
                    "the certificate is for {}{others}, not {}",
                    names.join(", "),
                    expected.to_str()
                ),
            }
        }
        CertificateError::NotValidForName => "the certificate is for another name".to_owned(),
        CertificateError::Expired => "the certificate has expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "the certificate expired {} ago",
            age(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        CertificateError::NotValidYet => "the certificate is not valid yet".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "the certificate is valid only in {}",
            age(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        CertificateError::Revoked => "the certificate has been revoked".to_owned(),
        CertificateError::BadSignature => "the certificate's signature does not verify".to_owned(),
        CertificateError::BadEncoding => "the certificate is malformed".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for a TLS server".to_owned()
        }
        CertificateError::UnhandledCriticalExtension => {
            "the certificate has a critical extension that cannot be checked".to_owned()
        }
        other => format!("the certificate does not verify: {other}"),
    }
}

/// A host name as rustls presents it (`DnsName("mx.example")`, `IpAddress(192.0.2.1)`),
/// bare; `None` for the certificate's other names (an e-mail address, a URI...).
fn host_name(presented: &str) -> Option<&str> {
    let inner = presented
        .strip_prefix("DnsName(")
        .or_else(|| presented.strip_prefix("IpAddress("))?
        .strip_suffix(')')?;
    Some(inner.trim_matches('"'))
}

/// An alert's name in words: `HandshakeFailure` is "handshake failure", `UnknownCA`
/// "unknown CA" (a word starts at a capital that follows a lower-case letter, or that a
/// lower-case letter follows; acronyms keep their case).
fn words(alert: &AlertDescription) -> String {
    let name: Vec<char> = format!("{alert:?}").chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, &c) in name.iter().enumerate() {
        let before = index.checked_sub(1).and_then(|i| name.get(i));
        let after = name.get(index + 1);
        let starts_word = c.is_ascii_uppercase()
            && before.is_some_and(|b| {
                b.is_ascii_lowercase()
                    || (b.is_ascii_uppercase() && after.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word {
            out.push(' ');
        }
        let in_acronym = after.is_some_and(char::is_ascii_uppercase)
            || (before.is_some_and(char::is_ascii_uppercase)
                && !after.is_some_and(char::is_ascii_lowercase));
        out.push(if in_acronym {
            c
        } else {
            c.to_ascii_lowercase()
        });
    }
    out
}

/// A span of seconds in the largest whole unit: "3 days", "5 hours", "42 seconds".
fn age(seconds: u64) -> String {
    let (count, unit) = match seconds {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3_600 => (s / 3_600, "hours"),
        s if s >= 2 * 60 => (s / 60, "minutes"),
        s => (s, "seconds"),
    };
    format!("{count} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{ServerName, UnixTime};
    use std::time::Duration;

    fn of(error: rustls::Error) -> String {
        reason(&io::Error::new(io::ErrorKind::InvalidData, error))
    }

    #[test]
    fn certificate_errors_are_sentences() {
        let cert = |e| of(rustls::Error::InvalidCertificate(e));
        assert_eq!(
            cert(CertificateError::UnknownIssuer),
            "the certificate is not issued by a trusted certificate authority"
        );
        let wrong_name = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("mx.example.org").unwrap(),
            presented: vec![
                "DnsName(\"localhost\")".to_owned(),
                "IpAddress(127.0.0.1)".to_owned(),
                "IpAddress(0::1)".to_owned(),
            ],
        };
        assert_eq!(
            cert(wrong_name),
            "the certificate is for localhost, 127.0.0.1, 0::1, not mx.example.org"
        );
        let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let expired = CertificateError::ExpiredContext {
            time: at(10 * 86_400),
            not_after: at(86_400),
        };
        assert_eq!(cert(expired), "the certificate expired 9 days ago");
        let early = CertificateError::NotValidYetContext {
            time: at(0),
            not_before: at(90),
        };
        assert_eq!(cert(early), "the certificate is valid only in 90 seconds");
    }

    #[test]
    fn alerts_and_non_tls_answers_are_sentences() {
        assert_eq!(
            of(rustls::Error::AlertReceived(
                AlertDescription::HandshakeFailure
            )),
            "the server ended the handshake with the alert \"handshake failure\""
        );
        assert_eq!(
            of(rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            )),
            "the server's answer is not TLS (a plaintext service on this port?)"
        );
        // Not a rustls error: as it is.
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "early eof");
        assert_eq!(reason(&eof), "early eof");
    }

    /// Review diff5: every `InvalidMessage` is rendered as "the server's answer is not
    /// TLS (a plaintext service on this port?)", but a plaintext SMTP answer (a digit,
    /// 0x32..0x35, where the record's content type is) is always `InvalidContentType`
    /// (rustls `read_opaque_message_header`). The other variants are a TLS server's
    /// malformed handshake (`TrailingData`, `MessageTooShort`, a bad certificate message):
    /// sending the user to look for a plaintext service on the port misleads, and what
    /// rustls found is lost from the message.
    #[test]
    fn a_malformed_tls_message_is_not_called_plaintext() {
        for invalid in [
            rustls::InvalidMessage::TrailingData("ServerHello"),
            rustls::InvalidMessage::MessageTooShort,
            rustls::InvalidMessage::CertificatePayloadTooLarge,
        ] {
            let text = of(rustls::Error::InvalidMessage(invalid));
            assert!(!text.contains("not TLS"), "{invalid:?}: {text}");
        }
    }

    /// Review diff5: `bare_name` knows `DnsName("..")` and `IpAddress(..)`, but webpki
    /// 0.103 lists every subjectAltName of the certificate in `presented`
    /// (`GeneralName`'s `Debug`, subject_name/mod.rs): an rfc822Name or otherName is
    /// `Unsupported(0x01)`, a URI `UniformResourceIdentifier("spiffe://..")`, a directory
    /// name `DirectoryName`. They come out as Rust `Debug` text and as if they were names
    /// the certificate is "for", which is what this module exists to avoid.
    #[test]
    fn only_host_names_are_listed_as_what_the_certificate_is_for() {
        let wrong_name = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("mx.example.org").unwrap(),
            presented: vec![
                "Unsupported(0x01)".to_owned(),
                "UniformResourceIdentifier(\"spiffe://example.org/mx\")".to_owned(),
                "DirectoryName".to_owned(),
                "DnsName(\"mx.example.net\")".to_owned(),
            ],
        };
        let text = of(rustls::Error::InvalidCertificate(wrong_name));
        for debug in [
            "Unsupported(",
            "UniformResourceIdentifier(",
            "DirectoryName",
        ] {
            assert!(!text.contains(debug), "{debug:?} in: {text}");
        }
        assert!(text.contains("mx.example.net"), "{text}");
    }

    /// Review diff5: `words` splits an alert's `Debug` name at every capital, so the
    /// acronyms in rustls' names are spelt out letter by letter: `UnknownCA` (what a
    /// server requiring client certificates answers to one it does not trust) reads
    /// "unknown c a", `UnknownPSKIdentity` "unknown p s k identity".
    #[test]
    fn alert_names_read_as_words() {
        for (alert, words_) in [
            (AlertDescription::HandshakeFailure, "handshake failure"),
            (AlertDescription::UnknownCA, "unknown CA"),
            (AlertDescription::UnknownPSKIdentity, "unknown PSK identity"),
            (AlertDescription::BadCertificate, "bad certificate"),
        ] {
            assert_eq!(words(&alert), words_);
        }
    }

    #[test]
    fn alert_acronyms_stay_words() {
        let text = of(rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert!(!text.contains("c a"), "{text}");
        let text = of(rustls::Error::AlertReceived(
            AlertDescription::UnknownPSKIdentity,
        ));
        assert!(!text.contains("p s k"), "{text}");
    }
}
