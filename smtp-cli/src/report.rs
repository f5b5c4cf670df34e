//! The result model: what one connection saw ([`SessionReport`]) and what a whole run
//! reports ([`RunReport`]): greeting, EHLO, TLS, AUTH, the last message, error, stats.

use std::time::Instant;

use smtp_adapter::Error;
use smtp_proto::command::{Hello, LogicError, MailReport, Outcome as MailOutcome};
use smtp_proto::response::Response;

use crate::cert;
use crate::failure::{Failure, Kind};

/// A message's (or the run's) outcome, in increasing severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Delivered,
    Partial,
    Rejected,
    Uncertain,
    Error,
}

impl Outcome {
    /// The JSON spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Partial => "partial",
            Outcome::Rejected => "rejected",
            Outcome::Uncertain => "uncertain",
            Outcome::Error => "error",
        }
    }
}

/// What the TLS handshake negotiated.
#[derive(Clone, Debug)]
pub(crate) struct TlsSummary {
    pub(crate) version: String,
    pub(crate) cipher: String,
    pub(crate) verified: bool,
    pub(crate) certificate: Option<cert::Summary>,
}

/// The AUTH attempt: the mechanism tried (if one was chosen) and its final reply.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthReport {
    pub(crate) mechanism: Option<String>,
    pub(crate) reply: Option<Response>,
}

/// One recipient as the JSON shows it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RecipientView {
    pub(crate) reply: Option<Response>,
    pub(crate) data_reply: Option<Response>,
}

impl RecipientView {
    /// Accepted iff RCPT got 250 or 251.
    pub(crate) fn is_accepted(&self) -> bool {
        self.reply
            .as_ref()
            .is_some_and(|r| matches!(r.code().get(), 250 | 251))
    }
}

/// One message's replies: MAIL, each RCPT (and LMTP verdict), the transaction's end.
#[derive(Clone, Debug, Default)]
pub(crate) struct MailView {
    pub(crate) mail: Option<Response>,
    pub(crate) recipients: Vec<RecipientView>,
    pub(crate) message: Option<Response>,
    pub(crate) lmtp: bool,
}

impl MailView {
    /// The replies of `report`; a RCPT that was never answered has none (the core gives
    /// such a recipient the refusal of MAIL).
    pub(crate) fn of(report: &MailReport, lmtp: bool) -> Self {
        let transactions = report.transactions();
        let mail = transactions.first().and_then(|t| t.mail_reply()).cloned();
        let refused_mail = mail.as_ref().filter(|r| r.is_negative());
        let recipients = report
            .recipients()
            .map(|(_, r)| RecipientView {
                reply: r
                    .rcpt_reply()
                    .filter(|&reply| Some(reply) != refused_mail)
                    .cloned(),
                data_reply: if lmtp { r.data_reply().cloned() } else { None },
            })
            .collect();
        let message = transactions.last().and_then(|t| t.final_reply()).cloned();
        Self {
            mail,
            recipients,
            message,
            lmtp,
        }
    }

    /// Puts a 421 where the command it answered keeps its reply: the first command of the
    /// transaction left without one (replies come strictly in order).
    fn place(&mut self, reply: &Response) {
        let all = std::iter::once(&self.mail)
            .chain(self.recipients.iter().map(|r| &r.reply))
            .chain(std::iter::once(&self.message));
        if all.flatten().any(|r| r == reply) {
            return;
        }
        if self.mail.is_none() {
            self.mail = Some(reply.clone());
        } else if let Some(r) = self.recipients.iter_mut().find(|r| r.reply.is_none()) {
            r.reply = Some(reply.clone());
        } else {
            self.message = Some(reply.clone());
        }
    }
}

/// Messages per outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) delivered: u64,
    pub(crate) partial: u64,
    pub(crate) rejected: u64,
    pub(crate) uncertain: u64,
    pub(crate) errors: u64,
}

impl Tally {
    fn count(&mut self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Delivered => &mut self.delivered,
            Outcome::Partial => &mut self.partial,
            Outcome::Rejected => &mut self.rejected,
            Outcome::Uncertain => &mut self.uncertain,
            Outcome::Error => &mut self.errors,
        };
        *counter += 1;
    }

    /// Every message counted.
    pub(crate) fn attempted(&self) -> u64 {
        self.delivered + self.partial + self.rejected + self.uncertain + self.errors
    }

    /// The worst outcome counted.
    pub(crate) fn worst(&self) -> Option<Outcome> {
        [
            (self.errors, Outcome::Error),
            (self.uncertain, Outcome::Uncertain),
            (self.rejected, Outcome::Rejected),
            (self.partial, Outcome::Partial),
            (self.delivered, Outcome::Delivered),
        ]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, outcome)| outcome)
    }

    fn add(&mut self, other: &Tally) {
        self.delivered += other.delivered;
        self.partial += other.partial;
        self.rejected += other.rejected;
        self.uncertain += other.uncertain;
        self.errors += other.errors;
    }
}

/// What one connection saw.
#[derive(Debug, Default)]
pub(crate) struct SessionReport {
    pub(crate) greeting: Option<Response>,
    pub(crate) hello: Option<Hello>,
    pub(crate) tls: Option<TlsSummary>,
    pub(crate) auth: Option<AuthReport>,
    /// The message that completed last, and when.
    pub(crate) last: Option<(Instant, MailView)>,
    pub(crate) tally: Tally,
    /// The first session-ending error, with the outcome it gave its message.
    pub(crate) error: Option<(Outcome, Failure)>,
}

impl SessionReport {
    /// Records a session-level failure (before any message, or ending the session).
    /// `counts` says whether it counts as a message error (send, before its first message).
    pub(crate) fn fail(&mut self, failure: Failure, counts: bool) {
        if counts {
            self.tally.count(Outcome::Error);
        }
        if self.error.is_none() {
            self.error = Some((Outcome::Error, failure));
        }
    }

    /// Records one message's result; `false` when it ended the connection.
    pub(crate) fn message(
        &mut self,
        result: Result<Result<MailReport, LogicError>, Error>,
        lmtp: bool,
    ) -> bool {
        let (outcome, view, failure) = classify(result, lmtp);
        self.tally.count(outcome);
        if let Some(view) = view {
            self.last = Some((Instant::now(), view));
        }
        let fatal = matches!(outcome, Outcome::Error | Outcome::Uncertain);
        if let (Some(failure), None) = (failure, &self.error) {
            self.error = Some((outcome, failure));
        }
        !fatal
    }
}

/// A message's outcome, its replies and its error.
fn classify(
    result: Result<Result<MailReport, LogicError>, Error>,
    lmtp: bool,
) -> (Outcome, Option<MailView>, Option<Failure>) {
    match result {
        Ok(Ok(report)) => {
            let view = MailView::of(&report, lmtp);
            let odd = view.recipients.iter().find_map(|r| {
                r.reply
                    .as_ref()
                    .filter(|reply| reply.is_positive() && !r.is_accepted())
            });
            if let Some(reply) = odd {
                let failure = Failure::new(
                    Kind::Protocol,
                    format!("RCPT answered with {reply}: only 250 or 251 accept a recipient"),
                );
                return (Outcome::Error, Some(view), Some(failure));
            }
            let outcome = match report.outcome() {
                MailOutcome::Delivered => Outcome::Delivered,
                MailOutcome::Partial => Outcome::Partial,
                MailOutcome::Rejected => Outcome::Rejected,
                MailOutcome::Uncertain => Outcome::Uncertain,
            };
            (outcome, Some(view), None)
        }
        Ok(Err(refusal)) => (Outcome::Error, None, Some(Failure::from_logic(&refusal))),
        Err(error) => {
            let failure = Failure::from_error(&error);
            let report = error.reports().last();
            let uncertain = report.is_some_and(|r| r.outcome() == MailOutcome::Uncertain);
            let mut view = report.map(|r| MailView::of(r, lmtp));
            if let (Some(view), Some(reply)) = (view.as_mut(), closing_reply(&error)) {
                view.place(reply);
            }
            let outcome = if uncertain {
                Outcome::Uncertain
            } else {
                Outcome::Error
            };
            (outcome, view, Some(failure))
        }
    }
}

fn closing_reply(error: &Error) -> Option<&Response> {
    match error.protocol() {
        Some(smtp_proto::error::ProtocolError::ServiceClosing(reply)) => Some(reply),
        _ => None,
    }
}

/// A whole run: every connection merged.
#[derive(Debug)]
pub(crate) struct RunReport {
    /// `probe`: no messages, outcome null on success.
    pub(crate) probe: bool,
    pub(crate) connections: u32,
    pub(crate) seconds: f64,
    /// Greeting, EHLO, TLS and AUTH of the first connection that has them.
    pub(crate) session: SessionReport,
    pub(crate) tally: Tally,
    pub(crate) error: Option<Failure>,
    pub(crate) outcome: Option<Outcome>,
}

impl RunReport {
    /// Merges the connections' reports.
    pub(crate) fn merge(probe: bool, sessions: Vec<SessionReport>, seconds: f64) -> Self {
        let connections = u32::try_from(sessions.len()).unwrap_or(u32::MAX);
        let mut tally = Tally::default();
        let mut merged = SessionReport::default();
        let mut errors: Vec<(Outcome, Failure)> = Vec::new();
        for session in sessions {
            tally.add(&session.tally);
            merged.greeting = merged.greeting.or(session.greeting);
            merged.hello = merged.hello.or(session.hello);
            merged.tls = merged.tls.or(session.tls);
            merged.auth = merged.auth.or(session.auth);
            merged.last = match (merged.last, session.last) {
                (Some(a), Some(b)) => Some(if b.0 >= a.0 { b } else { a }),
                (a, b) => a.or(b),
            };
            errors.extend(session.error);
        }
        let outcome = if probe {
            errors.first().map(|_| Outcome::Error)
        } else {
            tally.worst()
        };
        // The error shown is one that gave the run its outcome.
        let error = match outcome {
            Some(worst @ (Outcome::Error | Outcome::Uncertain)) => errors
                .iter()
                .find(|(o, _)| *o == worst)
                .or(errors.first())
                .map(|(_, f)| f.clone()),
            _ => None,
        };
        Self {
            probe,
            connections,
            seconds,
            session: merged,
            tally,
            error,
            outcome,
        }
    }
}
