//! Command encoding: one type per command, each writing its exact line into a `Vec<u8>`.
//!
//! Encoding never fails once a command is built: whatever can be wrong (a line over
//! 512 octets plus the allowances of its parameters, RFC 5321 §4.5.3.1.4; an address that
//! needs SMTPUTF8 when it is not in use) is refused by the constructor or by the command's
//! `check` method, before a byte is written, with a [`CommandError`]. Every line is scanned
//! once more for CR, LF and NUL before the final CRLF, so that no bug elsewhere can become
//! command injection.

mod auth;
mod error;
mod hello;
mod line;
mod mail;
mod simple;
mod text;
mod xclient;

pub use auth::{Auth, InitialResponse, SASL_LINE_LIMIT, encode_sasl_cancel, encode_sasl_response};
pub use error::CommandError;
pub use hello::{Ehlo, Helo, Lhlo};
pub use line::COMMAND_LINE_LIMIT;
pub use mail::{Mail, Rcpt};
pub use simple::{Bdat, BdatLine, Data, Expn, Help, Noop, Quit, Rset, StartTls, Vrfy};
pub use text::TextArgument;
pub use xclient::{XattrValue, Xclient, XclientAttribute, Xforward, XforwardAttribute};
