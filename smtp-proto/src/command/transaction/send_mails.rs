//! The transaction engine: one or many mails, pipelined, with their replies in order.

use std::collections::VecDeque;

use crate::client::{Context, Position, Session};
use crate::command::{BodyChunk, Cmd, LogicError, Step};
use crate::error::ProtocolError;
use crate::response::Response;

use super::job::{Expect, Expectations, Job, body_refusal};
use super::plan::plan;
use super::{Envelope, MailBody, MailReport, TransactionOptions};

/// A streamed body where the caller has no body source: it would go out empty.
const NO_BODY_SOURCE: LogicError = LogicError::WrongState {
    command: "MAIL",
    reason: "a streamed body needs a body source, and this call has none: \
             send it with `send_mail_streamed` (or answer `Output::NeedBody`)",
};

/// Sends many mails on one connection, each as its own transaction(s), reports in order.
///
/// Under PIPELINING the next mail's MAIL, RCPT and DATA ride in the same transmit as the
/// previous message's end of data (RFC 2920 §3.1), so a steady stream costs one round trip
/// per mail. Each mail's report (or the [`LogicError`] that stopped it before a byte of it
/// was sent) becomes available in order through [`pop_finished`](Self::pop_finished) as
/// soon as its last reply arrives; whatever was not taken is the exchange's output.
///
/// A mail refused by the server is not an error here: its report says so
/// ([`Outcome::Rejected`](super::Outcome::Rejected)), with every reply.
///
/// Streamed bodies ([`MailBody::Streamed`]): each
/// [`Output::NeedBody`](crate::client::Output::NeedBody) asks for the next piece of the
/// body of the mail running. A mail refused before its body's end asks for no more, and
/// its result becomes available through `pop_finished`; a later `NeedBody` is the next
/// streamed mail's. A caller with several streamed bodies checks `pop_finished` before it
/// hands over a piece.
#[derive(Debug)]
pub struct SendMails<I> {
    source: I,
    options: TransactionOptions,
    jobs: VecDeque<Slot>,
    expect: VecDeque<Expect>,
    next_seq: u64,
    source_done: bool,
    scratch: Vec<u8>,
    finished: VecDeque<Result<MailReport, LogicError>>,
    /// Whether the caller answers `Output::NeedBody` (see `without_body_source`).
    body_source: bool,
}

/// A mail in order: running, or already decided before it was sent.
#[derive(Debug)]
// Boxing the job would cost an allocation per mail; a pipeline holds two or three slots.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Running(Job),
    Failed(LogicError),
}

impl<I: Iterator<Item = (Envelope, MailBody)>> SendMails<I> {
    /// Mails from `source`, sent with `options`.
    pub fn new(source: I, options: TransactionOptions) -> Self {
        Self {
            source,
            options,
            jobs: VecDeque::new(),
            expect: VecDeque::new(),
            next_seq: 0,
            source_done: false,
            scratch: Vec::new(),
            finished: VecDeque::new(),
            body_source: true,
        }
    }

    /// Says that the caller has no body source: it answers no
    /// [`Output::NeedBody`](crate::client::Output::NeedBody). A mail whose body is
    /// [`MailBody::Streamed`] is then refused before a byte of it is sent
    /// ([`LogicError::WrongState`]), instead of going out empty. The adapters' methods that
    /// take no reader set this.
    pub fn without_body_source(mut self) -> Self {
        self.body_source = false;
        self
    }

    /// The next finished mail's result, in the order the mails came from the source.
    pub fn pop_finished(&mut self) -> Option<Result<MailReport, LogicError>> {
        self.finished.pop_front()
    }

    /// The reports of mails started and not finished, as they stand: after a fatal error,
    /// recipients whose message was sent without a verdict are uncertain. (Take the
    /// finished ones first with [`pop_finished`](Self::pop_finished); if the error came with
    /// the last mail's verdict, the rest are the exchange's
    /// [`take_result`](crate::client::Exchange::take_result).)
    pub fn interrupted_reports(&self) -> impl Iterator<Item = MailReport> + '_ {
        self.jobs.iter().filter_map(|slot| match slot {
            Slot::Running(job) => Some(job.report.interrupted()),
            Slot::Failed(_) => None,
        })
    }

    /// Writes every transaction that may go now: a retry batch of the last mail, or the
    /// next mail once the last lets it ride.
    fn advance(&mut self, cx: &mut Context<'_>, fatal: &mut Option<ProtocolError>) {
        loop {
            let mut expect = Expectations {
                queue: &mut self.expect,
                fatal,
            };
            match self.jobs.back_mut() {
                Some(Slot::Running(job)) if job.txn.is_none() && job.has_todo() => {
                    job.begin(cx, &mut expect, None);
                    continue;
                }
                Some(Slot::Running(job)) if !job.lets_next_ride() => return,
                _ => {}
            }
            if self.source_done {
                return;
            }
            let Some((envelope, body)) = self.source.next() else {
                self.source_done = true;
                return;
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            // `scratch` holds the lines of the last mail planned only if it is running.
            let previous = match self.jobs.back() {
                Some(Slot::Running(last)) => Some(last),
                _ => None,
            };
            let planned = if !self.body_source && matches!(body, MailBody::Streamed(_)) {
                Err(NO_BODY_SOURCE)
            } else {
                plan(
                    envelope,
                    &body,
                    previous,
                    cx.session(),
                    &self.options,
                    &mut self.scratch,
                )
            };
            match planned {
                Ok((plan, report)) => {
                    let mut job = Job::new(seq, plan, body, report);
                    job.begin(cx, &mut expect, Some(&self.scratch));
                    self.jobs.push_back(Slot::Running(job));
                }
                Err(error) => self.jobs.push_back(Slot::Failed(error)),
            }
        }
    }

    /// Moves finished mails, in order, to the finished queue.
    fn collect(&mut self) {
        while let Some(slot) = self.jobs.front() {
            let done = match slot {
                Slot::Running(job) => job.is_finished(),
                Slot::Failed(_) => true,
            };
            if !done {
                break;
            }
            match self.jobs.pop_front() {
                Some(Slot::Running(job)) => {
                    self.finished.push_back(match job.body_error {
                        Some(error) => Err(body_refusal(error)),
                        None => Ok(job.report),
                    });
                }
                Some(Slot::Failed(error)) => self.finished.push_back(Err(error)),
                None => {}
            }
        }
    }

    fn job_mut(&mut self, seq: u64) -> Option<&mut Job> {
        self.jobs.iter_mut().find_map(|slot| match slot {
            Slot::Running(job) if job.seq == seq => Some(job),
            _ => None,
        })
    }

    /// After every event: write what may go, collect what finished, and say whether the
    /// exchange is done.
    fn settle(
        &mut self,
        cx: &mut Context<'_>,
        mut fatal: Option<ProtocolError>,
    ) -> Step<VecDeque<Result<MailReport, LogicError>>> {
        if fatal.is_none() {
            self.advance(cx, &mut fatal);
        }
        if let Some(error) = fatal {
            return Step::Fatal(error);
        }
        self.collect();
        if self.source_done && self.jobs.is_empty() && self.expect.is_empty() {
            Step::Done(Ok(std::mem::take(&mut self.finished)))
        } else {
            Step::Continue
        }
    }
}

impl<I: Iterator<Item = (Envelope, MailBody)>> Cmd for SendMails<I> {
    type Output = VecDeque<Result<MailReport, LogicError>>;

    fn check(&self, session: &Session) -> Result<(), LogicError> {
        if !session.has_hello() {
            Err(LogicError::WrongState {
                command: "MAIL",
                reason: "no EHLO, HELO or LHLO was accepted in this session",
            })
        } else if session.in_transaction() {
            // The server answers the new MAIL with 503 and stays in the open transaction
            // (RFC 5321 §4.1.4, §3.3): the recipients and the message that follow would
            // go into that one, under its reverse path.
            Err(LogicError::WrongState {
                command: "MAIL",
                reason: "a mail transaction is already open (RFC 5321 §4.1.4): \
                         finish it or send RSET first",
            })
        } else {
            Ok(())
        }
    }

    fn start(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        self.settle(cx, None)
    }

    fn on_reply(&mut self, reply: Response, cx: &mut Context<'_>) -> Step<Self::Output> {
        let Some(next) = self.expect.pop_front() else {
            return Step::Fatal(ProtocolError::UnexpectedReply(reply));
        };
        let options = self.options;
        let mut fatal = None;
        let mut queue = std::mem::take(&mut self.expect);
        if let Some(job) = self.job_mut(next.seq()) {
            let mut expect = Expectations {
                queue: &mut queue,
                fatal: &mut fatal,
            };
            match next {
                Expect::Mail(_) => job.on_mail(reply, cx, &mut expect),
                Expect::Rcpt(_, index) => job.on_rcpt(index, reply, &options, cx, &mut expect),
                Expect::Data(_) => job.on_data(reply, &options, cx, &mut expect),
                Expect::Bdat(_, last) => job.on_bdat(last, reply, cx, &mut expect),
                Expect::Verdict(_, index) => job.on_verdict(index, reply, cx, &mut expect),
                Expect::Rset(_) => job.on_rset(cx),
            }
        } else {
            fatal = Some(ProtocolError::Misuse("reply for a mail no longer tracked"));
        }
        self.expect = queue;
        self.settle(cx, fatal)
    }

    fn on_failure(&mut self, written: Position) {
        for slot in &mut self.jobs {
            if let Slot::Running(job) = slot {
                job.report.unsent_after(written.0);
            }
        }
    }

    fn on_body(&mut self, chunk: BodyChunk<'_>, cx: &mut Context<'_>) -> Step<Self::Output> {
        let mut fatal = None;
        let mut queue = std::mem::take(&mut self.expect);
        let job = self.jobs.iter_mut().find_map(|slot| match slot {
            // The caller's pieces are for a streamed body, never a pumped one.
            Slot::Running(job) if job.stream.is_some() && job.pump.is_none() => Some(job),
            _ => None,
        });
        if let Some(job) = job {
            let mut expect = Expectations {
                queue: &mut queue,
                fatal: &mut fatal,
            };
            job.stream_body(chunk, cx, &mut expect);
        }
        // A chunk after the transfer was stopped (a refused BDAT chunk) is dropped.
        self.expect = queue;
        self.settle(cx, fatal)
    }

    fn on_writable(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        let mut fatal = None;
        let mut queue = std::mem::take(&mut self.expect);
        let job = self.jobs.iter_mut().find_map(|slot| match slot {
            Slot::Running(job) if job.pump.is_some() => Some(job),
            _ => None,
        });
        if let Some(job) = job {
            let mut expect = Expectations {
                queue: &mut queue,
                fatal: &mut fatal,
            };
            job.pump_body(cx, &mut expect);
        }
        // A pump stopped meanwhile (a refused BDAT chunk) writes nothing more.
        self.expect = queue;
        self.settle(cx, fatal)
    }
}
