//! One mail in flight: its transactions, their lines, and what each reply means.

use crate::client::{Context, Position, ReplyKind};
use crate::command::LogicError;
use crate::data::{BdatEncoder, BdatMode, BodySummary, DataEncoder, DataError};
use crate::error::ProtocolError;
use crate::response::Response;

use super::batch::Batch;
use super::chunks::write_chunks;
use super::plan::Plan;
use super::report::{RecipientReport, TransactionReport};
use super::{MailBody, MailReport};

/// A reply the transaction engine waits for, in order, tagged with its mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Mail(u64),
    Rcpt(u64, usize),
    Data(u64),
    /// A BDAT chunk; `last` for BDAT LAST in SMTP (LMTP's replies to LAST are verdicts).
    Bdat(u64, bool),
    /// The verdict after the end of data: for every accepted recipient (SMTP), or for one
    /// (LMTP).
    Verdict(u64, Option<usize>),
    Rset(u64),
}

impl Expect {
    pub(crate) fn seq(self) -> u64 {
        match self {
            Expect::Mail(s)
            | Expect::Rcpt(s, _)
            | Expect::Data(s)
            | Expect::Bdat(s, _)
            | Expect::Verdict(s, _)
            | Expect::Rset(s) => s,
        }
    }
}

/// A streamed or pumped body on its way.
#[derive(Debug)]
pub(crate) enum Stream {
    Data(DataEncoder),
    Bdat(BdatEncoder),
    /// DATA for a whole body already in DATA form: copied as it is; `crlf` when a line end
    /// must precede the end of data.
    Verbatim {
        crlf: bool,
    },
    /// BDAT for a whole body whose chunks are its own octets (binary, or canonical text):
    /// each `BDAT` line is written when its chunk begins, so no chunk is collected first.
    /// `left`: octets of the current chunk still to write; `stopping`: a chunk was refused,
    /// and only the rest of the current one is written, since its line announced it
    /// ([`Job::stop_pump`]).
    BdatVerbatim {
        chunk_size: usize,
        left: usize,
        stopping: bool,
    },
}

/// Whole bodies longer than this (one data block) are pumped: written a block at a time
/// as the connection takes them ([`Job::pump`]).
pub(crate) const PUMP_OVER: usize = crate::client::BODY_BLOCK as usize;

/// The transaction in progress.
#[derive(Debug, Default)]
pub(crate) struct Txn {
    /// This transaction's recipients (indices into the envelope).
    pub(crate) rcpts: Batch,
    /// Without pipelining: the next RCPT to write.
    pub(crate) next_rcpt: usize,
    pub(crate) mail_ok: bool,
    pub(crate) rcpt_answers: usize,
    pub(crate) accepted: usize,
    /// The body's end is written: the transaction will close with the coming verdict.
    pub(crate) end_written: bool,
    /// Where the end of data ends in the connection's output, once written.
    pub(crate) end_at: Option<u64>,
    /// A chunk was refused or a streamed body aborted: no further chunk, then RSET.
    pub(crate) failed: bool,
    /// BDAT chunk replies still awaited.
    pub(crate) chunks_out: u64,
    /// Verdicts still awaited.
    pub(crate) verdicts_out: usize,
    /// The verdicts on a pumped DATA body were expected when it began
    /// ([`Context::expect_reply_later`]); its end only marks where they are due.
    pub(crate) verdicts_expected: bool,
}

/// One mail: its plan, body, report, and current transaction.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) seq: u64,
    pub(crate) plan: Plan,
    pub(crate) body: MailBody,
    pub(crate) report: MailReport,
    /// The envelope's recipients from here on were not sent yet (RCPTMAX batches).
    pub(crate) next: usize,
    /// Recipients deferred by a 452, to send again after the others.
    pub(crate) retry: Vec<usize>,
    pub(crate) txn: Option<Txn>,
    pub(crate) stream: Option<Stream>,
    /// A whole body over [`PUMP_OVER`] being written through `stream` a data block at a
    /// time ([`Context::request_writable`]): the octets of `body` written so far. The
    /// client then holds about a block of it (a BDAT chunk at most, which its framer
    /// collects), not an encoded copy of all of it.
    pub(crate) pump: Option<usize>,
    /// A streamed body's violation, reported as the mail's error.
    pub(crate) body_error: Option<DataError>,
    /// Where each BDAT chunk of the last write ends (kept to be reused).
    pub(crate) chunk_ends: Vec<Position>,
}

impl Job {
    pub(crate) fn new(seq: u64, plan: Plan, body: MailBody, report: MailReport) -> Self {
        Self {
            seq,
            plan,
            body,
            report,
            next: 0,
            retry: Vec::new(),
            txn: None,
            stream: None,
            pump: None,
            body_error: None,
            chunk_ends: Vec::new(),
        }
    }

    /// This mail's body summary if `body` is the same whole body: the same `Bytes` octets,
    /// which this job keeps alive and which cannot change (a bulk send shares one `Bytes`
    /// among all its mails, and is then summarised once). The options are the same for
    /// every mail of a [`SendMails`](super::SendMails).
    pub(crate) fn summary_if_same(&self, body: &MailBody) -> Option<BodySummary> {
        match (&self.body, body) {
            (MailBody::Bytes(mine), MailBody::Bytes(theirs))
                if mine.as_ptr() == theirs.as_ptr() && mine.len() == theirs.len() =>
            {
                self.plan.summary
            }
            _ => None,
        }
    }

    /// Whether the next mail's lines may follow this one's now: its body's end is written
    /// and nothing of it remains to send (RFC 2920 §3.1 lets the next MAIL ride with the
    /// end of data). BDAT waits for the verdict, which decides whether RSET is needed.
    pub(crate) fn lets_next_ride(&self) -> bool {
        match &self.txn {
            None => !self.has_todo(),
            Some(txn) => {
                self.plan.pipelined
                    && self.plan.bdat.is_none()
                    && txn.end_written
                    && !txn.failed
                    && !self.has_todo()
            }
        }
    }

    /// Starts a transaction with the next batch of recipients.
    ///
    /// `planned` holds, for a mail not started yet, the lines [`plan`](super::plan::plan)
    /// encoded to check them: its MAIL line, then one RCPT line per recipient in envelope
    /// order, each ending in CRLF. They are copied instead of encoded a second time (the
    /// encoding is the same; this halves the per-mail cost of the envelope).
    pub(crate) fn begin(
        &mut self,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
        planned: Option<&[u8]>,
    ) {
        let total = self.report.recipients.len();
        let fresh = self.next == 0 && self.retry.is_empty();
        let rcpts = if self.next < total {
            let end = total.min(self.next.saturating_add(self.plan.rcpt_max));
            let run = self.next..end;
            self.next = end;
            Batch::Run(run)
        } else {
            let take = self.retry.len().min(self.plan.rcpt_max);
            Batch::Retry(self.retry.drain(..take).collect())
        };
        let mut txn = Txn {
            rcpts,
            ..Txn::default()
        };
        self.report.transactions.push(TransactionReport {
            recipients: txn.rcpts.len(),
            ..TransactionReport::default()
        });
        // Only the first transaction's lines are the planned ones, in order.
        let mut planned = planned
            .filter(|_| fresh)
            .map(|lines| lines.split_inclusive(|&b| b == b'\n'));
        let enc = self.plan.encoding;
        let mail = &self.report.envelope.mail;
        let written = match planned.as_mut().and_then(Iterator::next) {
            Some(line) => {
                cx.command(ReplyKind::Mail, |out| out.extend_from_slice(line));
                true
            }
            None => cx
                .command(ReplyKind::Mail, |out| mail.encode(out, enc))
                .is_ok(),
        };
        if written {
            expect.push(Expect::Mail(self.seq));
        }
        if self.plan.pipelined {
            while txn.next_rcpt < txn.rcpts.len() {
                let line = planned.as_mut().and_then(Iterator::next);
                self.write_rcpt(&mut txn, cx, expect, line);
            }
            if !(self.plan.lmtp && self.plan.bdat.is_some()) {
                self.txn = Some(txn);
                self.write_body_start(cx, expect);
                return;
            }
        }
        self.txn = Some(txn);
    }

    /// Writes the transaction's next RCPT: `planned`, the line already encoded, or else
    /// encoded now.
    pub(super) fn write_rcpt(
        &mut self,
        txn: &mut Txn,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
        planned: Option<&[u8]>,
    ) {
        let Some(index) = txn.rcpts.get(txn.next_rcpt) else {
            return;
        };
        txn.next_rcpt += 1;
        let enc = self.plan.encoding;
        if let Some(rcpt) = self.report.envelope.recipients.get(index) {
            let written = match planned {
                Some(line) => {
                    cx.command(ReplyKind::Rcpt, |out| out.extend_from_slice(line));
                    true
                }
                None => cx
                    .command(ReplyKind::Rcpt, |out| rcpt.encode(out, enc))
                    .is_ok(),
            };
            if written {
                expect.push(Expect::Rcpt(self.seq, index));
                // A recipient deferred by a 452 is asked again: what the server said to
                // its last RCPT no longer describes it (it may even have the message now).
                if let Some(r) = self.report.recipients.get_mut(index) {
                    *r = RecipientReport::new();
                }
            }
        }
    }

    /// DATA, or the BDAT chunks of a whole body, or the request for a streamed body's first
    /// piece over BDAT.
    pub(super) fn write_body_start(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        match self.plan.bdat {
            None => {
                cx.command(ReplyKind::Data, |out| out.extend_from_slice(b"DATA\r\n"));
                expect.push(Expect::Data(self.seq));
            }
            Some(mode) => match &self.body {
                MailBody::Bytes(bytes) | MailBody::Binary(bytes) if bytes.len() > PUMP_OVER => {
                    let as_it_is = match mode {
                        BdatMode::Binary => true,
                        _ => self
                            .plan
                            .summary
                            .as_ref()
                            .is_some_and(|summary| summary.is_canonical(bytes.len())),
                    };
                    let stream = if as_it_is {
                        Stream::BdatVerbatim {
                            chunk_size: self.plan.chunk_size.get(),
                            left: 0,
                            stopping: false,
                        }
                    } else {
                        Stream::Bdat(BdatEncoder::new(self.plan.chunk_size, mode))
                    };
                    self.start_pump(stream, cx, expect);
                }
                MailBody::Bytes(bytes) | MailBody::Binary(bytes) => {
                    let bytes = bytes.clone();
                    let mut framer = BdatEncoder::new(self.plan.chunk_size, mode);
                    let mut ends = std::mem::take(&mut self.chunk_ends);
                    let result = write_chunks(cx, &mut ends, |out| {
                        framer.encode(&bytes, out)?;
                        framer.finish(out)
                    });
                    match result {
                        Ok(()) => self.expect_chunks(&ends, true, cx, expect),
                        Err(error) => expect.fatal(ProtocolError::BodyAborted(error)),
                    }
                    self.chunk_ends = ends;
                }
                MailBody::Streamed(_) => {
                    self.stream = Some(Stream::Bdat(BdatEncoder::new(
                        self.plan.chunk_size,
                        mode_for_stream(mode, self.plan.eight_bit),
                    )));
                    cx.request_body();
                }
            },
        }
    }

    /// Expects the replies to the chunks just written, each once its chunk has left
    /// (`ends`, from [`write_chunks`]), the last of them LAST if `last`.
    pub(crate) fn expect_chunks(
        &mut self,
        ends: &[Position],
        last: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        let plain = match ends.split_last() {
            Some((_, earlier)) if last => earlier,
            _ => ends,
        };
        for &end in plain {
            cx.expect_reply_at(ReplyKind::Bdat, end);
            expect.push(Expect::Bdat(self.seq, false));
            txn.chunks_out += 1;
        }
        if last && !ends.is_empty() {
            txn.end_written = true;
            let at = cx.position().0;
            txn.end_at = Some(at);
            mark_data_sent(&mut self.report, txn, at);
            if self.plan.lmtp {
                self.expect_lmtp_verdicts(ReplyKind::BdatLast, false, cx, expect);
            } else {
                cx.expect_reply(ReplyKind::BdatLast);
                expect.push(Expect::Bdat(self.seq, true));
                if let Some(txn) = self.txn.as_mut() {
                    txn.chunks_out += 1;
                }
            }
        }
    }

    /// Expects LMTP's verdicts, one per accepted recipient; `later` for a body not all
    /// written yet ([`Context::expect_reply_later`]).
    pub(super) fn expect_lmtp_verdicts(
        &mut self,
        kind: ReplyKind,
        later: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        for index in txn.rcpts.iter() {
            if self
                .report
                .recipients
                .get(index)
                .is_some_and(|r| r.accepted)
            {
                if later {
                    cx.expect_reply_later(kind);
                } else {
                    cx.expect_reply(kind);
                }
                expect.push(Expect::Verdict(self.seq, Some(index)));
                txn.verdicts_out += 1;
            }
        }
    }
}

/// The engine's reply queue and fatal slot, lent to a job.
pub(crate) struct Expectations<'a> {
    pub(crate) queue: &'a mut std::collections::VecDeque<Expect>,
    pub(crate) fatal: &'a mut Option<ProtocolError>,
}

impl Expectations<'_> {
    pub(crate) fn push(&mut self, expect: Expect) {
        self.queue.push_back(expect);
    }

    pub(crate) fn fatal(&mut self, error: ProtocolError) {
        if self.fatal.is_none() {
            *self.fatal = Some(error);
        }
    }
}

pub(crate) fn impossible(command: &'static str, response: Response) -> ProtocolError {
    ProtocolError::ImpossibleReply { command, response }
}

/// Marks the recipients of `txn` that may get the message as having had it sent, its end
/// at `at`: the accepted ones, and, unless MAIL was refused, those whose RCPT is still
/// unanswered (pipelined BDAT LAST leaves with MAIL and RCPT, RFC 3030 §4.2): the server
/// may accept them, so a verdict lost now is uncertain for them too. A refusal that comes
/// later takes the mark back (`on_mail`, `on_rcpt`).
pub(crate) fn mark_data_sent(report: &mut MailReport, txn: &Txn, at: u64) {
    let mail_refused = report
        .transactions
        .last()
        .and_then(|t| t.mail_reply.as_ref())
        .is_some_and(|reply| !reply.is_positive_completion());
    // Pipelined RCPT replies come in the batch's order: the first `rcpt_answers` are in.
    for (position, index) in txn.rcpts.iter().enumerate() {
        let unanswered = position >= txn.rcpt_answers && !mail_refused;
        if let Some(r) = report.recipients.get_mut(index) {
            if r.accepted || unanswered {
                r.data_end = Some(at);
            }
        }
    }
}

/// A streamed body not declared 8-bit is held to 7-bit, so a contradicting octet aborts.
pub(crate) fn mode_for_stream(mode: BdatMode, eight_bit: bool) -> BdatMode {
    match mode {
        BdatMode::Text(policy) if !eight_bit => BdatMode::Text(policy.seven_bit()),
        other => other,
    }
}

/// The refusal that a mail gets instead of a report (a streamed BDAT body broke the rules).
pub(crate) fn body_refusal(error: DataError) -> LogicError {
    LogicError::Body(error)
}

impl Job {
    pub(super) fn end_txn(&mut self) {
        self.txn = None;
    }

    /// Whether the mail is finished: no transaction open, nothing left to send.
    pub(crate) fn is_finished(&self) -> bool {
        self.txn.is_none() && !self.has_todo()
    }

    /// Whether recipients remain to be sent in a later transaction.
    pub(crate) fn has_todo(&self) -> bool {
        self.next < self.report.recipients.len() || !self.retry.is_empty()
    }
}
