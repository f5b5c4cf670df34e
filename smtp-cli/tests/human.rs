//! What a person at a terminal sees: `--help`, the one-line messages of usage and
//! connection errors, the human report on stdout and the `-v` transcript on stderr
//! (a review of the tool as used by hand; CLI.md, SECURITY.md).

mod common;

use common::fake::{Act, Fake, Rule};
use common::{output, smtp};
use smtp_tokio::test_server::TestServer;

/// The usage error's message of `smtp ARGS --json` (exit 64 checked).
fn usage_message(args: &[&str]) -> String {
    let run = smtp(args);
    assert_eq!(run.status, 64, "{args:?}: {run:?}");
    assert_eq!(run.json["error"]["kind"], "usage", "{run:?}");
    run.json["error"]["message"].as_str().unwrap().to_owned()
}

/// `smtp probe` (human output, plaintext) against a server answering EHLO with `ehlo`;
/// it must succeed.
fn probe_with_ehlo(ehlo: &'static str) -> std::process::Output {
    let fake = Fake::start(vec![Rule("EHLO", "", Act::Reply(ehlo))]);
    let server = fake.server();
    let out = output(
        &[
            "probe",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "5",
        ],
        false,
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    out
}

/// A hostile server's reply text must never reach the terminal unescaped (terminal
/// escape injection): the `server` and `offers` rows of the human report print the EHLO
/// domain and capabilities raw, while every other row goes through `Response`'s escaping
/// `Display`. ESC (0x1b) and BEL (0x07) in the EHLO reply reach stdout as they are.
#[test]
fn the_human_report_escapes_control_bytes_of_the_ehlo_reply() {
    let out = probe_with_ehlo(
        "250-fa\x1b[2Jke.test\r\n250-X\x1b[31mCAP\r\n250-SIZE \x1b]0;title\x07\r\n250 8BITMIME\r\n",
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
        "control bytes from the server reached stdout raw:\n{}",
        shown.escape_debug()
    );
}

/// CLI.md "Exit status" 64 with a message naming the input at fault: a bad `--tls-name`
/// is reported as a fault of `--server` (`--server "127.0.0.1:1": invalid configuration:
/// TLS server name ...`), because every `ConnectionConfig::build` error is prefixed with
/// the `--server` value (smtp-cli/src/config.rs).
#[test]
fn a_bad_tls_name_is_blamed_on_tls_name_not_server() {
    for name in ["bad name", "[::1]"] {
        let message = usage_message(&[
            "probe",
            "--server",
            "127.0.0.1:1",
            "--tls",
            "implicit",
            "--tls-name",
            name,
        ]);
        assert!(
            message.starts_with("--tls-name"),
            "{name:?}: the message blames another option: {message}"
        );
    }
}

/// A usage error that gives a position must give it in the text the user typed. The CLI
/// wraps an address without angle brackets in `<...>` before parsing it, so every offset
/// it reports is one too far (`--to "b@x.org>"`: the `>` at offset 7 is reported at 8).
#[test]
fn address_errors_give_offsets_in_what_was_typed() {
    let cases = [
        ("--to", "b@x.org>", "offset 7"),
        ("--from", "bad address", "offset 3"),
        ("--to", "b@", "offset 2"),
    ];
    for (option, value, offset) in cases {
        let (from, to) = match option {
            "--from" => (value, "b@example.net"),
            _ => ("a@example.org", value),
        };
        let message = usage_message(&[
            "send",
            "--server",
            "127.0.0.1:1",
            "--tls",
            "none",
            "--from",
            from,
            "--to",
            to,
        ]);
        assert!(
            message.contains(offset),
            "{option} {value:?}: expected {offset}: {message}"
        );
    }
}

/// `--help` must be complete against CLI.md: `--auth` takes one of six mechanism names
/// (and defaults to `scram-sha-256,plain,login`, or `oauthbearer,xoauth2` with a token),
/// but `smtp send --help` says only "Allowed SASL mechanisms, in preference order
/// (comma-separated)": the names are learnt only from the usage error.
#[test]
fn help_lists_the_auth_mechanisms_and_their_default() {
    for command in ["send", "probe"] {
        let out = output(&[command, "--help"], false, None);
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8(out.stdout).unwrap();
        for name in ["scram-sha-256", "cram-md5", "oauthbearer", "xoauth2"] {
            assert!(
                help.contains(name),
                "{command} --help does not name {name}:\n{help}"
            );
        }
    }
}

/// A STARTTLS test server (certificate for `localhost`, 127.0.0.1 and ::1) and its CA
/// in a file; the file is removed when the guard drops.
struct Tls {
    server: TestServer,
    ca: std::path::PathBuf,
}

impl Tls {
    fn start() -> Self {
        let server = TestServer::builder()
            .starttls(true)
            .spawn_thread()
            .expect("test server");
        let ca = std::env::temp_dir().join(format!("smtp-cli-human-{}.pem", common::token()));
        std::fs::write(&ca, server.ca_pem()).unwrap();
        Self { server, ca }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.server.port().unwrap())
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}

/// No Rust `Debug` rendering in what a user sees: a certificate from an unknown CA is
/// reported as `invalid peer certificate: UnknownIssuer`, a name mismatch as `... only
/// valid for DnsName("localhost"), DnsName("*.localhost"), IpAddress(127.0.0.1) or
/// IpAddress(0::1)` (rustls' variant and struct names, passed through as they are).
#[test]
fn tls_failures_read_as_sentences_not_debug_output() {
    let tls = Tls::start();
    let address = tls.address();
    let ca = tls.ca.to_str().unwrap();
    let unknown_ca = smtp(&["probe", "--server", &address, "--timeout", "5"]);
    let wrong_name = smtp(&[
        "probe",
        "--server",
        &address,
        "--ca-file",
        ca,
        "--tls-name",
        "mx.example.org",
        "--timeout",
        "5",
    ]);
    for run in [unknown_ca, wrong_name] {
        assert_eq!(run.json["error"]["kind"], "tls", "{run:?}");
        let message = run.json["error"]["message"].as_str().unwrap();
        for debug in ["UnknownIssuer", "DnsName(", "IpAddress("] {
            assert!(
                !message.contains(debug) && !run.stderr.contains(debug),
                "Debug output {debug:?} in: {message}"
            );
        }
    }
}

/// After a failed STARTTLS handshake the human report says `tls  none (plaintext)`, as
/// if the server had been talked to in plaintext; the session was never plaintext (it
/// ended at the handshake, CLI.md: "never a plaintext retry").
#[test]
fn a_failed_handshake_is_not_reported_as_plaintext() {
    let tls = Tls::start();
    let address = tls.address();
    let out = output(
        &["probe", "--server", &address, "--timeout", "5"],
        false,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let row = stdout
        .lines()
        .find(|line| line.starts_with("tls "))
        .unwrap_or("");
    assert!(
        !row.contains("plaintext"),
        "the handshake failed, the report says: {row:?}\n{stdout}"
    );
}

/// `-v` is "the wire transcript" (CLI.md). With `--connections 2` the two connections'
/// lines are interleaved on stderr with nothing to tell them apart, so no reader can
/// pair a reply with its command. Each line needs its connection.
#[test]
fn the_transcript_of_several_connections_tells_them_apart() {
    let fake = Fake::start(vec![]);
    let server = fake.server();
    let out = output(
        &[
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--timeout",
            "5",
            "--connections",
            "2",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "-v",
        ],
        false,
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The EHLO lines without their time stamps: one per connection.
    let ehlo: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("C: EHLO"))
        .map(|line| {
            line.trim_start()
                .split_once(' ')
                .map_or(line, |(_, rest)| rest)
        })
        .collect();
    assert_eq!(ehlo.len(), 2, "{stderr}");
    assert_ne!(
        ehlo[0], ehlo[1],
        "two connections' lines cannot be told apart:\n{stderr}"
    );
}

/// A negative number is a bad value of its option, not an unknown option (`unexpected
/// argument '-1' found`), and a `--server` that is no host name is a usage error naming
/// it, not a failed lookup (exit 2).
#[test]
fn bad_numbers_and_hosts_name_their_option() {
    let send = |option: &str, value: &str| {
        usage_message(&[
            "send",
            "--server",
            "127.0.0.1:1",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            option,
            value,
        ])
    };
    for option in ["--timeout", "--count", "--connections"] {
        let message = send(option, "-1");
        assert!(message.contains(option), "{option}: {message}");
    }
    for server in ["mx example", "mx/example"] {
        let message = usage_message(&["probe", "--server", server, "--tls", "none"]);
        assert!(
            message.starts_with("--server") && message.contains("not a host name"),
            "{server:?}: {message}"
        );
    }
}

/// Review diff5: the human report's `terminal` escaping stops at `char::is_control`, so
/// the characters the project itself counts as unsafe on a terminal
/// (`smtp_proto::response::display::is_unsafe_to_show`: the bidirectional controls of
/// "Trojan Source", CVE-2021-42574, and the line/paragraph separators U+2028/U+2029)
/// reach stdout from the EHLO domain and capabilities, which `Response`'s `Display` would
/// have escaped. U+202E reverses the rest of the `server` row as it is shown.
#[test]
fn the_human_report_escapes_bidi_controls_and_line_separators_of_the_ehlo_reply() {
    let out = probe_with_ehlo(
        "250-fake\u{202e}tset.\r\n250-X\u{2028}CAP\r\n250-Y\u{2066}Z\r\n250 8BITMIME\r\n",
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    let unsafe_chars: Vec<char> = shown
        .chars()
        .filter(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'))
        .collect();
    assert!(
        unsafe_chars.is_empty(),
        "{unsafe_chars:?} from the server reached stdout raw:\n{}",
        shown.escape_debug()
    );
}

/// Review diff5: "address offsets count what was typed". A mailbox typed without angle
/// brackets but with a source route (`@relay:user@domain`, RFC 5321 §4.1.2 `A-d-l`, which
/// the path parser accepts and drops) whose mailbox is wrong gets the fallback parse's
/// error for the whole text as a bare mailbox: "offset 0", as if the `@` of the route
/// were the fault, instead of the real error (the doubled dot: offset 19 as typed, 20
/// with the brackets).
#[test]
fn a_source_routed_address_error_points_at_the_fault() {
    let message = usage_message(&[
        "send",
        "--server",
        "127.0.0.1:1",
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "@relay.example:b@x..org",
    ]);
    // With brackets, the same path's error is where the fault is.
    let bracketed = usage_message(&[
        "send",
        "--server",
        "127.0.0.1:1",
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "<@relay.example:b@x..org>",
    ]);
    assert!(
        !message.contains("offset 0"),
        "the error blames the source route: {message}\n(with brackets: {bracketed})"
    );
}
