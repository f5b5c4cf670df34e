//! Shared by the CLI tests: run the built `smtp` binary, find the real servers, and a
//! small scripted fake server for the faults the real ones cannot be asked for.

#![allow(dead_code)]

pub(crate) mod fake;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The three `--runtime` values.
pub(crate) const RUNTIMES: [&str; 3] = ["tokio", "async-std", "blocking"];

/// What one run of `smtp` gave.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: i32,
    pub(crate) json: Value,
    pub(crate) stderr: String,
}

/// Runs `smtp ARGS --json` and parses stdout (which must be exactly one JSON document).
pub(crate) fn smtp(args: &[&str]) -> Run {
    smtp_with(args, None)
}

/// As [`smtp`], with `stdin` fed to the process.
pub(crate) fn smtp_with(args: &[&str], stdin: Option<&[u8]>) -> Run {
    smtp_env(args, stdin, &[])
}

/// As [`smtp`], with `stdin` and these environment variables.
pub(crate) fn smtp_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let output = output_env(args, true, stdin, env);
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout:?}"));
    let run = Run {
        status: output.status.code().expect("exit status"),
        json,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    check_shape(&run.json);
    run
}

/// Runs `smtp ARGS` (no `--json` added) and returns the raw output.
pub(crate) fn output(args: &[&str], json: bool, stdin: Option<&[u8]>) -> Output {
    output_env(args, json, stdin, &[])
}

fn output_env(args: &[&str], json: bool, stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtp"));
    command.args(args);
    command.envs(env.iter().copied());
    if json {
        command.arg("--json");
    }
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("smtp starts");
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(bytes).expect("stdin written");
    }
    child.wait_with_output().expect("smtp ends")
}

/// Every key of the contract is present; `error` is set exactly for error/uncertain.
pub(crate) fn check_shape(json: &Value) {
    for key in [
        "outcome",
        "greeting",
        "ehlo",
        "tls",
        "auth",
        "mail",
        "recipients",
        "message",
        "error",
        "stats",
    ] {
        assert!(json.get(key).is_some(), "key {key} missing in {json}");
    }
    let failing = matches!(json["outcome"].as_str(), Some("error" | "uncertain"));
    assert_eq!(
        json["error"].is_null(),
        !failing,
        "error vs outcome in {json}"
    );
    if let Some(stats) = json["stats"].as_object() {
        let sum: u64 = ["delivered", "partial", "rejected", "uncertain", "errors"]
            .iter()
            .map(|k| stats[*k].as_u64().unwrap())
            .sum();
        assert_eq!(
            stats["attempted"].as_u64().unwrap(),
            sum,
            "attempted in {json}"
        );
    }
}

/// The error kind, or "" without error.
pub(crate) fn kind(run: &Run) -> &str {
    run.json["error"]["kind"].as_str().unwrap_or("")
}

/// The real servers (`$SMTP_TEST_SERVERS`), `None` to skip; panics when
/// `SMTP_REQUIRE_SERVERS=1` and they are not configured.
pub(crate) fn servers() -> Option<PathBuf> {
    let required = std::env::var("SMTP_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    match std::env::var_os("SMTP_TEST_SERVERS") {
        Some(root) if !root.is_empty() => {
            let root = PathBuf::from(root);
            assert!(
                root.join("tls/ca.pem").is_file(),
                "{} has no tls/ca.pem",
                root.display()
            );
            Some(root)
        }
        _ if required => panic!("SMTP_REQUIRE_SERVERS=1 but SMTP_TEST_SERVERS is not set"),
        _ => {
            eprintln!("skipped: SMTP_TEST_SERVERS not set (start tests/servers)");
            None
        }
    }
}

/// A unique token for addresses, so parallel runs never mix.
pub(crate) fn token() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("cli{}x{nanos:08x}", std::process::id())
}
