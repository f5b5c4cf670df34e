//! The server's greeting (RFC 5321 §3.1, §4.2): the first reply of every session.

use super::cmd::{Cmd, Step};
use super::simple::Quit;
use crate::client::{Context, ReplyKind};
use crate::error::{LogicError, ProtocolError};
use crate::response::Response;

/// Waits for the server's greeting: the first command of every session.
///
/// - `220`: the output (the driver also keeps it in
///   [`Session::greeting`](crate::client::Session::greeting)).
/// - `554` or any other negative reply (4yz, 5yz): the server will not serve this client
///   (RFC 5321 §3.1). The client writes `QUIT` to leave politely, the session is closed,
///   and the result is [`LogicError::Refused`] with `command: "greeting"`. The exchange
///   ends once QUIT is written; its reply is not awaited.
/// - any other positive or intermediate reply (`250`, `334`, `354`, ...): not a greeting
///   (RFC 5321 §4.3.2 allows 220 and 554), so the peer does not speak SMTP as a server
///   does. Fatal [`ProtocolError::ImpossibleReply`](crate::error::ProtocolError::ImpossibleReply),
///   and nothing is written.
/// - `421`: the command sees it, then the driver ends the connection with the fatal
///   [`ProtocolError::ServiceClosing`](crate::error::ProtocolError::ServiceClosing), and no
///   QUIT is written (RFC 5321 §3.8: the server is closing anyway).
///
/// Nothing is written before the greeting arrives.
///
/// ```
/// use std::time::Instant;
/// use smtp_proto::client::{Client, ClientConfig, Output};
/// use smtp_proto::command::Greeting;
///
/// let mut client = Client::new(ClientConfig::default());
/// let mut exchange = client.send(Greeting);
/// let now = Instant::now();
/// assert!(matches!(exchange.poll_output(now)?, Output::NeedInput { .. }));
/// exchange.handle_input(b"220 mx.example ESMTP\r\n");
/// let Output::Done(Ok(greeting)) = exchange.poll_output(now)? else { panic!() };
/// assert_eq!(greeting.code().get(), 220);
/// # Ok::<(), smtp_proto::error::ProtocolError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Greeting;

impl Cmd for Greeting {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.expect_reply(ReplyKind::Greeting);
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        match reply.code().get() {
            220 => Step::Done(Ok(reply)),
            421 => Step::Done(Err(LogicError::refused("greeting", reply))),
            _ if !reply.is_negative() => Step::Fatal(ProtocolError::ImpossibleReply {
                command: "greeting",
                response: reply,
            }),
            _ => {
                cx.command(ReplyKind::Other, |out| Quit.encode(out));
                cx.close();
                Step::Done(Err(LogicError::refused("greeting", reply)))
            }
        }
    }
}
