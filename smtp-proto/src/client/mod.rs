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
//! | `Transmit(t)` | writes `t.bytes()` before `t.write_deadline()`, logs only `t.redacted()`; if the write fails, times out or is abandoned, calls `handle_write_error(accepted)` with the octets the stream took (an end of data among them may have arrived: uncertain) |
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
//! one byte at a time cannot stretch it. A caller that polls after a deadline passed (it
//! paused between results) reads what arrived meanwhile before it calls `handle_timeout`
//! ([`Output::NeedInput`]): a reply that came while the caller was away is no timeout.
//!
//! # A whole event loop over `std::net::TcpStream`
//!
//! The proof that the core serves any event loop: one `match` on the output, a blocking
//! socket, socket timeouts for the deadlines. (It speaks plaintext because it has no TLS
//! library; the adapters add rustls and answer `UpgradeTls`.)
//!
//! ```no_run
//! use std::error::Error;
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::TcpStream;
//! use std::num::NonZeroUsize;
//! use std::time::Instant;
//!
//! use smtp_proto::client::{Client, ClientConfig, Exchange, Output};
//! use smtp_proto::command::{Cmd, Envelope, Establish, LogicError, MailBody, Quit, SendMail, TlsPolicy};
//! use smtp_proto::syntax::ClientId;
//!
//! type Outcome<T> = Result<Result<T, LogicError>, Box<dyn Error>>;
//!
//! fn run<C: Cmd>(stream: &mut TcpStream, mut exchange: Exchange<'_, C>) -> Outcome<C::Output> {
//!     let mut buf = [0; 8192];
//!     // The time left before `deadline`; none once it passed: then nothing may wait.
//!     let left = |deadline: Instant| {
//!         Some(deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
//!     };
//!     loop {
//!         match exchange.poll_output(Instant::now())? {
//!             Output::Transmit(transmit) => {
//!                 // Counted: a failure must say how much may have left.
//!                 let mut accepted = 0;
//!                 while let Some(rest) = transmit.bytes().get(accepted..).filter(|r| !r.is_empty()) {
//!                     // Each write waits only for the time left: a slow reader cannot stretch it.
//!                     let written = match left(transmit.write_deadline()) {
//!                         Some(wait) => stream.set_write_timeout(Some(wait)).and_then(|()| stream.write(rest)),
//!                         None => Err(ErrorKind::TimedOut.into()),
//!                     };
//!                     match written {
//!                         Ok(n) if n > 0 => accepted += n,
//!                         _ => {
//!                             exchange.handle_write_error(accepted);
//!                             exchange.handle_eof();
//!                             break;
//!                         }
//!                     }
//!                 }
//!             }
//!             Output::NeedInput { deadline } => {
//!                 let read = match left(deadline) {
//!                     Some(wait) => stream.set_read_timeout(Some(wait)).and_then(|()| stream.read(&mut buf)),
//!                     // Past the deadline (the caller was away): what came meanwhile, no wait.
//!                     None => stream.set_nonblocking(true).and_then(|()| {
//!                         let read = stream.read(&mut buf);
//!                         stream.set_nonblocking(false)?;
//!                         read
//!                     }),
//!                 };
//!                 match read {
//!                     Ok(0) => exchange.handle_eof(),
//!                     Ok(n) => exchange.handle_input(&buf[..n]),
//!                     Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
//!                         exchange.handle_timeout(Instant::now())
//!                     }
//!                     Err(e) => return Err(e.into()),
//!                 }
//!             }
//!             Output::UpgradeTls => return Err("no TLS in this loop".into()),
//!             Output::NeedBody => exchange.handle_body_end(),
//!             Output::Done(result) => return Ok(result),
//!         }
//!     }
//! }
//!
//! fn main() -> Result<(), Box<dyn Error>> {
//!     let mut stream = TcpStream::connect("127.0.0.1:2525")?;
//!     stream.set_nodelay(true)?;
//!     // This loop cannot read while it writes: pipelined groups stay small enough that
//!     // the replies to one fit the socket buffers (RFC 2920 §3.1).
//!     let config = ClientConfig { max_group: NonZeroUsize::new(16 * 1024), ..ClientConfig::default() };
//!     let mut client = Client::new(config);
//!     let setup = Establish::new(ClientId::localhost())?.tls(TlsPolicy::Disabled);
//!     run(&mut stream, client.send(setup))??;
//!     let envelope = Envelope::new("<me@example.org>".parse()?, ["<you@example.net>".parse()?])?;
//!     let body = MailBody::bytes(&b"Subject: hello\r\n\r\nHi.\r\n"[..]);
//!     let report = run(&mut stream, client.send(SendMail::new(envelope, body)))??;
//!     eprintln!("{:?}", report.outcome());
//!     let _ = run(&mut stream, client.send(Quit)); // a failed QUIT changes no outcome
//!     Ok(())
//! }
//! ```
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
mod exchange;
mod outbox;
pub(crate) use outbox::BODY_BLOCK;
mod session;

pub use crate::error::ProtocolError;
pub use config::{ClientConfig, ReplyKind, Timeouts, deadline_after};
pub use context::Context;
pub use driver::Client;
pub use exchange::{Exchange, Output};
pub use outbox::{BodyWriter, Position, Redacted, Transmit, TransmitTag};
pub use session::{Protocol, Session};
