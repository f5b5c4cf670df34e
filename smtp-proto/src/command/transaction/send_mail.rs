//! One mail: the pipelined transaction most callers want.

use std::iter::Once;

use crate::client::{Context, Position, Session};
use crate::command::{BodyChunk, Cmd, LogicError, Step};
use crate::response::Response;

use super::{Envelope, MailBody, MailReport, SendMails, TransactionOptions};

/// Sends one mail: MAIL, every RCPT and DATA (or BDAT) in one transmit under PIPELINING,
/// every reply read in order, then the body and the verdict.
///
/// Before a byte is written it decides and checks the parameters (see the
/// [module docs](super)); a problem found then is the exchange's [`LogicError`]. Once the
/// server was asked, the result is a [`MailReport`], whatever the server answered: refusals
/// are in it, per recipient. After a fatal error, [`report`](Self::report) gives the report
/// so far, with [`Outcome::Uncertain`](super::Outcome::Uncertain) when the message was sent
/// and its verdict lost (under PIPELINING with CHUNKING, BDAT LAST leaves with MAIL and
/// RCPT, so this includes a RCPT reply lost), and
/// [`Outcome::NotSent`](super::Outcome::NotSent) when the failure came before the message
/// left.
///
/// ```
/// use smtp_proto::command::{Envelope, MailBody, SendMail};
///
/// let envelope = Envelope::new("<a@example.org>".parse()?, ["<b@example.net>".parse()?])?;
/// let send = SendMail::new(envelope, MailBody::bytes(&b"Subject: hi\n\nhello\n"[..]));
/// # let _ = send;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SendMail {
    inner: SendMails<Once<(Envelope, MailBody)>>,
    /// The report, kept once the mail finished: a 421 verdict ends the connection right
    /// after it.
    done: Option<MailReport>,
}

impl SendMail {
    /// One mail with the default [`TransactionOptions`].
    pub fn new(envelope: Envelope, body: MailBody) -> Self {
        Self::with_options(envelope, body, TransactionOptions::default())
    }

    /// One mail with `options`.
    pub fn with_options(envelope: Envelope, body: MailBody, options: TransactionOptions) -> Self {
        Self {
            inner: SendMails::new(std::iter::once((envelope, body)), options),
            done: None,
        }
    }

    /// Says that the caller has no body source: a [`MailBody::Streamed`] body is refused
    /// before a byte is sent instead of going out empty
    /// ([`SendMails::without_body_source`]).
    pub fn without_body_source(mut self) -> Self {
        self.inner = self.inner.without_body_source();
        self
    }

    /// The report as it stands: for use after a fatal error (the exchange's
    /// [`command`](crate::client::Exchange::command)). `None` if the mail never started.
    pub fn report(&self) -> Option<MailReport> {
        match &self.done {
            Some(report) => Some(report.clone()),
            None => self.inner.interrupted_reports().next(),
        }
    }
}

impl Cmd for SendMail {
    type Output = MailReport;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        self.inner.check(session)
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<MailReport> {
        let step = self.inner.start(cx);
        self.single(step)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<MailReport> {
        let step = self.inner.on_reply(reply, cx);
        self.single(step)
    }

    fn on_failure(&mut self, written: Position) {
        self.inner.on_failure(written);
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<MailReport> {
        let step = self.inner.on_body(chunk, cx);
        self.single(step)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<MailReport> {
        let step = self.inner.on_writable(cx);
        self.single(step)
    }
}

impl SendMail {
    /// The one mail's result out of the engine's, keeping a copy of the report.
    fn single(&mut self, step: Step<Results>) -> Step<MailReport> {
        let step = single(step);
        if let Step::Done(Ok(report)) = &step {
            self.done = Some(report.clone());
        }
        step
    }
}

/// The results of the one-mail engine.
type Results = std::collections::VecDeque<Result<MailReport, LogicError>>;

fn single(step: Step<Results>) -> Step<MailReport> {
    match step {
        Step::Continue => Step::Continue,
        Step::Fatal(error) => Step::Fatal(error),
        Step::Done(Err(error)) => Step::Done(Err(error)),
        Step::Done(Ok(mut results)) => match results.pop_front() {
            Some(result) => Step::Done(result),
            None => Step::Fatal(crate::error::ProtocolError::Misuse(
                "mail finished without a report",
            )),
        },
    }
}
