//! The server session: a state machine over the client's bytes.

use std::collections::VecDeque;

mod config;
mod lines;
mod lmtp;
mod refusal;
mod sasl;
#[cfg(test)]
mod sasl_tests;
#[cfg(feature = "sasl-scram")]
mod scram;
#[cfg(test)]
mod state_tests;

use super::command::{Command, CommandError, HelloKind, line_text, parse_command, split_verb};
use super::dot::DotDecoder;
use super::event::{AuthGate, Event, Output, Refusal, ServerError};
use super::reply::Reply;
use super::sasl::{Nonces, SaslMechanism, parse_auth};
use crate::command::SASL_LINE_LIMIT;
use refusal::{refusal_reply, too_large_reply};
use sasl::SaslStep;

pub use config::ServerConfig;

/// What the pending reply answers, so that it can change the mode.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Awaiting {
    Greeting,
    /// Credentials of this mechanism: a bearer one may get the error challenge.
    Auth(SaslMechanism),
    /// A SCRAM exchange awaits the user's keys (or a refusal), with its client-first
    /// message: dropped with whichever answer comes.
    #[cfg(feature = "sasl-scram")]
    ScramLookup(Box<super::sasl::scram::ClientFirst>),
    /// EHLO, HELO or LHLO: accepted, it starts a new session state.
    Hello(HelloKind),
    /// MAIL: accepted, it opens a transaction.
    Mail,
    /// RSET: accepted, it ends the transaction.
    Rset,
    /// RCPT: accepted, it adds a recipient.
    Rcpt,
    Data,
    /// The end of a message (end of data, BDAT LAST): LMTP may answer per recipient.
    MessageEnd,
    StartTls,
    Quit,
    Other,
}

#[derive(Clone, Debug)]
enum Mode {
    Command,
    /// Discarding the rest of an overlong line.
    SkipLine,
    Sasl(SaslStep),
    Data(DotDecoder),
    Bdat {
        remaining: u64,
        size: u64,
        last: bool,
    },
    Tls,
    Closed,
}

/// What the application's replies established; reset as RFC 3207 §4.2 and RFC 5321 §4.1.4
/// say.
#[derive(Clone, Copy, Debug, Default)]
struct SessionState {
    greeting_refused: bool,
    tls: bool,
    /// The accepted hello was LHLO.
    lmtp: bool,
    /// The accepted hello was HELO: no service extension is in effect (RFC 5321 §4.1.1.1),
    /// AUTH included.
    helo: bool,
    authenticated: bool,
    in_transaction: bool,
    /// Recipients accepted in the current transaction.
    recipients: usize,
}

/// The sans-IO server side of one SMTP session.
///
/// Inputs: [`Server::handle_input`], [`Server::handle_eof`], [`Server::reply`] (the answer
/// to an event), [`Server::tls_established`]. Output: [`Server::poll_output`]. The rule:
/// after every input, poll until `NeedInput`, `NeedReply` or `Close`. The first reply is
/// the greeting. Reading only on `NeedInput` bounds the buffer to one read plus one line.
///
/// ```
/// use smtp_proto::response::ReplyCode;
/// use smtp_proto::server::{Command, Event, Output, Reply, Server, ServerConfig};
/// let mut server = Server::new(ServerConfig::default());
/// server.reply(Reply::new(ReplyCode::SERVICE_READY, "test ESMTP")?)?;
/// assert_eq!(server.poll_output(), Output::Transmit(b"220 test ESMTP\r\n".to_vec()));
/// server.handle_input(b"NOOP\r\n");
/// assert_eq!(server.poll_output(), Output::Event(Event::Command(Command::Noop)));
/// assert_eq!(server.poll_output(), Output::NeedReply);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    buf: Vec<u8>,
    mode: Mode,
    awaiting: Option<Awaiting>,
    queue: VecDeque<Output>,
    message_size: usize,
    too_large: bool,
    /// The command lines received, when the application asked to keep them.
    lines: Option<Vec<String>>,
    /// What the replies so far established (RFC 4954 §4 and RFC 2033 §4.2 depend on it).
    state: SessionState,
    /// Challenge nonces: CRAM-MD5 and SCRAM only.
    #[cfg_attr(
        not(any(feature = "sasl-cram-md5", feature = "sasl-scram")),
        allow(dead_code)
    )]
    nonces: Nonces,
}

impl Server {
    /// A session awaiting its greeting reply.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            nonces: Nonces::new(config.nonce_seed),
            config,
            buf: Vec::new(),
            mode: Mode::Command,
            awaiting: Some(Awaiting::Greeting),
            queue: VecDeque::new(),
            message_size: 0,
            too_large: false,
            lines: None,
            state: SessionState::default(),
        }
    }

    /// The connection is TLS from its first byte (implicit TLS, RFC 8314): AUTH is allowed
    /// under [`ServerConfig::auth_requires_tls`] and STARTTLS changes nothing.
    #[must_use]
    pub fn implicit_tls(mut self) -> Self {
        self.state.tls = true;
        self
    }

    /// Hands over bytes read from the client (ignored once closed or during the upgrade).
    pub fn handle_input(&mut self, input: &[u8]) {
        if !matches!(self.mode, Mode::Closed | Mode::Tls) {
            self.buf.extend_from_slice(input);
        }
    }

    /// The client closed its side: the session ends.
    pub fn handle_eof(&mut self) {
        self.mode = Mode::Closed;
    }

    /// Answers the pending event; the reply is transmitted and may switch modes (354 to
    /// DATA starts the body, 220 to STARTTLS the upgrade, QUIT and 421 close).
    pub fn reply(&mut self, reply: Reply) -> Result<(), ServerError> {
        let awaiting = self.awaiting.take().ok_or(ServerError::NotAwaitingReply)?;
        let code = reply.code().get();
        self.queue.push_back(Output::Transmit(reply.to_bytes()));
        let positive = (200..=299).contains(&code);
        match (&awaiting, positive) {
            (Awaiting::Greeting, false) => self.state.greeting_refused = true,
            // An accepted hello, MAIL or RSET ends a transaction, and with it a message
            // given up (BDAT chunks without LAST), whose chunks over the limit were answered
            // already: it is forgotten without a word. A refused one ends nothing.
            (Awaiting::Hello(kind), true) => {
                self.state.lmtp = *kind == HelloKind::Lhlo;
                self.state.helo = *kind == HelloKind::Helo;
                self.end_transaction();
            }
            (Awaiting::Mail, true) => {
                self.end_transaction();
                self.state.in_transaction = true;
            }
            (Awaiting::Rset, true) => self.end_transaction(),
            (Awaiting::Rcpt, true) => {
                self.state.recipients = self.state.recipients.saturating_add(1);
            }
            (Awaiting::Auth(_), true) => self.state.authenticated = true,
            // The reply to the end of a message ends the transaction, whatever it says.
            (Awaiting::MessageEnd, _) => self.end_transaction(),
            _ => {}
        }
        match (awaiting, code) {
            (_, 421) | (Awaiting::Quit, 200..=299) => self.mode = Mode::Closed,
            (Awaiting::Data, 354) => self.mode = Mode::Data(DotDecoder::new()),
            (Awaiting::StartTls, 220) => {
                if !self.buf.is_empty() {
                    let octets = self.buf.len();
                    self.buf.clear();
                    self.refused(Refusal::InjectedAfterStartTls { octets });
                }
                self.mode = Mode::Tls;
                self.queue.push_back(Output::UpgradeTls);
            }
            _ => {}
        }
        Ok(())
    }

    /// The TLS handshake succeeded: the session restarts, awaiting a new EHLO, and what
    /// the client said before (a hello, an AUTH, a transaction and the size of its message
    /// so far) is forgotten (RFC 3207 §4.2).
    pub fn tls_established(&mut self) -> Result<(), ServerError> {
        match self.mode {
            Mode::Tls => {
                self.mode = Mode::Command;
                self.state = SessionState {
                    tls: true,
                    ..SessionState::default()
                };
                self.forget_message();
                Ok(())
            }
            _ => Err(ServerError::NotUpgrading),
        }
    }

    /// The next output; see [`Output`].
    pub fn poll_output(&mut self) -> Output {
        loop {
            if let Some(out) = self.queue.pop_front() {
                return out;
            }
            if self.awaiting.is_some() {
                return Output::NeedReply;
            }
            match self.mode {
                Mode::Closed => return Output::Close,
                Mode::Tls => return Output::UpgradeTls,
                _ => {}
            }
            if !self.step() {
                return Output::NeedInput;
            }
        }
    }

    /// Processes buffered input in the current mode; false when more input is needed.
    fn step(&mut self) -> bool {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Command => self.step_line(None),
            Mode::Sasl(step) => self.step_line(Some(step)),
            Mode::SkipLine => self.skip_line(),
            Mode::Data(decoder) => self.step_data(decoder),
            Mode::Bdat {
                remaining,
                size,
                last,
            } => self.step_bdat(remaining, size, last),
            other => {
                self.mode = other;
                false
            }
        }
    }

    fn step_line(&mut self, sasl: Option<SaslStep>) -> bool {
        let limit = self.line_limit(sasl.is_some());
        let Some(lf) = memchr::memchr(b'\n', &self.buf) else {
            if self.buf.len() >= limit {
                self.buf.clear();
                self.refuse_line(CommandError::LineTooLong { limit }.into());
                self.mode = Mode::SkipLine;
                return true;
            }
            self.mode = sasl.map_or(Mode::Command, Mode::Sasl);
            return false;
        };
        let line: Vec<u8> = self.buf.drain(..=lf).collect();
        if line.len() > limit {
            self.refuse_line(CommandError::LineTooLong { limit }.into());
            return true;
        }
        self.keep_line(&line, sasl.is_some());
        let Some(line) = line.strip_suffix(b"\r\n") else {
            self.refuse_line(Refusal::BareLf);
            return true;
        };
        match sasl {
            Some(step) => self.sasl_response(step, line),
            None => self.command(line),
        }
        true
    }

    /// The configured limit, raised to RFC 4954 §4's 12288 octets for a SASL response
    /// and for a line that starts as an AUTH command.
    fn line_limit(&self, sasl: bool) -> usize {
        let auth = self
            .buf
            .get(..5)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"AUTH "));
        if sasl || auth {
            self.config.max_line_length.max(SASL_LINE_LIMIT)
        } else {
            self.config.max_line_length
        }
    }

    fn skip_line(&mut self) -> bool {
        match memchr::memchr(b'\n', &self.buf) {
            Some(lf) => {
                self.buf.drain(..=lf);
                true
            }
            None => {
                self.buf.clear();
                self.mode = Mode::SkipLine;
                false
            }
        }
    }

    fn command(&mut self, line: &[u8]) {
        let (verb, args) = match line_text(line) {
            Ok(text) => split_verb(text),
            Err(e) => return self.refuse_line(e.into()),
        };
        if verb.eq_ignore_ascii_case("AUTH") {
            if let Some(gate) = self.auth_gate() {
                return self.refuse_line(Refusal::AuthNotAllowed(gate));
            }
            return match parse_auth(args) {
                Ok((mechanism, initial)) => self.auth_start(mechanism, initial),
                Err(e) => self.refuse_line(e.into()),
            };
        }
        let cmd = match parse_command(line) {
            Ok(cmd) => cmd,
            Err(CommandError::Unknown { .. }) if self.is_extension(verb) => Command::Extension {
                verb: verb.to_ascii_uppercase(),
                args: args.to_owned(),
            },
            Err(e) => return self.refuse_line(e.into()),
        };
        let awaiting = match &cmd {
            Command::Bdat { size, last } => {
                self.mode = Mode::Bdat {
                    remaining: *size,
                    size: *size,
                    last: *last,
                };
                return;
            }
            Command::Data => Awaiting::Data,
            Command::StartTls => Awaiting::StartTls,
            Command::Quit => Awaiting::Quit,
            Command::Rcpt { .. } => Awaiting::Rcpt,
            Command::Mail { .. } => Awaiting::Mail,
            Command::Rset => Awaiting::Rset,
            Command::Hello { kind, .. } => Awaiting::Hello(*kind),
            _ => Awaiting::Other,
        };
        self.emit(Event::Command(cmd), awaiting);
    }

    /// Why AUTH may not start now, if it may not (RFC 5321 §3.1, RFC 4954 §4 and §6).
    fn auth_gate(&self) -> Option<AuthGate> {
        let state = &self.state;
        Some(if state.greeting_refused {
            AuthGate::GreetingRefused
        } else if self.config.mechanisms.is_empty() || state.helo {
            AuthGate::NotOffered
        } else if state.authenticated {
            AuthGate::AlreadyAuthenticated
        } else if state.in_transaction {
            AuthGate::InTransaction
        } else if self.config.auth_requires_tls && !state.tls {
            AuthGate::EncryptionRequired
        } else {
            return None;
        })
    }

    fn is_extension(&self, verb: &str) -> bool {
        !verb.is_empty()
            && self
                .config
                .extensions
                .iter()
                .any(|known| known.eq_ignore_ascii_case(verb))
    }

    fn step_data(&mut self, mut decoder: DotDecoder) -> bool {
        let mut out = Vec::new();
        let (used, ended) = decoder.decode(&self.buf, &mut out);
        self.buf.drain(..used);
        self.message_data(out);
        if !ended {
            self.mode = Mode::Data(decoder);
            return used > 0;
        }
        if !self.end_message() {
            self.emit(Event::DataEnd, Awaiting::MessageEnd);
        }
        true
    }

    fn step_bdat(&mut self, remaining: u64, size: u64, last: bool) -> bool {
        let take = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        let chunk: Vec<u8> = self.buf.drain(..take).collect();
        self.message_data(chunk);
        let remaining = remaining.saturating_sub(take as u64);
        if remaining > 0 {
            self.mode = Mode::Bdat {
                remaining,
                size,
                last,
            };
            return take > 0;
        }
        let refused = if last {
            self.end_message()
        } else {
            self.too_large
        };
        if !refused {
            let awaiting = if last {
                Awaiting::MessageEnd
            } else {
                Awaiting::Other
            };
            self.emit(Event::Command(Command::Bdat { size, last }), awaiting);
        } else if !last {
            self.queue
                .push_back(Output::Transmit(too_large_reply().to_bytes()));
            self.refused(Refusal::MessageTooLarge {
                limit: self.config.max_message_size,
            });
        }
        true
    }

    /// Counts and hands out message bytes, dropping them once over the limit.
    fn message_data(&mut self, data: Vec<u8>) {
        self.message_size = self.message_size.saturating_add(data.len());
        if self.message_size > self.config.max_message_size {
            self.too_large = true;
        }
        if !data.is_empty() && !self.too_large {
            self.queue
                .push_back(Output::Event(Event::MessageData(data)));
        }
    }

    /// The transaction is over: its recipients and its message's size are forgotten.
    fn end_transaction(&mut self) {
        self.state.in_transaction = false;
        self.state.recipients = 0;
        self.forget_message();
    }

    /// Forgets the message's size; returns whether it was over the limit.
    fn forget_message(&mut self) -> bool {
        self.message_size = 0;
        std::mem::take(&mut self.too_large)
    }

    /// Ends the message; true (after refusing it with 552) if it was too large. In LMTP
    /// the refusal is written once per accepted recipient (RFC 2033 §4.2), and it ends
    /// the transaction as any answer to the end of a message does.
    fn end_message(&mut self) -> bool {
        let too_large = self.forget_message();
        if too_large {
            let replies = if self.state.lmtp {
                self.state.recipients.max(1)
            } else {
                1
            };
            let reply = too_large_reply().to_bytes();
            for _ in 0..replies {
                self.queue.push_back(Output::Transmit(reply.clone()));
            }
            self.end_transaction();
            self.refused(Refusal::MessageTooLarge {
                limit: self.config.max_message_size,
            });
        }
        too_large
    }

    fn emit(&mut self, event: Event, awaiting: Awaiting) {
        self.queue.push_back(Output::Event(event));
        self.awaiting = Some(awaiting);
    }

    fn refused(&mut self, refusal: Refusal) {
        self.queue.push_back(Output::Event(Event::Refused(refusal)));
    }

    /// Writes the reply for a refused line and reports it.
    fn refuse_line(&mut self, refusal: Refusal) {
        self.queue
            .push_back(Output::Transmit(refusal_reply(&refusal).to_bytes()));
        self.refused(refusal);
    }
}
