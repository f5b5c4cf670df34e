//! A scripted SMTP server on an ephemeral loopback port: default replies for every
//! command, overridden per verb (and optionally per argument text), with closes and
//! silences for the faults. Each connection runs on its own thread.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::Run;

/// What the server does for a command.
#[derive(Clone, Debug)]
pub(crate) enum Act {
    /// Sends these octets (CRLFs included).
    Reply(&'static str),
    /// Sends these octets, then closes.
    ReplyClose(&'static str),
    /// Closes without a word.
    Close,
    /// Says nothing (and keeps the connection open) for 10 s.
    Silence,
}

/// A rule: the verb (`MAIL`, `RCPT`, `.` for the end of data, `GREETING`), text the line
/// must contain (empty: any), and the act.
#[derive(Clone, Debug)]
pub(crate) struct Rule(pub &'static str, pub &'static str, pub Act);

/// The EHLO reply when none is given.
pub(crate) const EHLO: &str =
    "250-fake.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n";

/// A running fake server.
pub(crate) struct Fake {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Fake {
    /// Starts the server with `rules` (first match wins; defaults otherwise).
    pub(crate) fn start(rules: Vec<Rule>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let rules = Arc::new(rules);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let rules = Arc::clone(&rules);
                std::thread::spawn(move || {
                    let _ = serve(stream, &rules);
                });
            }
        });
        Self { port, accepted }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn act_for<'r>(rules: &'r [Rule], verb: &str, line: &str) -> Option<&'r Act> {
    rules
        .iter()
        .find(|Rule(v, text, _)| v.eq_ignore_ascii_case(verb) && line.contains(text))
        .map(|Rule(_, _, act)| act)
}

/// Plays one connection; `Err` or `Ok(())` both just end it.
fn serve(stream: TcpStream, rules: &[Rule]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let greeting = act_for(rules, "GREETING", "")
        .cloned()
        .unwrap_or(Act::Reply("220 fake.test ESMTP\r\n"));
    if !perform(&mut writer, &greeting)? {
        return Ok(());
    }
    let mut in_data = false;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if in_data {
            if line != ".\r\n" {
                continue;
            }
            in_data = false;
        }
        let verb = if line == ".\r\n" {
            ".".to_owned()
        } else {
            line.split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        };
        let default = match verb.as_str() {
            "EHLO" | "LHLO" => Act::Reply(EHLO),
            "DATA" => Act::Reply("354 go ahead\r\n"),
            "QUIT" => Act::ReplyClose("221 2.0.0 bye\r\n"),
            "." => Act::Reply("250 2.0.0 queued as FAKE\r\n"),
            "MAIL" | "RCPT" | "RSET" | "NOOP" | "HELO" => Act::Reply("250 2.0.0 ok\r\n"),
            _ => Act::Reply("502 5.5.2 not implemented\r\n"),
        };
        let act = act_for(rules, &verb, &line).cloned().unwrap_or(default);
        let positive = matches!(act, Act::Reply(text) if text.starts_with('3'));
        if !perform(&mut writer, &act)? {
            return Ok(());
        }
        if verb == "DATA" && positive {
            in_data = true;
        }
    }
}

/// Does `act`; `false` when the connection is over.
fn perform(writer: &mut TcpStream, act: &Act) -> std::io::Result<bool> {
    match act {
        Act::Reply(text) => {
            writer.write_all(text.as_bytes())?;
            Ok(true)
        }
        Act::ReplyClose(text) => {
            writer.write_all(text.as_bytes())?;
            Ok(false)
        }
        Act::Close => Ok(false),
        Act::Silence => {
            std::thread::sleep(Duration::from_secs(10));
            Ok(false)
        }
    }
}

/// `smtp send` to `fake` in plaintext on `runtime`, with `extra` options.
pub(crate) fn send(fake: &Fake, runtime: &str, to: &[&str], extra: &[&str]) -> Run {
    let server = fake.server();
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        "none",
        "--runtime",
        runtime,
        "--from",
        "a@example.org",
    ];
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "5"]);
    }
    for address in to {
        args.extend(["--to", address]);
    }
    args.extend(extra);
    super::smtp(&args)
}
