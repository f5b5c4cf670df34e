//! A tiny scripted server: drives one command through the client against canned server
//! reads, records what the client wrote (and the redacted log), and runs each script both
//! with whole reads and one byte at a time.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::fmt::Debug;
use std::time::Instant;

use smtp_proto::client::{Client, ClientConfig, Output, Protocol};
use smtp_proto::command::{Cmd, Ehlo, Greeting, LogicError};
use smtp_proto::error::ProtocolError;
use smtp_proto::syntax::ClientId;

/// Where the TLS handshake happened in [`Run::written`].
pub const TLS: &str = "<TLS>";

/// How server reads are handed to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Each scripted read at once.
    Whole,
    /// One byte per read, polling after each.
    Bytewise,
}

/// What one exchange did.
#[derive(Debug)]
pub struct Run<T> {
    /// The command's result, or the fatal error.
    pub result: Result<Result<T, LogicError>, ProtocolError>,
    /// Every byte written, with [`TLS`] where the handshake ran.
    pub written: String,
    /// The redacted rendering of each transmit.
    pub log: Vec<String>,
}

impl<T: Debug> Run<T> {
    /// The output; panics on anything else.
    pub fn ok(self) -> T {
        match self.result {
            Ok(Ok(output)) => output,
            other => panic!("expected success, got {other:?} after {:?}", self.written),
        }
    }

    /// The refusal; panics on anything else.
    pub fn refused(self) -> LogicError {
        match self.result {
            Ok(Err(error)) => error,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// The fatal error; panics on anything else.
    pub fn fatal(self) -> ProtocolError {
        match self.result {
            Err(error) => error,
            other => panic!("expected a fatal error, got {other:?}"),
        }
    }
}

/// Runs `cmd` on `client`; `server` are the reads, handed over when the client asks for
/// input (after the last one, end of file).
pub fn run<C: Cmd>(client: &mut Client, cmd: C, server: &[&[u8]], feed: Feed) -> Run<C::Output> {
    let now = Instant::now();
    let mut reads = server.iter();
    let mut pending: VecDeque<u8> = VecDeque::new();
    let mut written = Vec::new();
    let mut log = Vec::new();
    let mut ex = client.send(cmd);
    for _ in 0..100_000 {
        let output = match ex.poll_output(now) {
            Err(error) => return finish(Err(error), written, log),
            Ok(output) => output,
        };
        match output {
            Output::Transmit(t) => {
                written.extend_from_slice(t.bytes());
                log.push(t.redacted().to_string());
            }
            Output::UpgradeTls => {
                written.extend_from_slice(TLS.as_bytes());
                ex.tls_established();
            }
            Output::NeedInput { .. } => {
                // An empty scripted read is skipped (a real empty read is end of file).
                while pending.is_empty() {
                    match reads.next() {
                        Some(read) => pending.extend(read.iter()),
                        None => break,
                    }
                }
                if pending.is_empty() {
                    ex.handle_eof();
                    continue;
                }
                let take = if feed == Feed::Whole {
                    pending.len()
                } else {
                    1
                };
                let chunk: Vec<u8> = pending.drain(..take).collect();
                ex.handle_input(&chunk);
            }
            Output::NeedBody => panic!("no body in these tests"),
            Output::Done(result) => return finish(Ok(result), written, log),
        }
    }
    panic!("the exchange never ended");
}

fn finish<T>(
    result: Result<Result<T, LogicError>, ProtocolError>,
    written: Vec<u8>,
    log: Vec<String>,
) -> Run<T> {
    Run {
        result,
        written: String::from_utf8(written).unwrap(),
        log,
    }
}

/// Runs the script with whole reads and byte by byte, on fresh clients from `client` and
/// commands from `cmd`, checks both did the same, and returns the whole-read run.
pub fn run_both<C: Cmd>(
    client: impl Fn() -> Client,
    cmd: impl Fn() -> C,
    server: &[&[u8]],
) -> Run<C::Output>
where
    C::Output: Debug,
{
    let whole = run(&mut client(), cmd(), server, Feed::Whole);
    let bytewise = run(&mut client(), cmd(), server, Feed::Bytewise);
    assert_eq!(whole.written, bytewise.written, "written differs by feed");
    assert_eq!(
        format!("{:?}", whole.result),
        format!("{:?}", bytewise.result),
        "result differs by feed"
    );
    whole
}

/// A fresh client (plaintext, or implicit TLS).
pub fn fresh(tls: bool) -> Client {
    if tls {
        Client::new_tls(ClientConfig::default())
    } else {
        Client::new(ClientConfig::default())
    }
}

/// A client past the greeting and EHLO, with `ehlo` as the server's EHLO reply.
pub fn ready(ehlo: &str, tls: bool) -> Client {
    ready_from(fresh(tls), ehlo)
}

/// `client` past the greeting and EHLO, with `ehlo` as the server's EHLO reply.
pub fn ready_from(mut client: Client, ehlo: &str) -> Client {
    greet(&mut client);
    run(&mut client, ehlo_cmd(), &[ehlo.as_bytes()], Feed::Whole).ok();
    assert!(client.is_usable());
    client
}

/// An LMTP client past the greeting.
pub fn lmtp_greeted() -> Client {
    let mut client = Client::new(ClientConfig::default()).with_protocol(Protocol::Lmtp);
    greet(&mut client);
    client
}

/// Reads the greeting `220 mx.example ESMTP`.
pub fn greet(client: &mut Client) {
    run(
        client,
        Greeting,
        &[b"220 mx.example ESMTP\r\n"],
        Feed::Whole,
    )
    .ok();
}

/// `EHLO client.example`.
pub fn ehlo_cmd() -> Ehlo {
    Ehlo::new(ClientId::from_host_name("client.example").unwrap()).unwrap()
}

/// Replays `tests/transcripts/NAME` against the core three ways, as the transcript test
/// does, panicking with the first difference.
#[cfg(feature = "testing")]
pub fn replay(name: &str) {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/transcripts")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let script = smtp_proto::testing::Script::parse(name, &text).unwrap();
    if let Err(failure) = script.replay_all(Instant::now()) {
        panic!("{failure}");
    }
}
