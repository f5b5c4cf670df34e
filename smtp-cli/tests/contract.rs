//! Contract checks (CLI.md, SECURITY.md) found by a review of the tool against its
//! contract: secrets in usage errors, arguments that are not UTF-8, replies kept where
//! their command's reply belongs, one message counted once, a refusal followed by a close.
//! Each test names the section of the contract it checks.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

use common::fake::{Act, Fake, Rule, send};
use common::{RUNTIMES, Run, kind, smtp, smtp_env};
use serde_json::{Value, json};

/// SECURITY.md "credentials" (secrets never in errors) and CLI.md: a password held in
/// an environment variable that is not valid UTF-8 is a usage error that does not show
/// it, on stderr or in the JSON document.
#[test]
fn a_non_utf8_password_env_is_not_echoed() {
    for option in ["--password-env", "--oauth-token-env"] {
        let output = Command::new(env!("CARGO_BIN_EXE_smtp"))
            .args([
                "probe",
                "--server",
                "127.0.0.1:1",
                "--tls",
                "none",
                "--user",
                "u",
            ])
            .args([option, "SMTP_REVIEW_SECRET", "--json"])
            .env("SMTP_REVIEW_SECRET", OsStr::from_bytes(b"TopSecret\xff"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stdout.contains("TopSecret"),
            "{option}: secret in JSON: {stdout}"
        );
        assert!(
            !stderr.contains("TopSecret"),
            "{option}: secret on stderr: {stderr}"
        );
        assert_eq!(output.status.code(), Some(64));
    }
}

/// CLI.md "Exit status" (64 for a bad option) and "JSON output" (one document whatever
/// the status): an argument that is not UTF-8 is a usage error, not a panic.
#[test]
fn a_non_utf8_argument_is_a_usage_error_not_a_panic() {
    let output = Command::new(env!("CARGO_BIN_EXE_smtp"))
        .args(["send", "--to", "b@example.org", "--from"])
        .arg(OsStr::from_bytes(b"a\xff@example.org"))
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "stderr: {stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(json["error"]["kind"], "usage");
}

/// CLI.md "JSON output": "any other 2yz or 3yz reply to RCPT is a `protocol` error, with
/// the reply kept in `recipients[].reply`" (a 3yz here: 354).
#[test]
fn a_3yz_reply_to_rcpt_is_kept() {
    let fake = Fake::start(vec![Rule("RCPT", "", Act::Reply("354 go ahead\r\n"))]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["recipients"][0]["accepted"], false);
        assert_eq!(
            run.json["recipients"][0]["reply"]["code"], 354,
            "{runtime}: the RCPT reply is lost: {}",
            run.json["recipients"]
        );
    }
}

/// `smtp probe` with AUTH `mechanism` (`plain` or `login`, in clear, allowed) against a
/// server that offers both and answers the AUTH command with `reply`.
fn probe_auth(mechanism: &str, reply: &'static str) -> Run {
    let fake = Fake::start(vec![
        Rule(
            "EHLO",
            "",
            Act::Reply("250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n"),
        ),
        Rule("AUTH", "", Act::Reply(reply)),
    ]);
    let server = fake.server();
    smtp_env(
        &[
            "probe",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "5",
            "--user",
            "u",
            "--password-env",
            "SMTP_REVIEW_PW",
            "--allow-plaintext-auth",
            "--auth",
            mechanism,
        ],
        None,
        &[("SMTP_REVIEW_PW", "pw")],
    )
}

/// CLI.md "JSON output": "`auth` ... the mechanism tried and its final reply (null if
/// none came)". A 354 (not a 334 challenge) ends AUTH; it is its final reply.
#[test]
fn auth_keeps_a_final_3yz_reply() {
    let run = probe_auth("plain", "354 go ahead\r\n");
    assert_eq!((run.status, kind(&run)), (2, "auth-failed"), "{run:?}");
    assert_eq!(run.json["auth"]["mechanism"], "PLAIN");
    assert_eq!(
        run.json["auth"]["reply"]["code"], 354,
        "AUTH's final reply is lost: {}",
        run.json["auth"]
    );
}

/// SECURITY.md "AUTH exchanges": "malformed base64 challenges are a protocol error". The
/// server broke the protocol and the credentials were never judged: not `auth-failed`.
#[test]
fn a_malformed_challenge_is_a_protocol_error() {
    for challenge in [
        "334 VXNlcm5hbWU6=\r\n",
        "334 not*base64\r\n",
        "334-VXNlcm5hbWU6\r\n334 VXNlcm5hbWU6\r\n",
    ] {
        let run = probe_auth("login", challenge);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{challenge:?}: {run:?}"
        );
        assert_eq!(run.json["auth"]["mechanism"], "LOGIN", "{challenge:?}");
    }
}

/// CLI.md "JSON output": "`stats.attempted` is the sum of the other five message
/// counters"; one message is sent, so one is counted. DATA refused, then the RSET that
/// closes the transaction is answered 421: the message counts once, as the error.
#[test]
fn one_message_is_counted_once_when_rset_gets_421() {
    let fake = Fake::start(vec![
        Rule("DATA", "", Act::Reply("554 5.6.0 refused\r\n")),
        Rule("RSET", "", Act::ReplyClose("421 4.3.2 closing\r\n")),
    ]);
    for runtime in RUNTIMES {
        for extra in [&[][..], &["--no-pipelining"][..]] {
            let run = send(&fake, runtime, &["b@example.net"], extra);
            let stats = &run.json["stats"];
            assert_eq!(
                stats["attempted"], 1,
                "{runtime} {extra:?}: one message, counted {stats}"
            );
        }
    }
}

/// The same through a recipient deferred by a 452 (RFC 5321 §4.5.3.1.10): its second
/// transaction's MAIL gets 421; the one message counts once, as the error.
#[test]
fn one_message_is_counted_once_when_its_second_transaction_gets_421() {
    let fake = SecondMail::start();
    let run = smtp(&[
        "send",
        "--server",
        &fake,
        "--tls",
        "none",
        "--timeout",
        "5",
        "--no-pipelining",
        "--from",
        "a@example.org",
        "--to",
        "c@example.net",
        "--to",
        "x@example.net",
    ]);
    assert_eq!((run.status, kind(&run)), (2, "service-closing"), "{run:?}");
    assert_eq!(run.json["stats"]["attempted"], 1, "{}", run.json["stats"]);
}

/// CLI.md "Outcomes of refusals" ("a 4yz/5yz reply ... to DATA/BDAT ... gives `rejected`
/// ... with `error` null", exit 1) and SECURITY.md "disconnects" ("a 5xx followed by a
/// close is a refusal, not an IO error").
#[test]
fn a_refusal_followed_by_a_close_is_rejected() {
    let fake = Fake::start(vec![Rule(
        "DATA",
        "",
        Act::ReplyClose("554 5.7.1 go away\r\n"),
    )]);
    for runtime in RUNTIMES {
        for extra in [&[][..], &["--no-pipelining"][..]] {
            let run = send(&fake, runtime, &["b@example.net"], extra);
            assert_eq!(
                (run.status, &run.json["outcome"], &run.json["error"]),
                (1, &json!("rejected"), &json!(null)),
                "{runtime} {extra:?}: {}",
                run.json
            );
        }
    }
}

/// CLI.md "Exit status": 64 is "bad option ... nothing was sent". A --user holding a
/// CR LF can never be sent (SECURITY.md: controls in SASL fields are rejected): a usage
/// error, before connecting.
#[test]
fn a_user_with_control_characters_is_a_usage_error() {
    let fake = Fake::start(vec![Rule(
        "EHLO",
        "",
        Act::Reply("250-fake.test\r\n250 AUTH PLAIN\r\n"),
    )]);
    let server = fake.server();
    let run = smtp_env(
        &[
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "5",
            "--user",
            "bob\r\nMAIL FROM:<x@y>",
            "--password-env",
            "SMTP_REVIEW_PW",
            "--allow-plaintext-auth",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
        ],
        None,
        &[("SMTP_REVIEW_PW", "pw")],
    );
    assert_eq!((run.status, kind(&run)), (64, "usage"), "{run:?}");
    assert_eq!(fake.accepted(), 0, "connected for a usage error");
}

/// A one-connection server for the 452 case: EHLO, MAIL, RCPT c (250), RCPT x (452),
/// DATA, body, end of data (250), then 421 to the next MAIL and close.
struct SecondMail;

impl SecondMail {
    fn start() -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            writer.write_all(b"220 fake.test ESMTP\r\n").unwrap();
            let mut mails = 0;
            let mut in_data = false;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        let _ = writer.write_all(b"250 2.0.0 queued\r\n");
                    }
                    continue;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") {
                    b"250-fake.test\r\n250 8BITMIME\r\n"
                } else if upper.starts_with("MAIL") {
                    mails += 1;
                    if mails == 2 {
                        let _ = writer.write_all(b"421 4.3.2 closing\r\n");
                        return;
                    }
                    b"250 2.1.0 ok\r\n"
                } else if upper.starts_with("RCPT") && upper.contains("<X@") {
                    b"452 4.5.3 too many recipients\r\n"
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    b"354 go\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = writer.write_all(b"221 bye\r\n");
                    return;
                } else {
                    b"250 2.0.0 ok\r\n"
                };
                let _ = writer.write_all(reply);
            }
        });
        address
    }
}

/// RFC 8689 (REQUIRETLS: the message travels only over TLS), as the core keeps it: with
/// `--tls none` it is a usage error, before connecting.
#[test]
fn requiretls_without_tls_is_a_usage_error() {
    let fake = Fake::start(vec![Rule(
        "EHLO",
        "",
        Act::Reply("250-fake.test\r\n250 REQUIRETLS\r\n"),
    )]);
    let run = send(&fake, "tokio", &["b@example.net"], &["--requiretls"]);
    assert_eq!((run.status, kind(&run)), (64, "usage"), "{run:?}");
    assert_eq!(fake.accepted(), 0, "connected for a usage error");
}
