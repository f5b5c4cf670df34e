//! The TLS boundary shared by every adapter: a rustls client configuration built from a
//! [`TlsConfig`], and what the handshake negotiated ([`TlsInfo`]).
//!
//! rustls runs with the *ring* provider: it builds with a C compiler alone (aws-lc-rs
//! needs cmake, and NASM on some targets), and its random generator also draws the SCRAM
//! client nonce, so the adapters need no other source of randomness.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;

/// How the server's certificate is checked and what the client presents.
///
/// By default the chain is verified against the system's roots (rustls-native-certs) and
/// the name against the host connected to. Building the rustls configuration loads the
/// roots once per `TlsConfig` (clones share it).
///
/// ```
/// use smtp_adapter::TlsConfig;
///
/// let tls = TlsConfig::new().server_name("mx.example.org");
/// assert_eq!(tls.verification_name("192.0.2.1"), "mx.example.org");
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    roots: Vec<CertificateDer<'static>>,
    system_roots: bool,
    client_auth: Option<ClientAuth>,
    server_name: Option<String>,
    skip_verification: bool,
    custom: Option<Arc<ClientConfig>>,
    built: OnceLock<Arc<ClientConfig>>,
}

#[derive(Clone)]
struct ClientAuth {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("custom_roots", &self.roots.len())
            .field("system_roots", &self.system_roots)
            .field("client_certificate", &self.client_auth.is_some())
            .field("server_name", &self.server_name)
            .field("dangerous_skip_verification", &self.skip_verification)
            .field("custom_rustls_config", &self.custom.is_some())
            .finish()
    }
}

impl Default for TlsConfig {
    /// The same as [`TlsConfig::new`]: the system's roots are trusted.
    fn default() -> Self {
        Self::new()
    }
}

impl TlsConfig {
    /// Verification against the system's roots, names checked against the host.
    pub fn new() -> Self {
        Self {
            roots: Vec::new(),
            system_roots: true,
            client_auth: None,
            server_name: None,
            skip_verification: false,
            custom: None,
            built: OnceLock::new(),
        }
    }

    /// Trusts only the certificates in `pem` (one or more `CERTIFICATE` blocks), not the
    /// system's roots: for a private CA.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.roots = parse_certificates(pem)?;
        self.system_roots = false;
        self.built = OnceLock::new();
        Ok(self)
    }

    /// Trusts the certificates in `pem` in addition to the system's roots.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.roots.extend(parse_certificates(pem)?);
        self.built = OnceLock::new();
        Ok(self)
    }

    /// Presents a client certificate: `chain_pem` (leaf first) and its private key
    /// (PKCS#8, PKCS#1 or SEC1 PEM).
    pub fn client_certificate_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, Error> {
        let chain = parse_certificates(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Config(format!("client private key: {e}")))?;
        self.client_auth = Some(ClientAuth {
            chain,
            key: Arc::new(key),
        });
        self.built = OnceLock::new();
        Ok(self)
    }

    /// Verifies the certificate against `name` instead of the host connected to (an MX
    /// reached by address, a tunnel): a DNS name or an IP address, bare or as an address
    /// literal. Also sent as SNI (a DNS name only, as TLS allows).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// **Dangerous**: accepts any certificate for any name. The connection is encrypted
    /// but not authenticated: anyone on the path can read and change it. Only for tests and
    /// opportunistic MTA-to-MTA delivery where the alternative is plaintext. For AUTH such
    /// a connection counts as plaintext: credentials then also need
    /// [`allow_plaintext_auth`](crate::ConnectionConfigBuilder::allow_plaintext_auth).
    pub fn dangerous_skip_verification(mut self) -> Self {
        self.skip_verification = true;
        self.built = OnceLock::new();
        self
    }

    /// Whether certificates go unverified: [`dangerous_skip_verification`](
    /// Self::dangerous_skip_verification) is set and no caller's
    /// [`rustls_config`](Self::rustls_config) replaces it (that one is trusted to verify).
    pub fn skips_verification(&self) -> bool {
        self.skip_verification && self.custom.is_none()
    }

    /// Uses this rustls configuration as it is (every other setting but the server name is
    /// ignored).
    pub fn rustls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.custom = Some(config);
        self
    }

    /// The name the certificate is verified against when connecting to `host`.
    pub fn verification_name<'a>(&'a self, host: &'a str) -> &'a str {
        self.server_name.as_deref().unwrap_or(host)
    }

    /// The name set with [`server_name`](Self::server_name), if any.
    pub(crate) fn configured_server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The rustls server name for `host`, or for the configured name if there is one: a
    /// DNS name (one written with U-labels becomes its A-label form, RFC 6125 §6.4.2 and
    /// RFC 6066 §3), or an IP address (bare, or as an RFC 5321 address literal:
    /// `[192.0.2.1]`, `[IPv6:2001:db8::1]`).
    pub fn server_name_for(&self, host: &str) -> Result<ServerName<'static>, Error> {
        let name = self.verification_name(host);
        let invalid = |why: String| Error::Config(format!("TLS server name {name:?}: {why}"));
        if let Some(ip) = crate::builder::literal_ip(name).map_err(invalid)? {
            return Ok(ServerName::IpAddress(ip.into()));
        }
        let ascii = crate::builder::ascii_name(name).map_err(invalid)?;
        ServerName::try_from(ascii.into_owned()).map_err(|e| invalid(e.to_string()))
    }

    /// The rustls client configuration (built once, then shared).
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = &self.custom {
            return Ok(config.clone());
        }
        if let Some(config) = self.built.get() {
            return Ok(config.clone());
        }
        let config = Arc::new(self.build()?);
        Ok(self.built.get_or_init(|| config).clone())
    }

    fn build(&self) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS versions: {e}")))?;
        let builder = if self.skip_verification {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
        } else {
            builder.with_root_certificates(self.root_store()?)
        };
        match &self.client_auth {
            Some(auth) => builder
                .with_client_auth_cert(auth.chain.clone(), auth.key.clone_key())
                .map_err(|e| Error::Config(format!("client certificate: {e}"))),
            None => Ok(builder.with_no_client_auth()),
        }
    }

    fn root_store(&self) -> Result<RootCertStore, Error> {
        let mut store = RootCertStore::empty();
        if self.system_roots {
            let loaded = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(loaded.certs);
            if added == 0 && self.roots.is_empty() {
                let why = loaded.errors.first().map(ToString::to_string);
                return Err(Error::Config(format!(
                    "no system root certificates found{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                )));
            }
        }
        for root in &self.roots {
            store
                .add(root.clone())
                .map_err(|e| Error::Config(format!("root certificate: {e}")))?;
        }
        Ok(store)
    }
}

fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Config("no CERTIFICATE block in the PEM data".into()));
    }
    Ok(certs)
}

/// What a TLS handshake negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// `TLSv1_3`, `TLSv1_2`.
    pub version: Option<rustls::ProtocolVersion>,
    /// The cipher suite.
    pub cipher: Option<rustls::CipherSuite>,
    /// The server's certificate chain, leaf first.
    pub peer_certificates: Vec<CertificateDer<'static>>,
}

impl TlsInfo {
    /// Reads what `connection` negotiated (after its handshake).
    pub fn from_connection(connection: &rustls::ClientConnection) -> Self {
        Self {
            version: connection.protocol_version(),
            cipher: connection.negotiated_cipher_suite().map(|s| s.suite()),
            peer_certificates: connection
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
                .unwrap_or_default(),
        }
    }
}

/// Draws a SCRAM client nonce (RFC 5802 §5.1: printable, no comma) from the provider's
/// secure random generator: 24 characters, 143 bits.
pub fn client_nonce() -> Result<String, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut random = [0u8; 24];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut random)
        .map_err(|_| Error::Config("no secure random source for the SCRAM nonce".into()))?;
    Ok(random
        .iter()
        .map(|b| {
            ALPHABET
                .get(usize::from(b & 63))
                .copied()
                .map_or('A', char::from)
        })
        .collect())
}

/// Accepts every certificate; signatures are still checked so the handshake is sound.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificates_is_refused() {
        let error = TlsConfig::new()
            .root_certificates_pem(b"not pem")
            .unwrap_err();
        assert!(
            matches!(error, Error::Config(ref m) if m.contains("no CERTIFICATE")),
            "{error}"
        );
    }

    #[test]
    fn server_name_from_host_or_override() {
        let tls = TlsConfig::new();
        assert_eq!(
            tls.server_name_for("127.0.0.1").unwrap(),
            ServerName::IpAddress("127.0.0.1".parse::<std::net::IpAddr>().unwrap().into())
        );
        let tls = tls.server_name("mx.example.org");
        assert_eq!(tls.verification_name("127.0.0.1"), "mx.example.org");
        assert!(tls.server_name_for("x").is_ok());
        assert!(
            TlsConfig::new()
                .server_name("bad name!")
                .server_name_for("x")
                .is_err()
        );
    }

    #[test]
    fn an_address_literal_names_its_address() {
        let ip =
            |text: &str| ServerName::IpAddress(text.parse::<std::net::IpAddr>().unwrap().into());
        let tls = TlsConfig::new();
        assert_eq!(tls.server_name_for("[192.0.2.1]").unwrap(), ip("192.0.2.1"));
        assert_eq!(
            tls.server_name_for("[IPv6:2001:db8::1]").unwrap(),
            ip("2001:db8::1")
        );
        let configured = TlsConfig::new().server_name("[IPv6:::1]");
        assert_eq!(configured.server_name_for("mx.example").unwrap(), ip("::1"));
        // Not a DNS name once the brackets are gone, nor an address without its tag.
        for text in ["[mx.example]", "[::1]", "[x-tag:content]"] {
            let error = tls.server_name_for(text).unwrap_err();
            assert!(
                matches!(&error, Error::Config(m) if m.starts_with("TLS server name")),
                "{text}: {error}"
            );
        }
    }

    /// A name given as U-labels (as users type it) is verified and sent as SNI in its
    /// A-label form: RFC 6125 §6.4.2 ("MUST convert any U-labels to A-labels before
    /// checking the domain name"), RFC 6066 §3 (SNI carries A-labels). The host of a
    /// configuration is the default name, so an IDN host must build too.
    #[test]
    fn a_u_label_name_is_its_a_label() {
        let a_label = ServerName::try_from("xn--bcher-kva.example").unwrap();
        let configured = TlsConfig::new().server_name("bücher.example");
        assert_eq!(configured.server_name_for("mx.example").unwrap(), a_label);
        assert_eq!(
            TlsConfig::new().server_name_for("Bücher.example").unwrap(),
            a_label
        );
        let config = crate::ConnectionConfig::builder("bücher.example").build();
        assert!(config.is_ok(), "{config:?}");
    }

    /// `Default` once left the system's roots out, so `add_root_certificates_pem` on it
    /// trusted the added roots alone.
    #[test]
    fn default_is_new_and_trusts_the_system_roots() {
        let (default, new) = (TlsConfig::default(), TlsConfig::new());
        assert!(default.system_roots);
        assert_eq!(format!("{default:?}"), format!("{new:?}"));
        let pem = b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
        let added = TlsConfig::default().add_root_certificates_pem(pem).unwrap();
        assert!(added.system_roots && added.roots.len() == 1);
    }

    #[test]
    fn skip_verification_builds_without_roots() {
        let config = TlsConfig::new().dangerous_skip_verification();
        assert!(config.client_config().is_ok());
        assert!(format!("{config:?}").contains("dangerous_skip_verification: true"));
    }

    #[test]
    fn nonces_are_printable_without_commas_and_differ() {
        let a = client_nonce().unwrap();
        let b = client_nonce().unwrap();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_graphic() && c != b','));
        assert_ne!(a, b);
    }
}
