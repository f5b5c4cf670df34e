//! The built `smtp` against smtp-tokio's in-process test server: what the server received
//! (bytes, parameters, TLS, AUTH), LMTP, and its scripted faults.

mod common;

use std::time::Duration;

use common::{RUNTIMES, Run, kind, smtp, smtp_env, smtp_with};
use serde_json::json;
use smtp_tokio::test_server::{Fault, Message, Stage, TestServer, TestServerBuilder};

/// A started server and the CA file the CLI trusts.
struct Served {
    server: TestServer,
    _dir: TempDir,
    ca: String,
}

/// A private folder removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("smtp-cli-{}", common::token()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn start(builder: TestServerBuilder) -> Served {
    let server = builder.spawn_thread().expect("test server");
    let dir = temp_dir();
    let ca = dir.0.join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).unwrap();
    Served {
        server,
        ca: ca.to_str().unwrap().to_owned(),
        _dir: dir,
    }
}

impl Served {
    fn server_arg(&self) -> String {
        format!("127.0.0.1:{}", self.server.port().unwrap())
    }

    /// `smtp send` with STARTTLS verified against the server's CA (from `a@example.org`
    /// unless `extra` has a `--from`).
    fn send(&self, runtime: &str, extra: &[&str]) -> Run {
        let server = self.server_arg();
        let mut args = vec![
            "send",
            "--server",
            &server,
            "--ca-file",
            &self.ca,
            "--tls-name",
            "localhost",
            "--runtime",
            runtime,
        ];
        if !extra.contains(&"--from") {
            args.extend(["--from", "a@example.org"]);
        }
        if !extra.contains(&"--timeout") {
            args.extend(["--timeout", "5"]);
        }
        args.extend(extra);
        smtp(&args)
    }

    fn message(&self) -> Message {
        self.server
            .next_message_blocking(Duration::from_secs(5))
            .expect("a message arrived")
    }
}

#[test]
fn body_file_and_stdin_arrive_canonical_over_tls_with_auth() {
    let served = start(
        TestServer::builder()
            .starttls(true)
            .auth("u", "p")
            .chunking(true),
    );
    let dir = temp_dir();
    let file = dir.0.join("message.eml");
    std::fs::write(&file, b"Subject: t\n\n.dot\nline\r\n").unwrap();
    for runtime in RUNTIMES {
        let server = served.server_arg();
        let args = [
            "send",
            "--server",
            &server,
            "--ca-file",
            &served.ca,
            "--tls-name",
            "localhost",
            "--runtime",
            runtime,
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--user",
            "u",
            "--password-env",
            "CLI_PW",
            "--body-file",
            file.to_str().unwrap(),
        ];
        let run = smtp_env(&args, None, &[("CLI_PW", "p")]);
        assert_eq!(run.status, 0, "{runtime}: {run:?}");
        let message = served.message();
        assert_eq!(message.data, b"Subject: t\r\n\r\n.dot\r\nline\r\n");
        assert!(message.tls && message.bdat);
        assert_eq!(message.authenticated.as_deref(), Some("u"));
    }
    let run = smtp_with(
        &[
            "send",
            "--server",
            &served.server_arg(),
            "--ca-file",
            &served.ca,
            "--tls-name",
            "localhost",
            "--from",
            "",
            "--to",
            "b@example.net",
            "--user",
            "u",
            "--password-file",
            "/dev/null",
            "--chunking",
            "never",
            "--body-file",
            "-",
        ],
        Some(b"Subject: stdin\r\n\r\nbody\r\n"),
    );
    // The empty password is refused by the server: AUTH failed, nothing sent.
    assert_eq!((run.status, kind(&run)), (2, "auth-failed"), "{run:?}");
}

#[test]
fn envelope_parameters_reach_the_server() {
    let served = start(
        TestServer::builder()
            .starttls(true)
            .dsn(true)
            .chunking(true)
            .binarymime(true),
    );
    let run = served.send(
        "tokio",
        &[
            "--to",
            "b@example.net",
            "--dsn-ret",
            "hdrs",
            "--dsn-envid",
            "ID42",
            "--dsn-notify",
            "success,failure",
            "--8bitmime",
            "--smtputf8",
        ],
    );
    assert_eq!(run.status, 0, "{run:?}");
    let message = served.message();
    let params = message.mail_parameters.to_string();
    for expected in ["BODY=8BITMIME", "SMTPUTF8", "RET=HDRS", "ENVID=ID42"] {
        assert!(params.contains(expected), "{params}");
    }
    assert!(!message.bdat || params.contains("BODY"), "{params}");
    let run = served.send("blocking", &["--to", "b@example.net", "--binarymime"]);
    assert_eq!(run.status, 0, "{run:?}");
    let message = served.message();
    assert!(message.bdat);
    assert!(
        message
            .mail_parameters
            .to_string()
            .contains("BODY=BINARYMIME")
    );
}

/// CLI.md: `--smtputf8` defaults to "when an address is not ASCII": a non-ASCII local part
/// or domain, in `--from` or `--to`, declares SMTPUTF8 (the generated message's header
/// carries the address as given); a server that does not offer it gets nothing
/// (`capability-missing`), never a message with UTF-8 it did not agree to.
#[test]
fn a_non_ascii_address_declares_smtputf8() {
    let served = start(TestServer::builder().starttls(true));
    for (runtime, from, to) in [
        ("tokio", "jos\u{e9}@example.org", "b@example.net"),
        ("async-std", "a@b\u{fc}cher.example", "b@example.net"),
        ("blocking", "a@example.org", "b@b\u{fc}cher.example"),
    ] {
        let run = served.send(runtime, &["--from", from, "--to", to]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (0, &json!("delivered")),
            "{runtime} {from} {to}: {run:?}"
        );
        let message = served.message();
        let params = message.mail_parameters.to_string();
        assert!(params.contains("SMTPUTF8"), "{runtime}: {params}");
        assert!(
            String::from_utf8_lossy(&message.data).contains(to),
            "{runtime}: the generated header has the address as given"
        );
    }
    let served = start(TestServer::builder().starttls(true).smtputf8(false));
    let run = served.send("tokio", &["--to", "b@b\u{fc}cher.example"]);
    assert_eq!(
        (run.status, kind(&run)),
        (2, "capability-missing"),
        "{run:?}"
    );
    assert_eq!(served.server.messages().len(), 0);
}

#[test]
fn faults_give_uncertain_service_closing_and_timeout() {
    let served = start(
        TestServer::builder()
            .starttls(true)
            .fault(Fault::DisconnectBeforeVerdict),
    );
    for runtime in RUNTIMES {
        let run = served.send(runtime, &["--to", "b@example.net"]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (3, &json!("uncertain")),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["recipients"][0]["accepted"], true);
        assert_eq!(run.json["message"]["reply"], json!(null));
    }
    let served = start(
        TestServer::builder()
            .starttls(true)
            .fault(Fault::ServiceClosing(Stage::Mail)),
    );
    for runtime in RUNTIMES {
        let run = served.send(runtime, &["--to", "b@example.net"]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "service-closing"),
            "{runtime}: {run:?}"
        );
        assert_eq!(run.json["mail"]["reply"]["code"], 421);
    }
    let served = start(
        TestServer::builder()
            .starttls(true)
            .fault(Fault::Silence(Stage::DataEnd)),
    );
    let run = served.send("tokio", &["--to", "b@example.net", "--timeout", "0.5"]);
    assert_eq!((run.status, kind(&run)), (3, "timeout"), "{run:?}");
    let served = start(
        TestServer::builder()
            .starttls(true)
            .fault(Fault::Silence(Stage::Rcpt)),
    );
    // BDAT LAST left with MAIL and RCPT (PIPELINING and CHUNKING): the server may have the
    // message, so a RCPT reply that never comes is uncertain.
    let run = served.send("async-std", &["--to", "b@example.net", "--timeout", "0.5"]);
    assert_eq!((run.status, kind(&run)), (3, "timeout"), "{run:?}");
    assert_eq!(run.json["outcome"], "uncertain", "{run:?}");
    // Over DATA the end of data waits for the 354: nothing left, an error.
    let args = [
        "--to",
        "b@example.net",
        "--timeout",
        "0.5",
        "--chunking",
        "never",
    ];
    let run = served.send("blocking", &args);
    assert_eq!((run.status, kind(&run)), (2, "timeout"), "{run:?}");
    assert_eq!(run.json["outcome"], "error", "{run:?}");
}

#[test]
fn starttls_injection_is_detected() {
    let served = start(
        TestServer::builder()
            .starttls(true)
            .fault(Fault::InjectAfterStartTls(
                b"250-forged\r\n250 AUTH PLAIN\r\n".to_vec(),
            )),
    );
    for runtime in RUNTIMES {
        let run = served.send(runtime, &["--to", "b@example.net"]);
        assert_eq!(
            (run.status, kind(&run)),
            (2, "starttls-injection"),
            "{runtime}: {run:?}"
        );
    }
}

#[test]
fn refusals_at_each_stage() {
    let served = start(
        TestServer::builder()
            .starttls(true)
            .size(Some(64))
            .refuse(Stage::Rcpt, "bob@", "550 5.1.1 no bob")
            .refuse(Stage::Mail, "spam@", "550 5.7.1 no spam"),
    );
    let run = served.send(
        "tokio",
        &[
            "--to",
            "ann@example.net",
            "--to",
            "bob@example.net",
            "--body-file",
            "/dev/null",
        ],
    );
    assert_eq!(
        (run.status, &run.json["outcome"]),
        (1, &json!("partial")),
        "{run:?}"
    );
    assert_eq!(
        run.json["recipients"][1]["reply"]["lines"],
        json!(["no bob"])
    );
    let run = served.send("tokio", &["--to", "ann@example.net"]);
    assert_eq!(
        (run.status, kind(&run)),
        (2, "message-too-large"),
        "{run:?}"
    );
    let server = served.server_arg();
    let args = [
        "send",
        "--server",
        &server,
        "--ca-file",
        &served.ca,
        "--tls-name",
        "localhost",
        "--from",
        "spam@example.org",
        "--to",
        "ann@example.net",
        "--body-file",
        "/dev/null",
    ];
    let run = smtp(&args);
    assert_eq!(
        (run.status, &run.json["outcome"]),
        (1, &json!("rejected")),
        "{run:?}"
    );
    assert_eq!(run.json["mail"]["reply"]["code"], 550);
}

#[test]
fn lmtp_over_a_unix_socket_reports_each_delivery() {
    let dir = temp_dir();
    let socket = dir.0.join("lmtp.sock");
    let server = TestServer::builder()
        .lmtp(true)
        .unix(&socket)
        .refuse(Stage::DataEnd, "bob@", "552 5.2.2 bob is over quota")
        .spawn_thread()
        .expect("LMTP server");
    let target = format!("unix:{}", socket.display());
    for runtime in RUNTIMES {
        let run = smtp(&[
            "send",
            "--server",
            &target,
            "--runtime",
            runtime,
            "--from",
            "a@example.org",
            "--to",
            "ann@example.net",
            "--to",
            "bob@example.net",
        ]);
        assert_eq!(
            (run.status, &run.json["outcome"]),
            (1, &json!("partial")),
            "{runtime}: {run:?}"
        );
        let recipients = &run.json["recipients"];
        assert_eq!(recipients[0]["delivered"], true);
        assert_eq!(recipients[0]["data_reply"]["code"], 250);
        assert_eq!(recipients[1]["accepted"], true);
        assert_eq!(recipients[1]["delivered"], false);
        assert_eq!(recipients[1]["data_reply"]["code"], 552);
    }
    drop(server);
}
