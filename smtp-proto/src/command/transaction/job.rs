//! One mail in flight: its transactions, their lines, and what each reply means.

use crate::client::{Context, ReplyKind};
use crate::command::LogicError;
use crate::data::{BdatEncoder, BdatMode, DataEncoder, DataError, encode_data};
use crate::error::ProtocolError;
use crate::response::Response;

use super::plan::Plan;
use super::report::{RecipientStatus, TransactionReport};
use super::{MailBody, MailReport, TransactionOptions};

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

/// A streamed body on its way.
#[derive(Debug)]
pub(crate) enum Stream {
    Data(DataEncoder),
    Bdat(BdatEncoder),
}

/// The transaction in progress.
#[derive(Debug, Default)]
pub(crate) struct Txn {
    /// This transaction's recipients (indices into the envelope).
    pub(crate) rcpts: Batch,
    /// Recipients this transaction deferred with a 452 (at the end of the job's retry list).
    pub(crate) deferred: usize,
    /// Without pipelining: the next RCPT to write.
    pub(crate) next_rcpt: usize,
    pub(crate) mail_ok: bool,
    pub(crate) rcpt_answers: usize,
    pub(crate) accepted: usize,
    /// The body's end is written: the transaction will close with the coming verdict.
    pub(crate) end_written: bool,
    /// A chunk was refused or a streamed body aborted: no further chunk, then RSET.
    pub(crate) failed: bool,
    /// BDAT chunk replies still awaited.
    pub(crate) chunks_out: u64,
    /// Verdicts still awaited.
    pub(crate) verdicts_out: usize,
}

/// A transaction's recipients: a run of the envelope's (no allocation), or a retry list.
#[derive(Debug)]
pub(crate) enum Batch {
    Run(std::ops::Range<usize>),
    Retry(Vec<usize>),
}

impl Default for Batch {
    fn default() -> Self {
        Batch::Run(0..0)
    }
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        match self {
            Batch::Run(range) => range.len(),
            Batch::Retry(list) => list.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<usize> {
        match self {
            Batch::Run(range) => range.clone().nth(i),
            Batch::Retry(list) => list.get(i).copied(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (run, list) = match self {
            Batch::Run(range) => (range.clone(), &[][..]),
            Batch::Retry(list) => (0..0, list.as_slice()),
        };
        run.chain(list.iter().copied())
    }
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
    /// A streamed body's violation, reported as the mail's error.
    pub(crate) body_error: Option<DataError>,
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
            body_error: None,
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
    pub(crate) fn begin(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        let total = self.report.recipients.len();
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
        let enc = self.plan.encoding;
        let mail = &self.report.envelope.mail;
        if cx
            .command(ReplyKind::Mail, |out| mail.encode(out, enc))
            .is_ok()
        {
            expect.push(Expect::Mail(self.seq));
        }
        if self.plan.pipelined {
            while txn.next_rcpt < txn.rcpts.len() {
                self.write_rcpt(&mut txn, cx, expect);
            }
            if !(self.plan.lmtp && self.plan.bdat.is_some()) {
                self.txn = Some(txn);
                self.write_body_start(cx, expect);
                return;
            }
        }
        self.txn = Some(txn);
    }

    fn write_rcpt(&self, txn: &mut Txn, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        let Some(index) = txn.rcpts.get(txn.next_rcpt) else {
            return;
        };
        txn.next_rcpt += 1;
        let enc = self.plan.encoding;
        if let Some(rcpt) = self.report.envelope.recipients.get(index) {
            if cx
                .command(ReplyKind::Rcpt, |out| rcpt.encode(out, enc))
                .is_ok()
            {
                expect.push(Expect::Rcpt(self.seq, index));
            }
        }
    }

    /// DATA, or the BDAT chunks of a whole body, or the request for a streamed body's first
    /// piece over BDAT.
    fn write_body_start(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        match self.plan.bdat {
            None => {
                cx.command(ReplyKind::Data, |out| out.extend_from_slice(b"DATA\r\n"));
                expect.push(Expect::Data(self.seq));
            }
            Some(mode) => match &self.body {
                MailBody::Bytes(bytes) | MailBody::Binary(bytes) => {
                    let bytes = bytes.clone();
                    let framer = BdatEncoder::new(self.plan.chunk_size, mode);
                    let result = cx.body(|out| {
                        let mut framer = framer;
                        framer.encode(&bytes, out)?;
                        let earlier = framer.chunks_written();
                        framer.finish_counted(out).map(|last| earlier + last)
                    });
                    match result {
                        Ok(chunks) => self.expect_chunks(chunks, true, cx, expect),
                        Err(error) => expect.fatal(ProtocolError::BodyAborted(error)),
                    }
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

    /// Expects the replies to `chunks` chunks just written, the last of them LAST if
    /// `last`.
    fn expect_chunks(
        &mut self,
        chunks: u64,
        last: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        let plain = if last {
            chunks.saturating_sub(1)
        } else {
            chunks
        };
        for _ in 0..plain {
            cx.expect_reply(ReplyKind::Bdat);
            expect.push(Expect::Bdat(self.seq, false));
            txn.chunks_out += 1;
        }
        if last && chunks > 0 {
            txn.end_written = true;
            mark_data_sent(&mut self.report, txn);
            if self.plan.lmtp {
                self.expect_lmtp_verdicts(ReplyKind::BdatLast, cx, expect);
            } else {
                cx.expect_reply(ReplyKind::BdatLast);
                expect.push(Expect::Bdat(self.seq, true));
                if let Some(txn) = self.txn.as_mut() {
                    txn.chunks_out += 1;
                }
            }
        }
    }

    fn expect_lmtp_verdicts(
        &mut self,
        kind: ReplyKind,
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
                cx.expect_reply(kind);
                expect.push(Expect::Verdict(self.seq, Some(index)));
                txn.verdicts_out += 1;
            }
        }
    }

    /// The reply to MAIL.
    pub(crate) fn on_mail(
        &mut self,
        reply: Response,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if let Some(t) = self.report.transactions.last_mut() {
            t.mail_reply = Some(reply.clone());
        }
        if reply.is_positive_completion() {
            txn.mail_ok = true;
            if !self.plan.pipelined {
                let mut txn = std::mem::take(txn);
                self.write_rcpt(&mut txn, cx, expect);
                self.txn = Some(txn);
            }
        } else if reply.is_negative() {
            for index in txn.rcpts.iter() {
                if let Some(r) = self.report.recipients.get_mut(index) {
                    r.status = RecipientStatus::Refused;
                    r.rcpt_reply = Some(reply.clone());
                }
            }
            if let Some(t) = self.report.transactions.last_mut() {
                t.final_reply = Some(reply);
            }
            if !self.plan.pipelined {
                self.txn = None;
            }
        } else {
            expect.fatal(impossible("MAIL", reply));
        }
    }

    /// The reply to RCPT for recipient `index`.
    pub(crate) fn on_rcpt(
        &mut self,
        index: usize,
        reply: Response,
        options: &TransactionOptions,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if !(reply.is_positive_completion() || reply.is_negative()) {
            expect.fatal(impossible("RCPT", reply));
            return;
        }
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        txn.rcpt_answers += 1;
        let accepted = reply.is_positive_completion() && txn.mail_ok;
        let deferred = reply.code().get() == 452
            && options.retry_too_many_recipients
            && self.plan.repeatable
            && txn.accepted > 0;
        if let Some(r) = self.report.recipients.get_mut(index) {
            if txn.mail_ok {
                r.rcpt_reply = Some(reply);
                r.status = RecipientStatus::Refused;
            }
            r.accepted = accepted;
        }
        if accepted {
            txn.accepted += 1;
        } else if deferred && txn.mail_ok {
            self.retry.push(index);
            txn.deferred += 1;
        }
        if txn.rcpt_answers < txn.rcpts.len() {
            if !self.plan.pipelined {
                let mut txn = std::mem::take(txn);
                self.write_rcpt(&mut txn, cx, expect);
                self.txn = Some(txn);
            }
            return;
        }
        // Every RCPT is answered.
        if txn.accepted == 0 {
            // Nothing to retry without progress: the 452s stand as refusals.
            let keep = self.retry.len().saturating_sub(txn.deferred);
            self.retry.truncate(keep);
        }
        if txn.failed && txn.chunks_out == 0 && self.stream.is_none() {
            // A streamed body aborted before its envelope was answered (`abort_stream`).
            if txn.mail_ok {
                self.reset(cx, expect);
            } else {
                self.end_txn();
            }
            return;
        }
        let pipelined_body = self.plan.pipelined && !(self.plan.lmtp && self.plan.bdat.is_some());
        if pipelined_body {
            return;
        }
        if txn.accepted > 0 {
            self.write_body_start(cx, expect);
        } else {
            self.reset(cx, expect);
        }
    }

    /// Writes RSET to end a transaction the server still holds open.
    pub(crate) fn reset(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        cx.command(ReplyKind::Other, |out| out.extend_from_slice(b"RSET\r\n"));
        expect.push(Expect::Rset(self.seq));
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

/// Marks the accepted recipients of `txn` as having had the message sent.
pub(crate) fn mark_data_sent(report: &mut MailReport, txn: &Txn) {
    for index in txn.rcpts.iter() {
        if let Some(r) = report.recipients.get_mut(index) {
            if r.accepted {
                r.data_sent = true;
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

/// Writes a whole body over DATA, dot-stuffed with its end-of-data marker.
pub(crate) fn write_data_body(
    body: &MailBody,
    options: &TransactionOptions,
    cx: &mut Context<'_>,
) -> Result<(), DataError> {
    match body {
        MailBody::Bytes(bytes) | MailBody::Binary(bytes) => {
            cx.body(|out| encode_data(bytes, options.body_policy, out))
        }
        MailBody::Streamed(_) => Ok(()),
    }
}

/// The refusal that a mail gets instead of a report (a streamed BDAT body broke the rules).
pub(crate) fn body_refusal(error: DataError) -> LogicError {
    LogicError::Body(error)
}

impl Job {
    /// The reply to DATA.
    pub(crate) fn on_data(
        &mut self,
        reply: Response,
        options: &TransactionOptions,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if reply.code().get() == 354 {
            if txn.accepted == 0 || !txn.mail_ok {
                // RFC 2920 §3.1: DATA accepted although no recipient was: end the data
                // at once; nothing is delivered, whatever the server answers.
                cx.body(|out| out.extend_from_slice(b".\r\n"));
                txn.end_written = true;
                if self.plan.lmtp {
                    self.end_txn();
                } else {
                    cx.expect_reply(ReplyKind::DataEnd);
                    expect.push(Expect::Verdict(self.seq, None));
                    txn.verdicts_out = 1;
                }
                return;
            }
            if let MailBody::Streamed(_) = self.body {
                let mut policy = options.body_policy;
                if !self.plan.eight_bit {
                    policy = policy.seven_bit();
                }
                self.stream = Some(Stream::Data(DataEncoder::new(policy)));
                cx.request_body();
                return;
            }
            if let Err(error) = write_data_body(&self.body, options, cx) {
                expect.fatal(ProtocolError::BodyAborted(error));
                return;
            }
            self.data_end_written(cx, expect);
        } else if reply.is_negative() {
            let mail_ok = txn.mail_ok;
            self.reject_accepted(&reply);
            if let Some(t) = self.report.transactions.last_mut() {
                t.final_reply = Some(reply);
            }
            if mail_ok {
                self.reset(cx, expect);
            } else {
                self.end_txn();
            }
        } else {
            expect.fatal(impossible("DATA", reply));
        }
    }

    /// After the end-of-data marker: expect the verdict(s).
    pub(crate) fn data_end_written(&mut self, cx: &mut Context<'_>, expect: &mut Expectations<'_>) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        txn.end_written = true;
        mark_data_sent(&mut self.report, txn);
        if self.plan.lmtp {
            self.expect_lmtp_verdicts(ReplyKind::DataEnd, cx, expect);
        } else {
            cx.expect_reply(ReplyKind::DataEnd);
            expect.push(Expect::Verdict(self.seq, None));
            txn.verdicts_out = 1;
        }
    }

    /// The verdict after the end of data, for every accepted recipient or for one (LMTP).
    pub(crate) fn on_verdict(
        &mut self,
        index: Option<usize>,
        reply: Response,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if !(reply.is_positive_completion() || reply.is_negative()) {
            expect.fatal(impossible("the end of data", reply));
            return;
        }
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if txn.failed {
            // LMTP, BDAT LAST already in the pipeline when an earlier chunk was refused: the
            // message is incomplete whatever these say; RSET once they are all read.
            txn.verdicts_out = txn.verdicts_out.saturating_sub(1);
            if txn.verdicts_out == 0 && txn.chunks_out == 0 {
                self.reset(cx, expect);
            }
            return;
        }
        let status = if reply.is_positive_completion() {
            RecipientStatus::Delivered
        } else {
            RecipientStatus::Rejected
        };
        let (one, all) = match index {
            Some(i) => (Some(i), None),
            None => (None, Some(txn.rcpts.iter())),
        };
        for i in one.into_iter().chain(all.into_iter().flatten()) {
            if let Some(r) = self.report.recipients.get_mut(i) {
                if r.accepted {
                    r.status = status;
                    r.data_reply = Some(reply.clone());
                }
            }
        }
        txn.verdicts_out = txn.verdicts_out.saturating_sub(1);
        let over = txn.verdicts_out == 0;
        if let Some(t) = self.report.transactions.last_mut() {
            t.final_reply = Some(reply);
        }
        if over {
            self.end_txn();
        }
    }

    /// The reply to a BDAT chunk (`last`: BDAT LAST in SMTP, whose reply is the verdict).
    pub(crate) fn on_bdat(
        &mut self,
        last: bool,
        reply: Response,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if !(reply.is_positive_completion() || reply.is_negative()) {
            expect.fatal(impossible("BDAT", reply));
            return;
        }
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        txn.chunks_out = txn.chunks_out.saturating_sub(1);
        if reply.is_negative() && !txn.failed {
            // RFC 3030 §2: no further chunk after a refused one.
            txn.failed = true;
            self.stream = None;
            self.reject_accepted(&reply);
            if let Some(t) = self.report.transactions.last_mut() {
                t.final_reply = Some(reply.clone());
            }
        }
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if txn.failed {
            // LMTP: the verdicts to a BDAT LAST already written come after these replies.
            if txn.chunks_out == 0 && txn.verdicts_out == 0 && self.stream.is_none() {
                if txn.mail_ok {
                    self.reset(cx, expect);
                } else {
                    self.end_txn();
                }
            }
        } else if last {
            self.verdict_for_accepted(reply, cx);
        }
    }

    fn verdict_for_accepted(&mut self, reply: Response, cx: &mut Context<'_>) {
        if let Some(txn) = self.txn.as_mut() {
            txn.verdicts_out = 1;
        }
        let mut ignored = None;
        let mut expectations = Expectations {
            queue: &mut std::collections::VecDeque::new(),
            fatal: &mut ignored,
        };
        self.on_verdict(None, reply, cx, &mut expectations);
    }

    /// The reply to RSET: the transaction is over whatever it says.
    pub(crate) fn on_rset(&mut self, cx: &mut Context<'_>) {
        cx.reset_transaction();
        self.end_txn();
    }

    /// A streamed body's violation over BDAT: no further chunk, RSET once the chunks in
    /// flight are answered; the mail ends with the body error.
    pub(crate) fn abort_stream(
        &mut self,
        error: DataError,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        self.body_error = Some(error);
        self.stream = None;
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        txn.failed = true;
        // Pipelined MAIL and RCPT replies may still be on their way: the last RCPT reply
        // ends the transaction then (`on_rcpt`), once MAIL's fate is known.
        if txn.chunks_out == 0 && txn.rcpt_answers >= txn.rcpts.len() {
            if txn.mail_ok {
                self.reset(cx, expect);
            } else {
                self.end_txn();
            }
        }
    }

    /// Chunks of a streamed BDAT body were written.
    pub(crate) fn chunks_written(
        &mut self,
        chunks: u64,
        last: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        self.expect_chunks(chunks, last, cx, expect);
    }

    fn reject_accepted(&mut self, reply: &Response) {
        let Some(txn) = self.txn.as_ref() else {
            return;
        };
        for i in txn.rcpts.iter() {
            if let Some(r) = self.report.recipients.get_mut(i) {
                if r.accepted {
                    r.status = RecipientStatus::Rejected;
                    r.data_reply = Some(reply.clone());
                }
            }
        }
    }

    fn end_txn(&mut self) {
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
