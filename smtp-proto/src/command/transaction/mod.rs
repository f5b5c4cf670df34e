//! The mail transaction (RFC 5321 §3.3): MAIL, RCPT, DATA or BDAT, as one composite
//! command, and many of them pipelined.
//!
//! # What the client decides before a byte is written
//!
//! | parameter | when | otherwise |
//! |---|---|---|
//! | `SIZE=` (RFC 1870) | SIZE offered and the size known (whole body, or a streamed body's hint) | a body over the server's limit is [`LogicError::MessageTooLarge`] |
//! | `BODY=8BITMIME` (RFC 6152) | the body has 8-bit octets (or a streamed body declares them) | 8BITMIME not offered: [`LogicError::Unsupported`] |
//! | `BODY=BINARYMIME` (RFC 3030) | [`MailBody::Binary`], over BDAT | CHUNKING or BINARYMIME not offered: unsupported |
//! | `SMTPUTF8` (RFC 6531) | an address needs it (a non-ASCII local part, in a path or in `AUTH=`; non-ASCII domains go as A-labels), or an extra MAIL parameter carries UTF-8 | not offered: unsupported |
//! | DSN, REQUIRETLS, MT-PRIORITY, FUTURERELEASE, DELIVERBY, RRVS | the caller set them in the [`Envelope`] | not offered: unsupported, never silently dropped |
//! | REQUIRETLS (RFC 8689) | the session is TLS | [`LogicError::WrongState`]: the message is not sent in clear, even to a server that offers it there |
//!
//! The session must have a hello and no open transaction (a standalone
//! [`Mail`](crate::command::Mail) accepted, or a [`Chain`](crate::command::Chain) of MAIL and
//! RCPT stopped before its end): otherwise [`LogicError::WrongState`] for `MAIL`, since the
//! server would refuse the new MAIL and take the recipients and message into the open
//! transaction (RFC 5321 §4.1.4, §3.3). Finish it, or send RSET, first.
//!
//! A whole body is checked against the [`BodyPolicy`](crate::data::BodyPolicy) first (a
//! violation is [`LogicError::Body`]); MAIL and RCPT lines are checked for length and
//! encoding. LIMITS RCPTMAX (RFC 9422) splits the recipients into several transactions.
//!
//! # How it runs
//!
//! - With PIPELINING (RFC 2920): MAIL, every RCPT and DATA in one transmit; every reply
//!   read in order, even after refusals. If DATA got 354 although every RCPT was refused,
//!   the end-of-data marker goes alone and nothing is delivered. With
//!   [`SendMails`], the next mail rides with the previous end of data.
//! - With CHUNKING (RFC 3030) and [`TransactionOptions::prefer_bdat`]: BDAT chunks, `LAST`
//!   on the final one, pipelined with MAIL and RCPT; after a refused chunk no further chunk,
//!   then RSET.
//! - LMTP (RFC 2033): one verdict per accepted recipient after the end of data.
//! - A 452 to RCPT after at least one acceptance (RFC 5321 §4.5.3.1.10) sends the rest in a
//!   new transaction, and so does a 552 there with no enhanced code or X.5.3 (the code RFC
//!   821 used for it); each recipient is reported once.
//! - A transaction that failed with MAIL accepted is closed with RSET, so the connection
//!   stays usable.

mod batch;
mod body;
mod chunks;
mod commands;
mod envelope;
mod job;
mod plan;
mod replies;
mod report;
#[cfg(all(test, feature = "testing"))]
mod reuse_tests;
mod send_mail;
mod send_mails;
mod stream;

#[cfg(doc)]
use crate::command::LogicError;

pub use body::{MailBody, StreamedBody, TransactionOptions};
pub use envelope::{Envelope, NoRecipients};
pub use report::{MailReport, Outcome, RecipientReport, RecipientStatus, TransactionReport};
pub use send_mail::SendMail;
pub use send_mails::SendMails;
