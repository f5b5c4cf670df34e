//! What the client knows about the session: greeting, EHLO data, TLS, authentication.

use crate::auth::Mechanism;
use crate::response::{Capability, EhloData, ReplyCode, Response};
use crate::syntax::AddressEncoding;

use super::ReplyKind;

/// SMTP (RFC 5321) or LMTP (RFC 2033): LMTP answers the end of data once per recipient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// SMTP.
    #[default]
    Smtp,
    /// LMTP.
    Lmtp,
}

/// The session state commands read; changed only through the driver's validated effects.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub(crate) protocol: Protocol,
    pub(crate) greeting: Option<Response>,
    pub(crate) ehlo: Option<EhloData>,
    pub(crate) helo_only: bool,
    pub(crate) tls: bool,
    pub(crate) unverified_tls: bool,
    pub(crate) no_tls: bool,
    pub(crate) authenticated: Option<Mechanism>,
    pub(crate) in_transaction: bool,
    pub(crate) in_mail_data: bool,
    pub(crate) closed: bool,
}

impl Session {
    /// SMTP or LMTP, as the client was created.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The server's greeting, once received.
    pub fn greeting(&self) -> Option<&Response> {
        self.greeting.as_ref()
    }

    /// The EHLO (or LHLO) data of the current session; `None` before EHLO, after HELO,
    /// and from STARTTLS's 220 (RFC 3207 §4.2) or XCLIENT's 220 until EHLO is accepted
    /// again.
    pub fn ehlo(&self) -> Option<&EhloData> {
        self.ehlo.as_ref()
    }

    /// Whether the session was opened with HELO (no extensions, RFC 5321 §4.1.1.1).
    pub fn is_helo(&self) -> bool {
        self.helo_only
    }

    /// Whether a hello (EHLO, HELO or LHLO) was accepted in the current session.
    pub fn has_hello(&self) -> bool {
        self.ehlo.is_some() || self.helo_only
    }

    /// Whether the server offers `capability` in the current EHLO data.
    pub fn supports(&self, capability: Capability) -> bool {
        self.ehlo
            .as_ref()
            .is_some_and(|ehlo| ehlo.supports(capability))
    }

    /// Whether the connection is protected by TLS (implicit or after STARTTLS): from
    /// STARTTLS's 220 on, since nothing the client writes after it leaves before the
    /// handshake ([`Context::upgrade_tls`](super::Context::upgrade_tls)).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the connection's TLS, now or after STARTTLS, leaves the server
    /// unauthenticated (its certificate is not verified:
    /// [`Client::with_unverified_tls`](super::Client::with_unverified_tls)). Anyone on the
    /// path can then read what goes inside it, so AUTH counts such a session as plaintext.
    pub fn is_tls_unverified(&self) -> bool {
        self.unverified_tls
    }

    /// Whether the connection can be turned into TLS with STARTTLS: false when the client
    /// was made [`without_tls`](super::Client::without_tls) (an adapter configured for
    /// plaintext only), and `STARTTLS` is then refused before it is written.
    pub fn can_start_tls(&self) -> bool {
        !self.no_tls
    }

    /// The mechanism the session authenticated with, if it did.
    pub fn authenticated(&self) -> Option<&Mechanism> {
        self.authenticated.as_ref()
    }

    /// Whether a mail transaction is open: MAIL was accepted, and nothing has closed it
    /// since: a reply to the end of data (DATA's final dot or BDAT LAST, whatever it says:
    /// LMTP's first verdict included), RSET, an accepted EHLO, HELO or LHLO (RFC 5321
    /// §4.1.4), STARTTLS's 220 (RFC 3207 §4.2), or another reset. A refused MAIL leaves it as it was.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// Whether the server is reading mail data (RFC 5321 §4.1.1.4): DATA got its 354 and
    /// the end of data has not been written yet. Until it is, every line the client writes
    /// is message content to the server, so a command is refused before it is written
    /// ([`LogicError::WrongState`](crate::command::LogicError::WrongState)); only the
    /// message and its end (a line or [`expect_reply`](super::Context::expect_reply) of
    /// [`ReplyKind::DataEnd`]) may follow.
    pub fn in_mail_data(&self) -> bool {
        self.in_mail_data
    }

    /// Follows the transaction through the reply to a line of `kind`.
    pub(crate) fn track_transaction(&mut self, kind: ReplyKind, code: ReplyCode) {
        let positive = code.get() / 100 == 2;
        match kind {
            ReplyKind::Mail if positive => self.in_transaction = true,
            ReplyKind::Hello if positive => self.in_transaction = false,
            ReplyKind::Data if code.get() == 354 => self.in_mail_data = true,
            ReplyKind::DataEnd | ReplyKind::BdatLast => self.in_transaction = false,
            _ => {}
        }
    }

    /// Whether the session was closed (QUIT, or a refused greeting).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// How addresses are written: UTF-8 when the server offers SMTPUTF8 (RFC 6531), else
    /// ASCII with A-label domains.
    pub fn address_encoding(&self) -> AddressEncoding {
        if self.supports(Capability::SmtpUtf8) {
            AddressEncoding::Utf8
        } else {
            AddressEncoding::Ascii
        }
    }
}
