//! The client: session state, reply parser, outbox and the queue of awaited replies.

use std::collections::VecDeque;

use crate::command::Cmd;
use crate::error::ProtocolError;
use crate::response::{BytesMut, ReplyParser};

use super::context::{Awaited, Context, Requests};
use super::exchange::{Exchange, State};
use super::outbox::Outbox;
use super::{ClientConfig, Protocol, ReplyKind, Session};

/// The receive buffer's initial capacity: replies of about a hundred mails, so that the
/// buffer is renewed rarely while reports keep replies (which share it) alive.
pub(super) const INPUT_CAPACITY: usize = 8 * 1024;

/// A receive buffer grown past this by a large reply is replaced once it is read.
pub(super) const INPUT_RETAIN_MAX: usize = 4 * INPUT_CAPACITY;

/// The sans-IO SMTP client: session state, the reply parser, and what is in flight.
///
/// It runs one [`Cmd`] at a time through an [`Exchange`], which borrows it mutably, so that
/// "one (possibly composite) exchange at a time" is a compile-time fact. See the
/// [module docs](super) for the run loop.
#[derive(Debug)]
pub struct Client {
    pub(super) config: ClientConfig,
    pub(super) parser: ReplyParser,
    pub(super) input: BytesMut,
    pub(super) outbox: Outbox,
    pub(super) awaited: VecDeque<Awaited>,
    pub(super) session: Session,
    pub(super) requests: Requests,
    pub(super) fatal: Option<ProtocolError>,
    /// A fatal error was reported: every later use is [`ProtocolError::Unusable`].
    pub(super) failed: bool,
    /// An exchange started and has not reported its end (dropped mid-way: unusable).
    pub(super) busy: bool,
    /// Where the output is known to end when the adapter reported a failed write.
    pub(super) unconfirmed_from: Option<u64>,
    /// A write failed: replies still readable are taken even for lines not (fully) sent,
    /// since the server answered before it closed; then the exchange ends.
    pub(super) write_failed: bool,
    /// The code of the last reply delivered in the current exchange, for logs.
    pub(super) last_code: Option<crate::response::ReplyCode>,
    /// The server closed the connection while no command ran.
    pub(super) eof: bool,
}

impl Client {
    /// A client for a fresh plaintext connection (the greeting is the first thing to read).
    pub fn new(config: ClientConfig) -> Self {
        Self {
            parser: ReplyParser::with_limits(config.reply_limits),
            config,
            input: BytesMut::with_capacity(INPUT_CAPACITY),
            outbox: Outbox::default(),
            awaited: VecDeque::new(),
            session: Session::default(),
            requests: Requests::default(),
            fatal: None,
            failed: false,
            busy: false,
            unconfirmed_from: None,
            write_failed: false,
            last_code: None,
            eof: false,
        }
    }

    /// A client for a connection that is TLS from its first byte (implicit TLS, RFC 8314).
    pub fn new_tls(config: ClientConfig) -> Self {
        let mut client = Self::new(config);
        client.session.tls = true;
        client
    }

    /// A client speaking LMTP (RFC 2033).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.session.protocol = protocol;
        self
    }

    /// Says that the connection's TLS, implicit or after STARTTLS, does not verify the
    /// server's certificate ([`Session::is_tls_unverified`]): AUTH then needs
    /// [`Authenticate::allow_plaintext`](crate::command::Authenticate::allow_plaintext) as
    /// without TLS, whichever command carries it. The adapters set it from their TLS
    /// settings.
    pub fn with_unverified_tls(mut self, unverified: bool) -> Self {
        self.session.unverified_tls = unverified;
        self
    }

    /// Says that this connection has no way to start TLS (the caller would not perform a
    /// handshake after STARTTLS's 220): [`StartTls`](crate::command::StartTls), alone or
    /// inside a composite, is then refused before its line is written
    /// ([`Session::can_start_tls`]), rather than leaving the server waiting for a
    /// handshake that never comes. The adapters set it for a plaintext-only configuration.
    pub fn without_tls(mut self) -> Self {
        self.session.no_tls = true;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The session state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether the server may be reading message content, now or once a reply already due
    /// arrives: DATA's 354 came and the end of data was not written
    /// ([`Session::in_mail_data`]), or DATA left and its reply, which may be a 354, was not
    /// read yet. An adapter then hands out no stream and closes the connection after a
    /// fatal error: whatever was written on it next would become part of the message
    /// (SECURITY.md, body smuggling).
    pub fn may_be_in_mail_data(&self) -> bool {
        self.session.in_mail_data
            || self
                .awaited
                .iter()
                .any(|a| a.kind == ReplyKind::Data && a.after <= self.outbox.sent())
    }

    /// Whether another command may run: no fatal error, no abandoned exchange, not closed.
    pub fn is_usable(&self) -> bool {
        !self.failed
            && !self.busy
            && !self.eof
            && self.fatal.is_none()
            && !self.session.closed
            && self.input.is_empty()
    }

    /// Starts `cmd`. Drive the returned exchange until it is done or fails.
    ///
    /// A client that is not [usable](Self::is_usable) fails the exchange's first poll
    /// before anything is written: with what ended it if the server closed the connection or
    /// sent a 421 while idle ([`ProtocolError::ServiceClosing`],
    /// [`ProtocolError::ConnectionClosed`]), else [`ProtocolError::Unusable`].
    pub fn send<C: Cmd>(&mut self, cmd: C) -> Exchange<'_, C> {
        let state = if self.busy || self.failed || self.session.closed {
            State::Refused(self.fatal.take().unwrap_or(ProtocolError::Unusable))
        } else if let Some(error) = self.fatal.take() {
            State::Refused(error)
        } else if self.eof {
            State::Refused(ProtocolError::ConnectionClosed)
        } else if !self.input.is_empty() {
            State::Refused(ProtocolError::UnexpectedBytes)
        } else {
            State::NotStarted
        };
        if matches!(state, State::Refused(_)) {
            self.failed = true;
        }
        self.busy = true;
        self.last_code = None;
        Exchange {
            client: self,
            cmd,
            state,
        }
    }

    /// Bytes received while no command runs: a 421 (RFC 5321 §3.8) or anything else ends
    /// the connection, reported by the next [`send`](Self::send). Once it has ended, what
    /// follows is dropped, so a flood is not kept.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.fatal.is_some() {
            return;
        }
        self.input.extend_from_slice(bytes);
        match self.parser.parse(&mut self.input) {
            Ok(Some(reply)) if reply.code().get() == 421 => {
                self.fatal = Some(ProtocolError::ServiceClosing(reply));
            }
            Ok(Some(reply)) => self.fatal = Some(ProtocolError::UnexpectedReply(reply)),
            Ok(None) => {}
            Err(error) => self.fatal = Some(error.into()),
        }
    }

    /// The server closed the connection while no command runs.
    pub fn handle_eof(&mut self) {
        self.eof = true;
    }

    pub(super) fn context(
        &mut self,
        current: Option<(super::ReplyKind, crate::response::ReplyCode)>,
    ) -> Context<'_> {
        Context {
            session: &mut self.session,
            outbox: &mut self.outbox,
            awaited: &mut self.awaited,
            requests: &mut self.requests,
            fatal: &mut self.fatal,
            current,
            input_empty: self.input.is_empty(),
        }
    }

    pub(super) fn fail(&mut self, error: ProtocolError) {
        if self.fatal.is_none() {
            self.fatal = Some(error);
        }
    }
}
