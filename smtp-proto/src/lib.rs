//! Sans-IO SMTP client protocol.
//!
//! `smtp-proto` turns SMTP commands into bytes and server bytes into typed values, without
//! doing any IO itself: no socket, clock, thread, TLS library or runtime. The adapters
//! (`smtp-tokio`, `smtp-async-std`, `smtp-blocking`) add those; anyone with another event
//! loop can drive the same core.
//!
//! | module | what it holds |
//! |---|---|
//! | [`syntax`] | RFC 5321 §4.1.2 as types: [`syntax::Domain`], address literals, [`syntax::Mailbox`], [`syntax::ReversePath`], [`syntax::ForwardPath`], [`syntax::ClientId`]; ESMTP parameters and xtext in [`syntax::esmtp`] |
//! | [`response`] | the incremental [`response::ReplyParser`], [`response::Response`], reply codes, enhanced status codes (RFC 3463), retry advice, [`response::EhloData`] |
//! | [`command`] | one type per command, each writing its exact line, with line-length and SMTPUTF8 checks before a byte is written |
//! | [`data`] | DATA encoding (CRLF canonicalisation, dot-stuffing) and BDAT framing, streaming, with the body rules that defeat SMTP smuggling |
//! | [`auth`] | SASL mechanisms as pure steps: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5, SCRAM-SHA-256 |
//! | [`client`] | the driver: [`client::Client`] runs one [`command::Cmd`] at a time through an [`client::Exchange`] (inputs in, one output enum out), with the session, deadlines and pipelining |
//! | [`error`] | the two levels of failure: [`error::LogicError`] (a refusal; the connection stays usable) and [`error::ProtocolError`] (fatal) |
//!
//! Every command is a [`command::Cmd`], built in or written by a user: greeting, EHLO,
//! STARTTLS, AUTH, the pipelined mail transaction ([`command::SendMail`],
//! [`command::SendMails`]) and the rest. [`client`] shows the run loop and a complete
//! event loop over `std::net::TcpStream`; the adapter crates are that loop for tokio,
//! futures-io and blocking sockets, with TLS.
//!
//! The pieces also compose by hand, without the driver:
//!
//! ```
//! use smtp_proto::command::{Data, Ehlo, Mail, Rcpt};
//! use smtp_proto::data::{BodyPolicy, BodySummary, encode_data};
//! use smtp_proto::response::{BytesMut, Capability, EhloData, ReplyParser};
//! use smtp_proto::syntax::esmtp::{Body, MailParameters, RcptParameters};
//! use smtp_proto::syntax::{AddressEncoding, ClientId, ForwardPath, ReversePath};
//!
//! let mut wire = Vec::new();
//! Ehlo::new(ClientId::localhost())?.encode(&mut wire);
//! assert_eq!(wire, b"EHLO localhost\r\n");
//!
//! // The server's EHLO reply, as it might arrive in two reads.
//! let mut parser = ReplyParser::new();
//! let mut buf = BytesMut::from(&b"250-mx.example Hello\r\n250-SIZE 1000"[..]);
//! assert!(parser.parse(&mut buf)?.is_none()); // need more
//! buf.extend_from_slice(b"0\r\n250 8BITMIME\r\n");
//! let ehlo = EhloData::try_from(parser.parse(&mut buf)?.expect("complete"))?;
//! assert!(ehlo.supports(Capability::EightBitMime));
//!
//! // What MAIL must declare is known before it is sent.
//! let body = "Subject: café\n\n.leading dot\n".as_bytes();
//! let summary = BodySummary::of(body, BodyPolicy::default());
//! assert!(summary.size() <= ehlo.size_limit().unwrap_or(u64::MAX));
//! let mut params = MailParameters::new();
//! params.size = Some(summary.size());
//! params.body = summary.has_8bit().then_some(Body::EightBitMime);
//!
//! wire.clear();
//! let from: ReversePath = "<sender@example.org>".parse()?;
//! Mail::new(from, params).encode(&mut wire, AddressEncoding::Ascii)?;
//! let to: ForwardPath = "<rcpt@bücher.example>".parse()?;
//! Rcpt::new(to, RcptParameters::new()).encode(&mut wire, AddressEncoding::Ascii)?;
//! Data.encode(&mut wire);
//! assert_eq!(
//!     wire,
//!     b"MAIL FROM:<sender@example.org> SIZE=32 BODY=8BITMIME\r\n\
//!       RCPT TO:<rcpt@xn--bcher-kva.example>\r\n\
//!       DATA\r\n"
//! );
//!
//! // After the 354: the body, canonical and dot-stuffed, with one end-of-data marker.
//! wire.clear();
//! encode_data(body, BodyPolicy::default(), &mut wire)?;
//! assert_eq!(wire, "Subject: café\r\n\r\n..leading dot\r\n.\r\n".as_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything that reads peer bytes is fuzzed and never panics: the crate forbids `unsafe`
//! and denies `unwrap`, `expect`, indexing and `panic!` in its library code.
#![forbid(unsafe_code)]
// Peer bytes must never reach a panic: the panicking shortcuts are denied in all of the
// core's non-test code, not just in the parsers.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable
    )
)]

pub mod auth;
pub mod client;
pub mod command;
pub mod data;
pub mod error;
pub mod response;
#[cfg(feature = "server")]
pub mod server;
pub mod syntax;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
#[cfg(feature = "testing")]
pub mod testing;
