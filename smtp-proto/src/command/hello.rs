//! EHLO, HELO (RFC 5321 §4.1.1.1) and LHLO (RFC 2033 §4.1): their lines and, as [`Cmd`]s,
//! how their replies open the session.
//!
//! - [`Ehlo`] stores the server's [`EhloData`]; a server that answers EHLO with a 5yz
//!   (without ESMTP it says 500 or 502, RFC 5321 §3.2 and RFC 1869 §4.7; others refuse with
//!   550 or 554 and may still accept HELO) gets `HELO` with the same identity, unless the
//!   fallback is turned off with [`Ehlo::without_helo_fallback`]. [`Establish`](super::Establish)
//!   turns it off for the EHLO after STARTTLS: a server that just negotiated TLS speaks ESMTP.
//! - [`Helo`] opens a session without extensions.
//! - [`Lhlo`] is LMTP's EHLO and stores the same data.
//!
//! A reply to any of them that is neither positive nor negative (a 3xx) is the fatal
//! [`ProtocolError::ImpossibleReply`].

use super::cmd::{Cmd, Step};
use super::error::CommandError;
use super::line::{check_line, render};
use crate::client::{Context, Protocol, ReplyKind, Session};
use crate::error::{LogicError, ProtocolError};
use crate::response::{EhloData, Response};
use crate::syntax::ClientId;

macro_rules! hello {
    ($(#[$doc:meta])* $name:ident, $verb:literal $(, $field:ident: $ty:ty = $init:expr)*) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            client_id: ClientId,
            $($field: $ty,)*
        }

        impl $name {
            /// The command for this client identity; fails only if the line would exceed
            /// 512 octets (possible only with an identity built by `from_unchecked`).
            pub fn new(client_id: ClientId) -> Result<Self, CommandError> {
                let cmd = $name { client_id, $($field: $init,)* };
                check_line(&cmd.render(), 0)?;
                Ok(cmd)
            }

            /// The client identity sent.
            pub fn client_id(&self) -> &ClientId {
                &self.client_id
            }

            fn render(&self) -> Vec<u8> {
                let mut id = Vec::with_capacity(self.client_id.encoded_len());
                self.client_id.write_to(&mut id);
                render($verb, &[&id])
            }

            #[doc = concat!("Appends `", $verb, " <client-id>` and CRLF.")]
            pub fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.render());
            }
        }
    };
}

hello!(
    /// `EHLO <domain or address literal>`: open an ESMTP session (RFC 5321 §4.1.1.1).
    ///
    /// As a [`Cmd`], its output is a [`Hello`]: the EHLO data on a 2xx reply (stored in the
    /// session), or the reply to `HELO` after the fallback. A refusal is
    /// [`LogicError::Refused`] (`"EHLO"`, or `"HELO"` after the fallback). Refused in an
    /// LMTP session, which opens with [`Lhlo`] (RFC 2033 §4.1).
    ///
    /// ```
    /// use smtp_proto::command::Ehlo;
    /// use smtp_proto::syntax::ClientId;
    ///
    /// let ehlo = Ehlo::new(ClientId::localhost())?;
    /// assert!(ehlo.has_helo_fallback());
    /// assert!(!ehlo.without_helo_fallback().has_helo_fallback());
    /// # Ok::<(), smtp_proto::command::CommandError>(())
    /// ```
    Ehlo,
    "EHLO",
    helo_fallback: bool = true,
    fell_back: bool = false
);
hello!(
    /// `HELO <domain or address literal>`: the fallback for servers without ESMTP
    /// (RFC 5321 §4.1.1.1).
    ///
    /// As a [`Cmd`], its output is the server's reply; the session then has no extensions
    /// ([`Session::is_helo`]).
    Helo,
    "HELO"
);
hello!(
    /// `LHLO <domain or address literal>`: the LMTP greeting (RFC 2033 §4.1).
    ///
    /// As a [`Cmd`], its output is the [`EhloData`], stored in the session as EHLO's.
    /// Refused in an SMTP session (the driver must know it speaks LMTP, which answers the
    /// end of data once per recipient).
    Lhlo,
    "LHLO"
);

/// How the session was opened: the output of [`Ehlo`] as a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hello {
    /// EHLO was accepted: what the server announced (also in [`Session::ehlo`]).
    Ehlo(EhloData),
    /// EHLO was refused (5yz) and HELO was accepted: no extensions.
    Helo(Response),
}

impl Hello {
    /// The EHLO data, unless the session fell back to HELO.
    pub fn ehlo(&self) -> Option<&EhloData> {
        match self {
            Hello::Ehlo(ehlo) => Some(ehlo),
            Hello::Helo(_) => None,
        }
    }

    /// The server's reply (to EHLO, or to HELO after the fallback).
    pub fn response(&self) -> &Response {
        match self {
            Hello::Ehlo(ehlo) => ehlo.response(),
            Hello::Helo(response) => response,
        }
    }
}

impl Ehlo {
    /// Turns off the HELO fallback: a 5yz to EHLO is then a refusal.
    pub fn without_helo_fallback(self) -> Self {
        self.helo_fallback(false)
    }

    /// Turns the HELO fallback on (the default) or off.
    pub fn helo_fallback(mut self, fallback: bool) -> Self {
        self.helo_fallback = fallback;
        self
    }

    /// Whether a 5yz reply is answered by HELO (the default).
    pub fn has_helo_fallback(&self) -> bool {
        self.helo_fallback
    }

    /// [`helo_fallback`](Self::helo_fallback) in place, for [`Establish`](super::Establish).
    pub(super) fn set_helo_fallback(&mut self, fallback: bool) {
        self.helo_fallback = fallback;
    }
}

/// Refuses a hello of the wrong protocol before a byte is written.
fn check_protocol(
    session: &Session,
    command: &'static str,
    expected: Protocol,
) -> Result<(), LogicError> {
    if session.protocol() == expected {
        Ok(())
    } else if expected == Protocol::Lmtp {
        Err(LogicError::WrongState {
            command,
            reason: "the session speaks SMTP, not LMTP",
        })
    } else {
        Err(LogicError::WrongState {
            command,
            reason: "an LMTP session opens with LHLO (RFC 2033 §4.1)",
        })
    }
}

/// EHLO's or LHLO's reply: a positive one is stored as the session's EHLO data.
fn ehlo_reply(command: &'static str, reply: Response, cx: &mut Context<'_>) -> Step<EhloData> {
    match Step::completion(command, reply) {
        Step::Done(Ok(reply)) => match EhloData::try_from(reply.clone()) {
            Ok(ehlo) => {
                cx.store_ehlo(ehlo.clone());
                Step::Done(Ok(ehlo))
            }
            Err(_) => Step::Fatal(ProtocolError::ImpossibleReply {
                command,
                response: reply,
            }),
        },
        Step::Done(Err(error)) => Step::Done(Err(error)),
        Step::Fatal(error) => Step::Fatal(error),
        Step::Continue => Step::Continue,
    }
}

impl Cmd for Ehlo {
    type Output = Hello;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_protocol(session, "EHLO", Protocol::Smtp)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Hello> {
        self.fell_back = false;
        cx.command(ReplyKind::Hello, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Hello> {
        if self.fell_back {
            return helo_reply(reply, cx).map(Hello::Helo);
        }
        let code = reply.code().get();
        if self.helo_fallback && (500..600).contains(&code) {
            self.fell_back = true;
            let helo = Helo {
                client_id: self.client_id.clone(),
            };
            cx.command(ReplyKind::Hello, |out| helo.encode(out));
            return Step::Continue;
        }
        ehlo_reply("EHLO", reply, cx).map(Hello::Ehlo)
    }
}

/// HELO's reply: a positive one records the HELO session.
fn helo_reply(reply: Response, cx: &mut Context<'_>) -> Step<Response> {
    let step = Step::completion("HELO", reply);
    if let Step::Done(Ok(_)) = step {
        cx.store_helo();
    }
    step
}

impl Cmd for Helo {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_protocol(session, "HELO", Protocol::Smtp)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        cx.command(ReplyKind::Hello, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        helo_reply(reply, cx)
    }
}

impl Cmd for Lhlo {
    type Output = EhloData;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        check_protocol(session, "LHLO", Protocol::Lmtp)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<EhloData> {
        cx.command(ReplyKind::Hello, |out| self.encode(out));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<EhloData> {
        ehlo_reply("LHLO", reply, cx)
    }
}
