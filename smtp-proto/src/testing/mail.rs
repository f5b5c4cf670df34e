//! The mail actions (`send_mail`, `send_mails`) and how a mail report is rendered.

use std::collections::VecDeque;
use std::num::NonZeroUsize;

use crate::command::{
    Envelope, LogicError, Mail, MailBody, MailReport, Rcpt, RecipientStatus, SendMail, SendMails,
    StreamedBody, TransactionOptions,
};
use crate::syntax::esmtp::{
    EnvId, FutureRelease, MailParameters, Notify, OriginalRecipient, RcptParameters,
};
use crate::syntax::{ForwardPath, ReversePath};

use super::actions::{ActionError, refused};
use super::render::{render_logic_error, variant};
use super::script::Action;

/// `send_mail from=<a@x> to=<b@y>,<c@y> body=TEXT` (or `binary=TEXT`, or `stream=7bit|8bit|utf8`
/// with `size-hint=N`), options `bdat=no`, `pipelining=no`, `chunk=N`, `retry-452=no`,
/// `strict=yes`, DSN `ret=FULL|HDRS`, `envid=X`, `notify=SUCCESS,FAILURE`, `orcpt=ADDR` (rfc822)
/// (the last two for every recipient), `requiretls=yes`, `mt-priority=N`, `by=SECONDS;R|N`,
/// `holdfor=SECONDS`.
pub(crate) fn send_mail(action: &Action) -> Result<SendMail, ActionError> {
    let (envelope, body, options) = mail(action)?;
    Ok(SendMail::with_options(envelope, body, options))
}

/// The mails of `send_mails`: the `send_mail` arguments, sent `count=N` times.
pub(crate) type Mails = std::iter::RepeatN<(Envelope, MailBody)>;

/// `send_mails count=N` and the `send_mail` arguments: the same mail `N` times, pipelined.
pub(crate) fn send_mails(action: &Action) -> Result<SendMails<Mails>, ActionError> {
    let (envelope, body, options) = mail(action)?;
    let count: usize = parse(action, "count")?.unwrap_or(2);
    Ok(SendMails::new(
        std::iter::repeat_n((envelope, body), count),
        options,
    ))
}

fn mail(action: &Action) -> Result<(Envelope, MailBody, TransactionOptions), ActionError> {
    let from: ReversePath = required(action, "from")?.parse().map_err(refused)?;
    let to = required(action, "to")?;
    let mut params = MailParameters::new();
    params.ret = parse(action, "ret")?;
    if let Some(envid) = action.text("envid") {
        params.envid = Some(EnvId::new(&envid).map_err(refused)?);
    }
    params.require_tls = action.text("requiretls").as_deref() == Some("yes");
    params.mt_priority = parse(action, "mt-priority")?;
    params.deliver_by = parse(action, "by")?;
    if let Some(seconds) = action.text("holdfor") {
        params.future_release = Some(FutureRelease::parse_for(&seconds).map_err(refused)?);
    }
    let mut rcpt_params = RcptParameters::new();
    rcpt_params.notify = parse::<Notify>(action, "notify")?;
    if let Some(address) = action.text("orcpt") {
        let orcpt = OriginalRecipient::new(&address).map_err(refused)?;
        rcpt_params.orcpt = Some(orcpt);
    }
    let mut paths = to
        .split(',')
        .map(|path| path.parse::<ForwardPath>().map_err(refused));
    let first = paths.next().ok_or("to needs a recipient")??;
    let mut envelope = Envelope::from_commands(
        Mail::new(from, params),
        vec1::vec1![Rcpt::new(first, rcpt_params.clone())],
    );
    for path in paths {
        envelope.push_recipient(path?, rcpt_params.clone());
    }
    let mut options = TransactionOptions::default();
    if action.text("bdat").as_deref() == Some("no") {
        options.prefer_bdat = false;
    }
    if action.text("pipelining").as_deref() == Some("no") {
        options.pipelining = false;
    }
    if action.text("retry-452").as_deref() == Some("no") {
        options.retry_too_many_recipients = false;
    }
    if action.text("strict").as_deref() == Some("yes") {
        options.body_policy = options.body_policy.strict();
    }
    if let Some(size) = parse::<usize>(action, "chunk")? {
        options.bdat_chunk_size = NonZeroUsize::new(size).ok_or("chunk must be positive")?;
    }
    let body = if let Some(bytes) = action.value("body") {
        MailBody::bytes(bytes.to_vec())
    } else if let Some(bytes) = action.value("binary") {
        MailBody::Binary(bytes.to_vec().into())
    } else if let Some(kind) = action.text("stream") {
        MailBody::Streamed(StreamedBody {
            eight_bit: kind == "8bit" || kind == "utf8",
            smtputf8: kind == "utf8",
            size_hint: parse(action, "size-hint")?,
        })
    } else {
        return Err("send_mail needs body=, binary= or stream=".into());
    };
    Ok((envelope, body, options))
}

/// `mail <a@x> [size=N] [body=8BITMIME] [smtputf8=yes]`: MAIL alone.
pub(crate) fn mail_command(action: &Action) -> Result<Mail, ActionError> {
    let from: ReversePath = positional(action)?.parse().map_err(refused)?;
    let mut params = MailParameters::new();
    params.size = parse(action, "size")?;
    params.body = parse(action, "body")?;
    params.smtputf8 = action.text("smtputf8").as_deref() == Some("yes");
    Ok(Mail::new(from, params))
}

/// `rcpt <b@y> [notify=...]`: RCPT alone.
pub(crate) fn rcpt_command(action: &Action) -> Result<Rcpt, ActionError> {
    let to: ForwardPath = positional(action)?.parse().map_err(refused)?;
    let mut params = RcptParameters::new();
    params.notify = parse::<Notify>(action, "notify")?;
    Ok(Rcpt::new(to, params))
}

fn positional(action: &Action) -> Result<String, ActionError> {
    action
        .arg(0)
        .ok_or_else(|| format!("{} needs an address", action.name).into())
}

fn required(action: &Action, key: &str) -> Result<String, ActionError> {
    action
        .text(key)
        .ok_or_else(|| format!("{} needs {key}=", action.name).into())
}

fn parse<T: std::str::FromStr>(action: &Action, key: &str) -> Result<Option<T>, ActionError>
where
    T::Err: std::fmt::Debug,
{
    action
        .text(key)
        .map(|text| text.parse().map_err(refused))
        .transpose()
}

/// `outcome delivered transactions 1`, then `rcpt <b@y> delivered 250 250` per recipient
/// (status, the RCPT reply's code, the verdict's code when there is one).
pub(crate) fn render_report(report: &MailReport) -> Vec<String> {
    let mut lines = vec![format!(
        "outcome {} transactions {}",
        variant(&report.outcome()),
        report.transactions().len()
    )];
    for (path, recipient) in report.recipients() {
        let mut line = format!("rcpt {path} {}", status(recipient.status()));
        for reply in [recipient.rcpt_reply(), recipient.data_reply()]
            .into_iter()
            .flatten()
        {
            line.push_str(&format!(" {}", reply.code().get()));
        }
        lines.push(line);
    }
    lines
}

fn status(status: RecipientStatus) -> String {
    variant(&status)
}

/// Each mail of `send_mails` in order: its report, or the error that stopped it.
pub(crate) fn render_reports(results: VecDeque<Result<MailReport, LogicError>>) -> Vec<String> {
    results
        .iter()
        .flat_map(|result| match result {
            Ok(report) => render_report(report),
            Err(error) => vec![render_logic_error(error)],
        })
        .collect()
}
