//! `smtp demo`: offline, a full session through the in-process test server.
//!
//! The server (smtp-tokio's `test_server`, on a thread of its own) offers STARTTLS with a
//! certificate generated for this run, AUTH PLAIN and CHUNKING, and refuses one of the
//! three recipients. The client is exactly what `smtp send` runs, on the adapter
//! `--runtime` names: EHLO, STARTTLS, EHLO, AUTH PLAIN, one pipelined transaction (BDAT
//! since CHUNKING is offered), QUIT. The transcript is printed with directions, round
//! trips and timings; the exit status is 0 exactly when the scripted outcome happened.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smtp_adapter::Security;
use smtp_proto::auth::{Credentials, Mechanism};
use smtp_proto::command::{Envelope, MailBody};
use smtp_proto::syntax::ClientId;
use smtp_tokio::test_server::{Stage, TestServer};

use crate::args::{Chunking, Runtime, TlsMode};
use crate::plan::{AuthPlan, MailPlan, Plan};
use crate::report::{Outcome, RunReport};
use crate::transcript::{self, Direction, Line, Sink, WireLog};

const USER: &str = "demo";
const PASSWORD: &str = "demo-password";
const FROM: &str = "demo@example.org";
const TO: [&str; 3] = ["alice@example.com", "bob@example.com", "carol@example.com"];
/// The refused recipient.
const REFUSED: &str = "bob@";
const BODY: &[u8] = b"From: demo@example.org\r\nTo: alice@example.com, bob@example.com, \
carol@example.com\r\nSubject: smtp demo\r\n\r\nHello from the smtp demo.\r\n\
.A line that starts with a dot goes as it is in BDAT.\r\n";

/// Runs the demo on `runtime`: 0 when the scripted outcome happened, 2 otherwise.
pub(crate) fn main(runtime: Runtime) -> ExitCode {
    match run(runtime) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            err!("smtp demo: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(runtime: Runtime) -> Result<bool, Box<dyn std::error::Error>> {
    let server = TestServer::builder()
        .hostname("mx.demo.test")
        .starttls(true)
        .auth(USER, PASSWORD)
        .chunking(true)
        .refuse(
            Stage::Rcpt,
            REFUSED,
            "550 5.1.1 <bob@example.com>: no such user",
        )
        .spawn_thread()?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    WireLog::install(Some(Sink::Collect(Arc::clone(&lines))));
    out!(
        "smtp demo: a loopback test server on {} (STARTTLS with a certificate made for this \
         run, AUTH PLAIN, CHUNKING; it refuses bob), driven by smtp-{}\n",
        server
            .local_addr()
            .map_or_else(|| "?".to_owned(), |a| a.to_string()),
        match runtime {
            Runtime::Tokio => "tokio",
            Runtime::AsyncStd => "async-std",
            Runtime::Blocking => "blocking",
        }
    );
    let report = crate::run::run(plan(&server, runtime)?);
    let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
    print_transcript(&lines);
    out!();
    let addresses: Vec<String> = TO.iter().map(|a| (*a).to_owned()).collect();
    out!(
        "{}",
        crate::human::render(&report, Some(&addresses)).trim_end()
    );
    // The server's record says how the message arrived (the redacted transcript shows the
    // BDAT line and the chunk only as its size).
    let received = server.next_message_blocking(Duration::from_secs(5));
    if let Some(message) = &received {
        out!(
            "\nthe server received {} octets by {}, over {}, from {}, for {}",
            message.data.len(),
            if message.bdat { "BDAT" } else { "DATA" },
            if message.tls { "TLS" } else { "plaintext" },
            message
                .authenticated
                .as_deref()
                .unwrap_or("an anonymous client"),
            message
                .recipients
                .iter()
                .filter(|r| r.is_accepted())
                .map(|r| r.address())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let delivered = received.is_some_and(|m| {
        m.bdat && m.tls && m.authenticated.as_deref() == Some(USER) && m.data == BODY
    });
    let scripted = is_scripted(&report) && delivered;
    if scripted {
        out!("As scripted: TLS, AUTH PLAIN, BDAT, two recipients delivered, bob refused.");
    } else {
        out!("\nNOT as scripted: see the transcript above.");
        if let Some(error) = &report.error {
            err!("smtp demo: {}: {}", error.kind.as_str(), error.message);
        }
    }
    Ok(scripted)
}

/// The plan `smtp send` would make for this server.
fn plan(server: &TestServer, runtime: Runtime) -> Result<Plan, Box<dyn std::error::Error>> {
    let config = server
        .client_config()
        .security(Security::StartTlsOpportunistic)
        .client_id(ClientId::localhost())
        .build()?;
    let envelope = Envelope::new(
        format!("<{FROM}>").parse()?,
        TO.iter()
            .map(|to| format!("<{to}>").parse())
            .collect::<Result<Vec<_>, _>>()?,
    )?;
    Ok(Plan {
        config,
        runtime,
        tls_mode: TlsMode::Starttls,
        insecure: false,
        chunking: Chunking::Auto,
        auth: Some(AuthPlan {
            credentials: Credentials::password(USER, PASSWORD),
            mechanisms: vec![Mechanism::Plain],
            allow_plaintext: false,
        }),
        mail: Some(MailPlan {
            envelope,
            body: MailBody::bytes(BODY),
            count: 1,
            connections: 1,
        }),
        lmtp: false,
        verbose: false,
    })
}

/// Partial, with exactly the refused recipient refused, over TLS, authenticated.
fn is_scripted(report: &RunReport) -> bool {
    let session = &report.session;
    let accepted: Vec<bool> = report
        .last
        .as_ref()
        .map(|view| view.recipients.iter().map(|r| r.is_accepted()).collect())
        .unwrap_or_default();
    report.outcome == Some(Outcome::Partial)
        && report.error.is_none()
        && accepted == [true, false, true]
        && session.tls.as_ref().is_some_and(|t| t.verified)
        && session
            .auth
            .as_ref()
            .is_some_and(|a| a.mechanism.as_deref() == Some("PLAIN"))
}

/// The transcript: one line per wire line, with its time and the round trip it began.
fn print_transcript(lines: &[Line]) {
    let mut round_trips = 0;
    let mut previous = Direction::Server;
    for line in lines {
        let marker = if line.direction == Direction::Client && previous == Direction::Server {
            round_trips += 1;
            format!("RT{round_trips:<3}")
        } else {
            "     ".to_owned()
        };
        previous = line.direction;
        out!(
            "{marker}{:>9.3} ms  {} {}",
            line.at * 1000.0,
            transcript::prefix(line.direction),
            line.text
        );
    }
    out!("\n{round_trips} round trips (each RT marks a client write that waits for replies)");
}
