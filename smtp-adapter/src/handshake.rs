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
        rustls::Error::InvalidMessage(_) => {
            "the server's answer is not TLS (a plaintext service on this port?)".to_owned()
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
            let names: Vec<&str> = presented.iter().map(|name| bare_name(name)).collect();
            match names.as_slice() {
                [] => format!(
                    "the certificate names no host, and {} was expected",
                    expected.to_str()
                ),
                names => format!(
                    "the certificate is for {}, not {}",
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

/// A name as rustls presents it (`DnsName("mx.example")`, `IpAddress(192.0.2.1)`), bare.
fn bare_name(presented: &str) -> &str {
    let inner = presented
        .strip_prefix("DnsName(")
        .or_else(|| presented.strip_prefix("IpAddress("))
        .and_then(|rest| rest.strip_suffix(')'));
    match inner {
        Some(inner) => inner.trim_matches('"'),
        None => presented,
    }
}

/// An alert's name in words: `HandshakeFailure` is "handshake failure".
fn words(alert: &AlertDescription) -> String {
    let name = format!("{alert:?}");
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
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
}
