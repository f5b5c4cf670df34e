//! MAIL, RCPT and DATA as commands of their own, for callers composing a transaction by
//! hand; [`SendMail`](super::SendMail) is the whole transaction.

use crate::client::{Context, ReplyKind, Session};
use crate::command::{Cmd, Data, LogicError, Mail, Rcpt, Step};
use crate::error::ProtocolError;
use crate::response::{Capability, Response};
use crate::syntax::AddressEncoding;

fn needs_hello(session: &Session, command: &'static str) -> Result<(), LogicError> {
    if session.has_hello() {
        Ok(())
    } else {
        Err(LogicError::WrongState {
            command,
            reason: "no EHLO, HELO or LHLO was accepted in this session",
        })
    }
}

fn missing(command: &'static str, capability: &'static str) -> LogicError {
    LogicError::Unsupported {
        command,
        capability,
    }
}

/// `MAIL` alone: the parameters as given (nothing is added), each checked against EHLO.
impl Cmd for Mail {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        needs_hello(session, "MAIL")?;
        let ehlo = session.ehlo();
        match self
            .params()
            .first_missing_extension(|k| ehlo.is_some_and(|e| e.offers(k)))
        {
            Some(capability) => Err(missing("MAIL", capability)),
            None if self.params().require_tls && !session.is_tls() => {
                Err(super::plan::requiretls_in_clear())
            }
            None => Ok(()),
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let enc = if self.params().smtputf8 {
            AddressEncoding::Utf8
        } else {
            AddressEncoding::Ascii
        };
        match cx.command(ReplyKind::Mail, |out| self.encode(out, enc)) {
            Ok(()) => Step::Continue,
            Err(error) => Step::Done(Err(error.into())),
        }
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("MAIL", reply)
    }
}

/// `RCPT` alone: a mailbox whose only non-ASCII part is its domain goes with A-labels (the
/// MAIL before it may not have carried `SMTPUTF8`); one that needs SMTPUTF8 (a non-ASCII
/// local part or parameter) is written as UTF-8 when the server offers it (the MAIL of the
/// transaction must then have carried `SMTPUTF8`), else refused.
impl Cmd for Rcpt {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        needs_hello(session, "RCPT")?;
        let ehlo = session.ehlo();
        match self
            .params()
            .first_missing_extension(|k| ehlo.is_some_and(|e| e.offers(k)))
        {
            Some(capability) => Err(missing("RCPT", capability)),
            None => Ok(()),
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let needs = self.forward_path().needs_smtputf8() || self.params().needs_smtputf8();
        let enc = if needs && cx.session().supports(Capability::SmtpUtf8) {
            AddressEncoding::Utf8
        } else {
            AddressEncoding::Ascii
        };
        match cx.command(ReplyKind::Rcpt, |out| self.encode(out, enc)) {
            Ok(()) => Step::Continue,
            Err(error) => Step::Done(Err(error.into())),
        }
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("RCPT", reply)
    }
}

/// `DATA` alone, up to its 354: the output is that intermediate reply. The message and its
/// end-of-data marker then go through a command of the caller's (or use
/// [`SendMail`](super::SendMail), which does all of it): written with
/// [`Context::body`], then [`Context::expect_reply`] of [`ReplyKind::DataEnd`]. Until then
/// the server reads mail data ([`Session::in_mail_data`], RFC 5321 §4.1.1.4) and any other
/// command is refused before it is written.
impl Cmd for Data {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        needs_hello(session, "DATA")
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Data, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        if reply.code().get() == 354 {
            Step::Done(Ok(reply))
        } else if reply.is_negative() {
            Step::Done(Err(LogicError::refused("DATA", reply)))
        } else {
            Step::Fatal(ProtocolError::ImpossibleReply {
                command: "DATA",
                response: reply,
            })
        }
    }
}
