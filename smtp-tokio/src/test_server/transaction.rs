//! The mail transaction of a session: MAIL, RCPT, DATA or BDAT, and the verdict.

use smtp_proto::server::Reply;
use smtp_proto::syntax::esmtp::{Body, EsmtpParam, MailParameters, RcptParameters};
use smtp_proto::syntax::{ForwardPath, ReversePath};

use super::handler::{Action, Handler};
use super::record::{Message, Recipient, SessionEnd, strip_brackets};
use super::rules::{Fault, Stage};

/// A transaction between MAIL and its verdict.
#[derive(Debug)]
pub(super) struct Transaction {
    from: ReversePath,
    params: MailParameters,
    recipients: Vec<(ForwardPath, RcptParameters)>,
    /// The message bytes received so far over BDAT.
    data: Vec<u8>,
    /// A BDAT chunk was accepted: the message goes on over BDAT.
    bdat: bool,
}

impl Transaction {
    /// The reverse path and the accepted recipients, without angle brackets.
    fn addresses(&self) -> Vec<String> {
        let from = strip_brackets(&self.from.to_string());
        let to = self
            .recipients
            .iter()
            .map(|(to, _)| strip_brackets(&to.to_string()));
        std::iter::once(from).chain(to).collect()
    }
}

impl Handler {
    pub(super) fn mail(&mut self, from: ReversePath, params: MailParameters) -> Action {
        if !self.has_hello() {
            let verb = if self.settings.lmtp { "LHLO" } else { "EHLO" };
            return self.answer(503, (5, 5, 1), &format!("Send {verb} first"));
        }
        if self.settings.require_auth && self.authenticated.is_none() {
            return self.answer(530, (5, 7, 0), "Authentication required");
        }
        if self.transaction.is_some() {
            return self.answer(503, (5, 5, 1), "Nested MAIL command");
        }
        if let Some(refusal) = self.unoffered(
            params.first_missing_extension(|kw| self.offers(kw)),
            params.extra(),
        ) {
            return refusal;
        }
        let limit = self.settings.size_limit() as u64;
        if params.size.is_some_and(|size| size > limit) {
            return self.answer(552, (5, 3, 4), "Message size exceeds fixed limit");
        }
        let address = strip_brackets(&from.to_string());
        if let Some(action) = self.scripted(Stage::Mail, std::iter::once(address.as_str())) {
            return action;
        }
        self.transaction = Some(Transaction {
            from,
            params,
            recipients: Vec::new(),
            data: Vec::new(),
            bdat: false,
        });
        self.answer(250, (2, 1, 0), "Ok")
    }

    pub(super) fn rcpt(&mut self, to: ForwardPath, params: RcptParameters) -> Action {
        let Some(transaction) = self.transaction.as_ref() else {
            return self.answer(503, (5, 5, 1), "Need MAIL first");
        };
        let accepted = transaction.recipients.len();
        if let Some(refusal) = self.unoffered(
            params.first_missing_extension(|kw| self.offers(kw)),
            params.extra(),
        ) {
            return refusal;
        }
        if self
            .settings
            .max_recipients
            .is_some_and(|max| accepted >= max)
        {
            return self.answer(452, (4, 5, 3), "Too many recipients");
        }
        let address = strip_brackets(&to.to_string());
        if let Some(action) = self.scripted(Stage::Rcpt, std::iter::once(address.as_str())) {
            return action;
        }
        if let Some(transaction) = self.transaction.as_mut() {
            transaction.recipients.push((to, params));
        }
        self.answer(250, (2, 1, 5), "Ok")
    }

    /// 555 for a parameter the EHLO reply does not offer (RFC 5321 §4.1.1.11): a typed one
    /// whose extension is missing (`missing`), or an unknown one whose keyword is not an
    /// EHLO keyword (one added with `capability("XFOO")` lets `XFOO=1` through).
    fn unoffered(&self, missing: Option<&str>, extra: &[EsmtpParam]) -> Option<Action> {
        let unknown = || {
            extra
                .iter()
                .map(|p| p.keyword().as_str())
                .find(|kw| !self.offers(kw))
        };
        let keyword = missing.or_else(unknown)?;
        let text = format!("{keyword} not offered");
        Some(self.answer(555, (5, 5, 4), &text))
    }

    /// Checks common to DATA and the first BDAT; `None` when the message may start.
    fn message_start(&mut self, bdat: bool) -> Option<Action> {
        let Some(transaction) = self.transaction.as_ref() else {
            return Some(self.answer(503, (5, 5, 1), "Need MAIL first"));
        };
        if transaction.recipients.is_empty() {
            // LMTP: "MUST fail with a 503 reply code" (RFC 2033 §4.2).
            let code = if self.settings.lmtp { 503 } else { 554 };
            return Some(self.answer(code, (5, 5, 1), "No valid recipients"));
        }
        if transaction.bdat {
            return None;
        }
        if !bdat && transaction.params.body == Some(Body::BinaryMime) {
            return Some(self.answer(503, (5, 5, 1), "BINARYMIME needs BDAT"));
        }
        let addresses = transaction.addresses();
        let action = self.scripted(Stage::Data, addresses.iter().map(String::as_str));
        if action.is_some() {
            self.transaction = None;
        }
        action
    }

    pub(super) fn data(&mut self) -> Action {
        if self.transaction.as_ref().is_some_and(|t| t.bdat) {
            return self.answer(503, (5, 5, 1), "DATA during BDAT");
        }
        if let Some(refusal) = self.message_start(false) {
            return refusal;
        }
        self.pending.clear();
        self.answer(354, (0, 0, 0), "End data with <CR><LF>.<CR><LF>")
    }

    pub(super) fn bdat(&mut self, size: u64, last: bool) -> Action {
        let chunk = std::mem::take(&mut self.pending);
        if !self.offers("CHUNKING") {
            self.transaction = None;
            return self.answer(502, (5, 5, 1), "CHUNKING not offered");
        }
        if let Some(refusal) = self.message_start(true) {
            self.transaction = None;
            return refusal;
        }
        if let Some(transaction) = self.transaction.as_mut() {
            transaction.bdat = true;
            transaction.data.extend_from_slice(&chunk);
        }
        if last {
            return self.data_end();
        }
        self.answer(250, (2, 0, 0), &format!("{size} octets received"))
    }

    /// The end of the message: the verdict, per recipient in LMTP (RFC 2033 §4.2).
    pub(super) fn data_end(&mut self) -> Action {
        let Some(mut transaction) = self.transaction.take() else {
            return self.answer(503, (5, 5, 1), "Need MAIL first");
        };
        if !transaction.bdat {
            transaction.data = std::mem::take(&mut self.pending);
        }
        self.message_count += 1;
        let addresses = transaction.addresses();
        let (action, verdicts) = self.verdicts(&addresses);
        let lmtp = self.settings.lmtp && verdicts.len() == transaction.recipients.len();
        let verdict_of = |i: usize| match (lmtp, verdicts.first()) {
            (true, _) => verdicts.get(i).cloned(),
            (false, first) => first.cloned(),
        };
        let recipients = (transaction.recipients.into_iter().enumerate())
            .map(|(i, (forward_path, parameters))| Recipient {
                forward_path,
                parameters,
                verdict: verdict_of(i),
            })
            .collect();
        self.store.push_message(Message {
            session: self.id,
            reverse_path: transaction.from,
            mail_parameters: transaction.params,
            recipients,
            data: transaction.data,
            bdat: transaction.bdat,
            tls: self.tls,
            authenticated: self.authenticated.clone(),
            verdict: if self.settings.lmtp {
                None
            } else {
                verdicts.first().cloned()
            },
        });
        action
    }

    /// The action at the end of data and the verdicts it sends.
    fn verdicts(&mut self, addresses: &[String]) -> (Action, Vec<Reply>) {
        let scripted = self.scripted(Stage::DataEnd, std::iter::empty());
        match scripted {
            Some(Action::Answer(replies)) => return (Action::Answer(replies.clone()), replies),
            Some(other) => return (other, Vec::new()),
            None => {}
        }
        let after = self
            .settings
            .rules
            .fires(|f| matches!(f, Fault::DisconnectAfterVerdict));
        self.disconnect_after_reply |= after.is_some();
        let rules = &self.settings.rules;
        let replies: Vec<Reply> = if self.settings.lmtp {
            let recipients = addresses.iter().skip(1);
            recipients
                .map(|to| {
                    rules
                        .refusal(Stage::DataEnd, std::iter::once(to.as_str()))
                        .unwrap_or_else(|| self.reply(250, (2, 1, 5), &format!("<{to}> delivered")))
                })
                .collect()
        } else {
            let all = addresses.iter().map(String::as_str);
            let queued = format!("Ok: queued as {}.{}", self.id, self.message_count);
            vec![
                rules
                    .refusal(Stage::DataEnd, all)
                    .unwrap_or_else(|| self.reply(250, (2, 0, 0), &queued)),
            ]
        };
        // A refusal rule's 421 ends the session as a 421 fault does.
        if replies.iter().any(|r| r.code().get() == 421) {
            self.end = Some(SessionEnd::ServiceClosing);
        }
        (Action::Answer(replies.clone()), replies)
    }
}
