//! The built `smtp` against a scripted fake server: every outcome and the error kinds the
//! real servers cannot be asked for, on all three runtimes.

mod common;

use common::fake::{Act, EHLO, Fake, Rule, send};
use common::{RUNTIMES, kind, smtp};
use serde_json::json;

#[test]
fn delivered_with_every_key_and_reply_rule() {
    let fake = Fake::start(vec![]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(run.status, 0, "{runtime}: {run:?}");
        let j = &run.json;
        assert_eq!(j["outcome"], "delivered");
        assert_eq!(
            j["greeting"],
            json!({"code": 220, "enhanced": null, "lines": ["fake.test ESMTP"]})
        );
        assert_eq!(
            j["ehlo"],
            json!({"domain": "fake.test", "capabilities": {"PIPELINING": [], "ENHANCEDSTATUSCODES": [], "8BITMIME": []}})
        );
        assert_eq!(j["tls"], json!(null));
        assert_eq!(j["auth"], json!(null));
        assert_eq!(
            j["mail"],
            json!({"reply": {"code": 250, "enhanced": "2.0.0", "lines": ["ok"]}})
        );
        assert_eq!(
            j["recipients"],
            json!([{"address": "b@example.net", "accepted": true,
                    "reply": {"code": 250, "enhanced": "2.0.0", "lines": ["ok"]},
                    "data_reply": null, "delivered": null}])
        );
        assert_eq!(j["message"]["reply"]["lines"], json!(["queued as FAKE"]));
        assert_eq!(j["stats"]["attempted"], 1);
        assert_eq!(j["stats"]["delivered"], 1);
        assert_eq!(j["stats"]["connections"], 1);
    }
}

#[test]
fn partial_and_rejected_exit_1() {
    let fake = Fake::start(vec![Rule(
        "RCPT",
        "bob@",
        Act::Reply("550 5.1.1 no such user\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["ann@example.net", "bob@example.net"], &[]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (1, &json!("partial")),
            "{runtime}"
        );
        assert_eq!(run.json["recipients"][1]["accepted"], false);
        assert_eq!(run.json["recipients"][1]["reply"]["code"], 550);
        assert_eq!(
            run.json["recipients"][1]["reply"]["lines"],
            json!(["no such user"])
        );
        let run = send(&fake, runtime, &["bob@example.net"], &[]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (1, &json!("rejected")),
            "{runtime}"
        );
        assert_eq!(run.json["error"], json!(null));
    }
}

#[test]
fn refused_mail_leaves_recipients_unanswered() {
    let fake = Fake::start(vec![
        Rule("MAIL", "", Act::Reply("550 5.7.1 sender refused\r\n")),
        Rule("RCPT", "", Act::Reply("503 5.5.1 need MAIL\r\n")),
        Rule("DATA", "", Act::Reply("503 5.5.1 need RCPT\r\n")),
    ]);
    let run = send(&fake, "tokio", &["b@example.net"], &["--no-pipelining"]);
    assert_eq!((run.status, &run.json["outcome"]), (1, &json!("rejected")));
    assert_eq!(run.json["mail"]["reply"]["code"], 550);
    assert_eq!(run.json["recipients"][0]["accepted"], false);
    assert_eq!(run.json["recipients"][0]["reply"], json!(null));
    // DATA was never sent: no reply ended a transaction that MAIL already refused.
    assert_eq!(run.json["message"]["reply"], json!(null));
}

#[test]
fn lost_verdict_is_uncertain_exit_3() {
    let fake = Fake::start(vec![Rule(".", "", Act::Close)]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--count", "3"]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (3, &json!("uncertain")),
            "{runtime}: {run:?}"
        );
        assert_eq!(kind(&run), "io");
        // The fatal error ended the connection: the other two were never started.
        assert_eq!(run.json["stats"]["attempted"], 1);
        assert_eq!(run.json["stats"]["uncertain"], 1);
    }
}

#[test]
fn service_closing_keeps_the_421_where_it_belongs() {
    let fake = Fake::start(vec![Rule(
        "RCPT",
        "",
        Act::ReplyClose("421 4.3.2 shutting down\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "service-closing"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["recipients"][0]["reply"]["code"], 421);
        assert_eq!(run.json["recipients"][0]["accepted"], false);
    }
    let fake = Fake::start(vec![Rule("GREETING", "", Act::ReplyClose("421 busy\r\n"))]);
    let run = send(&fake, "tokio", &["b@example.net"], &[]);
    assert_eq!((run.status, kind(&run)), (2, "service-closing"));
    assert_eq!(run.json["greeting"]["code"], 421);
}

/// A 421 that answers a message's last command ends that message: counted once, as the
/// error, with the 421 where the command's reply belongs; the mails pipelined behind it
/// were never started (the core reports the message first, then the closing).
#[test]
fn a_421_verdict_counts_its_message_once() {
    let fake = Fake::start(vec![Rule(
        ".",
        "",
        Act::ReplyClose("421 4.3.2 shutting down\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--count", "2"]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "service-closing"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["stats"]["attempted"], 1, "{runtime}: {run:?}");
        assert_eq!(run.json["stats"]["errors"], 1, "{runtime}: {run:?}");
        assert_eq!(run.json["mail"]["reply"]["code"], 250, "{runtime}");
        assert_eq!(run.json["recipients"][0]["reply"]["code"], 250, "{runtime}");
        assert_eq!(run.json["message"]["reply"]["code"], 421, "{runtime}");
    }
    let fake = Fake::start(vec![Rule(
        "MAIL",
        "",
        Act::ReplyClose("421 4.3.2 shutting down\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--no-pipelining"]);
        assert_eq!(run.json["stats"]["attempted"], 1, "{runtime}: {run:?}");
        assert_eq!(run.json["stats"]["errors"], 1, "{runtime}: {run:?}");
        assert_eq!(run.json["mail"]["reply"]["code"], 421, "{runtime}");
        assert_eq!(
            run.json["message"]["reply"],
            json!(null),
            "{runtime}: {run:?}"
        );
    }
}

/// Pipelined RCPTs after a refused MAIL keep their own answers (contract: only a RCPT the
/// server never answered has no reply), and DATA's refusal is the message's.
#[test]
fn refused_mail_keeps_the_pipelined_answers() {
    let fake = Fake::start(vec![
        Rule("MAIL", "", Act::Reply("451 4.3.0 later\r\n")),
        Rule("RCPT", "", Act::Reply("503 5.5.1 need MAIL\r\n")),
        Rule("DATA", "", Act::Reply("503 5.5.1 need RCPT\r\n")),
    ]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!((run.status, &run.json["outcome"]), (1, &json!("rejected")));
        assert_eq!(run.json["mail"]["reply"]["code"], 451, "{runtime}");
        assert_eq!(run.json["recipients"][0]["reply"]["code"], 503, "{runtime}");
        assert_eq!(run.json["message"]["reply"]["code"], 503, "{runtime}");
    }
}

#[test]
fn silence_is_a_timeout() {
    let fake = Fake::start(vec![Rule("RCPT", "", Act::Silence)]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--timeout", "0.5"]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "timeout"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["stats"]["errors"], 1);
    }
}

#[test]
fn protocol_errors() {
    let malformed = Fake::start(vec![Rule("MAIL", "", Act::Reply("25x nonsense\r\n"))]);
    let odd = Fake::start(vec![Rule(
        "RCPT",
        "",
        Act::Reply("252 2.1.5 cannot verify\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&malformed, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{runtime}: {run:?}"
        );
        let run = send(&odd, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["recipients"][0]["accepted"], false);
        assert_eq!(run.json["recipients"][0]["reply"]["code"], 252);
    }
}

#[test]
fn greeting_and_hello_refusals_are_rejected() {
    let fake = Fake::start(vec![Rule(
        "GREETING",
        "",
        Act::Reply("554 5.3.2 go away\r\n"),
    )]);
    let run = send(&fake, "tokio", &["b@example.net"], &[]);
    assert_eq!((run.status, kind(&run)), (2, "rejected"), "{run:?}");
    assert_eq!(run.json["greeting"]["code"], 554);
    assert_eq!(run.json["recipients"][0]["reply"], json!(null));
    let fake = Fake::start(vec![
        Rule("EHLO", "", Act::Reply("500 5.5.1 what\r\n")),
        Rule("HELO", "", Act::Reply("550 5.7.1 not you\r\n")),
    ]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "rejected"),
            "{runtime}: {run:?}"
        );
        // The greeting came before the setup failed, and is kept.
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}");
    }
}

/// A greeting is 220 or 554: a 334 there is an impossible reply (SECURITY.md: "an
/// unexpected 334 outside AUTH is fatal"), `protocol`, kept as the greeting, and not even
/// QUIT follows it.
#[test]
fn a_334_greeting_is_a_protocol_error() {
    let fake = Fake::start(vec![Rule(
        "GREETING",
        "",
        Act::Reply("334 VXNlcm5hbWU6\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["greeting"]["code"], 334, "{runtime}");
    }
}

/// CLI.md, CONNECTION options (probe and send): `--chunking always` fails if CHUNKING is not
/// offered, for `probe` as for `send`.
#[test]
fn chunking_always_fails_without_chunking_in_probe_and_send() {
    let fake = Fake::start(vec![]);
    let server = fake.server();
    for runtime in RUNTIMES {
        let run = send(
            &fake,
            runtime,
            &["b@example.net"],
            &["--chunking", "always"],
        );
        let expected = (2, "capability-missing");
        assert_eq!(
            (run.status, kind(&run)),
            expected,
            "send, {runtime}: {run:?}"
        );
        let run = smtp(&[
            "probe",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "5",
            "--runtime",
            runtime,
            "--chunking",
            "always",
        ]);
        assert_eq!(
            (run.status, kind(&run)),
            expected,
            "probe, {runtime}: {run:?}"
        );
        assert_eq!(run.json["outcome"], "error", "probe, {runtime}");
    }
}

#[test]
fn a_421_to_ehlo_is_not_the_greeting() {
    let fake = Fake::start(vec![Rule(
        "EHLO",
        "",
        Act::ReplyClose("421 4.3.2 not now\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "service-closing"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}");
    }
}

#[test]
fn helo_fallback_has_no_capabilities() {
    let fake = Fake::start(vec![Rule("EHLO", "", Act::Reply("502 5.5.2 no EHLO\r\n"))]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &[]);
        assert_eq!(run.status, 0, "{runtime}: {run:?}");
        assert_eq!(run.json["ehlo"]["capabilities"], json!({}));
        assert_eq!(
            run.json["ehlo"]["domain"], "2.0.0",
            "the first word of HELO's reply"
        );
    }
}

#[test]
fn message_too_large_and_capability_missing() {
    let small = Fake::start(vec![Rule(
        "EHLO",
        "",
        Act::Reply("250-fake.test\r\n250 SIZE 10\r\n"),
    )]);
    let plain = Fake::start(vec![]);
    for runtime in RUNTIMES {
        let run = send(&small, runtime, &["b@example.net"], &[]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "message-too-large"),
            "{runtime}: {run:?}"
        );
        let run = send(
            &plain,
            runtime,
            &["b@example.net"],
            &["--dsn-notify", "failure"],
        );
        assert_eq!(
            (run.status, kind(&run)),
            (2, "capability-missing"),
            "{runtime}: {run:?}"
        );
        let run = send(
            &plain,
            runtime,
            &["b@example.net"],
            &["--chunking", "always"],
        );
        assert_eq!(
            (run.status, kind(&run)),
            (2, "capability-missing"),
            "{runtime}: {run:?}"
        );
    }
}

#[test]
fn close_without_a_reply_is_io() {
    let fake = Fake::start(vec![Rule("MAIL", "", Act::Close)]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--no-pipelining"]);
        assert_eq!((run.status, kind(&run)), (2, "io"), "{runtime}: {run:?}");
    }
}

#[test]
fn a_reply_cut_off_is_protocol() {
    let fake = Fake::start(vec![Rule(
        "MAIL",
        "",
        Act::ReplyClose("250-first line of two\r\n"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, &["b@example.net"], &["--no-pipelining"]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "protocol"),
            "{runtime}: {run:?}"
        );
    }
    let fake = Fake::start(vec![Rule(
        "GREETING",
        "",
        Act::ReplyClose("220-mx.example\r\n"),
    )]);
    let run = send(&fake, "tokio", &["b@example.net"], &[]);
    assert_eq!((run.status, kind(&run)), (2, "protocol"), "{run:?}");
}

#[test]
fn many_mails_on_many_connections() {
    let fake = Fake::start(vec![Rule("RCPT", "bob@", Act::Reply("550 5.1.1 no\r\n"))]);
    for runtime in RUNTIMES {
        let run = send(
            &fake,
            runtime,
            &["ann@example.net"],
            &["--count", "7", "--connections", "3"],
        );
        assert_eq!(run.status, 0, "{runtime}: {run:?}");
        assert_eq!(run.json["stats"]["attempted"], 21);
        assert_eq!(run.json["stats"]["delivered"], 21);
        assert_eq!(run.json["stats"]["connections"], 3);
        let run = send(
            &fake,
            runtime,
            &["ann@example.net", "bob@example.net"],
            &["--count", "4"],
        );
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (1, &json!("partial")),
            "{runtime}"
        );
        assert_eq!(run.json["stats"]["partial"], 4);
    }
    assert!(fake.accepted() >= 3 * (3 + 1));
}

#[test]
fn starttls_required_but_not_offered() {
    let fake = Fake::start(vec![Rule("EHLO", "", Act::Reply(EHLO))]);
    let server = fake.server();
    let run = smtp(&["probe", "--server", &server]);
    assert_eq!(
        (run.status, kind(&run)),
        (2, "starttls-unavailable"),
        "{run:?}"
    );
    assert_eq!(run.json["ehlo"]["domain"], "fake.test");
    assert_eq!(run.json["outcome"], "error");
    let run = smtp(&["probe", "--server", &server, "--tls", "opportunistic"]);
    assert_eq!(
        (run.status, &run.json["outcome"]),
        (0, &json!(null)),
        "{run:?}"
    );
}

#[test]
fn refused_connection_is_connect() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = format!("127.0.0.1:{port}");
    for runtime in RUNTIMES {
        let run = smtp(&[
            "send",
            "--server",
            &server,
            "--runtime",
            runtime,
            "--from",
            "",
            "--to",
            "b@x.example",
        ]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "connect"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["stats"]["errors"], 1);
        assert_eq!(run.json["recipients"][0]["accepted"], false);
    }
}

/// A Unix socket nobody listens on, or none at all, is `connect` as a refused TCP address is.
#[cfg(unix)]
#[test]
fn a_unix_socket_nobody_listens_on_is_connect() {
    let dir = std::env::temp_dir().join(format!("smtp-cli-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let refused = dir.join("gone.sock");
    let _ = std::fs::remove_file(&refused);
    drop(std::os::unix::net::UnixListener::bind(&refused).unwrap());
    for path in [refused, dir.join("missing.sock")] {
        let server = format!("unix:{}", path.display());
        for runtime in RUNTIMES {
            let run = smtp(&["probe", "--server", &server, "--runtime", runtime]);
            assert_eq!(
                (run.status, kind(&run)),
                (2, "connect"),
                "{runtime}: {run:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_starttls_is_fatal_only_when_required() {
    let fake = Fake::start(vec![
        Rule(
            "EHLO",
            "",
            Act::Reply("250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
        ),
        Rule(
            "STARTTLS",
            "",
            Act::Reply("454 4.7.0 TLS not available now\r\n"),
        ),
    ]);
    let server = fake.server();
    for runtime in RUNTIMES {
        let base = [
            "send",
            "--server",
            &server,
            "--runtime",
            runtime,
            "--from",
            "a@x.example",
        ];
        let run = smtp(&[&base[..], &["--to", "b@x.example"]].concat());
        assert_eq!(
            (run.status, kind(&run)),
            (2, "starttls-unavailable"),
            "{runtime}: {run:?}"
        );
        let message = run.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("454 4.7.0 TLS not available now"),
            "{message}"
        );
        assert_eq!(
            run.json["recipients"][0]["reply"],
            json!(null),
            "nothing sent"
        );
        let run = smtp(
            &[
                &base[..],
                &["--to", "b@x.example", "--tls", "opportunistic"],
            ]
            .concat(),
        );
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (0, &json!("delivered")),
            "{runtime}"
        );
        assert_eq!(run.json["tls"], json!(null));
    }
}

/// AUTH that got only a challenge before the connection ended has no final reply.
#[test]
fn a_challenge_is_not_auth_final_reply() {
    let fake = Fake::start(vec![
        Rule(
            "EHLO",
            "",
            Act::Reply("250-fake.test\r\n250-PIPELINING\r\n250 AUTH LOGIN\r\n"),
        ),
        Rule("AUTH", "", Act::ReplyClose("334 VXNlcm5hbWU6\r\n")),
    ]);
    let server = fake.server();
    let args = [
        "send",
        "--server",
        &server,
        "--tls",
        "none",
        "--timeout",
        "5",
        "--user",
        "u",
        "--password-env",
        "SMTP_TEST_PASSWORD",
        "--allow-plaintext-auth",
        "--auth",
        "login",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
    ];
    let run = common::smtp_env(&args, None, &[("SMTP_TEST_PASSWORD", "p")]);
    assert_eq!(run.status, 2, "{run:?}");
    assert_eq!(run.json["auth"]["mechanism"], "LOGIN", "{run:?}");
    assert_eq!(run.json["auth"]["reply"], json!(null), "{run:?}");
}

/// CLI.md "JSON output": with `--json`, stdout carries exactly one JSON document whatever
/// happens. `--runtime blocking` spawns one thread per connection; a thread the system
/// refuses (a process or memory limit, common in containers) once made it panic: exit 101,
/// `failed to spawn thread` on stderr and no document. Here every thread asks for a
/// 1.5 GB stack (`RUST_MIN_STACK`) under a 2 GB address-space limit, so one thread starts
/// and the others are refused at once, with memory to spare for everything else: each
/// refused connection is an error of its own, the run exits 2 with its document.
#[test]
fn many_blocking_connections_over_a_thread_limit_do_not_panic() {
    // Accepts nothing: the one connection that starts waits for its greeting.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            "ulimit -v 2000000 && export RUST_MIN_STACK=1500000000 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_smtp"),
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "1",
            "--runtime",
            "blocking",
            "--connections",
            "4",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--json",
        ])
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let document: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON document ({e}); stderr: {stderr}"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(document["stats"]["attempted"], 4, "{document}");
    assert_eq!(document["stats"]["errors"], 4, "{document}");
    drop(listener);
}
