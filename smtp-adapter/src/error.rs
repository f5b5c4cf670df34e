//! The one error type every adapter returns for a dead connection.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use smtp_proto::command::{LogicError, MailReport};
use smtp_proto::error::ProtocolError;
use thiserror::Error;

/// A fatal error: the connection cannot be used any more.
///
/// Adapters return `Result<Result<T, LogicError>, Error>`: `?` escapes a dead connection
/// while a refusal ([`LogicError`]) must be looked at. A mail interrupted by a fatal error
/// keeps its report ([`Error::reports`]): a message sent whose verdict was lost is
/// [`Outcome::Uncertain`](smtp_proto::command::Outcome::Uncertain), never silently lost.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the connection failed.
    #[error("connection I/O failed: {0}")]
    Io(#[source] io::Error),
    /// The caller's body source failed while a streamed message was being sent (nothing
    /// truncated is delivered: the end of data was not sent).
    #[error("reading the message body failed: {0}")]
    Body(#[source] io::Error),
    /// The host name could not be resolved.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The host name.
        host: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// No address of the host accepted the connection; every address tried, with its error.
    #[error("cannot connect to {host}: {}", ConnectAttempts(.attempts))]
    Connect {
        /// The host as configured.
        host: String,
        /// Each address tried, in order, with its error.
        attempts: Vec<(SocketAddr, io::Error)>,
    },
    /// The Unix socket could not be connected to (no such file, nobody listening, no
    /// permission).
    #[error("cannot connect to {}: {source}", path.display())]
    ConnectUnix {
        /// The socket's path as configured.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The TLS handshake failed (certificate verification included). Its message says why
    /// in words (`the certificate is not issued by a trusted certificate authority`); the
    /// rustls error itself is inside `source`.
    #[error(
        "TLS handshake with {server_name} failed: {}",
        crate::handshake::reason(source)
    )]
    Tls {
        /// The name the certificate was checked against.
        server_name: String,
        /// The handshake's error (a rustls error inside, for certificate problems).
        #[source]
        source: io::Error,
    },
    /// A deadline of the adapter's own passed (reply deadlines are the core's
    /// [`ProtocolError::Timeout`]).
    #[error("timed out during the {phase}")]
    Timeout {
        /// What was going on.
        phase: Phase,
    },
    /// The SMTP conversation failed: malformed reply, 421, EOF, reply timeout, STARTTLS
    /// injection, ...
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
    /// The session setup (greeting, EHLO, STARTTLS, AUTH) stopped short: the connection
    /// was not opened for use. Either the server refused a step
    /// ([`LogicError::Refused`]), or the client refused to take one, before sending it:
    /// credentials without TLS that were not allowed ([`LogicError::PlaintextAuth`]), no
    /// allowed mechanism offered ([`LogicError::NoMechanism`]), credentials that cannot be
    /// sent (a control character: [`LogicError::Sasl`]).
    #[error("session setup refused: {0}")]
    Refused(#[source] LogicError),
    /// The configuration cannot be used (a PEM file without certificates, an invalid
    /// client identity or TLS server name, a zero timeout, a bracketed host that is not an
    /// IP address literal).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A fatal error ended one or more mails after they started: their reports as they
    /// stood (recipients of a message sent without a verdict are uncertain).
    #[error("{error} (with {} interrupted mail report(s))", .reports.len())]
    Interrupted {
        /// What ended the connection.
        error: Box<Error>,
        /// The interrupted mails' reports, in order.
        reports: Vec<MailReport>,
    },
}

/// What an adapter was doing when its own deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Resolving the host and opening the connection (default 30 s): the whole budget
    /// ran out, in the resolver or on the last address tried.
    Connect,
    /// The TLS handshake (default 5 min).
    TlsHandshake,
    /// Writing one transmit (RFC 5321 §4.5.3.2.5, default 3 min).
    Write,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connection attempt",
            Phase::TlsHandshake => "TLS handshake",
            Phase::Write => "write",
        })
    }
}

impl Error {
    /// The reports of mails the error interrupted (empty for other errors).
    pub fn reports(&self) -> &[MailReport] {
        match self {
            Error::Interrupted { reports, .. } => reports,
            _ => &[],
        }
    }

    /// The error itself, without the interrupted reports around it.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Interrupted { error, .. } => error.cause(),
            other => other,
        }
    }

    /// The core's protocol error, if that is what ended the connection.
    pub fn protocol(&self) -> Option<&ProtocolError> {
        match self.cause() {
            Error::Protocol(error) => Some(error),
            _ => None,
        }
    }

    /// Wraps `self` with the reports of the mails it interrupted (unchanged if none).
    pub fn with_reports(self, reports: Vec<MailReport>) -> Error {
        if reports.is_empty() {
            return self;
        }
        match self {
            Error::Interrupted {
                error,
                reports: mut before,
            } => {
                before.extend(reports);
                Error::Interrupted {
                    error,
                    reports: before,
                }
            }
            error => Error::Interrupted {
                error: Box::new(error),
                reports,
            },
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Io(error)
    }
}

/// `192.0.2.1:25: refused; [2001:db8::1]:25: unreachable`.
struct ConnectAttempts<'a>(&'a [(SocketAddr, io::Error)]);

impl fmt::Display for ConnectAttempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no address to try");
        }
        for (index, (address, error)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{address}: {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_error_lists_every_attempt() {
        let error = Error::Connect {
            host: "mx.example".into(),
            attempts: vec![
                (
                    "[::1]:25".parse().unwrap(),
                    io::Error::from(io::ErrorKind::ConnectionRefused),
                ),
                (
                    "127.0.0.1:25".parse().unwrap(),
                    io::Error::from(io::ErrorKind::TimedOut),
                ),
            ],
        };
        let text = error.to_string();
        assert!(
            text.starts_with("cannot connect to mx.example: [::1]:25: "),
            "{text}"
        );
        assert!(text.contains("; 127.0.0.1:25: "), "{text}");
    }

    #[test]
    fn interrupted_keeps_cause_and_reports() {
        let error = Error::Timeout {
            phase: Phase::Write,
        };
        assert_eq!(error.to_string(), "timed out during the write");
        let same = Error::Timeout {
            phase: Phase::Write,
        }
        .with_reports(Vec::new());
        assert!(matches!(same, Error::Timeout { .. }));
        assert!(same.reports().is_empty());
        let protocol = Error::from(ProtocolError::ConnectionClosed);
        assert_eq!(protocol.protocol(), Some(&ProtocolError::ConnectionClosed));
    }
}
