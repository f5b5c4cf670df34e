//! Setup failures on several connections: each connection's greeting, EHLO and error are
//! read from its own session, so `--connections` above 1 reports them exactly as one
//! connection does, on all three runtimes.

mod common;

use common::fake::{Act, Fake, Rule};
use common::{RUNTIMES, Run, kind, smtp};
use serde_json::json;

/// `smtp send --connections 3` to `fake` on `runtime`, with `tls` as `--tls`.
fn send(fake: &Fake, runtime: &str, tls: &str) -> Run {
    let server = fake.server();
    smtp(&[
        "send",
        "--server",
        &server,
        "--tls",
        tls,
        "--runtime",
        runtime,
        "--timeout",
        "5",
        "--connections",
        "3",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
    ])
}

/// Each of the 3 connections failed before its message, with `expected` kind.
fn assert_failed(run: &Run, expected: &str, runtime: &str) {
    assert_eq!((run.status, kind(run)), (2, expected), "{runtime}: {run:?}");
    assert_eq!(run.json["stats"]["connections"], 3, "{runtime}");
    assert_eq!(run.json["stats"]["errors"], 3, "{runtime}: {run:?}");
    assert_eq!(run.json["recipients"][0]["reply"], json!(null), "{runtime}");
}

#[test]
fn a_refused_hello_keeps_the_greeting() {
    let fake = Fake::start(vec![
        Rule("EHLO", "", Act::Reply("500 5.5.1 what\r\n")),
        Rule("HELO", "", Act::Reply("550 5.7.1 not you\r\n")),
    ]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, "none");
        assert_failed(&run, "rejected", runtime);
        assert_eq!(
            run.json["greeting"],
            json!({"code": 220, "enhanced": null, "lines": ["fake.test ESMTP"]}),
            "{runtime}"
        );
        assert_eq!(run.json["ehlo"], json!(null), "{runtime}");
        let message = run.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("550 5.7.1 not you"),
            "{runtime}: {message}"
        );
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
        let run = send(&fake, runtime, "none");
        assert_failed(&run, "service-closing", runtime);
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}: {run:?}");
        let message = run.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("421 4.3.2 not now"),
            "{runtime}: {message}"
        );
    }
}

#[test]
fn a_421_greeting_is_the_greeting() {
    let fake = Fake::start(vec![Rule("GREETING", "", Act::ReplyClose("421 busy\r\n"))]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, "none");
        assert_failed(&run, "service-closing", runtime);
        assert_eq!(
            run.json["greeting"],
            json!({"code": 421, "enhanced": null, "lines": ["busy"]}),
            "{runtime}"
        );
        assert_eq!(run.json["ehlo"], json!(null), "{runtime}");
    }
}

#[test]
fn a_421_to_starttls_keeps_greeting_and_ehlo() {
    let fake = Fake::start(vec![
        Rule(
            "EHLO",
            "",
            Act::Reply("250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
        ),
        Rule("STARTTLS", "", Act::ReplyClose("421 4.3.2 going down\r\n")),
    ]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, "starttls");
        assert_failed(&run, "service-closing", runtime);
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}");
        assert_eq!(run.json["ehlo"]["domain"], "fake.test", "{runtime}");
        assert_eq!(run.json["tls"], json!(null), "{runtime}");
    }
}

#[test]
fn a_refused_starttls_names_the_refusal() {
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
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, "starttls");
        assert_failed(&run, "starttls-unavailable", runtime);
        let message = run.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("454 4.7.0 TLS not available now"),
            "{runtime}: {message}"
        );
        assert_eq!(run.json["ehlo"]["domain"], "fake.test", "{runtime}");
    }
}

#[test]
fn a_reply_cut_off_during_the_setup_is_protocol() {
    let greeting = Fake::start(vec![Rule(
        "GREETING",
        "",
        Act::ReplyClose("220-mx.example\r\n"),
    )]);
    let hello = Fake::start(vec![Rule(
        "EHLO",
        "",
        Act::ReplyClose("250-fake.test\r\n250-PIPELI"),
    )]);
    for runtime in RUNTIMES {
        let run = send(&greeting, runtime, "none");
        assert_failed(&run, "protocol", runtime);
        assert_eq!(run.json["greeting"], json!(null), "{runtime}");
        let run = send(&hello, runtime, "none");
        assert_failed(&run, "protocol", runtime);
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}");
        let message = run.json["error"]["message"].as_str().unwrap();
        assert!(message.contains("in the middle of the reply"), "{message}");
    }
}

#[test]
fn an_end_between_setup_replies_is_io() {
    let fake = Fake::start(vec![Rule("EHLO", "", Act::Close)]);
    for runtime in RUNTIMES {
        let run = send(&fake, runtime, "none");
        assert_failed(&run, "io", runtime);
        assert_eq!(run.json["greeting"]["code"], 220, "{runtime}: {run:?}");
    }
}
