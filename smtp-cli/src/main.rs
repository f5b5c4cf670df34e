//! The `smtp` command (contract: the workspace's CLI design).
//!
//! Only `smtp demo` exists so far, and it is offline by construction: it plays a scripted
//! server conversation through the real encoders and parsers of `smtp-proto`. The
//! in-process test server and the `probe` and `send` commands come with the adapters.

// A command-line tool prints by design.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

mod demo;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") if args.len() == 1 => match demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("smtp demo: {e}");
                ExitCode::from(2)
            }
        },
        Some("probe" | "send") => {
            eprintln!(
                "smtp: `probe` and `send` need the network adapters, which are not built yet"
            );
            ExitCode::from(64)
        }
        _ => {
            eprintln!("usage: smtp demo");
            ExitCode::from(64)
        }
    }
}
