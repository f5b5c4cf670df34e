//! What the examples share: printing a mail's report.

use smtp_proto::command::{MailReport, Outcome, RecipientStatus};

/// Prints the outcome, then each recipient's status and the reply that decided it (the
/// verdict, else the answer to RCPT), through `Display`.
pub(crate) fn print_report(report: &MailReport) {
    let outcome = match report.outcome() {
        Outcome::Delivered => "delivered",
        Outcome::Partial => "delivered to some recipients",
        Outcome::Rejected => "not delivered",
        Outcome::Uncertain => "uncertain (the connection was lost before the verdict)",
        Outcome::NotSent => "not sent (the connection failed before the message left)",
    };
    eprintln!("outcome: {outcome}");
    for (path, recipient) in report.recipients() {
        let status = match recipient.status() {
            RecipientStatus::Delivered => "delivered",
            RecipientStatus::Refused => "refused at RCPT",
            RecipientStatus::Rejected => "accepted, then the message was rejected",
            RecipientStatus::Uncertain => "uncertain",
            RecipientStatus::NotAttempted => "not attempted",
        };
        let reply = recipient.data_reply().or(recipient.rcpt_reply());
        match reply {
            Some(reply) => eprintln!("  {path}: {status}: {reply}"),
            None => eprintln!("  {path}: {status}"),
        }
    }
}
