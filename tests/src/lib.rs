//! Cross-crate tests for the SMTP workspace; the tests themselves live in `tests/tests/`.
//!
//! The interop and hostile-server suites are written once, against [`adapter::SmtpAdapter`]
//! (one implementation per adapter crate), and run against servers that do not depend on
//! any runtime ([`server::ScriptedServer`] on a std thread, or the real servers the interop
//! scripts start). A new adapter implements the trait and calls the [`suite`] functions from
//! its own `tests/adapter_NAME.rs`, and expands [`interop_tests!`] in its own
//! `tests/interop_NAME.rs` (see [`interop`]).

pub mod adapter;
pub mod hostile;
pub mod interop;
pub mod resources;
pub mod server;
pub mod suite;

/// The README's examples, compiled (and those that need no server, run) as doc tests here,
/// where every adapter is a dependency.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
