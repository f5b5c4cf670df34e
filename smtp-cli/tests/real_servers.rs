//! The built `smtp` against the real servers of `tests/servers` (Postfix, aiosmtpd,
//! smtp-server, smtp-sink, OpenSMTPD). Skips without `SMTP_TEST_SERVERS`, fails then when
//! `SMTP_REQUIRE_SERVERS=1`.

mod common;

use std::path::Path;

use common::{RUNTIMES, Run, kind, servers, smtp, smtp_env, token};
use serde_json::json;

const POSTFIX: &str = "127.0.0.1:2525";
const POSTFIX_SUBMISSION: &str = "127.0.0.1:2526";
const POSTFIX_IMPLICIT: &str = "127.0.0.1:2527";
const AIOSMTPD: &str = "127.0.0.1:2530";
const SMTP_SERVER: &str = "127.0.0.1:2533";
const OPENSMTPD_BROKEN_TLS: &str = "127.0.0.1:2536";
const SINK: &str = "127.0.0.1:2537";
const SINK_NO_ESMTP: &str = "127.0.0.1:2538";

/// The secrets the children read from their environment.
const ENV: [(&str, &str); 3] = [
    ("SMTP_CLI_TEST_PASSWORD", "testpass"),
    ("SMTP_CLI_WRONG_PASSWORD", "wrong"),
    ("SMTP_CLI_TEST_TOKEN", "testtoken"),
];

/// `smtp ARGS` with the servers' CA trusted and the name `localhost` verified, and the
/// secrets of [`ENV`] in its environment.
fn run(root: &Path, args: &[&str]) -> Run {
    let ca = root.join("tls/ca.pem");
    let ca = ca.to_str().expect("UTF-8 path");
    let mut all = args.to_vec();
    all.extend([
        "--ca-file",
        ca,
        "--tls-name",
        "localhost",
        "--timeout",
        "20",
    ]);
    smtp_env(&all, None, &ENV)
}

fn password_args() -> [&'static str; 4] {
    [
        "--user",
        "testuser",
        "--password-env",
        "SMTP_CLI_TEST_PASSWORD",
    ]
}

#[test]
fn probe_shows_tls_and_the_capabilities_inside_it() {
    let Some(root) = servers() else { return };
    for runtime in RUNTIMES {
        let r = run(&root, &["probe", "--server", POSTFIX, "--runtime", runtime]);
        assert_eq!(r.status, 0, "{runtime}: {r:?}");
        assert_eq!(r.json["outcome"], json!(null));
        assert_eq!(r.json["greeting"]["code"], 220);
        assert_eq!(r.json["tls"]["version"], "TLSv1.3");
        assert_eq!(r.json["tls"]["verified"], true);
        let subject = r.json["tls"]["certificate"]["subject"].as_str().unwrap();
        assert!(subject.contains("CN=localhost"), "{subject}");
        let caps = &r.json["ehlo"]["capabilities"];
        assert_eq!(caps["SIZE"], json!(["10485760"]));
        assert!(
            caps.get("STARTTLS").is_none(),
            "the EHLO shown is the one inside TLS"
        );
        assert_eq!(r.json["mail"], json!(null));
        assert_eq!(r.json["recipients"], json!(null));
    }
}

#[test]
fn send_delivered_partial_rejected() {
    let Some(root) = servers() else { return };
    let t = token();
    let (ok, refused) = (
        format!("ok-{t}@example.net"),
        format!("reject-{t}@example.net"),
    );
    for runtime in RUNTIMES {
        let base = [
            "send",
            "--server",
            AIOSMTPD,
            "--runtime",
            runtime,
            "--from",
            "a@example.org",
        ];
        let r = run(&root, &[&base[..], &["--to", &ok]].concat());
        assert_eq!(
            (r.status, &r.json["outcome"]),
            (0, &json!("delivered")),
            "{runtime}: {r:?}"
        );
        assert!(
            r.json["message"]["reply"]["lines"][0]
                .as_str()
                .unwrap()
                .starts_with("OK stored")
        );
        let r = run(
            &root,
            &[&base[..], &["--to", &ok, "--to", &refused]].concat(),
        );
        assert_eq!(
            (r.status, &r.json["outcome"]),
            (1, &json!("partial")),
            "{runtime}: {r:?}"
        );
        assert_eq!(r.json["recipients"][1]["reply"]["code"], 550);
        assert_eq!(r.json["recipients"][1]["reply"]["enhanced"], "5.1.1");
        let r = run(&root, &[&base[..], &["--to", &refused]].concat());
        assert_eq!(
            (r.status, &r.json["outcome"]),
            (1, &json!("rejected")),
            "{runtime}: {r:?}"
        );
    }
}

#[test]
fn auth_plain_and_its_failures() {
    let Some(root) = servers() else { return };
    let to = format!("ok-{}@example.net", token());
    for runtime in RUNTIMES {
        let mut args = vec!["send", "--server", POSTFIX_SUBMISSION, "--runtime", runtime];
        args.extend(["--from", "a@example.org", "--to", &to]);
        args.extend(password_args());
        let r = run(&root, &args);
        assert_eq!(r.status, 0, "{runtime}: {r:?}");
        assert_eq!(r.json["auth"]["mechanism"], "PLAIN");
        assert_eq!(r.json["auth"]["reply"]["code"], 235);
    }
    let wrong = [
        "probe",
        "--server",
        POSTFIX_SUBMISSION,
        "--user",
        "testuser",
        "--password-env",
        "SMTP_CLI_WRONG_PASSWORD",
    ];
    let r = run(&root, &wrong);
    assert_eq!((r.status, kind(&r)), (2, "auth-failed"), "{r:?}");
    assert_eq!(r.json["auth"]["mechanism"], "PLAIN");
    assert_eq!(r.json["auth"]["reply"]["code"], 535);
    let mut args = vec!["probe", "--server", AIOSMTPD, "--auth", "cram-md5"];
    args.extend(password_args());
    let r = run(&root, &args);
    assert_eq!((r.status, kind(&r)), (2, "auth-unavailable"), "{r:?}");
    let mut args = vec!["probe", "--server", SINK, "--tls", "none"];
    args.extend(password_args());
    let r = run(&root, &args);
    assert_eq!((r.status, kind(&r)), (2, "plaintext-auth-refused"), "{r:?}");
    let mut args = vec!["probe", "--server", AIOSMTPD, "--insecure-skip-verify"];
    args.extend(password_args());
    let r = run(&root, &args);
    assert_eq!((r.status, kind(&r)), (2, "plaintext-auth-refused"), "{r:?}");
    assert_eq!(r.json["tls"]["verified"], false);
    assert!(r.stderr.contains("WARNING"), "{}", r.stderr);
}

#[test]
fn xoauth2_with_a_token() {
    let Some(root) = servers() else { return };
    let args = [
        "probe",
        "--server",
        SMTP_SERVER,
        "--user",
        "testuser",
        "--oauth-token-env",
        "SMTP_CLI_TEST_TOKEN",
    ];
    let r = run(&root, &args);
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(r.json["auth"]["mechanism"], "XOAUTH2");
}

#[test]
fn tls_failures() {
    let Some(root) = servers() else { return };
    for runtime in RUNTIMES {
        let rt = ["--runtime", runtime];
        let r = run(&root, &[&["probe", "--server", SINK][..], &rt].concat());
        assert_eq!(
            (r.status, kind(&r)),
            (2, "starttls-unavailable"),
            "{runtime}: {r:?}"
        );
        assert_eq!(r.json["tls"], json!(null));
        let args = [
            "probe",
            "--server",
            OPENSMTPD_BROKEN_TLS,
            "--tls",
            "opportunistic",
        ];
        let r = run(&root, &[&args[..], &rt].concat());
        assert_eq!((r.status, kind(&r)), (2, "tls"), "{runtime}: {r:?}");
        assert_eq!(
            r.json["greeting"]["code"], 220,
            "the greeting came before the handshake"
        );
        // TLS never came: the session as used was plaintext, and so is its EHLO, which
        // offered the STARTTLS that failed.
        assert_eq!(
            r.json["ehlo"]["capabilities"]["STARTTLS"],
            json!([]),
            "{runtime}: {r:?}"
        );
        // System roots only: the private CA is not trusted.
        let args = [
            "probe",
            "--server",
            POSTFIX_IMPLICIT,
            "--tls",
            "implicit",
            "--tls-name",
            "localhost",
        ];
        let r = smtp(&[&args[..], &rt].concat());
        assert_eq!((r.status, kind(&r)), (2, "tls"), "{runtime}: {r:?}");
        let r = run(
            &root,
            &[
                &["probe", "--server", POSTFIX_IMPLICIT, "--tls", "implicit"][..],
                &rt,
            ]
            .concat(),
        );
        assert_eq!(r.status, 0, "{runtime}: {r:?}");
        assert_eq!(r.json["tls"]["verified"], true);
    }
}

#[test]
fn bdat_helo_fallback_and_many_mails() {
    let Some(root) = servers() else { return };
    let to = format!("ok-{}@example.net", token());
    let r = run(
        &root,
        &[
            "send",
            "--server",
            POSTFIX,
            "--from",
            "a@example.org",
            "--to",
            &to,
            "--chunking",
            "always",
        ],
    );
    assert_eq!(r.status, 0, "{r:?}");
    let r = run(
        &root,
        &[
            "send",
            "--server",
            SINK_NO_ESMTP,
            "--tls",
            "none",
            "--from",
            "",
            "--to",
            &to,
        ],
    );
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(r.json["ehlo"]["capabilities"], json!({}));
    for runtime in RUNTIMES {
        let r = run(
            &root,
            &[
                "send",
                "--server",
                SINK,
                "--tls",
                "none",
                "--runtime",
                runtime,
                "--from",
                "a@example.org",
                "--to",
                &to,
                "--count",
                "50",
                "--connections",
                "2",
            ],
        );
        assert_eq!(r.status, 0, "{runtime}: {r:?}");
        assert_eq!(r.json["stats"]["delivered"], 100);
        assert_eq!(r.json["stats"]["connections"], 2);
    }
}
