//! Sans-IO SMTP client protocol.
//!
//! `smtp-proto` turns SMTP commands into bytes and server bytes into typed values, without
//! doing any IO itself: no socket, clock, thread, TLS library or runtime. The adapters
//! (`smtp-tokio`, `smtp-async-std`, `smtp-blocking`) add those.
//!
//! | module | what it holds |
//! |---|---|
//! | [`syntax`] | RFC 5321 §4.1.2 as types: domains, address literals, mailboxes, paths, ESMTP parameters, xtext |
//! | [`response`] | replies: [`response::Response`], reply codes, enhanced status codes (RFC 3463), the incremental reply parser, EHLO data |
//! | [`command`] | command encoding: every command's line(s), with line-length checks |
//! | [`data`] | DATA encoding (CRLF canonicalisation and dot-stuffing) and BDAT framing |
//! | [`auth`] | SASL mechanisms as pure steps |
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
pub mod command;
pub mod data;
pub mod response;
pub mod syntax;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
