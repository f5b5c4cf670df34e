//! The `smtp` command: `demo`, `probe` and `send` (contract: the workspace's CLI design,
//! `CLI.md`).
//!
//! Options become a validated plan (`plan`, every usage error before any connect); the plan
//! runs on the adapter `--runtime` names (`run`), each connection following the same
//! session shape (`session`); the merged report is printed as JSON (`json`) or text
//! (`human`), and the exit status follows the outcome (`exit`).

use std::process::ExitCode;

/// `println!` that ignores a closed stdout (`smtp demo | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

mod args;
mod body;
mod cert;
mod config;
mod demo;
mod exit;
mod failure;
mod human;
mod json;
mod plan;
mod record;
mod reply;
mod report;
mod run;
mod session;
mod transcript;
mod view;

use args::{Cli, Command};
use failure::{Failure, Kind};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_error(&error),
    };
    match cli.command {
        Command::Demo(args) => demo::main(args.runtime),
        Command::Probe(args) => finish(plan::probe(&args), args.json, None),
        Command::Send(args) => {
            let json = args.connection.json;
            let addresses = args.to.clone();
            finish(plan::send(&args), json, Some(addresses))
        }
    }
}

/// Runs a plan (or reports its usage error) and prints the result.
fn finish(
    plan: Result<plan::Plan, plan::UsageError>,
    json: bool,
    addresses: Option<Vec<String>>,
) -> ExitCode {
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => return usage_error(Failure::new(Kind::Usage, error.0), json),
    };
    if plan.verbose {
        transcript::WireLog::install(Some(transcript::Sink::Stderr));
    }
    if plan.insecure {
        err!(
            "smtp: WARNING: --insecure-skip-verify: the server certificate is not verified; \
             anyone on the path can read and change the session, and AUTH counts it as \
             plaintext"
        );
    }
    let report = run::run(plan);
    if let Some(error) = &report.error {
        err!("smtp: {}: {}", error.kind.as_str(), error.message);
    }
    if json {
        out!("{}", json::document(&report, addresses.as_deref()));
    } else {
        out!(
            "{}",
            human::render(&report, addresses.as_deref()).trim_end()
        );
    }
    exit::status(&report)
}

/// A usage error: one line on stderr, the JSON document if asked for, exit 64.
fn usage_error(failure: Failure, json: bool) -> ExitCode {
    err!("smtp: usage: {}", failure.message);
    if json {
        out!("{}", json::usage(&failure));
    }
    exit::usage()
}

/// clap's own errors: help and version print normally; every other is a usage error:
/// its first paragraph on one stderr line, and the JSON document when `--json` is among the arguments.
fn clap_error(error: &clap::Error) -> ExitCode {
    if matches!(
        error.kind(),
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    // clap's first paragraph, on one line ("... not provided: --to <ADDR>").
    let rendered = error.render().to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let text = match paragraph.join(" ") {
        // Without a command clap shows the help, whose first paragraph is the tool's
        // description, not what went wrong.
        _ if matches!(
            error.kind(),
            ClapErrorKind::MissingSubcommand
                | ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) =>
        {
            "a command is required: demo, probe or send".to_owned()
        }
        joined if joined.is_empty() => "invalid arguments".to_owned(),
        joined => joined,
    };
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    // `args_os`: an argument that is not UTF-8 is what clap refused here.
    let json = std::env::args_os().skip(1).any(|a| {
        let a = a.as_encoded_bytes();
        a == b"--json" || a.starts_with(b"--json=")
    });
    usage_error(
        Failure::new(Kind::Usage, format!("{text} (see smtp --help)")),
        json,
    )
}
