//! What the [`Server`](super::Server) hands out: outputs, events and refusals.

use super::command::{Command, CommandError};
use super::sasl::{SaslCredentials, SaslError, SaslMechanism};

/// One step of the server's output; see the [module docs](super) for the loop.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Write these bytes to the client.
    Transmit(Vec<u8>),
    /// Something happened; answer with [`Server::reply`](super::Server::reply) if the event
    /// says so.
    Event(Event),
    /// An event awaits its reply: call [`Server::reply`](super::Server::reply).
    NeedReply,
    /// Read from the client and call `handle_input` (or `handle_eof`).
    NeedInput,
    /// Run the TLS handshake now, then call
    /// [`Server::tls_established`](super::Server::tls_established) (RFC 3207 §4).
    UpgradeTls,
    /// Close the connection: after QUIT, a 421, or end of input.
    Close,
}

/// An event of the session.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A command to answer with a reply. For `Bdat`, its chunk has been read already
    /// (RFC 3030 §2) and handed out as `MessageData`.
    Command(Command),
    /// The client presented credentials through AUTH (RFC 4954): answer 235 or 535, or
    /// for a refused bearer token (XOAUTH2, OAUTHBEARER) send the error challenge with
    /// [`Server::sasl_error`](super::Server::sasl_error).
    Authenticate(SaslCredentials),
    /// A SCRAM-SHA-256 exchange needs the user's keys (RFC 5802 §5): answer with
    /// `Server::scram_keys` (feature `sasl-scram`) to go on, or refuse with a reply
    /// (535) now.
    ScramLookup {
        /// The user name (`n=`), unescaped.
        username: String,
        /// The GS2 authorization identity, unescaped; empty when absent.
        authzid: String,
    },
    /// The client answered the error challenge as its bearer mechanism requires (an empty
    /// response for XOAUTH2, `^A` for OAUTHBEARER, RFC 7628 §3.2.3): answer with the final
    /// failure, `535 5.7.8` (or `454 4.7.0` when temporary).
    SaslErrorAnswered(SaslMechanism),
    /// Message bytes, dot-stuffing undone (DATA) or raw (BDAT); no reply. Pieces follow the
    /// input's split: only their concatenation is meaningful.
    MessageData(Vec<u8>),
    /// The end-of-data line after DATA (RFC 5321 §4.1.1.4): answer the message.
    DataEnd,
    /// The server refused input and already wrote its reply; no answer expected.
    Refused(Refusal),
}

/// Input the server refused on its own, with the reply it wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A malformed, unknown or overlong command line (500, 501 or 555).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// A line ended with a bare LF (RFC 5321 §2.3.8: 500).
    #[error("command line ended with a bare LF")]
    BareLf,
    /// A malformed or cancelled AUTH exchange (501 or 504).
    #[error(transparent)]
    Auth(#[from] SaslError),
    /// AUTH refused before any exchange, for the state of the session (502, 503 or 538):
    /// no challenge is sent and no credential is read.
    #[error("AUTH refused: {0}")]
    AuthNotAllowed(AuthGate),
    /// The message exceeded the configured size (RFC 1870 §6: 552): the rest of its data
    /// was dropped, and the application discards the pieces it already received.
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// Bytes arrived after STARTTLS before the handshake (RFC 3207 §4, injection): dropped.
    #[error("{octets} octets pipelined after STARTTLS were discarded")]
    InjectedAfterStartTls {
        /// How many octets were discarded.
        octets: usize,
    },
}

/// Why a [`Server`](super::Server) refuses AUTH as soon as the command arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthGate {
    /// The greeting was refused: only QUIT is served (RFC 5321 §3.1, 503).
    #[error("the greeting was refused, only QUIT is served")]
    GreetingRefused,
    /// An AUTH succeeded already (RFC 4954 §4: 503).
    #[error("already authenticated")]
    AlreadyAuthenticated,
    /// A mail transaction is in progress (RFC 4954 §4: 503).
    #[error("not permitted during a mail transaction")]
    InTransaction,
    /// [`ServerConfig::mechanisms`](super::ServerConfig::mechanisms) is empty, or the
    /// session said HELO, after which no extension is in effect (RFC 5321 §4.1.1.1): AUTH
    /// is not offered (502).
    #[error("AUTH is not offered")]
    NotOffered,
    /// The session has no TLS and
    /// [`ServerConfig::auth_requires_tls`](super::ServerConfig::auth_requires_tls) is set
    /// (RFC 4954 §6: 538).
    #[error("encryption required")]
    EncryptionRequired,
}

/// The application called the server out of turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// `reply` while no event awaits one.
    #[error("no event awaits a reply")]
    NotAwaitingReply,
    /// `tls_established` without a preceding `UpgradeTls`.
    #[error("no TLS upgrade was requested")]
    NotUpgrading,
    /// `reply_many` while the pending event is not the end of a message.
    #[error("several replies answer only the end of a message")]
    NotMessageEnd,
    /// `reply_many` with no reply.
    #[error("reply_many needs at least one reply")]
    NoReplies,
    /// `sasl_error` while no XOAUTH2 or OAUTHBEARER credentials await a reply.
    #[error("an error challenge answers only XOAUTH2 or OAUTHBEARER credentials")]
    NotBearerAuth,
    /// `scram_keys` while no [`Event::ScramLookup`] awaits an answer.
    #[error("no SCRAM exchange awaits keys")]
    NotScramLookup,
}
