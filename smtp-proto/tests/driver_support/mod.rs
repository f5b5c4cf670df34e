//! Minimal commands written against the public API, for the driver's tests.

#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use smtp_proto::client::{Client, ClientConfig, Context, Output, ReplyKind};
use smtp_proto::command::{Cmd, Step};
use smtp_proto::response::Response;

/// Expects the greeting.
pub struct Hello;
impl Cmd for Hello {
    type Output = Response;
    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.expect_reply(ReplyKind::Greeting);
        Step::Continue
    }
    fn on_reply(&mut self, reply: Response, _: &mut Context<'_>) -> Step<Response> {
        Step::Done(Ok(reply))
    }
}

/// Writes `lines` at once, collects every reply.
pub struct Lines(pub &'static [&'static [u8]], pub Vec<Response>);
impl Cmd for Lines {
    type Output = Vec<Response>;
    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<Response>> {
        for line in self.0 {
            cx.command(ReplyKind::Other, |out| out.extend_from_slice(line));
        }
        Step::Continue
    }
    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<Response>> {
        self.1.push(reply);
        if cx.replies_awaited() == 0 {
            Step::Done(Ok(std::mem::take(&mut self.1)))
        } else {
            Step::Continue
        }
    }
}

pub fn t0() -> Instant {
    Instant::now()
}

/// A greeting exchanged, then the client idle.
pub fn idle_client(config: ClientConfig) -> Client {
    let mut client = Client::new(config);
    let mut ex = client.send(Hello);
    assert!(matches!(ex.poll_output(t0()), Ok(Output::NeedInput { .. })));
    ex.handle_input(b"220 hi\r\n");
    assert!(matches!(ex.poll_output(t0()), Ok(Output::Done(Ok(_)))));
    assert!(client.is_usable());
    client
}
