//! Commands written the way a user of the library would: against the public API only, in a
//! file that every adapter's integration tests include (`#[path]`), so that one definition
//! runs on the core and on tokio, async-std and blocking.
#![allow(dead_code, unreachable_pub)]

use smtp_proto::auth::Mechanism;
use smtp_proto::client::{Context, ReplyKind, Session};
use smtp_proto::command::{Cmd, LogicError, Step};
use smtp_proto::data::BodyPolicy;
use smtp_proto::data::encode_data;
use smtp_proto::error::ProtocolError;
use smtp_proto::response::{Capability, Response};

/// `ETRN <node>` (RFC 1985): needs ETRN in the EHLO data; 250, 251, 252 and 253 are
/// success (§5), 4xx/5xx a refusal.
pub struct Etrn(pub &'static str);

impl Cmd for Etrn {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.ehlo().is_some_and(|ehlo| ehlo.offers("ETRN")) {
            Ok(())
        } else {
            Err(LogicError::Unsupported {
                command: "ETRN",
                capability: "ETRN",
            })
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let node = self.0;
        cx.command(ReplyKind::Other, |out| {
            out.extend_from_slice(b"ETRN ");
            out.extend_from_slice(node.as_bytes());
            out.extend_from_slice(b"\r\n");
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, _cx: &mut Context<'_>) -> Step<Response> {
        Step::completion("ETRN", reply)
    }
}

/// `AUTH X-TOKEN`: a SASL mechanism this crate does not know, written outside it. The
/// server says 334 with a nonce, the client answers the token and the nonce as a secret
/// line, the server concludes with 235 and the command records the authentication through
/// the public effect.
pub struct XTokenAuth {
    pub token: &'static str,
    answered: bool,
}

impl XTokenAuth {
    pub fn new(token: &'static str) -> Self {
        Self {
            token,
            answered: false,
        }
    }
}

impl Cmd for XTokenAuth {
    type Output = Mechanism;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        match session.ehlo() {
            Some(ehlo) if ehlo.supports_auth("X-TOKEN") => Ok(()),
            _ => Err(LogicError::Unsupported {
                command: "AUTH",
                capability: "AUTH X-TOKEN",
            }),
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Mechanism> {
        cx.command(ReplyKind::Auth, |out| {
            out.extend_from_slice(b"AUTH X-TOKEN\r\n")
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Mechanism> {
        match (self.answered, reply.code().get()) {
            (false, 334) => {
                let nonce = reply.first_line().text().to_vec();
                let token = self.token;
                // Only `AUTH`-less secrets: nothing of the line may be logged.
                cx.secret(ReplyKind::Auth, 0, |out| {
                    out.extend_from_slice(token.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(&nonce);
                    out.extend_from_slice(b"\r\n");
                });
                self.answered = true;
                Step::Continue
            }
            (true, 235) => {
                let mechanism: Mechanism = "X-TOKEN".parse().expect("a valid name");
                cx.authenticated(mechanism.clone());
                Step::Done(Ok(mechanism))
            }
            (_, code) if code >= 400 => Step::Done(Err(LogicError::refused("AUTH", reply))),
            _ => Step::Fatal(ProtocolError::ImpossibleReply {
                command: "AUTH",
                response: reply,
            }),
        }
    }
}

/// A pipelined group written at once (needs PIPELINING): every line expects one reply,
/// all replies are read in order even after refusals (RFC 2920 §3.1), and the output is
/// the list of replies, or the first refusal.
pub struct Pipelined {
    pub lines: Vec<&'static str>,
    replies: Vec<Response>,
    refusal: Option<LogicError>,
}

impl Pipelined {
    pub fn new(lines: &[&'static str]) -> Self {
        Self {
            lines: lines.to_vec(),
            replies: Vec::new(),
            refusal: None,
        }
    }
}

impl Cmd for Pipelined {
    type Output = Vec<Response>;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.supports(Capability::Pipelining) {
            Ok(())
        } else {
            Err(LogicError::Unsupported {
                command: "pipelined group",
                capability: "PIPELINING",
            })
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Vec<Response>> {
        for line in &self.lines {
            cx.command(ReplyKind::Other, |out| {
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n");
            });
        }
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Vec<Response>> {
        if reply.is_negative() && self.refusal.is_none() {
            self.refusal = Some(LogicError::refused("pipelined group", reply.clone()));
        }
        self.replies.push(reply);
        if cx.replies_awaited() > 0 {
            return Step::Continue;
        }
        match self.refusal.take() {
            Some(refusal) => Step::Done(Err(refusal)),
            None => Step::Done(Ok(std::mem::take(&mut self.replies))),
        }
    }
}

/// The mail transaction, written outside the crate: MAIL, RCPT and DATA pipelined, the
/// body canonicalised and dot-stuffed after the 354 with the public encoder, the verdict.
/// A refused RCPT is recorded; if every RCPT was refused and DATA still got 354, the end
/// of data goes alone (an empty message nobody receives).
pub struct MyMail {
    pub from: &'static str,
    pub to: Vec<&'static str>,
    pub body: &'static [u8],
    accepted: usize,
    refused: Vec<Response>,
    mail_refused: Option<Response>,
    state: MailState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MailState {
    Envelope,
    Verdict,
}

/// What [`MyMail`] yields: the verdict and the refused recipients.
#[derive(Debug)]
pub struct MyReport {
    pub verdict: Response,
    pub refused: Vec<Response>,
}

impl MyMail {
    pub fn new(from: &'static str, to: &[&'static str], body: &'static [u8]) -> Self {
        Self {
            from,
            to: to.to_vec(),
            body,
            accepted: 0,
            refused: Vec::new(),
            mail_refused: None,
            state: MailState::Envelope,
        }
    }
}

impl Cmd for MyMail {
    type Output = MyReport;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if !session.has_hello() {
            return Err(LogicError::WrongState {
                command: "MAIL",
                reason: "no hello yet",
            });
        }
        if session.in_transaction() {
            return Err(LogicError::WrongState {
                command: "MAIL",
                reason: "a transaction is open",
            });
        }
        if !session.supports(Capability::Pipelining) {
            return Err(LogicError::Unsupported {
                command: "MAIL",
                capability: "PIPELINING",
            });
        }
        Ok(())
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<MyReport> {
        let from = self.from;
        cx.command(ReplyKind::Mail, |out| {
            out.extend_from_slice(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        });
        for to in &self.to {
            cx.command(ReplyKind::Rcpt, |out| {
                out.extend_from_slice(format!("RCPT TO:<{to}>\r\n").as_bytes())
            });
        }
        cx.command(ReplyKind::Data, |out| out.extend_from_slice(b"DATA\r\n"));
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<MyReport> {
        let code = reply.code().get();
        if self.state == MailState::Verdict {
            return match Step::completion("end of data", reply) {
                Step::Done(Ok(verdict)) if self.accepted > 0 => Step::Done(Ok(MyReport {
                    verdict,
                    refused: std::mem::take(&mut self.refused),
                })),
                Step::Done(Ok(verdict)) => Step::Done(Err(LogicError::refused("RCPT", verdict))),
                other => other.map(|verdict| MyReport {
                    verdict,
                    refused: Vec::new(),
                }),
            };
        }
        // Replies to MAIL, every RCPT, then DATA, in order.
        let awaited = cx.replies_awaited();
        if awaited == self.to.len() + 1 {
            // MAIL's reply.
            if reply.is_negative() {
                self.mail_refused = Some(reply);
            }
            return Step::Continue;
        }
        if awaited > 0 {
            // A RCPT's reply.
            if reply.is_positive_completion() {
                self.accepted += 1;
            } else {
                self.refused.push(reply);
            }
            return Step::Continue;
        }
        // DATA's reply.
        if code == 354 {
            let body = self.body;
            if self.accepted == 0 || self.mail_refused.is_some() {
                cx.body(|out| smtp_proto::data::BodySink::put(out, b".\r\n"));
            } else if cx
                .body(|out| encode_data(body, BodyPolicy::default(), out))
                .is_err()
            {
                return Step::Fatal(ProtocolError::Misuse("a body the encoder refuses"));
            }
            cx.expect_reply(ReplyKind::DataEnd);
            self.state = MailState::Verdict;
            return Step::Continue;
        }
        if let Some(mail) = self.mail_refused.take() {
            return Step::Done(Err(LogicError::refused("MAIL", mail)));
        }
        if self.accepted == 0 {
            let first = self.refused.remove(0);
            return Step::Done(Err(LogicError::refused("RCPT", first)));
        }
        Step::completion("DATA", reply).map(|verdict| MyReport {
            verdict,
            refused: Vec::new(),
        })
    }
}

/// STARTTLS written outside the crate: on 220 the public effect asks the driver (and so
/// the adapter) for the handshake.
pub struct MyStartTls;

impl Cmd for MyStartTls {
    type Output = ();

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.is_tls() || !session.supports(Capability::StartTls) {
            return Err(LogicError::Unsupported {
                command: "STARTTLS",
                capability: "STARTTLS",
            });
        }
        Ok(())
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<()> {
        cx.command(ReplyKind::StartTls, |out| {
            out.extend_from_slice(b"STARTTLS\r\n")
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<()> {
        match reply.code().get() {
            220 => {
                cx.upgrade_tls();
                Step::Done(Ok(()))
            }
            _ => Step::completion("STARTTLS", reply).map(|_| ()),
        }
    }
}

/// EHLO written outside the crate: the line, and the EHLO data stored through the public
/// effect.
pub struct MyEhlo(pub &'static str);

impl Cmd for MyEhlo {
    type Output = smtp_proto::response::EhloData;

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let name = self.0;
        cx.command(ReplyKind::Hello, |out| {
            out.extend_from_slice(format!("EHLO {name}\r\n").as_bytes())
        });
        Step::Continue
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
        match Step::completion("EHLO", reply) {
            Step::Done(Ok(reply)) => match smtp_proto::response::EhloData::try_from(reply) {
                Ok(ehlo) => {
                    cx.store_ehlo(ehlo.clone());
                    Step::Done(Ok(ehlo))
                }
                Err(_) => Step::Fatal(ProtocolError::Misuse("a 2xx EHLO reply is EHLO data")),
            },
            other => other.map(|_| unreachable!()),
        }
    }
}

/// The whole session the adapters replay over their mocks, with the commands above.
pub const SESSION: &str = "\
> greeting
S: 220 mx.example ESMTP
> custom MyEhlo
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250 STARTTLS
> custom MyStartTls
C: STARTTLS
S: 220 go ahead
! tls
> custom MyEhlo
C: EHLO client.example
S: 250-mx.example
S: 250-PIPELINING
S: 250-ETRN
S: 250 AUTH PLAIN X-TOKEN
> custom XTokenAuth
C: AUTH X-TOKEN
S: 334 n0nce
C: tok:n0nce
S: 235 2.7.0 ok
> custom Etrn
C: ETRN example.org
S: 251 OK, no messages waiting
> custom Pipelined
C: NOOP a
C: NOOP b
C: NOOP c
S: 250 a
S: 550 b
S: 250 c
> custom MyMail
C: MAIL FROM:<a@example.org>
C: RCPT TO:<b@example.net>
C: RCPT TO:<c@example.net>
C: DATA
S: 250 ok
S: 550 no
S: 250 ok
S: 354 go
C: Hi
C: ..dot
C: .
S: 250 queued
> quit
C: QUIT
S: 221 bye
";

/// A streamed BDAT transfer written outside the crate (RFC 3030): MAIL and RCPT
/// pipelined, then the body as the caller hands it over, framed by the public
/// `BdatEncoder`, each chunk's reply awaited from where that chunk ends
/// (`BodyWriter::position`, `Context::expect_reply_at`), the last one as BDAT LAST.
pub struct MyBdat {
    pub from: &'static str,
    pub to: &'static str,
    encoder: smtp_proto::data::BdatEncoder,
    chunks: usize,
    last_sent: bool,
    refused: Option<Response>,
    verdict: Option<Response>,
}

impl MyBdat {
    pub fn new(from: &'static str, to: &'static str, chunk: usize) -> Self {
        Self {
            from,
            to,
            encoder: smtp_proto::data::BdatEncoder::new(
                std::num::NonZeroUsize::new(chunk).unwrap(),
                smtp_proto::data::BdatMode::Text(BodyPolicy::default()),
            ),
            chunks: 0,
            last_sent: false,
            refused: None,
            verdict: None,
        }
    }

    /// Writes what the encoder produces and awaits a reply per chunk.
    fn write(
        &mut self,
        cx: &mut Context<'_>,
        last: bool,
        encode: impl FnOnce(
            &mut smtp_proto::data::BdatEncoder,
            &mut dyn smtp_proto::data::BodySink,
        ) -> Result<(), smtp_proto::data::DataError>,
    ) -> Result<(), ProtocolError> {
        struct Noting<'w, 'a> {
            out: &'w mut smtp_proto::client::BodyWriter<'a>,
            starts: Vec<smtp_proto::client::Position>,
        }
        impl smtp_proto::data::BodySink for Noting<'_, '_> {
            fn put(&mut self, bytes: &[u8]) {
                self.out.put(bytes)
            }
            fn put_command(&mut self, line: &[u8]) {
                self.starts.push(self.out.position());
                self.out.put_command(line)
            }
            fn reserve(&mut self, n: usize) {
                self.out.reserve(n)
            }
            fn len(&self) -> usize {
                self.out.len()
            }
            fn truncate(&mut self, len: usize) {
                self.out.truncate(len);
                let end = self.out.position();
                self.starts.retain(|&s| s < end);
            }
        }
        let encoder = &mut self.encoder;
        let (result, mut ends) = cx.body(|out| {
            let mut noting = Noting {
                out,
                starts: Vec::new(),
            };
            let result = encode(encoder, &mut noting);
            (result, noting.starts)
        });
        result.map_err(|_| ProtocolError::Misuse("body refused"))?;
        if ends.is_empty() {
            return Ok(());
        }
        // Chunk k ends where line k + 1 starts; the last ends with the write.
        ends.remove(0);
        ends.push(cx.position());
        let n = ends.len();
        for (i, end) in ends.into_iter().enumerate() {
            if last && i + 1 == n {
                cx.expect_reply(ReplyKind::BdatLast);
                self.last_sent = true;
            } else {
                cx.expect_reply_at(ReplyKind::Bdat, end);
            }
            self.chunks += 1;
        }
        Ok(())
    }
}

impl Cmd for MyBdat {
    type Output = Response;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if session.supports(Capability::Chunking) && session.supports(Capability::Pipelining) {
            Ok(())
        } else {
            Err(LogicError::Unsupported {
                command: "BDAT",
                capability: "CHUNKING",
            })
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Response> {
        let (from, to) = (self.from, self.to);
        cx.command(ReplyKind::Mail, |out| {
            out.extend_from_slice(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        });
        cx.command(ReplyKind::Rcpt, |out| {
            out.extend_from_slice(format!("RCPT TO:<{to}>\r\n").as_bytes())
        });
        cx.request_body();
        Step::Continue
    }

    fn on_body(
        &mut self,
        chunk: smtp_proto::command::BodyChunk<'_>,
        cx: &mut Context<'_>,
    ) -> Step<Response> {
        let result = match chunk {
            smtp_proto::command::BodyChunk::Data(bytes) => {
                let r = self.write(cx, false, |e, out| e.encode(bytes, out));
                cx.request_body();
                r
            }
            smtp_proto::command::BodyChunk::End => self.write(cx, true, |e, out| {
                let spare = smtp_proto::data::BdatEncoder::new(
                    std::num::NonZeroUsize::MIN,
                    smtp_proto::data::BdatMode::Binary,
                );
                std::mem::replace(e, spare).finish(out)
            }),
        };
        match result {
            Ok(()) => Step::Continue,
            Err(error) => Step::Fatal(error),
        }
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Response> {
        if reply.is_negative() && self.refused.is_none() {
            self.refused = Some(reply.clone());
        }
        if self.last_sent && cx.replies_awaited() == 0 {
            self.verdict = Some(reply);
        }
        if cx.replies_awaited() > 0 || !self.last_sent {
            return Step::Continue;
        }
        match (self.refused.take(), self.verdict.take()) {
            (Some(refusal), _) => Step::Done(Err(LogicError::refused("BDAT", refusal))),
            (None, Some(verdict)) => Step::completion("BDAT", verdict),
            (None, None) => Step::Fatal(ProtocolError::Misuse("no verdict")),
        }
    }
}
