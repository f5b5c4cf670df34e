//! A scripted server for the transaction tests: each step is the exact bytes the client must
//! have written, then the bytes the server answers.

use std::time::Instant;

use smtp_proto::client::{Client, ClientConfig, Context, Output, ReplyKind};
use smtp_proto::command::{Cmd, LogicError, Step};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{EhloData, Response};

/// Greeting and EHLO through the public API (test-local; the built-ins live elsewhere).
pub(crate) struct Open;

impl Cmd for Open {
    type Output = ();
    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.expect_reply(ReplyKind::Greeting);
        Step::Continue
    }
    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<()> {
        if !cx.session().has_hello() && reply.code().get() == 220 {
            cx.command(ReplyKind::Hello, |out| {
                out.extend_from_slice(b"EHLO client.example\r\n")
            });
            return Step::Continue;
        }
        match EhloData::try_from(reply) {
            Ok(ehlo) => cx.store_ehlo(ehlo),
            Err(_) => return Step::Fatal(ProtocolError::Misuse("bad ehlo in test")),
        }
        Step::Done(Ok(()))
    }
}

/// A client after greeting and EHLO with `ehlo` (the full reply bytes).
pub(crate) fn client_with(config: ClientConfig, ehlo: &[u8]) -> Client {
    let mut client = Client::new(config);
    let result = run(
        &mut client,
        Open,
        &[
            (b"", b"220 mx.example ESMTP\r\n"),
            (b"EHLO client.example\r\n", ehlo),
        ],
        &[],
    );
    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
    client
}

/// Runs `cmd`: before each step's server bytes are fed, the client must have written
/// exactly the step's client bytes since the previous step. Body pieces are handed over
/// when asked, then the end.
pub(crate) fn run<C: Cmd>(
    client: &mut Client,
    cmd: C,
    steps: &[(&[u8], &[u8])],
    body: &[&[u8]],
) -> Result<Result<C::Output, LogicError>, ProtocolError> {
    let now = Instant::now();
    let mut ex = client.send(cmd);
    let mut written = Vec::new();
    let mut steps = steps.iter();
    let mut body = body.iter();
    loop {
        match ex.poll_output(now)? {
            Output::Transmit(t) => written.extend_from_slice(t.bytes()),
            Output::NeedInput { .. } => {
                let Some((client_bytes, server_bytes)) = steps.next() else {
                    panic!(
                        "script ended; client wrote {:?}",
                        String::from_utf8_lossy(&written)
                    );
                };
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(client_bytes),
                    "client bytes"
                );
                written.clear();
                if server_bytes.is_empty() {
                    ex.handle_eof();
                } else {
                    ex.handle_input(server_bytes);
                }
            }
            Output::NeedBody => match body.next() {
                Some(piece) => ex.handle_body(piece),
                None => ex.handle_body_end(),
            },
            Output::UpgradeTls => panic!("no TLS here"),
            Output::Done(result) => {
                assert!(
                    written.is_empty(),
                    "unread writes {:?}",
                    String::from_utf8_lossy(&written)
                );
                assert!(steps.next().is_none(), "script not finished");
                return Ok(result);
            }
        }
    }
}
