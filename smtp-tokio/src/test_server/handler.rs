//! The decisions of one session: what to answer to each event of the sans-IO server.

use std::sync::Arc;

use smtp_proto::response::{EnhancedStatus, ReplyCode};
use smtp_proto::server::{Command, Event, HelloKind, Refusal, Reply, ScramKeys};
use smtp_proto::syntax::ClientId;

use super::record::{SessionEnd, Store};
use super::rules::{Fault, Hit, Stage};
use super::settings::Settings;
use super::transaction::Transaction;

/// What the session loop does with an event.
#[derive(Debug)]
pub(super) enum Action {
    /// No reply is due.
    Nothing,
    /// Answer with this reply (several: LMTP's per-recipient verdicts).
    Answer(Vec<Reply>),
    /// Never answer again; read until the client closes.
    Silence,
    /// Close the connection now, without a reply.
    Disconnect,
    /// Refuse the pending bearer token with this error challenge (RFC 7628 §3.2.2).
    SaslError(Vec<u8>),
    /// Go on with the pending SCRAM exchange with these keys.
    ScramKeys(ScramKeys),
}

/// The state of one session beyond what the sans-IO server keeps.
#[derive(Debug)]
pub(super) struct Handler {
    pub(super) settings: Arc<Settings>,
    pub(super) store: Arc<Store>,
    pub(super) id: u64,
    pub(super) tls: bool,
    /// The greeting was a refusal (RFC 5321 §3.1: 503 to all but QUIT).
    greeting_refused: bool,
    hello: Option<HelloKind>,
    pub(super) authenticated: Option<String>,
    pub(super) transaction: Option<Transaction>,
    /// Message bytes not yet taken by a transaction (the DATA body, the BDAT chunk).
    pub(super) pending: Vec<u8>,
    /// Bytes to write right after the next transmit (the STARTTLS injection fault).
    pub(super) inject: Option<Vec<u8>>,
    /// Close the connection once the next reply is written.
    pub(super) disconnect_after_reply: bool,
    /// How the session ends, once known.
    pub(super) end: Option<SessionEnd>,
    pub(super) message_count: u64,
}

impl Handler {
    pub(super) fn new(settings: Arc<Settings>, store: Arc<Store>, id: u64, tls: bool) -> Self {
        Self {
            settings,
            store,
            id,
            tls,
            greeting_refused: false,
            hello: None,
            authenticated: None,
            transaction: None,
            pending: Vec::new(),
            inject: None,
            disconnect_after_reply: false,
            end: None,
            message_count: 0,
        }
    }

    /// A reply with the enhanced status when ENHANCEDSTATUSCODES is on (RFC 2034 §3).
    pub(super) fn reply(&self, code: u16, status: (u8, u16, u16), text: &str) -> Reply {
        let built = ReplyCode::new(code)
            .ok()
            .and_then(|code| Reply::new(code, text).ok());
        let with_status = |reply: Reply| match EnhancedStatus::new(status.0, status.1, status.2) {
            Ok(s) if self.settings.capabilities.enhanced_status_codes => reply.with_status(s).ok(),
            _ => Some(reply),
        };
        built
            .and_then(with_status)
            .unwrap_or_else(|| self.settings.fallback.clone())
    }

    /// `421 4.3.2` and the end of the session.
    pub(super) fn service_closing(&mut self) -> Action {
        self.end = Some(SessionEnd::ServiceClosing);
        Action::Answer(vec![self.reply(421, (4, 3, 2), "Service closing")])
    }

    /// A stage fault, a refusal matching `addresses`, or `None` to go on.
    pub(super) fn scripted<'a>(
        &mut self,
        stage: Stage,
        addresses: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<Action> {
        match self.settings.rules.hit(stage) {
            Some(Hit::ServiceClosing) => return Some(self.service_closing()),
            Some(Hit::Silence) => return Some(Action::Silence),
            Some(Hit::Disconnect) => {
                self.end = Some(SessionEnd::Disconnected);
                return Some(Action::Disconnect);
            }
            None => {}
        }
        let reply = self.settings.rules.refusal(stage, addresses)?;
        if reply.code().get() == 421 {
            self.end = Some(SessionEnd::ServiceClosing);
        }
        Some(Action::Answer(vec![reply]))
    }

    pub(super) fn answer(&self, code: u16, status: (u8, u16, u16), text: &str) -> Action {
        Action::Answer(vec![self.reply(code, status, text)])
    }

    /// The greeting (RFC 5321 §4.3.1).
    pub(super) fn greeting(&mut self) -> Action {
        if let Some(action) = self.scripted(Stage::Greeting, std::iter::once("")) {
            self.greeting_refused = true;
            return action;
        }
        let text = self.settings.greeting.clone();
        Action::Answer(vec![
            Reply::new(ReplyCode::SERVICE_READY, &text)
                .unwrap_or_else(|_| self.settings.fallback.clone()),
        ])
    }

    /// The answer to one event.
    pub(super) fn event(&mut self, event: Event) -> Action {
        match event {
            Event::Command(Command::Quit) => {
                self.end = Some(SessionEnd::Quit);
                self.answer(221, (2, 0, 0), "Bye")
            }
            Event::Command(_) | Event::Authenticate(_) | Event::ScramLookup { .. }
                if self.greeting_refused =>
            {
                self.answer(503, (5, 5, 1), "No service here, only QUIT")
            }
            Event::Command(command) => self.command(command),
            Event::Authenticate(credentials) => self.authenticate(credentials),
            Event::ScramLookup { username, .. } => self.scram_lookup(username),
            Event::SaslErrorAnswered(_) => self.sasl_error_answered(),
            Event::MessageData(bytes) => {
                self.pending.extend_from_slice(&bytes);
                Action::Nothing
            }
            Event::DataEnd => self.data_end(),
            Event::Refused(refusal) => {
                if let Refusal::MessageTooLarge { .. } = refusal {
                    self.transaction = None;
                    self.pending.clear();
                }
                Action::Nothing
            }
            _ => Action::Answer(vec![self.settings.fallback.clone()]),
        }
    }

    fn command(&mut self, command: Command) -> Action {
        match command {
            Command::Hello { kind, client } => self.hello(kind, &client),
            Command::StartTls => self.start_tls(),
            Command::Mail { from, params } => self.mail(from, *params),
            Command::Rcpt { to, params } => self.rcpt(to, *params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.transaction = None;
                self.pending.clear();
                self.answer(250, (2, 0, 0), "Ok")
            }
            Command::Noop => self.answer(250, (2, 0, 0), "Ok"),
            Command::Vrfy(_) => self.answer(252, (2, 5, 0), "Cannot VRFY, will accept"),
            Command::Extension { verb, .. } => {
                let reply = self.settings.rules.answer(&verb);
                Action::Answer(vec![reply.unwrap_or(&self.settings.fallback).clone()])
            }
            _ => Action::Answer(vec![self.settings.fallback.clone()]),
        }
    }

    fn hello(&mut self, kind: HelloKind, client: &ClientId) -> Action {
        let identity = client.to_string();
        if let Some(action) = self.scripted(Stage::Ehlo, std::iter::once(identity.as_str())) {
            return action;
        }
        if (kind == HelloKind::Lhlo) != self.settings.lmtp {
            let verb = if self.settings.lmtp { "LHLO" } else { "EHLO" };
            return self.answer(500, (5, 5, 1), &format!("Say {verb}"));
        }
        self.transaction = None;
        self.pending.clear();
        self.hello = Some(kind);
        let (id, client) = (self.id, client.clone());
        self.store.update(id, |r| r.hello = Some((kind, client)));
        // No enhanced status on hello replies (RFC 2034 §3); EHLO and LHLO list the
        // extensions, HELO only names the server.
        let hostname = Reply::new(ReplyCode::OK, &self.settings.hostname);
        let reply = match kind {
            HelloKind::Helo => hostname,
            _ => hostname.and_then(|first| {
                (self.settings.keywords(self.tls).iter())
                    .try_fold(first, |reply, line| reply.with_line(line))
            }),
        };
        Action::Answer(vec![
            reply.unwrap_or_else(|_| self.settings.fallback.clone()),
        ])
    }

    fn start_tls(&mut self) -> Action {
        // After HELO no extension is in effect, STARTTLS included (RFC 5321 §4.1.1.1).
        if !self.settings.starttls || self.tls || self.hello == Some(HelloKind::Helo) {
            return self.answer(502, (5, 5, 1), "STARTTLS not available");
        }
        if let Some(action) = self.scripted(Stage::StartTls, std::iter::once("")) {
            return action;
        }
        let injection = self
            .settings
            .rules
            .fires(|f| matches!(f, Fault::InjectAfterStartTls(_)));
        if let Some(Fault::InjectAfterStartTls(bytes)) = injection {
            self.inject = Some(bytes.clone());
        }
        Action::Answer(vec![self.reply(220, (2, 0, 0), "Ready to start TLS")])
    }

    /// The handshake after STARTTLS succeeded: the session starts over (RFC 3207 §4.2).
    pub(super) fn tls_established(&mut self) {
        self.tls = true;
        self.hello = None;
        self.authenticated = None;
        self.transaction = None;
        self.pending.clear();
        self.store.update(self.id, |r| r.tls = true);
    }

    pub(super) fn has_hello(&self) -> bool {
        self.hello.is_some()
    }

    /// Whether `keyword` is in effect: offered by the EHLO (LHLO) reply of this session;
    /// after HELO no extension is (RFC 5321 §4.1.1.1).
    pub(super) fn offers(&self, keyword: &str) -> bool {
        self.hello != Some(HelloKind::Helo) && self.settings.offers(keyword, self.tls)
    }
}
