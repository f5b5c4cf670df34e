//! Usage errors: exit 64, the JSON document with `error.kind` `usage`, nothing connected;
//! human output and `-v` on the happy path.

mod common;

use common::fake::Fake;
use common::{output, smtp, smtp_with};
use serde_json::json;

/// Runs `smtp send --server FAKE ARGS --json` and checks it was a usage error that
/// connected nowhere.
fn refused(fake: &Fake, args: &[&str], stdin: Option<&[u8]>) {
    let server = fake.server();
    let mut all = vec!["send", "--server", &server, "--tls", "none"];
    all.extend(args);
    let run = smtp_with(&all, stdin);
    assert_eq!(run.status, 64, "{args:?}: {run:?}");
    assert_eq!(run.json["outcome"], "error");
    assert_eq!(run.json["error"]["kind"], "usage", "{args:?}");
    assert_eq!(run.json["recipients"], json!(null));
    assert!(
        run.stderr.lines().count() >= 1,
        "{args:?}: one line on stderr"
    );
}

#[test]
fn bad_options_addresses_and_files_exit_64_before_connecting() {
    let fake = Fake::start(vec![]);
    let ok = ["--from", "a@example.org", "--to", "b@example.net"];
    let with = |extra: &[&'static str]| [&ok[..], extra].concat();
    refused(&fake, &["--from", "a@example.org"], None);
    refused(
        &fake,
        &["--from", "bad address", "--to", "b@example.net"],
        None,
    );
    refused(&fake, &["--from", "a@example.org", "--to", ""], None);
    refused(
        &fake,
        &["--from", "a@example.org", "--to", "b@@example.net"],
        None,
    );
    refused(&fake, &with(&["--count", "0"]), None);
    refused(&fake, &with(&["--connections", "0"]), None);
    refused(&fake, &with(&["--timeout", "soon"]), None);
    refused(&fake, &with(&["--tls", "sometimes"]), None);
    refused(&fake, &with(&["--runtime", "glommio"]), None);
    refused(&fake, &with(&["--helo", "not a name"]), None);
    refused(&fake, &with(&["--user", "u"]), None);
    refused(
        &fake,
        &with(&["--user", "u", "--password-env", "SMTP_CLI_UNSET_VARIABLE"]),
        None,
    );
    refused(
        &fake,
        &with(&["--user", "u", "--password-file", "/nonexistent/pw"]),
        None,
    );
    refused(
        &fake,
        &with(&["--user", "u", "--password-env", "PATH", "--auth", "gssapi"]),
        None,
    );
    // A mechanism that cannot use the credentials given: a token for PLAIN, a password
    // for XOAUTH2.
    refused(
        &fake,
        &with(&[
            "--user",
            "u",
            "--oauth-token-env",
            "PATH",
            "--auth",
            "plain",
        ]),
        None,
    );
    refused(
        &fake,
        &with(&[
            "--user",
            "u",
            "--password-env",
            "PATH",
            "--auth",
            "plain,xoauth2",
        ]),
        None,
    );
    refused(&fake, &with(&["--body-file", "/nonexistent/message"]), None);
    refused(
        &fake,
        &with(&["--body-file", "-"]),
        Some(b"NUL \0 inside\r\n"),
    );
    let long = [vec![b'x'; 999], b"\r\n".to_vec()].concat();
    refused(&fake, &with(&["--body-file", "-"]), Some(&long));
    // An endless file stops at its first NUL, not at the end of memory.
    refused(&fake, &with(&["--body-file", "/dev/zero"]), None);
    refused(&fake, &with(&["--dsn-notify", "never,success"]), None);
    refused(&fake, &with(&["--dsn-envid", "bad id"]), None);
    refused(&fake, &with(&["--ca-file", "/nonexistent/ca.pem"]), None);
    refused(&fake, &with(&["--8bitmime", "--binarymime"]), None);
    refused(&fake, &with(&["--no-such-option"]), None);
    // No command at all: a usage error that says so, not the tool's description.
    let run = output(&[], false, None);
    assert_eq!(run.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("smtp: usage: a command is required"),
        "{stderr}"
    );
    // `--json=true` (clap refuses a value for a flag) still gets its JSON document.
    let run = output(&["probe", "--json=true"], false, None);
    assert_eq!(run.status.code(), Some(64));
    let document: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(document["error"]["kind"], "usage");
    let run = smtp(&["probe", "--server", "[::1"]);
    assert_eq!(
        (run.status, &run.json["error"]["kind"]),
        (64, &json!("usage"))
    );
    assert_eq!(fake.accepted(), 0, "a usage error must not connect");
}

#[test]
fn human_output_and_the_verbose_transcript() {
    let fake = Fake::start(vec![common::fake::Rule(
        "RCPT",
        "bob@",
        common::fake::Act::Reply("550 5.1.1 no bob\r\n"),
    )]);
    let server = fake.server();
    let args = [
        "send",
        "--server",
        &server,
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "ann@example.net",
        "--to",
        "bob@example.net",
        "-v",
    ];
    let out = output(&args, false, None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("greeting  220 fake.test ESMTP"), "{stdout}");
    assert!(
        stdout.contains("ann@example.net: accepted (250 2.0.0 ok)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bob@example.net: REFUSED (550 5.1.1 no bob)"),
        "{stdout}"
    );
    assert!(stdout.contains("outcome   partial"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(" C: MAIL FROM:<a@example.org>"), "{stderr}");
    assert!(stderr.contains(" S: 550 5.1.1 no bob"), "{stderr}");
    assert!(
        stderr.contains(" C: [body, "),
        "the body is redacted to its size: {stderr}"
    );
}

#[test]
fn the_transcript_redacts_credentials() {
    let fake = Fake::start(vec![
        common::fake::Rule(
            "EHLO",
            "",
            common::fake::Act::Reply("250-fake.test\r\n250 AUTH PLAIN\r\n"),
        ),
        common::fake::Rule("AUTH", "", common::fake::Act::Reply("235 2.7.0 ok\r\n")),
    ]);
    let server = fake.server();
    let dir = std::env::temp_dir().join(format!("smtp-cli-{}", common::token()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pw");
    std::fs::write(&file, "s3cret-pass\n").unwrap();
    let args = [
        "probe",
        "--server",
        &server,
        "--tls",
        "none",
        "--allow-plaintext-auth",
        "--user",
        "u",
        "--password-file",
        file.to_str().unwrap(),
        "-v",
    ];
    let out = output(&args, true, None);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("C: AUTH PLAIN [secret]"), "{stderr}");
    assert!(
        !stderr.contains("AHUAczNjcmV0LXBhc3M="),
        "no base64 of the credentials: {stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["auth"]["mechanism"], "PLAIN");
    assert_eq!(json["outcome"], json!(null));
}
