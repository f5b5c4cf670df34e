//! Mails: one, one streamed from a reader, many pipelined, and connect-send-quit.

use std::collections::VecDeque;
use std::io::Read;

use smtp_adapter::{ConnectionConfig, Error, log};
use smtp_proto::command::{
    Envelope, LogicError, MailBody, MailReport, SendMail, SendMails, StreamedBody,
};
use tracing::Span;

use crate::connection::Connection;
use crate::drive::{Driven, Io};

/// One mail's result: its report (refusals included), the [`LogicError`] that stopped it
/// before a byte was sent, or the fatal error (with the report so far).
pub type MailResult = Result<Result<MailReport, LogicError>, Error>;

impl Connection {
    /// Sends one mail (MAIL, RCPT, DATA or BDAT, pipelined when offered) and returns its
    /// report: delivered, rejected, or per recipient.
    ///
    /// A fatal error after the mail started is [`Error::Interrupted`] with the report so
    /// far: a message sent whose verdict was lost is
    /// [`Outcome::Uncertain`](smtp_proto::command::Outcome::Uncertain).
    ///
    /// A [`MailBody::Streamed`] body comes with its reader, through
    /// [`send_mail_streamed`](Self::send_mail_streamed); given here, it is refused before a
    /// byte is sent ([`LogicError::WrongState`]).
    pub fn send_mail(&mut self, envelope: Envelope, body: MailBody) -> MailResult {
        let cmd = SendMail::with_options(envelope, body, self.options).without_body_source();
        self.send_mail_cmd(cmd, std::io::empty())
    }

    /// Sends one mail whose body comes from `reader`, read through a fixed buffer (memory
    /// stays bounded whatever the size). `declaration` says what the body may contain,
    /// since it cannot be inspected first; a byte that contradicts it aborts the mail
    /// without the end-of-data marker, so nothing truncated is delivered.
    pub fn send_mail_streamed<R: Read>(
        &mut self,
        envelope: Envelope,
        reader: R,
        declaration: StreamedBody,
    ) -> MailResult {
        let body = MailBody::Streamed(declaration);
        let cmd = SendMail::with_options(envelope, body, self.options);
        self.send_mail_cmd(cmd, reader)
    }

    fn send_mail_cmd<R: Read>(&mut self, cmd: SendMail, reader: R) -> MailResult {
        let sent = self.send_with_body(cmd, reader);
        match sent.result {
            Err(error) => {
                let reports = sent.command.report().into_iter().collect();
                Err(error.with_reports(reports))
            }
            ok => ok,
        }
    }

    /// Sends many mails on this connection, the next one's MAIL riding with the previous
    /// end of data under PIPELINING; yields each mail's result in order, as soon as its
    /// last reply arrived. A mail with a [`MailBody::Streamed`] body is refused before a
    /// byte of it is sent ([`LogicError::WrongState`]): these mails have no reader.
    ///
    /// ```no_run
    /// # fn demo(connection: &mut smtp_blocking::Connection,
    /// #     mails: Vec<(smtp_proto::command::Envelope, smtp_proto::command::MailBody)>) {
    /// for result in connection.send_all_mails(mails) {
    ///     match result {
    ///         Ok(Ok(report)) => println!("{:?}", report.outcome()),
    ///         Ok(Err(refusal)) => println!("not sent: {refusal}"),
    ///         Err(error) => println!("connection lost: {error}"),
    ///     }
    /// }
    /// # }
    /// ```
    ///
    /// Dropping the [`Mails`] before it returned `None` abandons the mails in flight and
    /// leaves the connection unusable.
    pub fn send_all_mails<I>(&mut self, mails: I) -> Mails<'_, I::IntoIter>
    where
        I: IntoIterator<Item = (Envelope, MailBody)>,
    {
        self.io.poll_idle(&mut self.client);
        let cmd = SendMails::new(mails.into_iter(), self.options).without_body_source();
        Mails {
            io: &mut self.io,
            exchange: self.client.send(cmd),
            ready: VecDeque::new(),
            done: false,
            span: log::command_span("SendMails"),
        }
    }
}

/// The results of [`Connection::send_all_mails`], in order: an iterator that ends once
/// every mail is reported.
pub struct Mails<'c, I: Iterator<Item = (Envelope, MailBody)>> {
    io: &'c mut Io,
    exchange: smtp_proto::client::Exchange<'c, SendMails<I>>,
    ready: VecDeque<MailResult>,
    done: bool,
    span: Span,
}

impl<I: Iterator<Item = (Envelope, MailBody)>> Iterator for Mails<'_, I> {
    type Item = MailResult;

    /// The next mail's result, or `None` once every mail is reported. After a fatal
    /// error, the mails already finished come first, then the error with the reports of
    /// the mails it interrupted ([`Error::reports`]), then `None`.
    fn next(&mut self) -> Option<MailResult> {
        let span = self.span.clone();
        let _entered = span.enter();
        loop {
            if let Some(result) = self.ready.pop_front() {
                return Some(result);
            }
            if self.done {
                return None;
            }
            self.step();
        }
    }
}

impl<I: Iterator<Item = (Envelope, MailBody)>> Mails<'_, I> {
    fn step(&mut self) {
        let ready = &mut self.ready;
        let pause = |cmd: &mut SendMails<I>| {
            while let Some(result) = cmd.pop_finished() {
                ready.push_back(Ok(result));
            }
            !ready.is_empty()
        };
        let driven = self
            .io
            .drive(&mut self.exchange, &mut std::io::empty(), pause);
        match driven {
            Ok(Driven::Paused) => {}
            Ok(Driven::Done(Ok(rest))) => {
                self.ready.extend(rest.into_iter().map(Ok));
                self.finish(Ok(()));
            }
            Ok(Driven::Done(Err(refusal))) => {
                self.ready.push_back(Ok(Err(refusal)));
                self.finish(Ok(()));
            }
            Err(error) => {
                let cmd = self.exchange.command_mut();
                while let Some(result) = cmd.pop_finished() {
                    self.ready.push_back(Ok(result));
                }
                if let Some(Ok(rest)) = self.exchange.take_result() {
                    self.ready.extend(rest.into_iter().map(Ok));
                }
                let reports = self.exchange.command().interrupted_reports().collect();
                let error = error.with_reports(reports);
                self.finish(Err(&error));
                self.ready.push_back(Err(error));
            }
        }
    }

    fn finish(&mut self, result: Result<(), &Error>) {
        self.done = true;
        match result {
            Ok(()) => {
                self.span.record("outcome", "ok");
            }
            Err(error) => {
                self.span.record("outcome", "fatal");
                tracing::debug!(parent: &self.span, "{error}");
            }
        }
    }
}

/// Connects, sends one mail and quits: the whole job for a caller with one message. A
/// failed QUIT does not change the mail's result.
pub fn connect_send_quit(
    config: &ConnectionConfig,
    envelope: Envelope,
    body: MailBody,
) -> MailResult {
    let mut connection = Connection::connect(config)?;
    let result = connection.send_mail(envelope, body);
    if connection.is_usable() {
        let _ = connection.quit();
    }
    result
}
