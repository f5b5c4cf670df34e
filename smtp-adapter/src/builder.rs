//! [`ConnectionConfigBuilder`]: every setting of a [`ConnectionConfig`], with safe defaults.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use smtp_proto::auth::{Credentials, Mechanism, SaslParams};
use smtp_proto::client::{ClientConfig, Protocol, Timeouts};
use smtp_proto::command::TransactionOptions;
use smtp_proto::syntax::{AddressLiteral, ClientId, Domain};

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

    /// Allows credentials on a connection without TLS, or over TLS whose certificate is
    /// not verified ([`TlsConfig::dangerous_skip_verification`]) (default: refused).
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

    /// The core's reply and write deadlines (RFC 5321 §4.5.3.2 by default). Each must be
    /// positive ([`build`](Self::build) refuses a zero one); `Duration::MAX` means none.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.client.timeouts = timeouts;
        self
    }

    /// The whole core driver configuration (deadlines, reply limits, group size); its
    /// deadlines are checked as [`timeouts`](Self::timeouts) says.
    pub fn client_config(mut self, client: ClientConfig) -> Self {
        self.config.client = client;
        self
    }

    /// The connect timeout (default 30 s): resolution and every address tried; when it
    /// runs out the connect fails with [`Error::Timeout`] in
    /// [`Phase::Connect`](crate::Phase::Connect). It must be positive
    /// ([`build`](Self::build) refuses zero); `Duration::MAX` means none.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// The TLS handshake timeout (default 5 minutes). It must be positive
    /// ([`build`](Self::build) refuses zero); `Duration::MAX` means none.
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

    /// The configuration, checked: no timeout may be zero (a deadline that has passed
    /// before anything starts is a mistake, not a setting); a TCP host must not be empty, a
    /// bracketed one must be an IPv4 or IPv6 address literal (RFC 5321 §4.1.3), and the TLS
    /// server name must be valid when TLS may be used. Each failure is an
    /// [`Error::Config`] that says what is wrong.
    ///
    /// A host that is not an IP address must be a host name (no space, `/` or `:`), and
    /// one written with U-labels (`bücher.example`) is kept in its A-label form
    /// (`xn--bcher-kva.example`, RFC 5890 §2.3.2.1): that is the name resolved, verified
    /// against the certificate (RFC 6125 §6.4.2), sent as SNI (RFC 6066 §3) and given to
    /// OAUTHBEARER as `host`.
    pub fn build(self) -> Result<ConnectionConfig, Error> {
        let mut config = self.config;
        check_timeouts(&config)?;
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
            let invalid = |why: String| Error::Config(format!("host {host:?}: {why}"));
            let literal = literal_ip(host).map_err(invalid)?;
            if literal.is_none()
                && let Cow::Owned(ascii) = ascii_name(host).map_err(invalid)?
            {
                *host = ascii;
            }
            *port = self.port.unwrap_or(default_port);
            if config.security != Security::None {
                config.tls.server_name_for(host)?;
            }
        }
        Ok(config)
    }
}

/// Refuses a zero timeout, naming it.
fn check_timeouts(config: &ConnectionConfig) -> Result<(), Error> {
    let Timeouts {
        greeting,
        mail,
        rcpt,
        data_init,
        data_end,
        bdat,
        other,
        write,
    } = config.client.timeouts;
    let timeouts = [
        ("connect", config.connect_timeout),
        ("TLS handshake", config.tls_timeout),
        ("greeting", greeting),
        ("MAIL", mail),
        ("RCPT", rcpt),
        ("DATA initiation", data_init),
        ("end of data", data_end),
        ("BDAT", bdat),
        ("other command", other),
        ("write", write),
    ];
    match timeouts.iter().find(|(_, timeout)| timeout.is_zero()) {
        Some((name, _)) => Err(Error::Config(format!(
            "the {name} timeout is zero: a timeout must be positive (Duration::MAX for none)"
        ))),
        None => Ok(()),
    }
}

/// `name`, a host name or a bare IP address, checked and in its A-label form (RFC 5890
/// §2.3.2.1) if it holds U-labels. The conversion is UTS #46's, as for a name looked up in
/// the DNS: `Bücher.example` and `bücher.example` are both `xn--bcher-kva.example`. A name
/// with a character no host name has (a space, `/`, `:`) is refused; an IPv6 address with
/// a zone (`fe80::1%eth0`, RFC 4007 §11) is an address, for the resolver.
pub(crate) fn ascii_name(name: &str) -> Result<Cow<'_, str>, String> {
    if name.parse::<IpAddr>().is_ok() || is_scoped_ipv6(name) {
        return Ok(Cow::Borrowed(name));
    }
    let domain = Domain::from_unchecked(name).map_err(|e| format!("not a host name: {e}"))?;
    if domain.is_ascii() {
        return Ok(Cow::Borrowed(name));
    }
    Ok(Cow::Owned(domain.to_ascii().into_owned()))
}

/// `address%zone`: an IPv6 address and a zone (an interface name or index).
fn is_scoped_ipv6(name: &str) -> bool {
    name.split_once('%').is_some_and(|(address, zone)| {
        address.parse::<Ipv6Addr>().is_ok()
            && !zone.is_empty()
            && zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

/// The IP address of `host` if it is an RFC 5321 address literal, `None` if it is not
/// bracketed; why not for any other bracketed text (a general literal names no address).
pub(crate) fn literal_ip(host: &str) -> Result<Option<IpAddr>, String> {
    if !host.starts_with('[') {
        return Ok(None);
    }
    match host.parse::<AddressLiteral>() {
        Ok(literal) => literal.ip().map(Some).ok_or_else(|| {
            "a general address literal (RFC 5321 §4.1.3) names no IP address to connect to"
                .to_owned()
        }),
        Err(error) => {
            let inner = host.trim_start_matches('[').trim_end_matches(']');
            let hint = match inner.parse::<Ipv6Addr>() {
                Ok(_) => format!(" (an IPv6 literal is written [IPv6:{inner}])"),
                Err(_) => String::new(),
            };
            Err(format!(
                "not an address literal (RFC 5321 §4.1.3: [192.0.2.1] or \
                 [IPv6:2001:db8::1]): {error}{hint}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host is what is resolved and what OAUTHBEARER names: a U-label host is kept as
    /// A-labels, whatever its case and with its trailing dot; a name that is no IDN at all
    /// is refused at `build()`, naming the host.
    #[test]
    fn a_u_label_host_is_kept_as_its_a_labels() {
        for (host, ascii) in [
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.Example", "xn--bcher-kva.example"),
            ("bücher.example.", "xn--bcher-kva.example."),
            ("mx.example", "mx.example"),
        ] {
            let config = ConnectionConfig::builder(host).build().unwrap();
            assert_eq!(config.host(), Some(ascii), "{host}");
        }
        let error = ConnectionConfig::builder("bad host\u{e9}")
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("host \"bad host\u{e9}\""),
            "{error}"
        );
    }

    /// Review diff5: an IPv6 address with a zone id (`fe80::1%eth0`, RFC 4007 §11) is an
    /// IP address the system resolver takes as it is (getaddrinfo sets the scope id), the
    /// only way to reach a link-local server. It built before `ascii_name`; now it is
    /// refused as "not a host name" (`%` and `:` are no host name characters), with TLS
    /// verified against a configured name too, where the host is only connected to.
    #[test]
    fn an_ipv6_address_with_a_zone_id_still_builds() {
        for host in ["fe80::1%eth0", "fe80::1%2"] {
            let plain = ConnectionConfig::builder(host)
                .security(Security::None)
                .build();
            assert!(plain.is_ok(), "{host}: {plain:?}");
            let named = ConnectionConfig::builder(host)
                .tls(TlsConfig::new().server_name("mx.example.org"))
                .build();
            assert!(named.is_ok(), "{host}: {named:?}");
        }
    }

    #[test]
    fn address_literal_hosts_connect_to_their_ip_named_by_it() {
        use rustls::pki_types::ServerName;
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        for (host, address) in [
            ("[127.0.0.1]", "127.0.0.1"),
            ("[IPv6:::1]", "::1"),
            ("[ipv6:2001:DB8:0:0:0:0:0:1]", "2001:db8::1"),
            ("[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1"),
        ] {
            let config = ConnectionConfig::builder(host).build().unwrap();
            assert_eq!(config.literal_address(), Some(ip(address)), "{host}");
            let name = config
                .tls()
                .server_name_for(config.tls_server_name().unwrap());
            assert_eq!(name.unwrap(), ServerName::IpAddress(ip(address).into()));
        }
        // An explicit server name still wins over the literal.
        let named = ConnectionConfig::builder("[127.0.0.1]")
            .tls(TlsConfig::new().server_name("mx.example.org"))
            .build()
            .unwrap();
        assert_eq!(named.literal_address(), Some(ip("127.0.0.1")));
        let name = named.tls().server_name_for("[127.0.0.1]").unwrap();
        assert_eq!(name, ServerName::try_from("mx.example.org").unwrap());
        // Names and bare addresses go to the resolver.
        for host in ["mx.example", "192.0.2.1", "::1"] {
            let config = ConnectionConfig::builder(host).build().unwrap();
            assert_eq!(config.literal_address(), None, "{host}");
        }
        assert_eq!(
            ConnectionConfig::unix("/run/lmtp")
                .build()
                .unwrap()
                .literal_address(),
            None
        );
    }

    #[test]
    fn other_bracketed_hosts_are_refused() {
        for (host, why) in [
            ("[x-tag:content]", "general address literal"),
            ("[::1]", "[IPv6:::1]"),
            ("[256.0.0.1]", "not an address literal"),
            ("[IPv6:::1", "not an address literal"),
            ("[mx.example]", "not an address literal"),
            ("[]", "not an address literal"),
        ] {
            // Without TLS too: the host is what is connected to.
            for security in [Security::None, Security::StartTlsRequired] {
                let error = ConnectionConfig::builder(host)
                    .security(security)
                    .build()
                    .unwrap_err();
                let Error::Config(message) = &error else {
                    panic!("{host}: expected a configuration error, got {error}");
                };
                assert!(
                    message.starts_with(&format!("host {host:?}: ")),
                    "{message}"
                );
                assert!(message.contains(why), "{host}: {message}");
            }
        }
    }

    #[test]
    fn zero_timeouts_are_refused_by_name() {
        let zero = Duration::ZERO;
        let refused = |builder: ConnectionConfigBuilder, name: &str| {
            let error = builder.build().unwrap_err();
            let Error::Config(message) = &error else {
                panic!("{name}: expected a configuration error, got {error}");
            };
            assert!(
                message.starts_with(&format!("the {name} timeout is zero")),
                "{message}"
            );
        };
        let builder = || ConnectionConfig::builder("mx.example");
        refused(builder().connect_timeout(zero), "connect");
        refused(builder().tls_timeout(zero), "TLS handshake");
        refused(builder().timeouts(Timeouts::uniform(zero)), "greeting");
        let only_write = Timeouts {
            write: zero,
            ..Timeouts::RFC5321
        };
        refused(builder().timeouts(only_write), "write");
        let mut client = ClientConfig::default();
        client.timeouts.data_end = zero;
        refused(builder().client_config(client), "end of data");
        refused(
            ConnectionConfig::unix("/run/lmtp").connect_timeout(zero),
            "connect",
        );
        // The smallest positive timeouts and none at all are settings.
        let tiny = Duration::from_nanos(1);
        assert!(
            builder()
                .connect_timeout(tiny)
                .tls_timeout(tiny)
                .timeouts(Timeouts::uniform(tiny))
                .build()
                .is_ok()
        );
        assert!(
            builder()
                .connect_timeout(Duration::MAX)
                .timeouts(Timeouts::uniform(Duration::MAX))
                .build()
                .is_ok()
        );
    }
}
