//! [`ConnectionConfigBuilder`]: every setting of a [`ConnectionConfig`], with safe defaults.

use std::net::IpAddr;
use std::time::Duration;

use smtp_proto::auth::{Credentials, Mechanism, SaslParams};
use smtp_proto::client::{ClientConfig, Protocol, Timeouts};
use smtp_proto::command::TransactionOptions;
use smtp_proto::syntax::ClientId;

use crate::{ConnectionConfig, Endpoint, Error, Security, TlsConfig};

/// Builds a [`ConnectionConfig`]; every setting has a safe default.
#[derive(Clone, Debug)]
#[must_use]
pub struct ConnectionConfigBuilder {
    config: ConnectionConfig,
    port: Option<u16>,
}

impl ConnectionConfigBuilder {
    pub(crate) fn new(config: ConnectionConfig) -> Self {
        Self { config, port: None }
    }

    /// The port; by default 465 for implicit TLS (RFC 8314); else 24 for LMTP, 587 for
    /// required STARTTLS (submission, RFC 6409), and 25 for opportunistic STARTTLS and
    /// plaintext (relay, RFC 5321).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The security mode (default [`Security::StartTlsRequired`]).
    pub fn security(mut self, security: Security) -> Self {
        self.config.security = security;
        self
    }

    /// The TLS settings (default: system roots, name checked against the host).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// The EHLO identity (default: see [`ConnectionConfig::establish`]).
    pub fn client_id(mut self, client_id: ClientId) -> Self {
        self.config.client_id = Some(client_id);
        self
    }

    /// Authenticates after the setup with these credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = Some(credentials);
        self
    }

    /// The mechanisms allowed, most preferred first (default: the core's preference for
    /// the kind of credentials). No other is ever tried.
    pub fn mechanisms(mut self, mechanisms: Vec<Mechanism>) -> Self {
        self.config.mechanisms = Some(mechanisms);
        self
    }

    /// Allows credentials on a connection without TLS (default: refused).
    pub fn allow_plaintext_auth(mut self, allow: bool) -> Self {
        self.config.allow_plaintext_auth = allow;
        self
    }

    /// SASL options (authorization identity, SCRAM iteration bounds). Host, port and the
    /// SCRAM nonce are filled in at each setup.
    pub fn sasl_params(mut self, params: SaslParams) -> Self {
        self.config.sasl_params = params;
        self
    }

    /// The core's reply and write deadlines (RFC 5321 §4.5.3.2 by default).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.client.timeouts = timeouts;
        self
    }

    /// The whole core driver configuration (deadlines, reply limits, group size).
    pub fn client_config(mut self, client: ClientConfig) -> Self {
        self.config.client = client;
        self
    }

    /// The connect timeout (default 30 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The TLS handshake timeout (default 5 minutes).
    pub fn tls_timeout(mut self, timeout: Duration) -> Self {
        self.config.tls_timeout = timeout;
        self
    }

    /// Binds this local address before connecting (addresses of the other family are
    /// skipped).
    pub fn bind_address(mut self, address: IpAddr) -> Self {
        self.config.bind = Some(address);
        self
    }

    /// Speaks LMTP (RFC 2033) instead of SMTP.
    pub fn lmtp(mut self, lmtp: bool) -> Self {
        self.config.protocol = if lmtp { Protocol::Lmtp } else { Protocol::Smtp };
        self
    }

    /// The options for every mail (body policy, BDAT, PIPELINING, 452 retry).
    pub fn transaction_options(mut self, options: TransactionOptions) -> Self {
        self.config.transaction = options;
        self
    }

    /// Falls back to HELO when EHLO is refused (default on).
    pub fn helo_fallback(mut self, fallback: bool) -> Self {
        self.config.helo_fallback = fallback;
        self
    }

    /// The configuration, checked: a TCP host must not be empty, and its TLS server name
    /// must be valid when TLS may be used.
    pub fn build(self) -> Result<ConnectionConfig, Error> {
        let mut config = self.config;
        let default_port = match (config.security, config.protocol) {
            (Security::ImplicitTls, _) => 465,
            (_, Protocol::Lmtp) => 24,
            (Security::StartTlsRequired, _) => 587,
            _ => 25,
        };
        if let Endpoint::Tcp { host, port } = &mut config.endpoint {
            if host.is_empty() {
                return Err(Error::Config("empty host name".into()));
            }
            *port = self.port.unwrap_or(default_port);
            if config.security != Security::None {
                config.tls.server_name_for(host)?;
            }
        }
        Ok(config)
    }
}
