//! The session shape every runtime follows, with the decisions kept here so that each
//! runner (`run/*.rs`) only does the IO: connect; the setup as its own command, so that
//! what it received stays readable however it ends (in the session, and the plaintext EHLO
//! that STARTTLS's 220 took from the session in the setup command); check the TLS and
//! CHUNKING requirements; AUTH as its own command; the mails; QUIT.

use std::net::SocketAddr;

use smtp_adapter::{Error, TlsInfo};
use smtp_proto::auth::{Mechanism, SaslParams};
use smtp_proto::client::Session as CoreSession;
use smtp_proto::command::{
    Authenticate, Envelope, Establish, Established, Hello, LogicError, MailBody, MailReport,
};
use smtp_proto::response::{Capability, Response};

use crate::args::{Chunking, TlsMode};
use crate::cert;
use crate::failure::{Failure, Kind};
use crate::plan::Plan;
use crate::record::Recorded;
use crate::report::{AuthReport, SessionReport, TlsSummary};

/// The AUTH command as the CLI runs it.
pub(crate) type AuthCmd = Recorded<Authenticate>;

/// The setup (greeting, EHLO, STARTTLS) as the CLI runs it: its last reply is the
/// refusal of STARTTLS when the setup went on without TLS.
pub(crate) type SetupCmd = Recorded<Establish>;

/// One connection's progress.
pub(crate) struct Session<'p> {
    plan: &'p Plan,
    pub(crate) report: SessionReport,
    /// The mechanism AUTH chose from the post-TLS EHLO, before it ran.
    mechanism: Option<Mechanism>,
}

impl<'p> Session<'p> {
    /// A session that has not connected yet.
    pub(crate) fn new(plan: &'p Plan) -> Self {
        Self {
            plan,
            report: SessionReport::default(),
            mechanism: None,
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

    /// The connection could not be opened (nothing was received).
    pub(crate) fn connect_failed(&mut self, error: &Error) {
        let counts = self.counts();
        self.report.fail(Failure::from_error(error), counts);
    }

    /// The setup to run first on the connection (`local`: the local address, which names
    /// the client when nothing else does); `None` when it cannot be built (recorded).
    pub(crate) fn setup_command(&mut self, local: Option<SocketAddr>) -> Option<SetupCmd> {
        match self.plan.config.establish(local) {
            Ok(setup) => Some(Recorded::new(setup)),
            Err(error) => {
                self.connect_failed(&error);
                None
            }
        }
    }

    /// The setup ended: records what it received, however far it got (the greeting, a
    /// refusal or 421 included, and the EHLO and TLS of the session at that point), then
    /// checks what the CLI requires on top of the adapter (STARTTLS with `--tls starttls`,
    /// CHUNKING with `--chunking always`). `false`: the session ends here, nothing else is
    /// sent.
    pub(crate) fn set_up(
        &mut self,
        result: &Result<Result<Established, LogicError>, Error>,
        setup: &SetupCmd,
        tls: Option<&TlsInfo>,
        session: &CoreSession,
    ) -> bool {
        // A 421 or a refusal to the greeting is the greeting; one to a later command is not.
        self.report.greeting = session.greeting().cloned();
        self.report.tls = tls.map(|info| summarise(info, !self.plan.insecure));
        let failure = match result {
            Ok(Ok(established)) => {
                self.report.hello = Some(established.hello.clone());
                self.requirement_missing(setup.last.as_ref(), session)
            }
            Ok(Err(refusal)) => {
                self.report.hello = ehlo_so_far(session, setup, tls);
                Some(Failure::from_error(&Error::Refused(refusal.clone())))
            }
            Err(error) => {
                self.report.hello = ehlo_so_far(session, setup, tls);
                Some(Failure::from_error(error))
            }
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

    /// What a completed setup lacks for this run: TLS with `--tls starttls` (`last`: the
    /// setup's last reply, STARTTLS's refusal if it was refused), CHUNKING with
    /// `--chunking always`.
    fn requirement_missing(
        &self,
        last: Option<&Response>,
        session: &CoreSession,
    ) -> Option<Failure> {
        if self.plan.tls_mode == TlsMode::Starttls && !session.is_tls() {
            let message = if session.supports(Capability::StartTls) {
                match last {
                    Some(reply) => format!("STARTTLS required, but the server refused it: {reply}"),
                    None => "STARTTLS required, but the server refused it".to_owned(),
                }
            } else {
                "STARTTLS required, but the server does not offer it".to_owned()
            };
            Some(Failure::new(Kind::StartTlsUnavailable, message))
        } else if self.plan.chunking == Chunking::Always && !session.supports(Capability::Chunking)
        {
            Some(Failure::new(
                Kind::CapabilityMissing,
                "--chunking always, but the server does not offer CHUNKING",
            ))
        } else {
            None
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
            // The final reply only: a 334 challenge followed by a broken connection is no
            // answer to AUTH (contract: "its final reply (null if none came)"); any other
            // reply, a 3yz included, ended the exchange.
            reply: command.last.clone().filter(|r| r.code().get() != 334),
        });
        let failure = match result {
            Ok(Ok(_)) => return true,
            Ok(Err(refusal)) => Failure::from_logic(refusal),
            Err(error) => Failure::from_error(error),
        };
        let counts = self.counts();
        self.report.fail(failure, counts);
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
        self.report.message(result, self.plan.lmtp)
    }
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

/// The EHLO of a setup that ended early, as the contract reports it ("the EHLO of the
/// session as finally used"): the session's, or, when TLS was never negotiated, the
/// plaintext EHLO the setup got, which the session forgot at STARTTLS's 220 before a
/// handshake that failed. `None` after a HELO fallback.
fn ehlo_so_far(session: &CoreSession, setup: &SetupCmd, tls: Option<&TlsInfo>) -> Option<Hello> {
    let plaintext = || {
        tls.is_none()
            .then(|| setup.inner.last_hello())
            .flatten()
            .and_then(Hello::ehlo)
    };
    session.ehlo().or_else(plaintext).cloned().map(Hello::Ehlo)
}
