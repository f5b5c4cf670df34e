//! What happened to a mail: per recipient, per transaction, and overall.

use crate::response::Response;
use crate::syntax::ForwardPath;

use super::Envelope;

/// The overall result of sending one mail (SECURITY.md "Outcomes a caller can rely on").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every recipient got a positive reply to the end of data (per recipient in LMTP).
    Delivered,
    /// Some recipients were delivered, some refused or rejected.
    Partial,
    /// No recipient was delivered and every one was refused: at MAIL or RCPT, or the
    /// message at the end of data (see each recipient's reply: a 4yz may be retried).
    Rejected,
    /// The connection died or timed out after the end of data was sent and before the
    /// verdict: the message may or may not have been accepted. Never reported as delivered
    /// or failed, so a retry decision can take the risk of duplicates into account.
    Uncertain,
    /// The connection failed (closed, timed out, a write failed, a fatal reply) before the
    /// end of data left for some recipient, and no recipient has the message: none was
    /// delivered, none is uncertain. A retry cannot duplicate it. Recipients already refused
    /// before the failure ([`RecipientStatus::Refused`] or [`RecipientStatus::Rejected`])
    /// keep their status and reply; the others are [`RecipientStatus::NotAttempted`]. Only
    /// an interrupted mail's report says this (`SendMail::report`,
    /// `SendMails::interrupted_reports`); a finished mail is never `NotSent`.
    NotSent,
}

/// What happened to one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecipientStatus {
    /// Accepted at RCPT, and the message accepted at the end of data.
    Delivered,
    /// Refused at RCPT (or MAIL was refused for its transaction).
    Refused,
    /// Accepted at RCPT, but the message was refused (DATA, a BDAT chunk or the verdict).
    Rejected,
    /// Accepted at RCPT, or its RCPT still unanswered with MAIL not refused (pipelined BDAT
    /// LAST leaves with them, RFC 3030 §4.2); the connection was lost after the end of data
    /// left, before the verdict: the server may have the message.
    Uncertain,
    /// Not delivered, and not uncertain: a fatal error came before the message was sent in
    /// full (the RCPT may have been accepted or unanswered; the end of data never left).
    NotAttempted,
}

/// One recipient's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientReport {
    pub(crate) status: RecipientStatus,
    pub(crate) rcpt_reply: Option<Response>,
    /// Whether `rcpt_reply` is the server's answer to this RCPT (not MAIL's refusal).
    pub(crate) rcpt_answered: bool,
    /// The server's answer to a pipelined RCPT after MAIL was refused (`rcpt_reply` then
    /// holds the refusal of MAIL, which decided the recipient).
    pub(crate) answer_after_refused_mail: Option<Response>,
    pub(crate) data_reply: Option<Response>,
    /// Internal: accepted at RCPT, verdict pending (only meaningful while running).
    pub(crate) accepted: bool,
    /// Internal: where the end of data for this recipient's transaction ends in the
    /// connection's output, once written (forgotten if the connection failed before it).
    pub(crate) data_end: Option<u64>,
}

impl RecipientReport {
    pub(crate) fn new() -> Self {
        Self {
            status: RecipientStatus::NotAttempted,
            rcpt_reply: None,
            rcpt_answered: false,
            answer_after_refused_mail: None,
            data_reply: None,
            accepted: false,
            data_end: None,
        }
    }

    /// What happened.
    pub fn status(&self) -> RecipientStatus {
        self.status
    }

    /// Whether the server accepted the recipient at RCPT.
    pub fn is_accepted(&self) -> bool {
        self.accepted
    }

    /// The reply to RCPT (or to MAIL, if MAIL was refused before this RCPT counted). For a
    /// recipient deferred by a 452 (or a "too many recipients" 552) and sent again in a new
    /// transaction, the reply to the last RCPT sent: none while that one is unanswered (its
    /// report starts afresh).
    pub fn rcpt_reply(&self) -> Option<&Response> {
        self.rcpt_reply.as_ref()
    }

    /// What the server answered to this recipient's RCPT command, if it answered: the same
    /// as [`rcpt_reply`](Self::rcpt_reply), except after a refused MAIL, where
    /// `rcpt_reply` is that refusal (what decided the recipient, and what a retry should
    /// look at) and this is the answer a pipelined RCPT still got (often 503), or `None`
    /// when the RCPT was never sent.
    pub fn rcpt_answer(&self) -> Option<&Response> {
        match &self.answer_after_refused_mail {
            Some(answer) => Some(answer),
            None if self.rcpt_answered => self.rcpt_reply.as_ref(),
            None => None,
        }
    }

    /// The reply that decided the message for this recipient: the end-of-data verdict (in
    /// LMTP this recipient's own), or the refusal of DATA or of a BDAT chunk.
    pub fn data_reply(&self) -> Option<&Response> {
        self.data_reply.as_ref()
    }
}

/// One mail transaction (MAIL to end of data); a mail takes several when the server limits
/// recipients (LIMITS RCPTMAX, or a 452 "too many recipients").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransactionReport {
    pub(crate) mail_reply: Option<Response>,
    pub(crate) final_reply: Option<Response>,
    pub(crate) recipients: usize,
}

impl TransactionReport {
    /// The reply to MAIL.
    pub fn mail_reply(&self) -> Option<&Response> {
        self.mail_reply.as_ref()
    }

    /// The reply that ended the transaction: the verdict after the end of data (the last
    /// one in LMTP), or the refusal that ended it early.
    pub fn final_reply(&self) -> Option<&Response> {
        self.final_reply.as_ref()
    }

    /// How many recipients were sent in this transaction.
    pub fn recipient_count(&self) -> usize {
        self.recipients
    }
}

/// The report of one mail: every recipient once, every transaction, and the outcome.
///
/// A fatal error mid-way still yields the report so far (see
/// [`SendMail::report`](super::SendMail::report)): recipients whose message was sent and not
/// answered are [`RecipientStatus::Uncertain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailReport {
    /// Boxed: a report travels through a few queues on its way to the caller, and each
    /// move of the whole envelope cost more than the allocation (instructions per mail).
    pub(crate) envelope: Box<Envelope>,
    pub(crate) recipients: Vec<RecipientReport>,
    pub(crate) transactions: Vec<TransactionReport>,
}

impl MailReport {
    pub(crate) fn new(envelope: Envelope) -> Self {
        let recipients = (0..envelope.recipients.len())
            .map(|_| RecipientReport::new())
            .collect();
        Self {
            envelope: Box::new(envelope),
            recipients,
            // Almost every mail is one transaction: one exact allocation, no growth.
            transactions: Vec::with_capacity(1),
        }
    }

    /// The envelope as sent (with the parameters the client added).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Each recipient's path and result, in envelope order.
    pub fn recipients(
        &self,
    ) -> impl ExactSizeIterator<Item = (&ForwardPath, &RecipientReport)> + '_ {
        self.envelope
            .recipients
            .iter()
            .map(|rcpt| rcpt.forward_path())
            .zip(self.recipients.iter())
    }

    /// The transactions, in order.
    pub fn transactions(&self) -> &[TransactionReport] {
        &self.transactions
    }

    /// The overall outcome, decided in this order: [`Outcome::Uncertain`] if any recipient
    /// is uncertain; [`Outcome::Delivered`] if every one was delivered;
    /// [`Outcome::Partial`] if some were; else [`Outcome::NotSent`] if some recipient was
    /// not attempted (the connection failed first), else [`Outcome::Rejected`].
    pub fn outcome(&self) -> Outcome {
        let statuses = || self.recipients.iter().map(|r| r.status);
        if statuses().any(|s| s == RecipientStatus::Uncertain) {
            Outcome::Uncertain
        } else if statuses().all(|s| s == RecipientStatus::Delivered) {
            Outcome::Delivered
        } else if statuses().any(|s| s == RecipientStatus::Delivered) {
            Outcome::Partial
        } else if statuses().any(|s| s == RecipientStatus::NotAttempted) {
            Outcome::NotSent
        } else {
            Outcome::Rejected
        }
    }

    /// How many recipients were delivered.
    pub fn delivered_count(&self) -> usize {
        self.recipients
            .iter()
            .filter(|r| r.status == RecipientStatus::Delivered)
            .count()
    }

    /// Forgets every end of data that did not leave before `written` (a failed write).
    pub(crate) fn unsent_after(&mut self, written: u64) {
        for r in &mut self.recipients {
            if r.data_end.is_some_and(|end| end > written) {
                r.data_end = None;
            }
        }
    }

    /// The report as it stands after a fatal error: a recipient without a verdict whose end
    /// of data left becomes uncertain, whether its RCPT was accepted or still unanswered
    /// with MAIL not refused (`mark_data_sent` marks exactly those, a refusal unmarks
    /// them, a failed write forgets what did not leave); an accepted one whose end of data
    /// never left is not attempted; the rest keep their status.
    pub(crate) fn interrupted(&self) -> Self {
        let mut report = self.clone();
        for r in &mut report.recipients {
            if r.data_reply.is_some() {
                continue;
            }
            if r.data_end.is_some() {
                r.status = RecipientStatus::Uncertain;
            } else if r.accepted {
                r.status = RecipientStatus::NotAttempted;
            }
        }
        report
    }
}
