//! The one-line commands as [`Cmd`]s: STARTTLS, RSET, NOOP, VRFY, EXPN, HELP and QUIT.
//!
//! Each writes its line and reads one reply. A 2xx is the output, a 4xx or 5xx the
//! refusal [`LogicError::Refused`], and a 3xx (354, 334) is impossible for these commands
//! and fatal ([`ProtocolError::ImpossibleReply`]), see [`Step::completion`]. QUIT takes any
//! reply.

use super::cmd::{Cmd, Step};
use super::simple::{Expn, Help, Noop, Quit, Rset, StartTls, Vrfy};
use crate::client::{Context, ReplyKind, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::{Capability, Response};

/// STARTTLS (RFC 3207 §4): on 220 the driver asks the caller for the TLS handshake
/// ([`Output::UpgradeTls`](crate::client::Output::UpgradeTls)) before the command is done.
///
/// Checked before a byte is written: the server must offer STARTTLS in the current EHLO
/// data ([`LogicError::Unsupported`]) and the connection must not be TLS already
/// ([`LogicError::WrongState`], RFC 3207 §4.2 forbids a second negotiation), nor one made
/// [`without_tls`](crate::client::Client::without_tls) (`WrongState` too: no handshake
/// would follow the 220, and the server would wait for one). From the 220
/// on the session has no EHLO data, authentication or transaction, even for a command a
/// composite starts before the handshake: send EHLO again (RFC 3207 §4.2). Bytes received
/// with the 220 are the fatal [`ProtocolError::StartTlsInjection`].
impl Cmd for StartTls {
    type Output = ();

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.is_tls() {
            Err(LogicError::WrongState {
                command: "STARTTLS",
                reason: "the connection is already TLS (RFC 3207 §4.2)",
            })
        } else if !session.can_start_tls() {
            Err(LogicError::WrongState {
                command: "STARTTLS",
                reason: "this connection was set up without TLS",
            })
        } else if session.supports(Capability::StartTls) {
            Ok(())
        } else {
            Err(LogicError::Unsupported {
                command: "STARTTLS",
                capability: "STARTTLS",
            })
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.command(ReplyKind::StartTls, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<()> {
        if reply.code().get() == 220 {
            cx.upgrade_tls();
            Step::Done(Ok(()))
        } else if reply.is_negative() {
            Step::Done(Err(LogicError::refused("STARTTLS", reply)))
        } else {
            // Only 220 starts the handshake: a 250 would leave client and server disagreeing
            // about whether TLS comes next.
            Step::Fatal(ProtocolError::ImpossibleReply {
                command: "STARTTLS",
                response: reply,
            })
        }
    }
}

/// RSET (RFC 5321 §4.1.1.5): the mail transaction is over whatever the reply (a server
/// that refuses RSET is broken, and the client must not believe a transaction is open).
impl Cmd for Rset {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        cx.reset_transaction();
        Step::completion("RSET", reply)
    }
}

/// NOOP (RFC 5321 §4.1.1.9): the 250 reply.
impl Cmd for Noop {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("NOOP", reply)
    }
}

/// HELP (RFC 5321 §4.1.1.8): the 211 or 214 reply.
impl Cmd for Help {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("HELP", reply)
    }
}

/// Refuses the SMTPUTF8 parameter when the server does not offer it (RFC 6531 §3.1).
fn check_extensions(
    command: &'static str,
    required: &'static [&'static str],
    session: &Session,
) -> Result<(), LogicError> {
    for &keyword in required {
        let offered = Capability::from_keyword(keyword.as_bytes())
            .is_some_and(|capability| session.supports(capability));
        if !offered {
            return Err(LogicError::Unsupported {
                command,
                capability: keyword,
            });
        }
    }
    Ok(())
}

/// VRFY (RFC 5321 §4.1.1.6): the 250, 251 or 252 reply; with the SMTPUTF8 parameter only
/// when the server offers SMTPUTF8.
impl Cmd for Vrfy {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_extensions("VRFY", self.required_extensions(), session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("VRFY", reply)
    }
}

/// EXPN (RFC 5321 §4.1.1.7): the 250 reply listing the members; with the SMTPUTF8
/// parameter only when the server offers SMTPUTF8.
impl Cmd for Expn {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_extensions("EXPN", self.required_extensions(), session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("EXPN", reply)
    }
}

/// QUIT (RFC 5321 §4.1.1.10): any reply (221, or anything else) closes the session and is
/// the output; the client takes no further command.
///
/// A server that closes the connection without replying, or does not reply in time, ends
/// the exchange with the fatal [`ProtocolError::UnexpectedEof`] or
/// [`ProtocolError::Timeout`]; after QUIT a caller may ignore those: they change no earlier
/// outcome (SECURITY.md "disconnects").
impl Cmd for Quit {
    type Output = Response;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Other, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        cx.close();
        Step::Done(Ok(reply))
    }
}
