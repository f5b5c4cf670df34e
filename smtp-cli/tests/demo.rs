//! `smtp demo` works offline on every runtime and exits 0 exactly when its scripted
//! session happened.

mod common;

use common::{RUNTIMES, output};

#[test]
fn the_demo_runs_its_script_on_every_runtime() {
    for runtime in RUNTIMES {
        let out = output(&["demo", "--runtime", runtime], false, None);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{runtime}: {stdout}");
        for expected in [
            "S: 220 ",
            "C: EHLO ",
            "C: STARTTLS",
            "C: AUTH PLAIN [secret]",
            "C: RCPT TO:<bob@example.com>",
            "S: 550 5.1.1 <bob@example.com>: no such user",
            "C: QUIT",
            "round trips",
            "bob@example.com: REFUSED",
            "carol@example.com: accepted",
            "by BDAT, over TLS, from demo",
            "As scripted",
        ] {
            assert!(
                stdout.contains(expected),
                "{runtime}: {expected:?} missing in\n{stdout}"
            );
        }
        // The BDAT line is a command; the chunk after it is shown as the size it announces,
        // which is what the server received.
        let lines: Vec<&str> = stdout.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("C: BDAT "))
            .expect("a BDAT line");
        let size = lines[at]
            .split_once("C: BDAT ")
            .and_then(|(_, rest)| rest.strip_suffix(" LAST"))
            .expect("one chunk, the last");
        assert!(
            lines[at + 1].ends_with(&format!("C: [body, {size} octets]")),
            "{runtime}: {stdout}"
        );
        assert!(
            stdout.contains(&format!("the server received {size} octets by BDAT")),
            "{runtime}: {stdout}"
        );
        // The round trip that carries the transaction: MAIL, every RCPT and the body in one.
        let rt = stdout
            .lines()
            .find(|l| l.contains("C: MAIL FROM:"))
            .expect("MAIL line");
        assert!(
            rt.starts_with("RT"),
            "the MAIL line starts a round trip: {rt}"
        );
    }
}

/// `smtp demo` where it cannot work (here: a network namespace whose loopback is down,
/// as in some sandboxes and containers) must say why. It exits 2 and prints "NOT as
/// scripted: see the transcript above" over an empty transcript; the connect error
/// (`report.error`) is printed nowhere, on stdout or stderr. Skipped where `unshare -rn`
/// is not available.
#[test]
fn a_demo_that_fails_says_why() {
    let usable = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        eprintln!("skipped: unshare -rn is not available");
        return;
    }
    let out = std::process::Command::new("unshare")
        .args(["-rn", env!("CARGO_BIN_EXE_smtp"), "demo"])
        .output()
        .expect("unshare runs");
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("unreachable") || all.contains("cannot connect"),
        "the failure's cause is not shown:\n{all}"
    );
}
