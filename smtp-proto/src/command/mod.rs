//! Command encoding: one type per command, each writing its exact line into a `Vec<u8>`.
//!
//! Whatever can be wrong with a line is refused before a byte is written, with a
//! [`CommandError`]: by the constructor for commands whose line is fixed once built (EHLO,
//! VRFY, BDAT, ...), whose `encode` then cannot fail; by [`Mail::encode`] and
//! [`Rcpt::encode`] (and their `check`), which depend on the [`AddressEncoding`] in use, for
//! MAIL and RCPT: a line over 512 octets plus the allowances of its parameters
//! (RFC 5321 §4.5.3.1.4), an address or value that needs SMTPUTF8 when it is not in use
//! (RFC 6531 §3.4). There is no unchecked public encoder. Every line that carries caller
//! text (EHLO/HELO/LHLO, MAIL, RCPT, VRFY, EXPN, HELP, NOOP, XCLIENT, XFORWARD) is scanned
//! once more for CR, LF and NUL before the final CRLF, so that no bug elsewhere can become
//! command injection (AUTH carries only a validated mechanism name and base64, the other
//! commands are constant). The typed arguments themselves refuse every control character
//! (C0, DEL, C1) and, even when built with `from_unchecked`, everything that could change
//! the tokenisation of the line (see [`crate::syntax`]).
//!
//! [`AddressEncoding`]: crate::syntax::AddressEncoding

mod auth;
mod authenticate;
mod basic;
mod cmd;
mod combinators;
mod error;
mod establish;
mod greeting;
mod hello;
mod line;
mod mail;
mod simple;
mod text;
pub mod transaction;
mod xclient;

pub use crate::client::Context;
pub use crate::error::LogicError;
pub use auth::{Auth, InitialResponse, SASL_LINE_LIMIT, encode_sasl_cancel, encode_sasl_response};
pub use authenticate::{Authenticate, DEFAULT_MAX_CHALLENGES};
pub use cmd::{BodyChunk, Cmd, Step};
pub use combinators::{BoxedCmd, Chain, CmdExt, Either, Map, OnError, Select, Then, start_checked};
pub use error::CommandError;
pub use establish::{Establish, Established, TlsPolicy};
pub use greeting::Greeting;
pub use hello::Hello;
pub use hello::{Ehlo, Helo, Lhlo};
pub use line::COMMAND_LINE_LIMIT;
pub use mail::{Mail, Rcpt};
pub use simple::{Bdat, BdatLine, Data, Expn, Help, Noop, Quit, Rset, StartTls, Vrfy};
pub use text::TextArgument;
pub use transaction::{
    Envelope, MailBody, MailReport, NoRecipients, Outcome, RecipientReport, RecipientStatus,
    SendMail, SendMails, StreamedBody, TransactionOptions, TransactionReport,
};
pub use xclient::{XattrValue, Xclient, XclientAttribute, Xforward, XforwardAttribute};
