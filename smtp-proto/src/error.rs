//! The two levels of failure, as the seed (new-tokio-smtp) taught: a refusal the caller must
//! look at, with the connection still usable ([`LogicError`]), and a fatal error after which
//! the connection is never used again ([`ProtocolError`]).
//!
//! Every `Display` says what happened and, where there is one, what the server said, through
//! [`Response`]'s `Display`: truncated, with control characters escaped.

use thiserror::Error;

use crate::auth::{Mechanism, SaslError};
use crate::client::ReplyKind;
use crate::command::CommandError;
use crate::data::DataError;
use crate::response::{ReplyError, Response};

/// The server refused, or the command cannot be used here: the connection stays usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LogicError {
    /// The server answered with a negative reply.
    #[error("{command} refused: {response}")]
    Refused {
        /// The command refused (`"MAIL"`, `"RCPT"`, `"AUTH"`, ...).
        command: &'static str,
        /// The server's reply.
        response: Response,
    },
    /// The server does not offer a capability the command needs; nothing was sent.
    #[error("{command} needs {capability}, which the server does not offer")]
    Unsupported {
        /// The command.
        command: &'static str,
        /// The EHLO keyword it needs (`"CHUNKING"`, `"DSN"`, ...).
        capability: &'static str,
    },
    /// The command's arguments cannot be written (line too long, SMTPUTF8 needed); nothing
    /// was sent.
    #[error("invalid command: {0}")]
    Invalid(#[from] CommandError),
    /// The body breaks the body rules; nothing of it was sent (a streamed body aborted
    /// mid-way is fatal over DATA and ends with RSET over BDAT).
    #[error("invalid message body: {0}")]
    Body(#[from] DataError),
    /// The message is larger than the server's SIZE limit (RFC 1870 §6); nothing was sent.
    #[error("message of {size} octets exceeds the server's limit of {limit}")]
    MessageTooLarge {
        /// The canonical size of the message.
        size: u64,
        /// The server's SIZE limit.
        limit: u64,
    },
    /// Credentials were given, but the server offers none of the allowed mechanisms.
    #[error("no allowed AUTH mechanism is offered by the server")]
    NoMechanism,
    /// AUTH on a connection without TLS (or with TLS whose certificate is not verified),
    /// which the caller has not allowed.
    #[error("refusing to send credentials without TLS (or over TLS that is not verified)")]
    PlaintextAuth,
    /// The SASL exchange cannot start with these credentials or parameters (a control
    /// character in a field, SCRAM without a client nonce); nothing was sent.
    #[error("AUTH cannot start: {0}")]
    Sasl(SaslError),
    /// The session is not in a state where the command makes sense (MAIL before EHLO).
    #[error("{command} is not possible now: {reason}")]
    WrongState {
        /// The command.
        command: &'static str,
        /// Why not.
        reason: &'static str,
    },
}

impl LogicError {
    /// A refusal of `command` with the server's `response`.
    pub fn refused(command: &'static str, response: Response) -> Self {
        LogicError::Refused { command, response }
    }

    /// The server's reply, when the error is a refusal.
    pub fn response(&self) -> Option<&Response> {
        match self {
            LogicError::Refused { response, .. } => Some(response),
            _ => None,
        }
    }
}

/// A fatal error: the connection cannot be used any more.
///
/// After one, the client refuses further use ([`ProtocolError::Unusable`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The server sent a malformed reply or exceeded a reply limit.
    #[error("malformed reply: {0}")]
    MalformedReply(#[from] ReplyError),
    /// No complete reply arrived before its deadline.
    #[error("timed out waiting for the reply to {0}")]
    Timeout(ReplyKind),
    /// The connection was closed while replies were outstanding, with nothing of the
    /// awaited reply received (an end between replies).
    #[error("connection closed by the server while waiting for {0}")]
    UnexpectedEof(ReplyKind),
    /// The connection was closed in the middle of the awaited reply: part of it had
    /// arrived, its last line had not (RFC 5321 §4.2.1: a reply ends with the line whose
    /// code is followed by a space).
    #[error("connection closed in the middle of the reply to {0}")]
    TruncatedReply(ReplyKind),
    /// The server announced it is closing the connection (421, RFC 5321 §3.8).
    #[error("service closing: {0}")]
    ServiceClosing(Response),
    /// Bytes were already received when the 220 to STARTTLS was parsed (CVE-2021-22947,
    /// CVE-2011-0411 class): they would be taken as if they came over TLS.
    #[error("bytes received before the TLS handshake (STARTTLS response injection)")]
    StartTlsInjection,
    /// TLS is required, but the server does not offer STARTTLS or refused it.
    #[error("STARTTLS required but unavailable{}", match .0 { Some(r) => format!(": {r}"), None => String::new() })]
    StartTlsUnavailable(Option<Response>),
    /// The server closed the connection between commands.
    #[error("connection closed by the server")]
    ConnectionClosed,
    /// Writing to the connection failed or timed out (the adapter's
    /// `handle_write_error`); the adapter reports the underlying IO error.
    #[error("the connection failed while writing")]
    WriteFailed,
    /// A reply arrived with no command in flight.
    #[error("reply with no command in flight: {0}")]
    UnexpectedReply(Response),
    /// Bytes arrived with no command in flight.
    #[error("bytes received with no command in flight")]
    UnexpectedBytes,
    /// A reply code that is impossible for its command (354 to RCPT, 334 outside AUTH).
    #[error("impossible reply to {command}: {response}")]
    ImpossibleReply {
        /// The command.
        command: &'static str,
        /// The reply.
        response: Response,
    },
    /// The SASL exchange failed on the client's side (a malformed challenge, a SCRAM server
    /// signature that does not verify).
    #[error("authentication with {mechanism} failed: {error}")]
    Sasl {
        /// The mechanism in use.
        mechanism: Mechanism,
        /// What went wrong.
        error: SaslError,
    },
    /// More 334 challenges than the limit.
    #[error("too many AUTH challenges (limit {0})")]
    TooManyChallenges(u32),
    /// A streamed body broke the body rules after part of it was sent over DATA: the
    /// end-of-data marker was not sent, so the connection must be closed (nothing delivered).
    #[error("streamed body aborted: {0}")]
    BodyAborted(DataError),
    /// The API or a command was used against its contract.
    #[error("misuse: {0}")]
    Misuse(&'static str),
    /// The client failed or was closed before.
    #[error("the connection is no longer usable")]
    Unusable,
}

impl ProtocolError {
    /// The server's reply carried by the error, if any.
    pub fn response(&self) -> Option<&Response> {
        match self {
            ProtocolError::ServiceClosing(response)
            | ProtocolError::UnexpectedReply(response)
            | ProtocolError::ImpossibleReply { response, .. }
            | ProtocolError::StartTlsUnavailable(Some(response)) => Some(response),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_hand_out_the_reply_they_carry() {
        let reply = Response::parse(b"421 4.3.2 closing\r\n").unwrap();
        let carrying = [
            ProtocolError::ServiceClosing(reply.clone()),
            ProtocolError::UnexpectedReply(reply.clone()),
            ProtocolError::ImpossibleReply {
                command: "RCPT",
                response: reply.clone(),
            },
            ProtocolError::StartTlsUnavailable(Some(reply.clone())),
        ];
        for error in &carrying {
            assert_eq!(error.response(), Some(&reply), "{error:?}");
        }
        for error in [
            ProtocolError::StartTlsUnavailable(None),
            ProtocolError::ConnectionClosed,
            ProtocolError::Unusable,
        ] {
            assert_eq!(error.response(), None, "{error:?}");
        }
        assert_eq!(
            LogicError::refused("RCPT", reply.clone()).response(),
            Some(&reply)
        );
        let wrong_state = LogicError::WrongState {
            command: "MAIL",
            reason: "no EHLO yet",
        };
        assert_eq!(wrong_state.response(), None);
    }
}
