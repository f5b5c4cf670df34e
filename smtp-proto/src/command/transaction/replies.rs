//! What each reply means to a mail in flight: MAIL, RCPT, DATA, BDAT, the verdicts, RSET.

use crate::client::{Context, ReplyKind};
use crate::data::{
    BodySink, BodySummary, DataEncoder, DataError, encode_data, encode_data_summarized,
    is_data_form,
};
use crate::error::ProtocolError;
use crate::response::Response;

use super::job::{Expect, Expectations, Job, PUMP_OVER, Stream, impossible, mark_data_sent};
use super::report::RecipientStatus;
use super::{MailBody, TransactionOptions};

impl Job {
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
                self.write_rcpt(&mut txn, cx, expect, None);
                self.txn = Some(txn);
            }
        } else if reply.is_negative() {
            for index in txn.rcpts.iter() {
                if let Some(r) = self.report.recipients.get_mut(index) {
                    r.status = RecipientStatus::Refused;
                    r.rcpt_reply = Some(reply.clone());
                    r.rcpt_answered = false;
                    r.answer_after_refused_mail = None;
                    // Pipelined BDAT LAST may have left already: nothing can be delivered.
                    r.data_end = None;
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
        // Only a 452 after an acceptance is "too many recipients" (RFC 5321 §4.5.3.1.10:
        // the server holds the ones it took); one before is the recipient's own failure.
        // RFC 821 gave this case 552, which clients SHOULD take as a 452: a 552 with no
        // enhanced code or with X.5.3 (RFC 3463), not one that names another cause (5.2.2
        // mailbox full).
        let too_many = match reply.code().get() {
            452 => true,
            552 => reply
                .enhanced_status()
                .is_none_or(|s| (s.subject(), s.detail()) == (5, 3)),
            _ => false,
        };
        let deferred = too_many
            && options.retry_too_many_recipients
            && self.plan.repeatable
            && txn.accepted > 0;
        if let Some(r) = self.report.recipients.get_mut(index) {
            if txn.mail_ok {
                r.rcpt_reply = Some(reply);
                r.rcpt_answered = true;
                r.answer_after_refused_mail = None;
                r.status = RecipientStatus::Refused;
            } else {
                r.answer_after_refused_mail = Some(reply);
            }
            r.accepted = accepted;
            // Pipelined BDAT: the body's end may have left before this reply; a refusal
            // takes back the mark it got as unanswered then (`mark_data_sent`).
            r.data_end = if accepted { txn.end_at } else { None };
        }
        if accepted {
            txn.accepted += 1;
        } else if deferred && txn.mail_ok {
            self.retry.push(index);
        }
        if txn.rcpt_answers < txn.rcpts.len() {
            if !self.plan.pipelined {
                let mut txn = std::mem::take(txn);
                self.write_rcpt(&mut txn, cx, expect, None);
                self.txn = Some(txn);
            }
            return;
        }
        // Every RCPT is answered.
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
                cx.body(|out| out.put(b".\r\n"));
                txn.end_written = true;
                if self.plan.lmtp {
                    // LMTP answers only accepted recipients: no verdict comes.
                    cx.reset_transaction();
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
            if let MailBody::Bytes(bytes) | MailBody::Binary(bytes) = &self.body
                && bytes.len() > PUMP_OVER
            {
                let stream = match &self.plan.summary {
                    Some(summary) if is_data_form(bytes, summary) => Stream::Verbatim {
                        crlf: !summary.ends_with_line_end(),
                    },
                    _ => Stream::Data(DataEncoder::new(options.body_policy)),
                };
                self.expect_verdicts(true, cx, expect);
                self.start_pump(stream, cx, expect);
                return;
            }
            if let Err(error) = write_data_body(&self.body, self.plan.summary.as_ref(), options, cx)
            {
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
        let at = cx.position().0;
        txn.end_at = Some(at);
        mark_data_sent(&mut self.report, txn, at);
        if txn.verdicts_expected {
            cx.end_output();
        } else {
            self.expect_verdicts(false, cx, expect);
        }
    }

    /// Expects the verdicts on the end of data: now (it was written), or `later` for a
    /// pumped body, so that a refusal given in its middle before the connection broke is
    /// still the mail's verdict.
    pub(crate) fn expect_verdicts(
        &mut self,
        later: bool,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if self.plan.lmtp {
            self.expect_lmtp_verdicts(ReplyKind::DataEnd, later, cx, expect);
        } else if let Some(txn) = self.txn.as_mut() {
            if later {
                cx.expect_reply_later(ReplyKind::DataEnd);
            } else {
                cx.expect_reply(ReplyKind::DataEnd);
            }
            expect.push(Expect::Verdict(self.seq, None));
            txn.verdicts_out = 1;
        }
        if let Some(txn) = self.txn.as_mut() {
            txn.verdicts_expected = later;
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
            self.stop_pump(cx);
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
            self.verdict_for_accepted(reply, cx, expect);
        }
    }

    /// BDAT LAST's reply in SMTP is the verdict for every accepted recipient.
    fn verdict_for_accepted(
        &mut self,
        reply: Response,
        cx: &mut Context<'_>,
        expect: &mut Expectations<'_>,
    ) {
        if let Some(txn) = self.txn.as_mut() {
            txn.verdicts_out = 1;
        }
        self.on_verdict(None, reply, cx, expect);
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
        self.pump = None;
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
}

/// Writes a whole body over DATA at once, dot-stuffed with its end-of-data marker; `summary`
/// is the plan's (a body already in DATA form is copied as it is). Only bodies up to one
/// data block come here; longer ones are pumped (`stream.rs`).
pub(crate) fn write_data_body(
    body: &MailBody,
    summary: Option<&BodySummary>,
    options: &TransactionOptions,
    cx: &mut Context<'_>,
) -> Result<(), DataError> {
    match (body, summary) {
        (MailBody::Bytes(bytes), Some(summary)) => {
            cx.body(|out| encode_data_summarized(bytes, summary, options.body_policy, out))
        }
        (MailBody::Bytes(bytes) | MailBody::Binary(bytes), _) => {
            cx.body(|out| encode_data(bytes, options.body_policy, out))
        }
        (MailBody::Streamed(_), _) => Ok(()),
    }
}
