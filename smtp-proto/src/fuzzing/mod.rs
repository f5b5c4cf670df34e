//! Entry points for the cargo-fuzz targets in `fuzz/` and for the stable test that replays
//! their committed corpora. Each function takes arbitrary bytes, must never panic on them,
//! and asserts the target's property itself (a failed assertion is a finding).

mod auth;
mod client;
mod data;
mod esmtp;
mod reply;
mod server;
mod syntax;

pub use auth::*;
pub use client::*;
pub use data::*;
pub use esmtp::*;
pub use reply::*;
pub use server::*;
pub use syntax::*;
