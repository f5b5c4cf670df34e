//! Per-exchange options: authorization identity, OAUTHBEARER host and port, SCRAM inputs.

use std::ops::RangeInclusive;

/// The fewest SCRAM iterations accepted by default (RFC 7677 §4: "at least 4096").
pub const DEFAULT_SCRAM_MIN_ITERATIONS: u32 = 4096;

/// The most SCRAM iterations accepted by default.
///
/// PBKDF2 cost grows linearly with the server's count, so an unbounded count lets a
/// hostile server pin the client's CPU. One million is about a second of SHA-256 work on
/// a slow core, well above the 4096 to 600 000 that real deployments use.
pub const DEFAULT_SCRAM_MAX_ITERATIONS: u32 = 1_000_000;

/// Options of one SASL exchange beyond the credentials.
///
/// ```
/// use smtp_proto::auth::SaslParams;
///
/// let params = SaslParams::new()
///     .authzid("shared@example.com")
///     .host("smtp.example.com")
///     .port(587)
///     .client_nonce("rOprNGfwEbeRWgbNEkqO");
/// assert_eq!(params.scram_iterations(), &(4096..=1_000_000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslParams {
    pub(crate) authzid: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) client_nonce: Option<String>,
    pub(crate) scram_iterations: RangeInclusive<u32>,
}

impl Default for SaslParams {
    fn default() -> Self {
        Self {
            authzid: None,
            host: None,
            port: None,
            client_nonce: None,
            scram_iterations: DEFAULT_SCRAM_MIN_ITERATIONS..=DEFAULT_SCRAM_MAX_ITERATIONS,
        }
    }
}

impl SaslParams {
    /// No authorization identity, no host or port, no nonce, default SCRAM bounds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Act as this identity (PLAIN authzid, SCRAM and OAUTHBEARER GS2 `a=`).
    ///
    /// LOGIN, CRAM-MD5 and XOAUTH2 cannot carry one, and refuse to start with it.
    /// For OAUTHBEARER it defaults to the credentials' user, as in RFC 7628 §4.1.
    pub fn authzid(mut self, authzid: impl Into<String>) -> Self {
        self.authzid = Some(authzid.into());
        self
    }

    /// The server host name OAUTHBEARER reports (`host=`, RFC 7628 §3.1, optional).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The server port OAUTHBEARER reports (`port=`, RFC 7628 §3.1, optional).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The SCRAM client nonce (RFC 5802 §5.1 `r`): printable ASCII without `,`.
    ///
    /// The core draws no randomness, so the caller supplies it: at least 18 random bytes,
    /// base64-encoded, fresh for every exchange. Reusing a nonce lets a recorded exchange
    /// be replayed.
    pub fn client_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.client_nonce = Some(nonce.into());
        self
    }

    /// The iteration counts a SCRAM server may ask for; others fail the exchange.
    pub fn scram_iteration_bounds(mut self, bounds: RangeInclusive<u32>) -> Self {
        self.scram_iterations = bounds;
        self
    }

    /// The accepted SCRAM iteration counts.
    pub fn scram_iterations(&self) -> &RangeInclusive<u32> {
        &self.scram_iterations
    }
}
