//! RFC 5321 §4.1.2 as types: domains, address literals, local parts, mailboxes, paths,
//! the EHLO client identity and ESMTP parameters.
//!
//! Every type parses strictly with [`FromStr`](std::str::FromStr) / `TryFrom`, reporting
//! the first problem as an [`AddressError`] with its byte offset, and offers
//! `from_unchecked` for values a library validated already. "Unchecked" means "the grammar
//! was validated elsewhere", never "any structure": those constructors skip the finer
//! grammar and the length limits but still refuse empty input, control characters (C0, DEL,
//! C1) and every character that could change how the line they end up on is tokenised (SP,
//! `<`, `>` outside a quoted local part, ...), so that nothing from application input can
//! inject a command or a parameter (SECURITY.md). Each `from_unchecked` documents exactly
//! what it checks. Writing a value is infallible.
//!
//! Command encoding writes paths with `write_to(out, AddressEncoding)`: with
//! [`AddressEncoding::Ascii`] domains are written as A-labels, and a non-ASCII local part
//! (see `needs_smtputf8()`) needs [`AddressEncoding::Utf8`], i.e. SMTPUTF8 (RFC 6531).
//!
//! ```
//! use smtp_proto::syntax::{AddressEncoding, ForwardPath, ReversePath};
//! let from: ReversePath = "<用户@例子.example>".parse()?;
//! assert!(from.needs_smtputf8());
//! let to: ForwardPath = "<user@bücher.example>".parse()?;
//! let mut line = b"RCPT TO:".to_vec();
//! to.write_to(&mut line, AddressEncoding::Ascii);
//! assert_eq!(line, b"RCPT TO:<user@xn--bcher-kva.example>");
//! # Ok::<(), smtp_proto::syntax::AddressError>(())
//! ```

mod address_literal;
pub(crate) mod chars;
mod client_id;
mod domain;
mod error;
pub mod esmtp;
mod host;
mod idn;
mod idna2008;
mod ip;
mod local_part;
mod mailbox;
mod path;

pub use address_literal::{AddressLiteral, GeneralLiteral};
pub use client_id::ClientId;
pub use domain::Domain;
pub use error::{AddressError, IdnaProblem, Ipv6Problem};
pub use host::Host;
pub use local_part::LocalPart;
pub use mailbox::Mailbox;
pub use path::{ForwardPath, ReversePath};

/// How addresses may be written: SMTPUTF8 in use, or ASCII only.
///
/// With `Ascii` domains are written as A-labels (RFC 5890); a non-ASCII local part has no
/// ASCII form and needs `Utf8`, which requires the server's SMTPUTF8 extension (RFC 6531).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressEncoding {
    /// ASCII only: domains as A-labels.
    Ascii,
    /// SMTPUTF8 in use: everything as given, in UTF-8.
    Utf8,
}
