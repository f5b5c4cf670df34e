//! The replies a [`Server`](super::Server) writes on its own when it refuses input.

use super::super::command::CommandError;
use super::super::event::{AuthGate, Refusal};
use super::super::reply::Reply;
use super::super::sasl::SaslError;

pub(super) fn too_large_reply() -> Reply {
    Reply::fixed(552, (5, 3, 4), "Message too big")
}

pub(super) fn refusal_reply(refusal: &Refusal) -> Reply {
    match refusal {
        Refusal::Command(CommandError::LineTooLong { .. }) => {
            Reply::fixed(500, (5, 5, 2), "Line too long")
        }
        Refusal::Command(e) => match e.reply_code() {
            500 => Reply::fixed(500, (5, 5, 2), "Command not recognized"),
            555 => Reply::fixed(555, (5, 5, 4), "Parameter not recognized"),
            _ => Reply::fixed(501, (5, 5, 4), "Syntax error in arguments"),
        },
        Refusal::BareLf => Reply::fixed(500, (5, 5, 2), "Bare LF not allowed"),
        Refusal::Auth(SaslError::UnsupportedMechanism(_)) => {
            Reply::fixed(504, (5, 5, 4), "Unrecognized authentication type")
        }
        Refusal::Auth(SaslError::Cancelled) => {
            Reply::fixed(501, (5, 7, 0), "Authentication cancelled")
        }
        Refusal::Auth(_) => Reply::fixed(501, (5, 5, 2), "Cannot decode response"),
        Refusal::AuthNotAllowed(gate) => match gate {
            AuthGate::GreetingRefused => Reply::fixed(503, (5, 5, 1), "No service here, only QUIT"),
            AuthGate::AlreadyAuthenticated => Reply::fixed(503, (5, 5, 1), "Already authenticated"),
            AuthGate::InTransaction => Reply::fixed(
                503,
                (5, 5, 1),
                "AUTH not permitted during a mail transaction",
            ),
            AuthGate::NotOffered => Reply::fixed(502, (5, 5, 1), "AUTH not available"),
            AuthGate::EncryptionRequired => Reply::fixed(
                538,
                (5, 7, 11),
                "Encryption required for requested authentication mechanism",
            ),
        },
        _ => Reply::fixed(554, (5, 0, 0), "Refused"),
    }
}
