//! The session shape every runtime follows, with the decisions kept here so that each
//! runner (`run/*.rs`) only does the IO: connect and set up; check the TLS and CHUNKING
//! requirements; AUTH as its own command; the mails; QUIT.

use smtp_adapter::{Error, TlsInfo};
use smtp_proto::auth::{Mechanism, SaslParams};
use smtp_proto::client::Session as CoreSession;
use smtp_proto::command::{Authenticate, Envelope, Established, LogicError, MailBody, MailReport};
use smtp_proto::error::ProtocolError;
use smtp_proto::response::Capability;

use crate::args::{Chunking, TlsMode};
use crate::cert;
use crate::failure::{Failure, Kind};
use crate::plan::Plan;
use crate::record::Recorded;
use crate::report::{AuthReport, SessionReport, TlsSummary};

/// The AUTH command as the CLI runs it.
pub(crate) type AuthCmd = Recorded<Authenticate>;

/// One connection's progress.
pub(crate) struct Session<'p> {
    plan: &'p Plan,
    pub(crate) report: SessionReport,
    /// The mechanism AUTH chose from the post-TLS EHLO, before it ran.
    mechanism: Option<Mechanism>,
    /// The only connection of the run: its setup can be watched.
    single: bool,
    /// One connection, at most one message: the watch lasts the whole session.
    watch_all: bool,
}

impl<'p> Session<'p> {
    /// A session that has not connected yet.
    pub(crate) fn new(plan: &'p Plan) -> Self {
        Self {
            plan,
            report: SessionReport::default(),
            mechanism: None,
            single: plan.mail.as_ref().is_none_or(|m| m.connections == 1),
            watch_all: plan
                .mail
                .as_ref()
                .is_none_or(|m| m.connections == 1 && m.count == 1),
        }
    }

    /// The session's report.
    pub(crate) fn into_report(self) -> SessionReport {
        self.report
    }

    /// Whether a failure before the first message counts as a message error (send).
    fn counts(&self) -> bool {
        self.plan.mail.is_some()
    }

    /// Starts a connection attempt (the setup is watched when it is the only one).
    pub(crate) fn connecting(&self) {
        if self.single {
            crate::watch::start();
        }
    }

    /// The connection or its setup failed.
    pub(crate) fn connect_failed(&mut self, error: &Error) {
        let seen = crate::watch::finish();
        if let Error::Refused(LogicError::Refused { command, response }) = error.cause() {
            if *command == "greeting" {
                self.report.greeting = Some(response.clone());
            }
        }
        if let Some(seen) = &seen {
            if self.report.greeting.is_none() {
                self.report.greeting = seen.greeting();
            }
        }
        if let Some(reply) = error.protocol().and_then(|p| p.response()) {
            // A 421 during the setup is the greeting's when the client had not written yet
            // (unknown with several connections: then taken as the greeting's).
            let at_greeting = seen.as_ref().is_none_or(|s| !s.client_wrote);
            if reply.code().get() == 421 && at_greeting {
                self.report.greeting = Some(reply.clone());
            }
        }
        let counts = self.counts();
        self.report.fail(Failure::from_error(error), counts);
        self.refine(is_eof(error), seen);
    }

    /// An EOF while a reply was awaited is `io`, unless the watch saw the reply begin.
    fn refine(&mut self, eof: bool, seen: Option<crate::watch::Seen>) {
        if !eof || !seen.is_some_and(|s| s.ends_mid_reply()) {
            return;
        }
        if let Some((_, failure)) = self.report.error.as_mut() {
            if failure.kind == Kind::Io {
                failure.kind = Kind::Protocol;
                failure.message.push_str(" (the reply was cut off)");
            }
        }
    }

    /// The setup completed: records it and checks what the CLI requires on top of the
    /// adapter (STARTTLS with `--tls starttls`, CHUNKING with `--chunking always`).
    /// `false`: the session ends here (QUIT), nothing else is sent.
    pub(crate) fn connected(
        &mut self,
        established: Option<&Established>,
        tls: Option<&TlsInfo>,
        session: &CoreSession,
    ) -> bool {
        let last = crate::watch::last_reply();
        if !self.watch_all {
            crate::watch::finish();
        }
        if let Some(established) = established {
            self.report.greeting = Some(established.greeting.clone());
            self.report.hello = Some(established.hello.clone());
        }
        self.report.tls = tls.map(|info| summarise(info, !self.plan.insecure));
        let failure = if self.plan.tls_mode == TlsMode::Starttls && tls.is_none() {
            let message = if session.supports(Capability::StartTls) {
                match last {
                    Some(reply) => format!("STARTTLS required, but the server refused it: {reply}"),
                    None => "STARTTLS required, but the server refused it".to_owned(),
                }
            } else {
                "STARTTLS required, but the server does not offer it".to_owned()
            };
            Some(Failure::new(Kind::StartTlsUnavailable, message))
        } else if self.plan.mail.is_some()
            && self.plan.chunking == Chunking::Always
            && !session.supports(Capability::Chunking)
        {
            Some(Failure::new(
                Kind::CapabilityMissing,
                "--chunking always, but the server does not offer CHUNKING",
            ))
        } else {
            None
        };
        match failure {
            Some(failure) => {
                let counts = self.counts();
                self.report.fail(failure, counts);
                false
            }
            None => true,
        }
    }

    /// The AUTH command to run, if credentials were given; `Err(())` when AUTH may not run
    /// on this connection (recorded: the session ends).
    pub(crate) fn auth_command(&mut self, session: &CoreSession) -> Result<Option<AuthCmd>, ()> {
        let Some(auth) = &self.plan.auth else {
            return Ok(None);
        };
        // Without verification TLS protects nothing against an active attacker.
        let protected = session.is_tls() && !self.plan.insecure;
        if !protected && !auth.allow_plaintext {
            self.report.auth = Some(AuthReport::default());
            let counts = self.counts();
            let why = if session.is_tls() {
                "refusing to send credentials: the certificate was not verified \
                 (--insecure-skip-verify needs --allow-plaintext-auth)"
            } else {
                "refusing to send credentials without TLS (--allow-plaintext-auth permits it)"
            };
            self.report
                .fail(Failure::new(Kind::PlaintextAuthRefused, why), counts);
            return Err(());
        }
        let mut params = SaslParams::new();
        if let (Some(host), Some(port)) = (self.plan.config.host(), self.plan.config.port()) {
            params = params.host(host).port(port);
        }
        if auth.mechanisms.contains(&Mechanism::ScramSha256) {
            match smtp_adapter::client_nonce() {
                Ok(nonce) => params = params.client_nonce(nonce),
                Err(error) => {
                    let counts = self.counts();
                    self.report.fail(Failure::from_error(&error), counts);
                    return Err(());
                }
            }
        }
        let command = Authenticate::new(auth.credentials.clone())
            .params(params)
            .preference(auth.mechanisms.clone())
            .allow_plaintext(true);
        self.mechanism = command.select(session).ok();
        Ok(Some(Recorded::new(command)))
    }

    /// AUTH ended; `false` when the session ends here.
    pub(crate) fn authenticated(
        &mut self,
        result: &Result<Result<Mechanism, LogicError>, Error>,
        command: &AuthCmd,
    ) -> bool {
        let mechanism = match result {
            Ok(Ok(mechanism)) => Some(mechanism.clone()),
            _ => command
                .inner
                .mechanism()
                .cloned()
                .or(self.mechanism.clone()),
        };
        self.report.auth = Some(AuthReport {
            mechanism: mechanism.map(|m| m.to_string()),
            reply: command.last.clone(),
        });
        let failure = match result {
            Ok(Ok(_)) => return true,
            Ok(Err(refusal)) => Failure::from_logic(refusal),
            Err(error) => Failure::from_error(error),
        };
        let counts = self.counts();
        self.report.fail(failure, counts);
        if let Err(error) = result {
            self.refine(is_eof(error), crate::watch::finish());
        }
        false
    }

    /// The mails of this connection: `--count` copies sharing one body.
    pub(crate) fn mails(&self) -> Option<impl Iterator<Item = (Envelope, MailBody)> + use<'p>> {
        let mail = self.plan.mail.as_ref()?;
        let count = usize::try_from(mail.count).unwrap_or(usize::MAX);
        Some(std::iter::repeat_n(
            (mail.envelope.clone(), mail.body.clone()),
            count,
        ))
    }

    /// One mail ended; `false` when it ended the connection.
    pub(crate) fn mail_done(
        &mut self,
        result: Result<Result<MailReport, LogicError>, Error>,
    ) -> bool {
        let failed = result.is_err();
        let eof = matches!(&result, Err(error) if is_eof(error));
        let going_on = self.report.message(result, self.plan.lmtp);
        if failed && self.watch_all {
            self.refine(eof, crate::watch::finish());
        }
        going_on
    }
}

/// The connection ended while a reply was awaited.
fn is_eof(error: &Error) -> bool {
    matches!(error.protocol(), Some(ProtocolError::UnexpectedEof(_)))
}

/// The JSON's `tls` object from what the handshake negotiated.
fn summarise(info: &TlsInfo, verified: bool) -> TlsSummary {
    let version = match info.version {
        Some(smtp_adapter::rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(smtp_adapter::rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher = info.cipher.map(|c| format!("{c:?}")).unwrap_or_default();
    TlsSummary {
        version,
        cipher,
        verified,
        certificate: info
            .peer_certificates
            .first()
            .and_then(|c| cert::summarise(c)),
    }
}
