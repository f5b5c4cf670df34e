//! What the server records: every session and every message, and the waiting for them.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use smtp_proto::server::{HelloKind, Reply, SaslMechanism};
use smtp_proto::syntax::esmtp::{MailParameters, RcptParameters};
use smtp_proto::syntax::{ClientId, ForwardPath, ReversePath};
use tokio::sync::Notify;

/// A message the server received whole (after the end of data or BDAT LAST), whatever
/// its verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The session it came in ([`SessionRecord::id`]).
    pub session: u64,
    /// `MAIL FROM` (RFC 5321 §4.1.1.2).
    pub reverse_path: ReversePath,
    /// The MAIL parameters (SIZE, BODY, SMTPUTF8, RET, ENVID, ...).
    pub mail_parameters: MailParameters,
    /// The recipients accepted at RCPT, in order, with their parameters and verdicts.
    pub recipients: Vec<Recipient>,
    /// The message exactly as received: dot-stuffing undone (DATA) or the BDAT chunks
    /// concatenated.
    pub data: Vec<u8>,
    /// Whether it came over BDAT (RFC 3030) rather than DATA.
    pub bdat: bool,
    /// Whether the session was under TLS.
    pub tls: bool,
    /// The user the session authenticated as, if any.
    pub authenticated: Option<String>,
    /// SMTP: the reply to the end of data; `None` if the server disconnected before it
    /// ([`Fault::DisconnectBeforeVerdict`](super::Fault::DisconnectBeforeVerdict)) and in
    /// LMTP, where each recipient has its own ([`Recipient::verdict`]).
    pub verdict: Option<Reply>,
}

impl Message {
    /// Whether the message was accepted for at least one recipient.
    pub fn is_accepted(&self) -> bool {
        self.recipients.iter().any(Recipient::is_accepted)
    }

    /// The recipients' addresses, without angle brackets.
    pub fn recipient_addresses(&self) -> Vec<String> {
        self.recipients.iter().map(Recipient::address).collect()
    }
}

/// A recipient accepted at RCPT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// `RCPT TO` (RFC 5321 §4.1.1.3).
    pub forward_path: ForwardPath,
    /// The RCPT parameters (NOTIFY, ORCPT, ...).
    pub parameters: RcptParameters,
    /// The verdict on the message for this recipient: LMTP's own reply (RFC 2033 §4.2),
    /// in SMTP the message's; `None` if no verdict was sent.
    pub verdict: Option<Reply>,
}

impl Recipient {
    /// The address without angle brackets.
    pub fn address(&self) -> String {
        strip_brackets(&self.forward_path.to_string())
    }

    /// Whether the verdict for this recipient was positive (2xx).
    pub fn is_accepted(&self) -> bool {
        self.verdict
            .as_ref()
            .is_some_and(|v| v.code().is_positive_completion())
    }
}

/// One session (connection) as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session's number, from 1 in the order of connection.
    pub id: u64,
    /// The client's address (`None` over a Unix socket).
    pub peer: Option<SocketAddr>,
    /// The last EHLO, HELO or LHLO and the identity it named.
    pub hello: Option<(HelloKind, ClientId)>,
    /// Whether TLS was established (STARTTLS or implicit).
    pub tls: bool,
    /// The AUTH attempts, in order.
    pub auth: Vec<AuthRecord>,
    /// Every command line received, without CRLF; AUTH and SASL payloads are
    /// `<redacted>`, message bodies are not lines.
    pub commands: Vec<String>,
    /// How many messages were received whole.
    pub messages: usize,
    /// How it ended; `None` while it runs.
    pub end: Option<SessionEnd>,
}

impl SessionRecord {
    pub(super) fn new(id: u64, peer: Option<SocketAddr>) -> Self {
        Self {
            id,
            peer,
            hello: None,
            tls: false,
            auth: Vec::new(),
            commands: Vec::new(),
            messages: 0,
            end: None,
        }
    }

    /// The user the session authenticated as, if any.
    pub fn authenticated(&self) -> Option<&str> {
        self.auth
            .iter()
            .find(|a| a.accepted)
            .map(|a| a.user.as_str())
    }
}

/// One AUTH attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthRecord {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name presented.
    pub user: String,
    /// Whether the server answered 235.
    pub accepted: bool,
    /// For a bearer token refused through the error challenge (XOAUTH2, OAUTHBEARER,
    /// RFC 7628 §3.2.2): whether the client answered it as its mechanism requires (an
    /// empty response for XOAUTH2, `^A` for OAUTHBEARER) before the 535. `None` when no
    /// error challenge was sent.
    pub error_answered: Option<bool>,
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The client sent QUIT and got its 221.
    Quit,
    /// The client closed the connection without QUIT.
    ClientClosed,
    /// The server sent a 421 (a fault or a refusal) and closed.
    ServiceClosing,
    /// A fault made the server close the connection (after the end of data).
    Disconnected,
    /// Reading or writing failed (the text says why).
    Io(String),
    /// The TLS handshake failed (the text says why).
    Tls(String),
}

/// The records, shared by the sessions and the [`TestServer`](super::TestServer).
#[derive(Debug, Default)]
pub(super) struct Store {
    state: Mutex<State>,
    changed: Condvar,
    notify: Notify,
}

#[derive(Debug, Default)]
struct State {
    messages: Vec<Message>,
    unread_messages: usize,
    sessions: Vec<SessionRecord>,
    ended: VecDeque<u64>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.changed.notify_all();
        self.notify.notify_waiters();
    }

    pub(super) fn open_session(&self, peer: Option<SocketAddr>) -> u64 {
        let mut state = self.lock();
        let id = state.sessions.len() as u64 + 1;
        state.sessions.push(SessionRecord::new(id, peer));
        id
    }

    /// Changes session `id`'s record.
    pub(super) fn update(&self, id: u64, change: impl FnOnce(&mut SessionRecord)) {
        let mut state = self.lock();
        if let Some(record) = state.sessions.iter_mut().find(|s| s.id == id) {
            change(record);
        }
    }

    pub(super) fn end_session(&self, id: u64, end: SessionEnd) {
        let mut state = self.lock();
        if let Some(record) = state.sessions.iter_mut().find(|s| s.id == id) {
            if record.end.is_none() {
                record.end = Some(end);
                state.ended.push_back(id);
            }
        }
        drop(state);
        self.changed();
    }

    pub(super) fn push_message(&self, message: Message) {
        let mut state = self.lock();
        let session = message.session;
        state.messages.push(message);
        if let Some(record) = state.sessions.iter_mut().find(|s| s.id == session) {
            record.messages += 1;
        }
        drop(state);
        self.changed();
    }

    pub(super) fn messages(&self) -> Vec<Message> {
        self.lock().messages.clone()
    }

    pub(super) fn sessions(&self) -> Vec<SessionRecord> {
        self.lock().sessions.clone()
    }

    fn take_message(state: &mut State) -> Option<Message> {
        let message = state.messages.get(state.unread_messages)?.clone();
        state.unread_messages += 1;
        Some(message)
    }

    fn take_session(state: &mut State) -> Option<SessionRecord> {
        let id = state.ended.pop_front()?;
        state.sessions.iter().find(|s| s.id == id).cloned()
    }

    /// Waits without polling for the next unread item that `take` finds.
    async fn next<T>(&self, take: fn(&mut State) -> Option<T>) -> T {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a change in between still wakes us.
            notified.as_mut().enable();
            if let Some(item) = take(&mut self.lock()) {
                return item;
            }
            notified.await;
        }
    }

    /// Blocks the thread until `take` finds an item or `timeout` passes.
    fn next_blocking<T>(&self, take: fn(&mut State) -> Option<T>, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(item) = take(&mut state) {
                return Some(item);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    pub(super) async fn next_message(&self) -> Message {
        self.next(Self::take_message).await
    }

    pub(super) fn next_message_blocking(&self, timeout: Duration) -> Option<Message> {
        self.next_blocking(Self::take_message, timeout)
    }

    pub(super) async fn next_session(&self) -> SessionRecord {
        self.next(Self::take_session).await
    }

    pub(super) fn next_session_blocking(&self, timeout: Duration) -> Option<SessionRecord> {
        self.next_blocking(Self::take_session, timeout)
    }
}

/// `<a@b>` as `a@b`.
pub(super) fn strip_brackets(path: &str) -> String {
    path.strip_prefix('<')
        .and_then(|p| p.strip_suffix('>'))
        .unwrap_or(path)
        .to_owned()
}
