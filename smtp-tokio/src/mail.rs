//! Mails: one, one streamed from a reader, many pipelined, and connect-send-quit.

use std::collections::VecDeque;

use smtp_adapter::{ConnectionConfig, Error, log};
use smtp_proto::command::{
    Envelope, LogicError, MailBody, MailReport, SendMail, SendMails, StreamedBody,
};
use tokio::io::AsyncRead;
use tracing::{Instrument, Span};

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
    pub async fn send_mail(&mut self, envelope: Envelope, body: MailBody) -> MailResult {
        let cmd = SendMail::with_options(envelope, body, self.options).without_body_source();
        self.send_mail_cmd(cmd, tokio::io::empty()).await
    }

    /// Sends one mail whose body comes from `reader`, read through a fixed buffer (memory
    /// stays bounded whatever the size). `declaration` says what the body may contain,
    /// since it cannot be inspected first; a byte that contradicts it aborts the mail
    /// without the end-of-data marker, so nothing truncated is delivered.
    pub async fn send_mail_streamed<R: AsyncRead + Unpin>(
        &mut self,
        envelope: Envelope,
        reader: R,
        declaration: StreamedBody,
    ) -> MailResult {
        let body = MailBody::Streamed(declaration);
        let cmd = SendMail::with_options(envelope, body, self.options);
        self.send_mail_cmd(cmd, reader).await
    }

    async fn send_mail_cmd<R: AsyncRead + Unpin>(
        &mut self,
        cmd: SendMail,
        reader: R,
    ) -> MailResult {
        let sent = self.send_with_body(cmd, reader).await;
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
    /// # async fn demo(connection: &mut smtp_tokio::Connection,
    /// #     mails: Vec<(smtp_proto::command::Envelope, smtp_proto::command::MailBody)>) {
    /// let mut results = connection.send_all_mails(mails);
    /// while let Some(result) = results.next().await {
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

/// The results of [`Connection::send_all_mails`], in order: call [`next`](Self::next)
/// until it returns `None`.
///
/// `next` borrows the `Mails` only while it waits, so it fits a `while let` loop. Where a
/// `Stream` is wanted (the futures-core trait that futures, futures-lite and tokio-stream
/// share), `unfold` makes one:
///
/// ```no_run
/// # async fn demo(connection: &mut smtp_tokio::Connection,
/// #     mails: Vec<(smtp_proto::command::Envelope, smtp_proto::command::MailBody)>) {
/// use futures_lite::{StreamExt, stream};
/// use smtp_proto::command::Outcome;
///
/// let results = stream::unfold(connection.send_all_mails(mails), |mut mails| async move {
///     mails.next().await.map(|result| (result, mails))
/// });
/// let delivered = results
///     .filter(|result| matches!(result, Ok(Ok(report)) if report.outcome() == Outcome::Delivered))
///     .count()
///     .await;
/// println!("{delivered} delivered");
/// # }
/// ```
///
/// The stream keeps the `next` future it is running between polls, so a `next()` on it
/// may be dropped at any point (a timeout to log progress, a `select!` branch that lost)
/// and the next one carries on where it stopped, mid-write included. A `next` future
/// of `Mails` itself may be dropped only while it waits for a reply: see
/// [`next`](Self::next).
pub struct Mails<'c, I: Iterator<Item = (Envelope, MailBody)>> {
    io: &'c mut Io,
    exchange: smtp_proto::client::Exchange<'c, SendMails<I>>,
    ready: VecDeque<MailResult>,
    done: bool,
    span: Span,
}

impl<I: Iterator<Item = (Envelope, MailBody)>> Mails<'_, I> {
    /// The next mail's result, or `None` once every mail is reported. After a fatal
    /// error, the mails already finished come first, then the error with the reports of
    /// the mails it interrupted ([`Error::reports`]), then `None`.
    ///
    /// Not cancel-safe in the sense of resuming, but safe. Dropping the future while it
    /// waits for a reply loses nothing: the next call reads on. Dropping it while it writes
    /// (a large body to a slow server) loses the rest of that write, which cannot be made
    /// up, so the next call writes nothing more: it drops the stream, which may end in half
    /// a line (the server sees the connection close in the middle of the message), and
    /// returns [`Error::Interrupted`] (its [`protocol`](Error::protocol) error is
    /// [`ProtocolError::WriteFailed`](smtp_proto::error::ProtocolError::WriteFailed)) with the
    /// interrupted mails' reports, as after a failed write: a mail cut short is never
    /// reported delivered (uncertain if its end of data had been accepted by the stream).
    /// The connection is then unusable.
    ///
    /// So to do something while a result is due (log progress, watch a shutdown signal),
    /// keep the one future alive rather than wrapping each call in a timeout (or make the
    /// `Mails` a `Stream`, which keeps it: see [`Mails`]):
    ///
    /// ```no_run
    /// # async fn demo(connection: &mut smtp_tokio::Connection,
    /// #     mails: Vec<(smtp_proto::command::Envelope, smtp_proto::command::MailBody)>) {
    /// use std::time::Duration;
    ///
    /// let mut results = connection.send_all_mails(mails);
    /// loop {
    ///     // One future per result, kept across the ticks: never dropped mid-write.
    ///     let mut next = std::pin::pin!(results.next());
    ///     let result = loop {
    ///         tokio::select! {
    ///             result = &mut next => break result,
    ///             _ = tokio::time::sleep(Duration::from_secs(5)) => println!("still sending"),
    ///         }
    ///     };
    ///     match result {
    ///         Some(result) => println!("{result:?}"),
    ///         None => break,
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn next(&mut self) -> Option<MailResult> {
        let span = self.span.clone();
        async {
            loop {
                if let Some(result) = self.ready.pop_front() {
                    return Some(result);
                }
                if self.done {
                    return None;
                }
                self.step().await;
            }
        }
        .instrument(span)
        .await
    }

    async fn step(&mut self) {
        let ready = &mut self.ready;
        let pause = |cmd: &mut SendMails<I>| {
            while let Some(result) = cmd.pop_finished() {
                ready.push_back(Ok(result));
            }
            !ready.is_empty()
        };
        let driven = self
            .io
            .drive(&mut self.exchange, &mut tokio::io::empty(), pause)
            .await;
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
pub async fn connect_send_quit(
    config: &ConnectionConfig,
    envelope: Envelope,
    body: MailBody,
) -> MailResult {
    let mut connection = Connection::connect(config).await?;
    let result = connection.send_mail(envelope, body).await;
    if connection.is_usable() {
        let _ = connection.quit().await;
    }
    result
}
