//! One exchange: a command running on the client, its inputs and its single output.

use std::time::Instant;

use crate::command::{BodyChunk, Cmd, LogicError, Step};
use crate::error::ProtocolError;
use crate::response::{BytesMut, ReplyParser, Response};

use super::Client;
use super::context::{Requests, Upgrade};
use super::outbox::Transmit;

/// One command running on a [`Client`]: the driver's inputs and its single output.
///
/// The rule: after creating it and after every input, call [`poll_output`](Self::poll_output)
/// until it returns [`Output::NeedInput`] (then read) or [`Output::Done`] (then stop); an
/// error from `poll_output` is fatal for the connection.
#[derive(Debug)]
pub struct Exchange<'c, C: Cmd> {
    pub(super) client: &'c mut Client,
    pub(super) cmd: C,
    pub(super) state: State<C::Output>,
}

#[derive(Debug)]
pub(super) enum State<T> {
    NotStarted,
    Running,
    Finished(Result<T, LogicError>),
    Refused(ProtocolError),
    /// The command finished, but a fatal error ended the exchange before `Done`.
    Orphaned(Result<T, LogicError>),
    /// `Done` or an error was returned.
    Over,
}

/// What the caller must do next.
#[derive(Debug)]
#[must_use]
pub enum Output<'a, T> {
    /// Write these bytes (all of them, in one write if possible) before their deadline,
    /// then poll again.
    Transmit(Transmit<'a>),
    /// Read from the connection and hand the bytes to
    /// [`handle_input`](Exchange::handle_input) (or call
    /// [`handle_eof`](Exchange::handle_eof)); if nothing arrives by `deadline`, call
    /// [`handle_timeout`](Exchange::handle_timeout).
    ///
    /// The deadline may have passed already, when the caller polls late (it paused between
    /// the results of [`SendMails`](crate::command::SendMails), or dropped a read and came
    /// back): read what has arrived without waiting, and call `handle_timeout` only if
    /// nothing has. What arrived while nobody read counts; the deadline itself never moves.
    NeedInput {
        /// When the awaited reply is overdue (fixed; not moved by partial replies).
        deadline: Instant,
    },
    /// Run the TLS handshake on the connection now, then call
    /// [`tls_established`](Exchange::tls_established).
    UpgradeTls,
    /// Hand over the next piece of the body with [`handle_body`](Exchange::handle_body) or
    /// its end with [`handle_body_end`](Exchange::handle_body_end).
    NeedBody,
    /// The command is finished: its output or the server's refusal. The connection stays
    /// usable unless the command closed the session.
    Done(Result<T, LogicError>),
}

impl<'c, C: Cmd> Exchange<'c, C> {
    /// The next thing to do. `now` fixes new deadlines; the core never reads the clock.
    pub fn poll_output(&mut self, now: Instant) -> Result<Output<'_, C::Output>, ProtocolError> {
        if let State::NotStarted = self.state {
            self.state = State::Running;
            match self.cmd.check(&self.client.session) {
                Err(error) => self.state = State::Finished(Err(error)),
                Ok(()) => {
                    let step = self.cmd.start(&mut self.client.context(None));
                    self.apply(step);
                }
            }
            // Handed over before this first poll (`handle_input`, `handle_eof`).
            if !self.client.input.is_empty() {
                self.parse_replies();
            }
            if self.client.eof {
                self.handle_eof();
            }
        }
        if let Some(error) = self.take_failure() {
            return Err(error);
        }
        if self.client.write_failed {
            // Nothing more can be written: the command's result if the replies read after
            // the failure finished it, else the end.
            if let Some(result) = self.finished_result() {
                self.client.failed = true;
                return Ok(Output::Done(result));
            }
            self.client.fail(ProtocolError::WriteFailed);
            return Err(self.take_failure().unwrap_or(ProtocolError::Unusable));
        }
        // A deadline that passed before this poll is not judged here but by the caller,
        // after it read what arrived meanwhile (`Output::NeedInput`): a caller that paused
        // between results did not make the server late.
        match self.client.requests.upgrade {
            Upgrade::Requested => {
                self.client.requests.upgrade = Upgrade::Handshaking;
                return Ok(Output::UpgradeTls);
            }
            Upgrade::Handshaking => return Ok(Output::UpgradeTls),
            Upgrade::None => {}
        }
        // A command writing a large output a block at a time tops it up before it leaves,
        // so that every transmit is a full block; it may take several calls (blocks
        // smaller than a data block). One that asks again after writing nothing would be
        // called forever here: that is a misuse.
        while self.client.requests.writable
            && self.client.outbox.unsent() < super::outbox::BODY_BLOCK
        {
            self.client.requests.writable = false;
            // What was handed out is written by now: dropped first, the block goes where
            // it was rather than after it.
            self.client.outbox.compact();
            let before = self.client.outbox.written();
            let step = self.cmd.on_writable(&mut self.client.context(None));
            self.apply(step);
            if self.client.requests.writable && self.client.outbox.written() == before {
                self.client.fail(ProtocolError::Misuse(
                    "room to write asked for again after writing nothing",
                ));
            }
            if let Some(error) = self.take_failure() {
                return Err(error);
            }
        }
        if self.may_transmit() {
            let client = &mut *self.client;
            let max = client.config.max_group.map(|max| max.get());
            let deadline = super::deadline_after(now, client.config.timeouts.write);
            return Ok(Output::Transmit(client.outbox.take(max, deadline)));
        }
        // Octets held back by the group limit leave once the replies they wait for are
        // read: a streamed body is not asked for meanwhile, so it is never held whole.
        if self.client.requests.body && !self.client.outbox.has_unsent() {
            return Ok(Output::NeedBody);
        }
        if let Some(result) = self.finished_result() {
            return Ok(Output::Done(result));
        }
        if let State::Over | State::Orphaned(_) = self.state {
            return Err(ProtocolError::Misuse("poll after the exchange ended"));
        }
        let timeout = self.client.config.timeouts;
        match self.client.awaited.front_mut() {
            Some(head) => {
                let deadline = *head
                    .deadline
                    .get_or_insert_with(|| super::deadline_after(now, timeout.reply(head.kind)));
                Ok(Output::NeedInput { deadline })
            }
            None => {
                self.client
                    .fail(ProtocolError::Misuse("command waits for nothing"));
                Err(self.take_failure().unwrap_or(ProtocolError::Unusable))
            }
        }
    }

    /// Whether unsent bytes may leave now: always, unless groups are limited and replies
    /// to bytes already sent are still outstanding.
    fn may_transmit(&self) -> bool {
        let client = &*self.client;
        let unanswered = client
            .awaited
            .front()
            .is_some_and(|head| head.after <= client.outbox.sent());
        client.outbox.has_unsent() && (client.config.max_group.is_none() || !unanswered)
    }

    /// The command's result, once it is finished and nothing more is awaited (or it closed
    /// the session).
    fn finished_result(&mut self) -> Option<Result<C::Output, LogicError>> {
        let client = &mut *self.client;
        let finished = matches!(self.state, State::Finished(_));
        if !finished || !(client.awaited.is_empty() || client.requests.close) {
            return None;
        }
        if client.requests.close {
            client.session.closed = true;
            client.awaited.clear();
        }
        client.requests = Requests::default();
        client.busy = false;
        match std::mem::replace(&mut self.state, State::Over) {
            State::Finished(result) => Some(result),
            _ => None,
        }
    }

    /// Bytes read from the connection. Every complete reply is handed to the command at
    /// once, in order.
    ///
    /// Nothing the server sent is dropped while the connection is usable: bytes handed over
    /// before the first poll are read once the command has started (a greeting read before
    /// polling is the greeting; anything else is a reply nobody asked for), and bytes handed
    /// over after [`Output::Done`] are the idle client's ([`Client::handle_input`]: a 421
    /// or a reply nobody asked for, reported by the next command). After a fatal error
    /// they are ignored.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        match self.state {
            State::NotStarted => {
                self.client.input.extend_from_slice(bytes);
                return;
            }
            State::Over if !self.client.failed => {
                self.client.handle_input(bytes);
                return;
            }
            State::Running | State::Finished(_) if self.client.fatal.is_none() => {}
            _ => return,
        }
        if self.client.requests.upgrade != Upgrade::None {
            self.client.fail(ProtocolError::StartTlsInjection);
            return;
        }
        self.client.input.extend_from_slice(bytes);
        self.parse_replies();
    }

    /// The server closed the connection. Replies already complete were handled by
    /// [`handle_input`](Self::handle_input); with a reply awaited this is
    /// [`ProtocolError::TruncatedReply`] when part of it had arrived (a reply cut off),
    /// else [`ProtocolError::UnexpectedEof`] (an end between replies). After
    /// [`handle_write_error`](Self::handle_write_error) the end itself is no error: the
    /// failed write is the cause ([`ProtocolError::WriteFailed`]), unless the replies read
    /// since finished the command or were fatal themselves (a 421, a malformed reply).
    /// Before the first poll it is judged at that poll, once the command has started.
    pub fn handle_eof(&mut self) {
        let client = &mut *self.client;
        client.eof = true;
        if matches!(self.state, State::NotStarted) {
            // Judged at the first poll, once the command has said what it awaits.
            return;
        }
        if client.fatal.is_some() || client.requests.close {
            return;
        }
        if client.write_failed {
            // Replies read since finished the command, or `poll_output` fails it.
            return;
        }
        if let Some(head) = client.awaited.front() {
            let kind = head.kind;
            // The parser keeps an incomplete reply in `input` until its last line arrives.
            client.fail(if client.input.is_empty() {
                ProtocolError::UnexpectedEof(kind)
            } else {
                ProtocolError::TruncatedReply(kind)
            });
        } else if !client.input.is_empty() {
            client.fail(ProtocolError::UnexpectedBytes);
        } else if matches!(self.state, State::Running) {
            client.fail(ProtocolError::ConnectionClosed);
        }
    }

    /// Time passed: if the awaited reply's deadline is reached, the connection fails with
    /// [`ProtocolError::Timeout`] (no late reply can be matched to a later command).
    pub fn handle_timeout(&mut self, now: Instant) {
        let client = &mut *self.client;
        if let Some(head) = client.awaited.front() {
            if head.deadline.is_some_and(|deadline| now >= deadline) {
                let kind = head.kind;
                client.fail(ProtocolError::Timeout(kind));
            }
        }
    }

    /// Writing the last transmit failed, timed out or was abandoned after the stream had
    /// accepted `accepted` of its octets: the sum of what its writes returned (`Ok(n)`);
    /// an adapter that cannot tell passes the transmit's length, since all of it may have
    /// left. Call this first, then hand over what can still be read (a server that refuses
    /// and closes, a 552 during the body, has sent its reply: it is taken even though the
    /// line it answers did not fully leave; a positive reply to such a line cannot be its
    /// answer and fails the exchange with [`ProtocolError::UnexpectedReply`], so nothing is
    /// delivered whose end of data did not leave), then [`handle_eof`](Self::handle_eof), then
    /// poll: the command gets its result if the replies finished it, else the exchange fails
    /// ([`ProtocolError::WriteFailed`]), and the command learns through
    /// [`Cmd::on_failure`] that the accepted octets may have left and the rest did not. An
    /// end of data among the accepted octets may have reached the server, so its recipients
    /// become uncertain; one after them never left, so it makes nothing uncertain.
    pub fn handle_write_error(&mut self, accepted: usize) {
        let client = &mut *self.client;
        let start = client.outbox.last_start();
        let left = start
            .saturating_add(u64::try_from(accepted).unwrap_or(u64::MAX))
            .min(client.outbox.sent());
        client.unconfirmed_from = Some(left);
        client.write_failed = true;
    }

    /// The TLS handshake asked for by [`Output::UpgradeTls`] succeeded. EHLO data and
    /// authentication from before were forgotten already, when the 220 to STARTTLS asked
    /// for the upgrade ([`Context::upgrade_tls`](super::Context::upgrade_tls), RFC 3207
    /// §4.2).
    pub fn tls_established(&mut self) {
        let client = &mut *self.client;
        if client.requests.upgrade == Upgrade::None {
            client.fail(ProtocolError::Misuse(
                "TLS established without an upgrade request",
            ));
            return;
        }
        client.requests.upgrade = Upgrade::None;
        client.session.tls = true;
        client.parser = ReplyParser::with_limits(client.config.reply_limits);
    }

    /// The next piece of the body, after [`Output::NeedBody`]. Handed over unasked (before
    /// `NeedBody`, before the first poll, after `Done`), it fails the connection with
    /// [`ProtocolError::Misuse`]: nothing is silently dropped.
    pub fn handle_body(&mut self, chunk: &[u8]) {
        self.body(BodyChunk::Data(chunk));
    }

    /// The body is complete, after [`Output::NeedBody`] (unasked: as for
    /// [`handle_body`](Self::handle_body)).
    pub fn handle_body_end(&mut self) {
        self.body(BodyChunk::End);
    }

    /// The code of the last reply this exchange received (for a log line: the reply code of
    /// a command that succeeded).
    pub fn last_reply_code(&self) -> Option<crate::response::ReplyCode> {
        self.client.last_code
    }

    /// [`Client::may_be_in_mail_data`]: an adapter asks it after a fatal error, since the
    /// server may still be reading a message then, so anything more written on the
    /// connection would become part of it, and the connection must be closed, not handed
    /// back.
    pub fn may_be_in_mail_data(&self) -> bool {
        self.client.may_be_in_mail_data()
    }

    /// The command, for what it recorded (a mail report after a fatal error).
    pub fn command(&self) -> &C {
        &self.cmd
    }

    /// After a fatal error: the command's result, if it had finished before the connection
    /// failed (a mail whose verdict was a 421 has its report here).
    pub fn take_result(&mut self) -> Option<Result<C::Output, LogicError>> {
        match std::mem::replace(&mut self.state, State::Over) {
            State::Orphaned(result) => Some(result),
            other => {
                self.state = other;
                None
            }
        }
    }

    /// The command, mutably: to take what it produced so far (the finished mails of
    /// [`SendMails`](crate::command::SendMails)). Changing its course is the caller's risk.
    pub fn command_mut(&mut self) -> &mut C {
        &mut self.cmd
    }

    /// Ends the exchange and gives the command back.
    pub fn into_command(self) -> C {
        self.cmd
    }

    fn body(&mut self, chunk: BodyChunk<'_>) {
        // After a fatal error the body has nowhere to go; before the first poll or after
        // `Done` it was not asked for, which the check below reports.
        if self.client.failed || self.client.fatal.is_some() {
            return;
        }
        if !std::mem::take(&mut self.client.requests.body) {
            self.client
                .fail(ProtocolError::Misuse("body handed over without NeedBody"));
            return;
        }
        let step = self.cmd.on_body(chunk, &mut self.client.context(None));
        self.apply(step);
    }

    fn parse_replies(&mut self) {
        // Before the replies are split off, the buffer holds what it grew to.
        let grown = self.client.input.len() > super::driver::INPUT_RETAIN_MAX;
        while self.client.fatal.is_none() {
            match self.client.parser.parse(&mut self.client.input) {
                Ok(Some(reply)) => self.deliver(reply),
                Ok(None) => break,
                Err(error) => self.client.fail(error.into()),
            }
        }
        let client = &mut *self.client;
        // A large reply grew the receive buffer; once it is read, one of the usual size
        // replaces it (the replies handed out keep the old one only while they live).
        if grown && client.input.is_empty() {
            client.input = BytesMut::with_capacity(super::driver::INPUT_CAPACITY);
        }
        let waiting = client
            .awaited
            .front()
            .is_some_and(|head| head.after <= client.outbox.sent() || client.write_failed);
        if client.fatal.is_none() && !client.input.is_empty() && !waiting {
            client.fail(ProtocolError::UnexpectedBytes);
        }
    }

    fn deliver(&mut self, reply: Response) {
        let client = &mut *self.client;
        let head = match client.awaited.front() {
            Some(head) if head.after <= client.outbox.sent() || client.write_failed => *head,
            _ => {
                let error = if reply.code().get() == 421 {
                    ProtocolError::ServiceClosing(reply)
                } else {
                    ProtocolError::UnexpectedReply(reply)
                };
                client.fail(error);
                return;
            }
        };
        if matches!(self.state, State::Finished(_)) && client.requests.close {
            // The command finished and closed the session with a line still unanswered
            // (the QUIT after a refused greeting): its answer, read before the result was
            // handed out, is nobody's.
            client.awaited.pop_front();
            return;
        }
        // After a failed write, a reply to a command that did not fully leave can only be
        // a refusal (a server that refuses and closes mid-body): a positive one cannot
        // answer what the server never had, and must not make a message delivered.
        if client.write_failed
            && client
                .unconfirmed_from
                .is_some_and(|left| head.after > left)
            && !reply.is_negative()
        {
            client.fail(ProtocolError::UnexpectedReply(reply));
            return;
        }
        client.awaited.pop_front();
        let code = reply.code();
        client.last_code = Some(code);
        client.session.track_transaction(head.kind, code);
        // The first only: a command that declares a later line's reply a greeting does
        // not replace the server's.
        if head.kind == crate::client::ReplyKind::Greeting && client.session.greeting.is_none() {
            client.session.greeting = Some(reply.clone());
        }
        let closing = (code.get() == 421).then(|| reply.clone());
        if let State::Running = self.state {
            let step = self
                .cmd
                .on_reply(reply, &mut client.context(Some((head.kind, code))));
            self.apply(step);
        } else {
            client.fail(ProtocolError::Misuse(
                "reply for a command that has finished",
            ));
        }
        if let Some(reply) = closing {
            // RFC 5321 §3.8: a 421 ends the session whatever the command made of it (a
            // required STARTTLS answered 421 is the server closing, not TLS unavailable).
            self.client.fatal = Some(ProtocolError::ServiceClosing(reply));
        }
    }

    fn apply(&mut self, step: Step<C::Output>) {
        if let Some(command) = self.client.requests.refused.take() {
            // A line the command wrote while mail data is due was not written (see
            // `Context::line`): the command cannot go on as it believes it did.
            let client = &mut *self.client;
            match step {
                Step::Fatal(error) => client.fail(error),
                _ if !matches!(self.state, State::Running) => {
                    client.fail(ProtocolError::Misuse("command finished twice"));
                }
                _ if !client.awaited.is_empty() => client.fail(ProtocolError::Misuse(
                    "a command line while mail data is due, with replies outstanding",
                )),
                _ => {
                    client.requests.body = false;
                    client.requests.writable = false;
                    self.state = State::Finished(Err(LogicError::WrongState {
                        command,
                        reason: "the server is reading mail data after DATA's 354 \
                                 (RFC 5321 §4.1.1.4): only the message and its end may follow",
                    }));
                }
            }
            return;
        }
        match step {
            Step::Continue => {}
            Step::Done(result) => {
                let client = &mut *self.client;
                if !matches!(self.state, State::Running) {
                    client.fail(ProtocolError::Misuse("command finished twice"));
                } else if !client.awaited.is_empty() && !client.requests.close {
                    client.fail(ProtocolError::Misuse(
                        "command finished with replies outstanding",
                    ));
                } else {
                    // A finished command takes no body: the caller is not asked for the rest
                    // of one it asked for (a refusal spares the body).
                    client.requests.body = false;
                    client.requests.writable = false;
                    self.state = State::Finished(result);
                }
            }
            Step::Fatal(error) => self.client.fail(error),
        }
    }

    /// A pending fatal error ends the exchange and the client.
    fn take_failure(&mut self) -> Option<ProtocolError> {
        // The common case, asked on every poll, without moving the state out and back.
        if !matches!(self.state, State::Refused(_)) && self.client.fatal.is_none() {
            return None;
        }
        let error = match std::mem::replace(&mut self.state, State::Over) {
            State::Refused(error) => Some(error),
            other => {
                self.state = other;
                self.client.fatal.take()
            }
        }?;
        let written = self
            .client
            .unconfirmed_from
            .unwrap_or_else(|| self.client.outbox.sent());
        self.cmd.on_failure(super::Position(written));
        // A command may have finished on the very reply that killed the connection (a 421
        // verdict): its result stays available through `take_result`.
        self.state = match std::mem::replace(&mut self.state, State::Over) {
            State::Finished(result) => State::Orphaned(result),
            _ => State::Over,
        };
        self.client.failed = true;
        self.client.busy = false;
        Some(error)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::client::{Client, ClientConfig, Output, ReplyKind};
    use crate::command::Greeting;
    use crate::error::ProtocolError;

    /// The fatal error after `input` and then the end of the connection, for the greeting.
    fn eof_after(input: &[u8]) -> ProtocolError {
        let mut client = Client::new(ClientConfig::default());
        let mut exchange = client.send(Greeting);
        let now = Instant::now();
        assert!(matches!(
            exchange.poll_output(now),
            Ok(Output::NeedInput { .. })
        ));
        exchange.handle_input(input);
        exchange.handle_eof();
        exchange.poll_output(now).unwrap_err()
    }

    #[test]
    fn an_end_between_replies_is_unexpected_eof() {
        assert_eq!(
            eof_after(b""),
            ProtocolError::UnexpectedEof(ReplyKind::Greeting)
        );
    }

    #[test]
    fn a_reply_cut_off_is_truncated_reply() {
        for cut in [&b"2"[..], b"220", b"220 mx.example", b"220-mx.example\r\n"] {
            assert_eq!(
                eof_after(cut),
                ProtocolError::TruncatedReply(ReplyKind::Greeting),
                "{:?}",
                cut.escape_ascii().to_string()
            );
        }
    }
}
