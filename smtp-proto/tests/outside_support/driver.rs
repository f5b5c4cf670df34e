//! The run loop of the `smtp_proto::client` docs, for the tests of commands written
//! outside the crate.
// Shared by several test binaries, each `pub` only to the one that includes it.
#![allow(unreachable_pub)]

use std::time::Instant;

use smtp_proto::client::{Exchange, Output};
use smtp_proto::command::{Cmd, LogicError};
use smtp_proto::error::ProtocolError;

/// What a run gave: the result (or the fatal error) and every octet written.
pub struct Run<T> {
    /// The result, or the fatal error.
    pub result: Result<Result<T, LogicError>, ProtocolError>,
    /// Every octet written.
    pub written: Vec<u8>,
}

/// The run loop of the `client` docs: poll until `NeedInput` or `Done`; each `NeedInput`
/// gets the next of `replies` (an empty entry is the end of the connection).
pub fn drive<C: Cmd>(mut exchange: Exchange<'_, C>, replies: &[&[u8]]) -> Run<C::Output> {
    let mut replies = replies.iter();
    let mut written = Vec::new();
    let now = Instant::now();
    loop {
        match exchange.poll_output(now) {
            Err(error) => {
                return Run {
                    result: Err(error),
                    written,
                };
            }
            Ok(Output::Transmit(t)) => written.extend_from_slice(t.bytes()),
            Ok(Output::NeedInput { .. }) => match replies.next() {
                Some(reply) if !reply.is_empty() => exchange.handle_input(reply),
                _ => exchange.handle_eof(),
            },
            Ok(Output::NeedBody) => exchange.handle_body_end(),
            Ok(Output::UpgradeTls) => exchange.tls_established(),
            Ok(Output::Done(result)) => {
                return Run {
                    result: Ok(result),
                    written,
                };
            }
        }
    }
}
