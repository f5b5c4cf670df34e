//! `smtp send -v`: the wire transcript on stderr shows every command line, a BDAT line
//! included (RFC 3030 §2), and message content only as its size.

mod common;

use std::time::Duration;

use common::{RUNTIMES, output};
use smtp_tokio::test_server::TestServer;

/// 22 octets, canonical already: what the server stores and what BDAT counts.
const BODY: &[u8] = b"Subject: t\r\n\r\n.hello\r\n";

/// Runs `smtp send -v` over plaintext with `extra` options; returns the `C:` lines of
/// the transcript, without their times.
fn client_lines(server: &TestServer, runtime: &str, extra: &[&str]) -> Vec<String> {
    let address = format!("127.0.0.1:{}", server.port().unwrap());
    let mut args = vec![
        "send",
        "--server",
        &address,
        "--tls",
        "none",
        "--runtime",
        runtime,
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--body-file",
        "-",
        "-v",
    ];
    args.extend(extra);
    let out = output(&args, false, Some(BODY));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{runtime}: {stderr}");
    let message = server
        .next_message_blocking(Duration::from_secs(5))
        .expect("a message arrived");
    assert_eq!(message.data, BODY);
    let bdat = !extra.contains(&"never");
    assert_eq!(message.bdat, bdat, "{runtime}: {stderr}");
    stderr
        .lines()
        .filter_map(|line| line.split_once(" C: ").map(|(_, text)| text.to_owned()))
        .collect()
}

/// Whether `lines` holds `run` as consecutive lines.
fn has_run(lines: &[String], run: &[&str]) -> bool {
    lines.windows(run.len()).any(|window| window == run)
}

#[test]
fn bdat_shows_as_a_command_and_its_chunk_as_its_size() {
    let server = TestServer::builder()
        .chunking(true)
        .spawn_thread()
        .expect("test server");
    for runtime in RUNTIMES {
        let lines = client_lines(&server, runtime, &[]);
        assert_eq!(BODY.len(), 22);
        assert!(
            has_run(
                &lines,
                &[
                    "RCPT TO:<b@example.net>",
                    "BDAT 22 LAST",
                    "[body, 22 octets]"
                ]
            ),
            "{runtime}: {lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("hello")),
            "{runtime}: {lines:#?}"
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("[body, ")).count(),
            1,
            "{runtime}: {lines:#?}"
        );
    }
    // Over DATA the end-of-data marker is part of the body (RFC 5321 §4.1.1.4), and the
    // line starting with a dot is doubled: 22 + 1 + 3 octets.
    let lines = client_lines(&server, "tokio", &["--chunking", "never"]);
    assert!(
        has_run(&lines, &["DATA", "[body, 26 octets]"]),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("BDAT")), "{lines:#?}");
}
