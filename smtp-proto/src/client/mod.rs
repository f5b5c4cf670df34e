//! The sans-IO client driver: one command at a time, replies counted, deadlines fixed.
//!
//! # The run loop
//!
//! A [`Client`] holds the session; [`Client::send`] starts any [`Cmd`](crate::command::Cmd)
//! and returns an [`Exchange`], which borrows the client until the command is done. The
//! exchange has inputs (`handle_input`, `handle_eof`, `handle_timeout`, `tls_established`,
//! `handle_body`, `handle_body_end`) and one output, [`Exchange::poll_output`]:
//!
//! | [`Output`] | the caller |
//! |---|---|
//! | `Transmit(t)` | writes `t.bytes()` before `t.write_deadline()`, logs only `t.redacted()` |
//! | `NeedInput { deadline }` | reads; hands the bytes to `handle_input`, or calls `handle_eof`; at the deadline calls `handle_timeout` |
//! | `UpgradeTls` | runs the TLS handshake on the connection, then calls `tls_established` |
//! | `NeedBody` | hands the next piece of a streamed body to `handle_body`, or calls `handle_body_end` |
//! | `Done(result)` | stops: the command's output, or the server's refusal ([`LogicError`](crate::command::LogicError)) |
//!
//! **The rule: after every input, poll until the output is `NeedInput` or `Done`.** An
//! `Err` from `poll_output` is fatal ([`ProtocolError`]): the
//! connection is closed and the client refuses further use.
//!
//! Time is an argument: `poll_output(now)` fixes deadlines from `now`, and the core never
//! reads the clock, so tests run on virtual time. A reply's deadline is fixed when it
//! becomes the next reply awaited and is never moved by partial input: a server that drips
//! one byte at a time cannot stretch it.
//!
//! # What the driver guarantees
//!
//! - Every line a command writes expects exactly one reply; replies are matched strictly in
//!   order. A reply or bytes with nothing in flight, or a reply to a line not yet sent, is
//!   fatal ([`ProtocolError::UnexpectedReply`]).
//! - A 421 reply is fatal at any point, after the command has seen it.
//! - Lines are checked to be one CRLF-terminated line without NUL before they can leave.
//! - A TLS upgrade happens only straight after a 220 to STARTTLS with no byte buffered.
//! - With [`ClientConfig::max_group`], a transmit is at most that large and the next one
//!   waits until every reply the previous asked for arrived (RFC 2920 §3.1's deadlock rule,
//!   for adapters that cannot read while they write).

mod config;
mod context;
mod driver;
mod outbox;
mod session;

pub use crate::error::ProtocolError;
pub use config::{ClientConfig, ReplyKind, Timeouts};
pub use context::Context;
pub use driver::{Client, Exchange, Output};
pub use outbox::{Redacted, Transmit, TransmitTag};
pub use session::{Protocol, Session};
