//! `error.kind` (CLI.md "JSON output"): the adapters' errors and the core's refusals
//! mapped to the contract's kinds, with one clear message each.

use std::io;

use smtp_adapter::Error;
use smtp_proto::auth::SaslError;
use smtp_proto::command::LogicError;
use smtp_proto::error::ProtocolError;

/// The contract's error kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Usage,
    Connect,
    Io,
    Tls,
    Timeout,
    Protocol,
    StartTlsUnavailable,
    StartTlsInjection,
    AuthUnavailable,
    AuthFailed,
    PlaintextAuthRefused,
    CapabilityMissing,
    MessageTooLarge,
    ServiceClosing,
    Rejected,
}

impl Kind {
    /// The JSON spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Connect => "connect",
            Kind::Io => "io",
            Kind::Tls => "tls",
            Kind::Timeout => "timeout",
            Kind::Protocol => "protocol",
            Kind::StartTlsUnavailable => "starttls-unavailable",
            Kind::StartTlsInjection => "starttls-injection",
            Kind::AuthUnavailable => "auth-unavailable",
            Kind::AuthFailed => "auth-failed",
            Kind::PlaintextAuthRefused => "plaintext-auth-refused",
            Kind::CapabilityMissing => "capability-missing",
            Kind::MessageTooLarge => "message-too-large",
            Kind::ServiceClosing => "service-closing",
            Kind::Rejected => "rejected",
        }
    }
}

/// An error as reported: its kind and one line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: Kind,
    pub(crate) message: String,
}

impl Failure {
    /// A failure of `kind` saying `message`.
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A fatal adapter error (the interrupted reports around it ignored).
    pub(crate) fn from_error(error: &Error) -> Self {
        let cause = error.cause();
        let kind = match cause {
            Error::Io(_) | Error::Body(_) => Kind::Io,
            Error::Resolve { .. } | Error::ConnectUnix { .. } => Kind::Connect,
            Error::Connect { attempts, .. } => {
                let timed_out = |(_, e): &(_, io::Error)| e.kind() == io::ErrorKind::TimedOut;
                if !attempts.is_empty() && attempts.iter().all(timed_out) {
                    Kind::Timeout
                } else {
                    Kind::Connect
                }
            }
            Error::Tls { .. } => Kind::Tls,
            Error::Timeout { .. } => Kind::Timeout,
            Error::Protocol(protocol) => protocol_kind(protocol),
            Error::Refused(refusal) => logic_kind(refusal),
            Error::Config(_) => Kind::Usage,
            // `Interrupted` never is its own cause; other variants may come.
            _ => Kind::Io,
        };
        Self::new(kind, one_line(&cause.to_string()))
    }

    /// A refusal or a check that failed before anything was sent.
    pub(crate) fn from_logic(error: &LogicError) -> Self {
        Self::new(logic_kind(error), one_line(&error.to_string()))
    }
}

/// The kind of a fatal protocol error: an end of the connection between replies is `io`,
/// one in the middle of a reply (`TruncatedReply`) is `protocol`.
fn protocol_kind(error: &ProtocolError) -> Kind {
    match error {
        ProtocolError::Timeout(_) => Kind::Timeout,
        ProtocolError::TruncatedReply(_) => Kind::Protocol,
        ProtocolError::UnexpectedEof(_)
        | ProtocolError::ConnectionClosed
        | ProtocolError::WriteFailed => Kind::Io,
        ProtocolError::ServiceClosing(_) => Kind::ServiceClosing,
        ProtocolError::StartTlsInjection => Kind::StartTlsInjection,
        ProtocolError::StartTlsUnavailable(_) => Kind::StartTlsUnavailable,
        // SECURITY.md: "malformed base64 challenges are a protocol error": a challenge the
        // exchange cannot read never judged the credentials.
        ProtocolError::Sasl {
            error:
                SaslError::MalformedChallenge { .. }
                | SaslError::Base64(_)
                | SaslError::UnexpectedChallenge { .. }
                | SaslError::LoginPromptMismatch { .. },
            ..
        } => Kind::Protocol,
        ProtocolError::Sasl { .. } => Kind::AuthFailed,
        _ => Kind::Protocol,
    }
}

/// The kind of a refusal or failed check.
fn logic_kind(error: &LogicError) -> Kind {
    match error {
        LogicError::Refused { response, .. } if response.code().get() == 421 => {
            Kind::ServiceClosing
        }
        LogicError::Refused {
            command: "AUTH", ..
        }
        | LogicError::Sasl(_) => Kind::AuthFailed,
        LogicError::Refused { .. } => Kind::Rejected,
        LogicError::Unsupported { .. } => Kind::CapabilityMissing,
        LogicError::MessageTooLarge { .. } => Kind::MessageTooLarge,
        LogicError::NoMechanism => Kind::AuthUnavailable,
        LogicError::PlaintextAuth => Kind::PlaintextAuthRefused,
        LogicError::Invalid(_) | LogicError::Body(_) => Kind::Usage,
        _ => Kind::Protocol,
    }
}

/// Error texts stay on one line (a reply's lines are joined with ` / ` already).
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_proto::response::Response;

    #[test]
    fn refusals_map_to_their_kinds() {
        let reply = |text: &[u8]| Response::parse(text).unwrap();
        let auth = LogicError::refused("AUTH", reply(b"535 5.7.8 no\r\n"));
        assert_eq!(Failure::from_logic(&auth).kind, Kind::AuthFailed);
        let hello = LogicError::refused("HELO", reply(b"550 no\r\n"));
        assert_eq!(Failure::from_logic(&hello).kind, Kind::Rejected);
        let closing = LogicError::refused("greeting", reply(b"421 busy\r\n"));
        assert_eq!(Failure::from_logic(&closing).kind, Kind::ServiceClosing);
        assert_eq!(
            Failure::from_logic(&LogicError::NoMechanism).kind,
            Kind::AuthUnavailable
        );
    }

    #[test]
    fn connect_timeouts_are_timeouts() {
        let attempt = |kind| ("127.0.0.1:25".parse().unwrap(), io::Error::from(kind));
        let error = Error::Connect {
            host: "h".into(),
            attempts: vec![attempt(io::ErrorKind::TimedOut)],
        };
        assert_eq!(Failure::from_error(&error).kind, Kind::Timeout);
        let error = Error::Connect {
            host: "h".into(),
            attempts: vec![attempt(io::ErrorKind::ConnectionRefused)],
        };
        assert_eq!(Failure::from_error(&error).kind, Kind::Connect);
        let error = Error::from(ProtocolError::ServiceClosing(
            Response::parse(b"421 bye\r\n").unwrap(),
        ));
        assert_eq!(Failure::from_error(&error).kind, Kind::ServiceClosing);
    }

    #[test]
    fn a_reply_cut_off_is_protocol_an_end_between_replies_is_io() {
        use smtp_proto::client::ReplyKind;
        let cut = Error::from(ProtocolError::TruncatedReply(ReplyKind::Mail));
        let failure = Failure::from_error(&cut);
        assert_eq!(failure.kind, Kind::Protocol);
        assert_eq!(
            failure.message,
            "connection closed in the middle of the reply to MAIL"
        );
        let between = Error::from(ProtocolError::UnexpectedEof(ReplyKind::Mail));
        assert_eq!(Failure::from_error(&between).kind, Kind::Io);
    }
}
