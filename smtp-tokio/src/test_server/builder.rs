//! [`TestServerBuilder`]: capabilities, TLS, AUTH, refusals, faults, then spawn.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smtp_proto::response::ReplyCode;
use smtp_proto::server::{CommandError, Reply, SaslMechanism, parse_command};

use super::listen::{Bound, Runner};
use super::pki::Pki;
use super::record::Store;
use super::rules::{Fault, FaultRule, Pattern, RefusalRule, Rules, Stage};
use super::settings::{Capabilities, Settings};
use super::{TestServer, TestServerError};

mod auth;

/// Configures a [`TestServer`]; every setting has a default that a well-behaved modern
/// server would have.
///
/// Defaults: SMTP on 127.0.0.1 and an ephemeral port; PIPELINING, 8BITMIME, SMTPUTF8,
/// ENHANCEDSTATUSCODES, CHUNKING, BINARYMIME, DSN and `SIZE 10485760` offered; no
/// STARTTLS, no AUTH; every command and message accepted.
///
/// AUTH mechanisms: PLAIN and LOGIN once a password is configured ([`auth`](Self::auth)),
/// XOAUTH2 and OAUTHBEARER once a token is ([`xoauth2`](Self::xoauth2),
/// [`oauthbearer`](Self::oauthbearer)); CRAM-MD5 and SCRAM-SHA-256 on request with
/// [`mechanisms`](Self::mechanisms), which sets the whole list.
#[derive(Debug)]
#[must_use]
pub struct TestServerBuilder {
    hostname: String,
    greeting: Option<String>,
    capabilities: Capabilities,
    starttls: bool,
    implicit_tls: bool,
    passwords: Vec<(String, String)>,
    tokens: Vec<(String, String)>,
    /// The bearer mechanisms the tokens were registered for, in order.
    bearer: Vec<SaslMechanism>,
    mechanisms: Option<Vec<SaslMechanism>>,
    allow_plaintext_auth: bool,
    require_auth: bool,
    lmtp: bool,
    max_recipients: Option<usize>,
    unix: Option<PathBuf>,
    rules: Rules,
    errors: Vec<String>,
}

impl Default for TestServerBuilder {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            greeting: None,
            capabilities: Capabilities::default(),
            starttls: false,
            implicit_tls: false,
            passwords: Vec::new(),
            tokens: Vec::new(),
            bearer: Vec::new(),
            mechanisms: None,
            allow_plaintext_auth: false,
            require_auth: false,
            lmtp: false,
            max_recipients: None,
            unix: None,
            rules: Rules::default(),
            errors: Vec::new(),
        }
    }
}

impl TestServerBuilder {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// The host name in the greeting and the EHLO reply (default `localhost`).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// The greeting's text after `220 ` (default `<hostname> ESMTP smtp-tokio test server`).
    pub fn greeting(mut self, text: impl Into<String>) -> Self {
        self.greeting = Some(text.into());
        self
    }

    /// Offers PIPELINING (RFC 2920); default on.
    pub fn pipelining(mut self, on: bool) -> Self {
        self.capabilities.pipelining = on;
        self
    }

    /// Offers 8BITMIME (RFC 6152); default on.
    pub fn eight_bit_mime(mut self, on: bool) -> Self {
        self.capabilities.eight_bit_mime = on;
        self
    }

    /// Offers SMTPUTF8 (RFC 6531); default on.
    pub fn smtputf8(mut self, on: bool) -> Self {
        self.capabilities.smtputf8 = on;
        self
    }

    /// Offers ENHANCEDSTATUSCODES (RFC 2034) and writes them in its own replies; default on.
    pub fn enhanced_status_codes(mut self, on: bool) -> Self {
        self.capabilities.enhanced_status_codes = on;
        self
    }

    /// Offers CHUNKING (RFC 3030: BDAT); default on. Off, BDAT is refused with 502.
    pub fn chunking(mut self, on: bool) -> Self {
        self.capabilities.chunking = on;
        self
    }

    /// Offers BINARYMIME (RFC 3030 §3, only together with CHUNKING); default on.
    pub fn binarymime(mut self, on: bool) -> Self {
        self.capabilities.binarymime = on;
        self
    }

    /// Offers DSN (RFC 3461); default on.
    pub fn dsn(mut self, on: bool) -> Self {
        self.capabilities.dsn = on;
        self
    }

    /// Offers `SIZE n` (RFC 1870) and refuses larger messages with 552 (default 10 MiB);
    /// `None` offers no SIZE and keeps an unannounced limit of 64 MiB.
    pub fn size(mut self, size: Option<u64>) -> Self {
        self.capabilities.size = size;
        self
    }

    /// Adds a line to the EHLO reply as it is (`"XCLIENT NAME"`): for testing a client
    /// against extensions the server does not implement. A MAIL or RCPT parameter named
    /// as the line's keyword (`XFOO=1` after `capability("XFOO")`) is then accepted and
    /// recorded; any other parameter the server does not know gets 555 (RFC 5321
    /// §4.1.1.11).
    pub fn capability(mut self, line: impl Into<String>) -> Self {
        self.capabilities.extra.push(line.into());
        self
    }

    /// Answers the command `verb` (one the server does not know: an `XFOO` or ETRN a
    /// custom [`Cmd`](smtp_proto::command::Cmd) sends) with `reply`, whatever its
    /// arguments; the line is recorded in [`SessionRecord::commands`](super::SessionRecord).
    /// Add the EHLO keyword the command needs with [`capability`](Self::capability). A verb
    /// the server runs itself (MAIL, AUTH, ...), one that is not letters and digits, or a
    /// reply that does not parse makes [`spawn`](Self::spawn) fail.
    ///
    /// ```
    /// use smtp_tokio::test_server::TestServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = TestServer::builder()
    ///     .capability("XPING")
    ///     .answer("XPING", "250 2.0.0 pong")
    ///     .spawn()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn answer(mut self, verb: &str, reply: &str) -> Self {
        let upper = verb.to_ascii_uppercase();
        let letters = !upper.is_empty() && upper.bytes().all(|b| b.is_ascii_alphanumeric());
        let known = upper == "AUTH"
            || !matches!(
                parse_command(upper.as_bytes()),
                Err(CommandError::Unknown { .. })
            );
        match reply.parse::<Reply>() {
            _ if !letters => self.error(format!("answer: {verb:?} is not a command verb")),
            _ if known => self.error(format!("answer: {upper} is the server's own command")),
            Ok(reply) => {
                self.rules.answers.push((upper, reply));
                self
            }
            Err(e) => self.error(format!("answer reply {reply:?}: {e}")),
        }
    }

    /// Offers STARTTLS (RFC 3207) with the generated certificate ([`TestServer::ca_pem`]).
    pub fn starttls(mut self, on: bool) -> Self {
        self.starttls = on;
        self
    }

    /// TLS from the first byte (RFC 8314), with the generated certificate.
    pub fn implicit_tls(mut self, on: bool) -> Self {
        self.implicit_tls = on;
        self
    }

    /// Speaks LMTP (RFC 2033): LHLO instead of EHLO, one verdict per accepted recipient.
    pub fn lmtp(mut self, on: bool) -> Self {
        self.lmtp = on;
        self
    }

    /// Accepts at most `n` recipients per transaction and answers the next ones
    /// `452 4.5.3 Too many recipients` (RFC 5321 §4.5.3.1.10), the reply a client should
    /// retry in a new transaction.
    pub fn max_recipients(mut self, n: usize) -> Self {
        self.max_recipients = Some(n);
        self
    }

    /// Listens on a Unix socket at `path` instead of TCP (the file must not exist; it is
    /// removed when the server is dropped). Usually with [`lmtp`](Self::lmtp).
    pub fn unix(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix = Some(path.into());
        self
    }

    /// At `stage`, answers `reply` (`"550 5.1.1 no such user"`: code, optional enhanced
    /// status, text; `\n` separates lines) when an address matches `pattern`.
    ///
    /// The address is MAIL's reverse path at [`Stage::Mail`], the recipient at
    /// [`Stage::Rcpt`], any of them at [`Stage::Data`] and [`Stage::DataEnd`] (in LMTP
    /// the end-of-data rules are matched per recipient and give that recipient's
    /// verdict), the user at [`Stage::Auth`], the client's identity at [`Stage::Ehlo`],
    /// and the empty string at [`Stage::Greeting`] and [`Stage::StartTls`]. The first
    /// matching rule wins. A 421 also closes the connection. A reply that does not
    /// parse makes [`spawn`](Self::spawn) fail.
    pub fn refuse(self, stage: Stage, pattern: impl Into<Pattern>, reply: &str) -> Self {
        match reply.parse::<Reply>() {
            Ok(reply) => self.refuse_with(stage, pattern, reply),
            Err(e) => self.error(format!("refusal reply {reply:?}: {e}")),
        }
    }

    /// [`refuse`](Self::refuse) with a [`Reply`] built already.
    pub fn refuse_with(mut self, stage: Stage, pattern: impl Into<Pattern>, reply: Reply) -> Self {
        let pattern = pattern.into();
        self.rules.refusals.push(RefusalRule {
            stage,
            pattern,
            reply,
        });
        self
    }

    /// Adds a fault that hits every time (see [`Fault`]).
    ///
    /// ```
    /// use smtp_proto::command::{Envelope, MailBody, Outcome};
    /// use smtp_tokio::test_server::{Fault, TestServer};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = TestServer::builder()
    ///     .fault(Fault::DisconnectBeforeVerdict)
    ///     .spawn()
    ///     .await?;
    /// let config = server.client_config().build()?;
    /// let envelope = Envelope::new("<a@x.test>".parse()?, ["<b@y.test>".parse()?])?;
    /// let body = MailBody::bytes(&b"Subject: hi\r\n\r\nhi\r\n"[..]);
    /// let error = smtp_tokio::connect_send_quit(&config, envelope, body).await.unwrap_err();
    /// // The message left, its verdict never came: the client must not call it failed.
    /// assert_eq!(error.reports()[0].outcome(), Outcome::Uncertain);
    /// assert_eq!(server.next_message().await.verdict, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn fault(mut self, fault: Fault) -> Self {
        self.rules.faults.push(FaultRule::new(fault, None));
        self
    }

    /// Adds a fault that hits only its first `times` times, across all sessions.
    pub fn fault_times(mut self, fault: Fault, times: usize) -> Self {
        self.rules.faults.push(FaultRule::new(fault, Some(times)));
        self
    }

    /// A shorthand for `fault(Fault::SlowReplies(delay))`.
    pub fn slow_replies(self, delay: Duration) -> Self {
        self.fault(Fault::SlowReplies(delay))
    }

    fn error(mut self, error: String) -> Self {
        self.errors.push(error);
        self
    }

    /// Starts the server as a task on the current tokio runtime (any flavour); it runs
    /// until the [`TestServer`] is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (tokio's own panic, as `tokio::spawn`).
    pub async fn spawn(self) -> Result<TestServer, TestServerError> {
        let (settings, unix) = self.settings()?;
        let (bound, address) = Bound::bind(unix.as_ref())?;
        let store = Arc::new(Store::default());
        let runner = Runner::spawn(bound, settings.clone(), store.clone())?;
        Ok(TestServer::new(address, settings, store, runner, unix))
    }

    /// Starts the server on a thread of its own with a current-thread runtime: for
    /// blocking code, other runtimes (async-std, smol) and tests that must not share
    /// their runtime. It runs until the [`TestServer`] is dropped.
    ///
    /// ```
    /// use std::io::{BufRead, BufReader, Write};
    /// use std::time::Duration;
    /// use smtp_tokio::test_server::TestServer;
    ///
    /// let server = TestServer::builder().spawn_thread()?;
    /// // Any client will do, blocking or on another runtime; here a hand-written one
    /// // (HELO keeps every reply on one line).
    /// let mut stream = std::net::TcpStream::connect(server.local_addr().unwrap())?;
    /// let mut replies = BufReader::new(stream.try_clone()?).lines();
    /// let mut code = || replies.next().unwrap().map(|line| line[..3].to_owned());
    /// assert_eq!(code()?, "220");
    /// for (command, expected) in [
    ///     ("HELO client.test", "250"),
    ///     ("MAIL FROM:<a@x.test>", "250"),
    ///     ("RCPT TO:<b@y.test>", "250"),
    ///     ("DATA", "354"),
    ///     ("Subject: hi\r\n\r\n..dot\r\n.", "250"),
    ///     ("QUIT", "221"),
    /// ] {
    ///     write!(stream, "{command}\r\n")?;
    ///     assert_eq!(code()?, expected, "{command}");
    /// }
    /// let message = server.next_message_blocking(Duration::from_secs(10)).unwrap();
    /// assert_eq!(message.data, b"Subject: hi\r\n\r\n.dot\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn_thread(self) -> Result<TestServer, TestServerError> {
        let (settings, unix) = self.settings()?;
        let (bound, address) = Bound::bind(unix.as_ref())?;
        let store = Arc::new(Store::default());
        let runner = Runner::spawn_thread(bound, settings.clone(), store.clone())?;
        Ok(TestServer::new(address, settings, store, runner, unix))
    }

    /// Checks the settings and makes the certificate.
    fn settings(self) -> Result<(Arc<Settings>, Option<PathBuf>), TestServerError> {
        if let Some(error) = self.errors.into_iter().next() {
            return Err(TestServerError::Config(error));
        }
        let bad =
            |what: &str, e: &dyn std::fmt::Display| TestServerError::Config(format!("{what}: {e}"));
        let mut ehlo =
            Reply::new(ReplyCode::OK, &self.hostname).map_err(|e| bad("hostname", &e))?;
        let protocol = if self.lmtp { "LMTP" } else { "ESMTP" };
        let greeting = self
            .greeting
            .unwrap_or_else(|| format!("{} {protocol} smtp-tokio test server", self.hostname));
        Reply::new(ReplyCode::SERVICE_READY, &greeting).map_err(|e| bad("greeting", &e))?;
        for line in &self.capabilities.extra {
            ehlo = ehlo.with_line(line).map_err(|e| bad("capability", &e))?;
        }
        let mechanisms = self.mechanisms.unwrap_or_else(|| {
            let mut defaults = Vec::new();
            if !self.passwords.is_empty() {
                defaults.extend([SaslMechanism::Plain, SaslMechanism::Login]);
            }
            for mechanism in [SaslMechanism::XOAuth2, SaslMechanism::OAuthBearer] {
                if self.bearer.contains(&mechanism) {
                    defaults.push(mechanism);
                }
            }
            defaults
        });
        if let Some(missing) = mechanisms.iter().find(|m| !m.is_supported()) {
            return Err(TestServerError::Config(format!(
                "AUTH {missing} is not in this build of smtp-proto (see its features)"
            )));
        }
        let fallback = "502 5.5.1 Command not implemented"
            .parse::<Reply>()
            .map_err(|e| bad("fallback reply", &e))?;
        let settings = Settings {
            hostname: self.hostname,
            greeting,
            capabilities: self.capabilities,
            starttls: self.starttls,
            implicit_tls: self.implicit_tls,
            passwords: self.passwords,
            tokens: self.tokens,
            mechanisms,
            allow_plaintext_auth: self.allow_plaintext_auth,
            require_auth: self.require_auth,
            lmtp: self.lmtp,
            max_recipients: self.max_recipients,
            rules: self.rules,
            pki: Pki::generate()?,
            fallback,
        };
        Ok((Arc::new(settings), self.unix))
    }
}
