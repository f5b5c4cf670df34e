//! The result model: what one connection saw ([`SessionReport`]) and what a whole run
//! reports ([`RunReport`]): greeting, EHLO, TLS, AUTH, the last message, error, stats.

use std::sync::atomic::{AtomicU64, Ordering};

use smtp_adapter::Error;
use smtp_proto::command::{Hello, LogicError, MailReport, Outcome as MailOutcome};
use smtp_proto::response::Response;

use crate::cert;
use crate::failure::{Failure, Kind};
use crate::view::{LastMail, MailView};

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
        *self.counter(outcome) += 1;
    }

    /// Takes back one count of `outcome` (a message judged again).
    fn uncount(&mut self, outcome: Outcome) {
        let counter = self.counter(outcome);
        *counter = counter.saturating_sub(1);
    }

    fn counter(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Delivered => &mut self.delivered,
            Outcome::Partial => &mut self.partial,
            Outcome::Rejected => &mut self.rejected,
            Outcome::Uncertain => &mut self.uncertain,
            Outcome::Error => &mut self.errors,
        }
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
    /// The message that completed last, with its place in the order of completion.
    pub(crate) last: Option<(u64, LastMail)>,
    /// How `last` was counted, if this connection completed it.
    last_outcome: Option<Outcome>,
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

    /// Keeps `report` as the last completed message, reusing the slot.
    fn keep(&mut self, report: MailReport, lmtp: bool) {
        let now = completed();
        match &mut self.last {
            Some((at, last)) => {
                *at = now;
                last.report = report;
                last.closing = None;
            }
            None => {
                let closing = None;
                self.last = Some((
                    now,
                    LastMail {
                        report,
                        closing,
                        lmtp,
                    },
                ));
            }
        }
    }

    /// Records one message's result (several after a fatal error that interrupted
    /// pipelined mails); `false` when it ended the connection.
    pub(crate) fn message(
        &mut self,
        result: Result<Result<MailReport, LogicError>, Error>,
        lmtp: bool,
    ) -> bool {
        if let Err(error) = &result {
            // SECURITY.md: a refusal followed by a close is a refusal, not an IO error. The
            // message the server decided counts as decided; the close ends the connection
            // without an error of its own (contract: `error` is null for a refusal).
            if let Some(report) = decided_then_closed(error, lmtp) {
                let outcome = outcome_of(report);
                self.tally.count(outcome);
                self.keep(report.clone(), lmtp);
                self.last_outcome = Some(outcome);
                return false;
            }
            if error.reports().is_empty() && self.last_outcome.is_some() && ends_quietly(error) {
                return false;
            }
        }
        let (messages, failure) = match result {
            // The `--count` path: judged and kept without a copy or an allocation.
            Ok(Ok(report)) if odd_recipient(&report).is_none() => {
                let outcome = outcome_of(&report);
                self.tally.count(outcome);
                self.keep(report, lmtp);
                self.last_outcome = Some(outcome);
                return outcome != Outcome::Uncertain;
            }
            Err(error) if self.closed_by_last(&error) || self.ended_last(&error) => {
                self.closed_after_last(&error, lmtp)
            }
            other => classify(other, lmtp),
        };
        let mut fatal = None;
        for (outcome, mail) in messages {
            self.tally.count(outcome);
            if let Some(mail) = mail {
                self.last = Some((completed(), mail));
                self.last_outcome = Some(outcome);
            }
            if matches!(outcome, Outcome::Error | Outcome::Uncertain) {
                fatal = Some(fatal.map_or(outcome, |f: Outcome| f.max(outcome)));
            }
        }
        if let (Some(failure), None) = (failure, &self.error) {
            self.error = Some((fatal.unwrap_or(Outcome::Error), failure));
        }
        fatal.is_none()
    }
}

impl SessionReport {
    /// Whether `error` is a 421 that the last completed message already holds as a reply
    /// (the verdict, or a refusal that ended it): the core reports that message first,
    /// then the closing.
    fn closed_by_last(&self, error: &Error) -> bool {
        match (closing_reply(error), &self.last, self.last_outcome) {
            (Some(reply), Some((_, last)), Some(_)) => holds_anywhere(&last.report, reply),
            _ => false,
        }
    }

    /// Whether `error` came with no message in flight right after this connection
    /// completed a rejected one: the command that finished that message failed in the RSET
    /// that closes a refused transaction (a 421 to it), so that message counts once, as
    /// the error. (Nothing follows a delivered message's verdict in its command.)
    fn ended_last(&self, error: &Error) -> bool {
        error.reports().is_empty() && self.last_outcome == Some(Outcome::Rejected)
    }

    /// The last message ended with the 421 that closed the connection: it counts once, as
    /// the error (contract: a 421 to any command is `service-closing`), and the mails
    /// pipelined behind it that got no reply were never started.
    fn closed_after_last(
        &mut self,
        error: &Error,
        lmtp: bool,
    ) -> (Vec<(Outcome, Option<LastMail>)>, Option<Failure>) {
        if let Some(previous) = self.last_outcome.take() {
            self.tally.uncount(previous);
        }
        let mut messages = vec![(Outcome::Error, self.last.take().map(|(_, mail)| mail))];
        for report in error.reports() {
            let mail = LastMail {
                report: report.clone(),
                closing: None,
                lmtp,
            };
            if report.outcome() == MailOutcome::Uncertain {
                messages.push((Outcome::Uncertain, Some(mail)));
            } else if mail.view().has_replies() {
                messages.push((Outcome::Error, Some(mail)));
            }
        }
        (messages, Some(Failure::from_error(error)))
    }
}

/// Whether `reply` is one of `report`'s replies, in any of its transactions (a 421 to the
/// MAIL of a second transaction, after a 452, is one the JSON's view does not show).
fn holds_anywhere(report: &MailReport, reply: &Response) -> bool {
    let transactions = report
        .transactions()
        .iter()
        .flat_map(|t| [t.mail_reply(), t.final_reply()]);
    let recipients = report
        .recipients()
        .flat_map(|(_, r)| [r.rcpt_reply(), r.data_reply()]);
    transactions.chain(recipients).flatten().any(|r| r == reply)
}

/// The one mail in flight when the connection ended, if the server had decided it (a
/// refusal of DATA, then a close): a connection end (`io`: an EOF, a reset, a failed
/// write), and no other mail in flight with a reply.
fn decided_then_closed(error: &Error, lmtp: bool) -> Option<&MailReport> {
    let (first, rest) = error.reports().split_first()?;
    let decided = matches!(
        first.outcome(),
        MailOutcome::Rejected | MailOutcome::Partial | MailOutcome::Delivered
    );
    let others_silent = rest.iter().all(|r| !MailView::of(r, lmtp).has_replies());
    (decided && others_silent && ends_quietly(error)).then_some(first)
}

/// A connection end that is no protocol error of its own: an EOF, a reset, a failed write
/// (not a body source that failed, which is the client's side).
fn ends_quietly(error: &Error) -> bool {
    !matches!(error, Error::Body(_)) && Failure::from_error(error).kind == Kind::Io
}

/// The next number in the order in which messages complete, across every connection (a
/// counter rather than the clock: the same order for the one mail the JSON shows, at a few
/// instructions on the `--count` path).
fn completed() -> u64 {
    static COMPLETED: AtomicU64 = AtomicU64::new(0);
    COMPLETED.fetch_add(1, Ordering::Relaxed)
}

/// Each message's outcome and replies, and the error.
///
/// After a fatal error, every interrupted mail whose verdict was lost is uncertain; the
/// one in progress is an error; mails pipelined behind it that got no reply at all were
/// never started as far as the server is concerned and are not counted.
fn classify(
    result: Result<Result<MailReport, LogicError>, Error>,
    lmtp: bool,
) -> (Vec<(Outcome, Option<LastMail>)>, Option<Failure>) {
    match result {
        Ok(Ok(report)) => {
            let failure = odd_recipient(&report).or_else(|| unsent_recipient(&report));
            let outcome = match failure {
                Some(_) => Outcome::Error,
                None => outcome_of(&report),
            };
            let mail = LastMail {
                report,
                closing: None,
                lmtp,
            };
            (vec![(outcome, Some(mail))], failure)
        }
        Ok(Err(refusal)) => (
            vec![(Outcome::Error, None)],
            Some(Failure::from_logic(&refusal)),
        ),
        Err(error) => {
            let failure = Failure::from_error(&error);
            let mut messages = Vec::new();
            // The reply that ended the connection is kept where its command's reply belongs.
            let mut closing = closing_reply(&error).or_else(|| impossible_reply(&error));
            for (index, report) in error.reports().iter().enumerate() {
                let uncertain = report.outcome() == MailOutcome::Uncertain;
                let mail = LastMail {
                    report: report.clone(),
                    closing: if uncertain {
                        None
                    } else {
                        closing.take().cloned()
                    },
                    lmtp,
                };
                if uncertain {
                    messages.push((Outcome::Uncertain, Some(mail)));
                } else if index == 0 || mail.view().has_replies() {
                    messages.push((Outcome::Error, Some(mail)));
                }
            }
            if messages.is_empty() {
                messages.push((Outcome::Error, None));
            }
            (messages, Some(failure))
        }
    }
}

/// A RCPT answered with a positive reply other than 250 or 251: a `protocol` error.
fn odd_recipient(report: &MailReport) -> Option<Failure> {
    let reply = report.recipients().find_map(|(_, r)| {
        r.rcpt_reply()
            .filter(|reply| reply.is_positive() && !matches!(reply.code().get(), 250 | 251))
    })?;
    Some(Failure::new(
        Kind::Protocol,
        format!("RCPT answered with {reply}: only 250 or 251 accept a recipient"),
    ))
}

/// A finished mail with a recipient never attempted (the core reports `NotSent` only for
/// an interrupted mail): a `protocol` error rather than a refusal the server never made.
fn unsent_recipient(report: &MailReport) -> Option<Failure> {
    (report.outcome() == MailOutcome::NotSent).then(|| {
        Failure::new(
            Kind::Protocol,
            "the mail finished with a recipient never attempted",
        )
    })
}

fn outcome_of(report: &MailReport) -> Outcome {
    match report.outcome() {
        MailOutcome::Delivered => Outcome::Delivered,
        MailOutcome::Partial => Outcome::Partial,
        MailOutcome::Rejected => Outcome::Rejected,
        MailOutcome::Uncertain => Outcome::Uncertain,
        // An interrupted mail is an `error` (CLI contract); `unsent_recipient` says why.
        MailOutcome::NotSent => Outcome::Error,
    }
}

fn closing_reply(error: &Error) -> Option<&Response> {
    match error.protocol() {
        Some(smtp_proto::error::ProtocolError::ServiceClosing(reply)) => Some(reply),
        _ => None,
    }
}

/// The reply a command could not take (a 354 to RCPT): a `protocol` error, the reply kept
/// where that command's reply belongs (contract: "with the reply kept in
/// `recipients[].reply`").
fn impossible_reply(error: &Error) -> Option<&Response> {
    match error.protocol() {
        Some(smtp_proto::error::ProtocolError::ImpossibleReply { response, .. }) => Some(response),
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
    /// The message that completed last, over all connections.
    pub(crate) last: Option<MailView>,
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
        let last = merged.last.take().map(|(_, mail)| mail.view());
        Self {
            probe,
            connections,
            seconds,
            last,
            session: merged,
            tally,
            error,
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tally: Tally, error: Option<(Outcome, Failure)>) -> SessionReport {
        SessionReport {
            tally,
            error,
            ..SessionReport::default()
        }
    }

    #[test]
    fn the_worst_outcome_wins_and_its_error_is_shown() {
        let delivered = Tally {
            delivered: 3,
            ..Tally::default()
        };
        let uncertain = Tally {
            delivered: 1,
            uncertain: 1,
            ..Tally::default()
        };
        let failure = Failure::new(Kind::Io, "lost");
        let run = RunReport::merge(
            false,
            vec![
                session(delivered, None),
                session(uncertain, Some((Outcome::Uncertain, failure.clone()))),
            ],
            0.5,
        );
        assert_eq!(run.outcome, Some(Outcome::Uncertain));
        assert_eq!(run.error, Some(failure));
        assert_eq!(run.tally.attempted(), 5);
        assert_eq!(run.connections, 2);
        let partial = Tally {
            partial: 1,
            delivered: 1,
            ..Tally::default()
        };
        let run = RunReport::merge(false, vec![session(partial, None)], 0.1);
        assert_eq!((run.outcome, run.error), (Some(Outcome::Partial), None));
    }

    #[test]
    fn a_probe_succeeds_with_no_outcome() {
        let run = RunReport::merge(true, vec![session(Tally::default(), None)], 0.1);
        assert_eq!(run.outcome, None);
        let failure = Failure::new(Kind::Tls, "handshake");
        let run = RunReport::merge(
            true,
            vec![session(Tally::default(), Some((Outcome::Error, failure)))],
            0.1,
        );
        assert_eq!(run.outcome, Some(Outcome::Error));
        assert_eq!(run.tally.attempted(), 0);
    }
}
