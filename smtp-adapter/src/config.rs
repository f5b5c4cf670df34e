//! What a connection is opened with: where, how secured, who we are, credentials, limits.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use smtp_proto::auth::{Credentials, Mechanism, SaslParams};
use smtp_proto::client::{Client, ClientConfig, Protocol};
use smtp_proto::command::{Authenticate, Establish, TlsPolicy, TransactionOptions};
use smtp_proto::syntax::ClientId;

use crate::{ConnectionConfigBuilder, Error, TlsConfig};

/// How the connection is protected.
///
/// The mode must match the port: a server on an implicit-TLS port (465) waits for a TLS
/// handshake and says nothing, so any other mode there ends in a greeting timeout (5
/// minutes by default, RFC 5321 §4.5.3.2.1); on a STARTTLS port,
/// [`ImplicitTls`](Self::ImplicitTls) fails the handshake at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// TLS from the first byte (RFC 8314, port 465).
    ImplicitTls,
    /// STARTTLS or nothing (RFC 3207): a server that does not offer it or refuses it ends
    /// the connection before any credential or mail byte. The default.
    #[default]
    StartTlsRequired,
    /// STARTTLS when offered, else plaintext (MTA-to-MTA delivery; the default port is
    /// 25). AUTH still needs
    /// [`ConnectionConfigBuilder::allow_plaintext_auth`] without TLS.
    StartTlsOpportunistic,
    /// Plaintext, chosen explicitly (a local relay, LMTP on a Unix socket).
    None,
}

/// Where to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A host name, an IP address or an RFC 5321 address literal, and a port.
    Tcp {
        /// The host name, IP address or address literal (`[192.0.2.1]`,
        /// `[IPv6:2001:db8::1]`); also the default TLS server name.
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix domain socket (LMTP delivery agents).
    Unix(PathBuf),
}

/// Everything an adapter needs to open and set up a connection. Build it with
/// [`ConnectionConfig::builder`] or [`ConnectionConfig::unix`].
///
/// ```
/// use smtp_adapter::{ConnectionConfig, Security};
///
/// let config = ConnectionConfig::builder("smtp.example.org")
///     .port(587)
///     .security(Security::StartTlsRequired)
///     .credentials(smtp_proto::auth::Credentials::password("tim", "secret"))
///     .build()?;
/// assert_eq!(config.port(), Some(587));
/// assert!(!format!("{config:?}").contains("secret"));
/// # Ok::<(), smtp_adapter::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    pub(crate) endpoint: Endpoint,
    pub(crate) security: Security,
    pub(crate) client_id: Option<ClientId>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) mechanisms: Option<Vec<Mechanism>>,
    pub(crate) allow_plaintext_auth: bool,
    pub(crate) sasl_params: SaslParams,
    pub(crate) client: ClientConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) tls_timeout: Duration,
    pub(crate) bind: Option<IpAddr>,
    pub(crate) protocol: Protocol,
    pub(crate) transaction: TransactionOptions,
    pub(crate) tls: TlsConfig,
    pub(crate) helo_fallback: bool,
}

impl ConnectionConfig {
    /// A builder for a TCP connection to `host`: a name, an IP address, or an address
    /// literal (RFC 5321 §4.1.3: `[192.0.2.1]`, `[IPv6:2001:db8::1]`), which is connected
    /// to without resolving and is the default TLS server name as an IP address. Any other
    /// bracketed host (a general literal `[tag:content]`, `[::1]` without its `IPv6:` tag)
    /// fails [`build`](ConnectionConfigBuilder::build).
    pub fn builder(host: impl Into<String>) -> ConnectionConfigBuilder {
        ConnectionConfigBuilder::new(Self::new(Endpoint::Tcp {
            host: host.into(),
            port: 0,
        }))
    }

    /// A builder for LMTP (RFC 2033) over the Unix socket at `path`, plaintext. With TLS
    /// set on it, the server's certificate is verified against
    /// [`TlsConfig::server_name`], else against `localhost`: a socket has no host name.
    pub fn unix(path: impl Into<PathBuf>) -> ConnectionConfigBuilder {
        let mut config = Self::new(Endpoint::Unix(path.into()));
        config.security = Security::None;
        config.protocol = Protocol::Lmtp;
        ConnectionConfigBuilder::new(config)
    }

    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            security: Security::default(),
            client_id: None,
            credentials: None,
            mechanisms: None,
            allow_plaintext_auth: false,
            sasl_params: SaslParams::new(),
            client: ClientConfig::default(),
            connect_timeout: Duration::from_secs(30),
            tls_timeout: Duration::from_secs(300),
            bind: None,
            protocol: Protocol::Smtp,
            transaction: TransactionOptions::default(),
            tls: TlsConfig::new(),
            helo_fallback: true,
        }
    }

    /// Where to connect.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The host name or address (`None` for a Unix socket).
    pub fn host(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Tcp { host, .. } => Some(host),
            Endpoint::Unix(_) => None,
        }
    }

    /// The IP address of a host written as an address literal (`[192.0.2.1]`,
    /// `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3): the adapters connect to it without a name
    /// lookup. `None` for a host name, a bare IP address (which the resolver returns as it
    /// is) and a Unix socket.
    pub fn literal_address(&self) -> Option<IpAddr> {
        match &self.endpoint {
            Endpoint::Tcp { host, .. } => crate::builder::literal_ip(host).ok().flatten(),
            Endpoint::Unix(_) => None,
        }
    }

    /// The port (`None` for a Unix socket).
    pub fn port(&self) -> Option<u16> {
        match &self.endpoint {
            Endpoint::Tcp { port, .. } => Some(*port),
            Endpoint::Unix(_) => None,
        }
    }

    /// The security mode.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The TLS settings.
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    /// The connect timeout (name resolution and every address tried; the blocking adapter
    /// cannot interrupt the system resolver, so it counts its time and checks once it
    /// returns): 30 s by default.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The TLS handshake timeout: 5 minutes by default.
    pub fn tls_timeout(&self) -> Duration {
        self.tls_timeout
    }

    /// The local address to bind before connecting.
    pub fn bind_address(&self) -> Option<IpAddr> {
        self.bind
    }

    /// The options every mail is sent with.
    pub fn transaction_options(&self) -> TransactionOptions {
        self.transaction
    }

    /// The core driver's configuration (reply deadlines, reply limits).
    pub fn client_config(&self) -> ClientConfig {
        self.client
    }

    /// The name the TLS certificate is verified against (`None` for a Unix socket without
    /// an explicit [`TlsConfig::server_name`]; the adapters then verify `localhost`).
    pub fn tls_server_name(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::Tcp { host, .. } => Some(self.tls.verification_name(host)),
            Endpoint::Unix(_) => self.tls.configured_server_name(),
        }
    }

    /// A fresh core client for this configuration; `tls` when the stream is already TLS.
    ///
    /// Pipelined groups are split at the configured `max_group`, or at
    /// [`DEFAULT_MAX_GROUP`](crate::DEFAULT_MAX_GROUP): no adapter loop reads while it
    /// writes, so a group larger than the socket buffers could deadlock against a server
    /// that writes its replies before it reads on (RFC 2920 §3.1).
    pub fn new_client(&self, tls: bool) -> Client {
        let mut config = self.client;
        if config.max_group.is_none() {
            config.max_group = Some(crate::DEFAULT_MAX_GROUP);
        }
        let client = if tls {
            Client::new_tls(config)
        } else {
            Client::new(config)
        };
        let client = client
            .with_protocol(self.protocol)
            .with_unverified_tls(self.security != Security::None && self.tls.skips_verification());
        // Plaintext only: the adapters have no TLS to start (their upgrader is
        // `Unavailable`), so STARTTLS is refused before it is written.
        if self.security == Security::None {
            client.without_tls()
        } else {
            client
        }
    }

    /// The session setup command: greeting, EHLO (LHLO), STARTTLS per the security mode,
    /// AUTH if credentials were given.
    ///
    /// The client identity is the configured one, else this machine's fully qualified host
    /// name, else the address literal of `local` (RFC 5321 §4.1.4), else `localhost`. A
    /// SCRAM client nonce is drawn fresh for every setup.
    pub fn establish(&self, local: Option<SocketAddr>) -> Result<Establish, Error> {
        let client_id = self
            .client_id
            .clone()
            .or_else(system_host_name)
            .or_else(|| local.map(|a| ClientId::from(a.ip())))
            .unwrap_or_else(ClientId::localhost);
        let policy = match self.security {
            Security::StartTlsRequired => TlsPolicy::Required,
            Security::StartTlsOpportunistic => TlsPolicy::Opportunistic,
            Security::ImplicitTls | Security::None => TlsPolicy::Disabled,
        };
        let setup = Establish::new(client_id)
            .map_err(|e| Error::Config(format!("client identity: {e}")))?
            .tls(policy)
            .helo_fallback(self.helo_fallback);
        let Some(credentials) = self.credentials.clone() else {
            return Ok(setup);
        };
        let mut params = self
            .sasl_params
            .clone()
            .client_nonce(crate::tls::client_nonce()?);
        if let Endpoint::Tcp { host, port } = &self.endpoint {
            // OAUTHBEARER's `host=` names the host connected to: an address, not a literal.
            let host = self
                .literal_address()
                .map_or_else(|| host.clone(), |ip| ip.to_string());
            params = params.host(host).port(*port);
        }
        let mut auth = Authenticate::new(credentials)
            .params(params)
            .allow_plaintext(self.allow_plaintext_auth);
        if let Some(mechanisms) = &self.mechanisms {
            auth = auth.preference(mechanisms.clone());
        }
        Ok(setup.authenticate(auth))
    }
}

/// This machine's host name, if it is fully qualified (has a dot) and valid.
fn system_host_name() -> Option<ClientId> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    let name = name.trim();
    if !name.contains('.') || name.ends_with(".localdomain") {
        return None;
    }
    ClientId::from_host_name(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_name_is_the_configured_one_else_the_host() {
        let named = || TlsConfig::new().server_name("mx.example.org");
        let tcp = ConnectionConfig::builder("192.0.2.1").build().unwrap();
        assert_eq!(tcp.tls_server_name(), Some("192.0.2.1"));
        let tcp = ConnectionConfig::builder("192.0.2.1")
            .tls(named())
            .build()
            .unwrap();
        assert_eq!(tcp.tls_server_name(), Some("mx.example.org"));
        let unix = ConnectionConfig::unix("/run/lmtp").build().unwrap();
        assert_eq!(unix.tls_server_name(), None);
        let unix = ConnectionConfig::unix("/run/lmtp")
            .tls(named())
            .build()
            .unwrap();
        assert_eq!(unix.tls_server_name(), Some("mx.example.org"));
    }

    /// `dangerous_skip_verification` marks the client's TLS unverified (AUTH then needs
    /// plaintext allowed); a caller's own rustls configuration replaces it and is trusted
    /// to verify (review diff5: `rustls_config` says every other setting is ignored, and
    /// the flag once still counted); without TLS there is nothing to mark.
    #[test]
    fn only_skipped_verification_marks_the_client_unverified() {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifying = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let skipping = TlsConfig::new().dangerous_skip_verification();
        let replaced = skipping
            .clone()
            .rustls_config(std::sync::Arc::new(verifying));
        for (tls, security, unverified) in [
            (skipping.clone(), Security::StartTlsRequired, true),
            (skipping.clone(), Security::ImplicitTls, true),
            (skipping, Security::None, false),
            (replaced, Security::StartTlsRequired, false),
            (TlsConfig::new(), Security::ImplicitTls, false),
        ] {
            let config = ConnectionConfig::builder("mx.example")
                .security(security)
                .tls(tls)
                .build()
                .unwrap();
            let client = config.new_client(security == Security::ImplicitTls);
            assert_eq!(
                client.session().is_tls_unverified(),
                unverified,
                "{security:?}"
            );
        }
    }

    /// Plaintext only: the adapters have no TLS to start, so the core refuses STARTTLS
    /// before writing it; every other mode can start it (or is TLS already).
    #[test]
    fn only_a_plaintext_configuration_cannot_start_tls() {
        for security in [
            Security::None,
            Security::StartTlsRequired,
            Security::StartTlsOpportunistic,
            Security::ImplicitTls,
        ] {
            let config = ConnectionConfig::builder("mx.example")
                .security(security)
                .build()
                .unwrap();
            let client = config.new_client(security == Security::ImplicitTls);
            assert_eq!(
                client.session().can_start_tls(),
                security != Security::None,
                "{security:?}"
            );
        }
    }

    #[test]
    fn oauthbearer_names_a_literal_host_by_its_address() {
        let config = ConnectionConfig::builder("[IPv6:::1]")
            .credentials(Credentials::oauth2("tim", "token"))
            .build()
            .unwrap();
        let setup = format!("{:?}", config.establish(None).unwrap());
        assert!(setup.contains("host: Some(\"::1\")"), "{setup}");
    }

    #[test]
    fn default_ports_follow_the_security_mode() {
        let port = |security| {
            ConnectionConfig::builder("mx.example")
                .security(security)
                .build()
                .unwrap()
                .port()
        };
        assert_eq!(port(Security::ImplicitTls), Some(465));
        assert_eq!(port(Security::StartTlsRequired), Some(587));
        assert_eq!(port(Security::StartTlsOpportunistic), Some(25));
        assert_eq!(port(Security::None), Some(25));
        let lmtp_tcp = ConnectionConfig::builder("mx.example")
            .lmtp(true)
            .security(Security::StartTlsOpportunistic)
            .build()
            .unwrap();
        assert_eq!(lmtp_tcp.port(), Some(24));
        let lmtp = ConnectionConfig::unix("/run/lmtp").build().unwrap();
        assert_eq!(lmtp.port(), None);
        assert_eq!(lmtp.security(), Security::None);
    }

    #[test]
    fn establish_follows_the_security_mode() {
        let config = ConnectionConfig::builder("mx.example").build().unwrap();
        assert_eq!(
            config.establish(None).unwrap().tls_policy(),
            TlsPolicy::Required
        );
        let config = ConnectionConfig::builder("mx.example")
            .security(Security::StartTlsOpportunistic)
            .build()
            .unwrap();
        let setup = config.establish(None).unwrap();
        assert_eq!(setup.tls_policy(), TlsPolicy::Opportunistic);
    }

    #[test]
    fn invalid_settings_are_refused() {
        assert!(matches!(
            ConnectionConfig::builder("").build(),
            Err(Error::Config(_))
        ));
        let bad_name = ConnectionConfig::builder("mx.example")
            .tls(TlsConfig::new().server_name("not a name"))
            .build();
        assert!(matches!(bad_name, Err(Error::Config(_))));
    }
}
