//! The blocking std::net adapter for smtp-proto.
//!
//! Not written yet: the adapters come after the sans-IO client in `smtp-proto` (see the
//! workspace README). This crate only reserves its place in the workspace.
#![forbid(unsafe_code)]

pub use smtp_proto;
