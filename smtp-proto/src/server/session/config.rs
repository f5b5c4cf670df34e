//! [`ServerConfig`]: the limits, identity and AUTH mechanisms of a [`Server`](super::Server).

use super::super::sasl::SaslMechanism;

/// Limits, identity and AUTH mechanisms of a [`Server`](super::Server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Longest command line, CRLF included: 512 (RFC 5321 §4.5.3.1.4) plus room for ESMTP
    /// parameters. Default 4096. An AUTH command line and a SASL response may reach
    /// 12288 octets (RFC 4954 §4) whatever this says: the limit for them is the larger of
    /// the two.
    pub max_line_length: usize,
    /// Largest message, in octets after unstuffing (RFC 1870). Default 10 MiB.
    pub max_message_size: usize,
    /// The mechanisms AUTH runs; any other is refused with 504 before an exchange starts
    /// (RFC 4954 §4), and so is one listed here that this build does not run
    /// ([`SaslMechanism::is_supported`]); none at all refuses AUTH with 502. Default: every
    /// mechanism this build supports. The application still answers the credentials.
    pub mechanisms: Vec<SaslMechanism>,
    /// Refuse AUTH with 538 on a session without TLS (RFC 4954 §6), before any exchange,
    /// so that no credential crosses the network in clear. TLS means a STARTTLS upgrade
    /// ([`Server::tls_established`](super::Server::tls_established)) or a session built
    /// with [`Server::implicit_tls`](super::Server::implicit_tls). Default `false`.
    pub auth_requires_tls: bool,
    /// The host name in CRAM-MD5 challenges (`<nonce.counter@hostname>`, RFC 2195 §2).
    /// Default `localhost`.
    pub hostname: String,
    /// Where the challenge nonces of CRAM-MD5 and SCRAM-SHA-256 come from: the core draws
    /// no randomness, so they are derived from this seed and a per-session counter.
    /// Deterministic, which suits tests; give each session a fresh seed (a test server
    /// may hash a session counter with `std`'s randomly keyed hasher), and in production
    /// a seed from a secure random source. Default 0.
    pub nonce_seed: u64,
    /// Verbs the application answers itself ([`Command::Extension`](super::Command)):
    /// an extension this server does not implement, such as a user's own command under
    /// test. Compared ASCII case-insensitively; a verb the server knows (MAIL, DATA, AUTH,
    /// ...) stays the server's, and an empty entry matches nothing (an empty line stays a
    /// 500). Any other unknown verb is refused with 500. Default none.
    pub extensions: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_line_length: 4096,
            max_message_size: 10 << 20,
            mechanisms: SaslMechanism::ALL
                .into_iter()
                .filter(|m| m.is_supported())
                .collect(),
            auth_requires_tls: false,
            hostname: "localhost".to_owned(),
            nonce_seed: 0,
            extensions: Vec::new(),
        }
    }
}
