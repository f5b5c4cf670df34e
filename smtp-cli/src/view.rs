//! One message as the JSON shows it: the replies to MAIL, each RCPT (and LMTP verdict)
//! and the end of the transaction, built from the core's [`MailReport`].

use smtp_proto::command::MailReport;
use smtp_proto::response::Response;

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
    /// The replies of `report`: each RCPT's own answer (none if it was never answered, even
    /// though the core says a refused MAIL decided that recipient), and the reply that
    /// ended the transaction only if it answered DATA, BDAT or the end of data (not a
    /// refused MAIL, which is `mail`).
    pub(crate) fn of(report: &MailReport, lmtp: bool) -> Self {
        let transactions = report.transactions();
        let mail = transactions.first().and_then(|t| t.mail_reply()).cloned();
        let recipients = report
            .recipients()
            .map(|(_, r)| RecipientView {
                reply: r.rcpt_answer().cloned(),
                data_reply: if lmtp { r.data_reply().cloned() } else { None },
            })
            .collect();
        let message = transactions.last().and_then(|t| {
            let refused_mail = t.mail_reply().filter(|r| r.is_negative());
            t.final_reply()
                .filter(|&end| Some(end) != refused_mail)
                .cloned()
        });
        Self {
            mail,
            recipients,
            message,
            lmtp,
        }
    }

    /// Whether `reply` is one of this message's replies.
    pub(crate) fn holds(&self, reply: &Response) -> bool {
        std::iter::once(&self.mail)
            .chain(self.recipients.iter().map(|r| &r.reply))
            .chain(std::iter::once(&self.message))
            .flatten()
            .any(|r| r == reply)
    }

    pub(crate) fn has_replies(&self) -> bool {
        self.mail.is_some() || self.message.is_some()
    }

    /// Puts a 421 where the command it answered keeps its reply: the first command of the
    /// transaction left without one (replies come strictly in order).
    pub(crate) fn place(&mut self, reply: &Response) {
        if self.holds(reply) {
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

/// The message that completed last, kept as the core reported it: its view is built once,
/// at the end, so the `--count` path allocates nothing per mail beyond the core.
#[derive(Clone, Debug)]
pub(crate) struct LastMail {
    pub(crate) report: MailReport,
    /// The reply that ended the connection during this message: a 421, or one its command
    /// could not take.
    pub(crate) closing: Option<Response>,
    pub(crate) lmtp: bool,
}

impl LastMail {
    /// The replies as the JSON shows them.
    pub(crate) fn view(&self) -> MailView {
        let mut view = MailView::of(&self.report, self.lmtp);
        if let Some(reply) = &self.closing {
            view.place(reply);
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &[u8]) -> Response {
        Response::parse(text).unwrap()
    }

    #[test]
    fn a_421_goes_to_the_first_command_without_a_reply() {
        let closing = reply(b"421 4.3.2 bye\r\n");
        let mut view = MailView {
            mail: Some(reply(b"250 ok\r\n")),
            recipients: vec![
                RecipientView {
                    reply: Some(reply(b"250 ok\r\n")),
                    data_reply: None,
                },
                RecipientView::default(),
            ],
            ..MailView::default()
        };
        view.place(&closing);
        assert_eq!(view.recipients[1].reply.as_ref(), Some(&closing));
        assert!(!view.recipients[1].is_accepted());
        view.place(&closing);
        assert_eq!(view.message, None, "placed once");
        let mut empty = MailView::default();
        empty.place(&closing);
        assert_eq!(empty.mail, Some(closing));
    }

    #[test]
    fn accepted_means_250_or_251() {
        for (text, accepted) in [
            (&b"250 ok\r\n"[..], true),
            (b"251 forwarded\r\n", true),
            (b"252 maybe\r\n", false),
            (b"550 no\r\n", false),
        ] {
            let recipient = RecipientView {
                reply: Some(reply(text)),
                data_reply: None,
            };
            assert_eq!(recipient.is_accepted(), accepted, "{text:?}");
        }
        assert!(!RecipientView::default().is_accepted());
    }
}
