//! The server's certificate: a throw-away CA and a leaf it signed for the loopback names.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use smtp_adapter::rustls;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::TestServerError;

/// The names the leaf certificate is valid for.
const LEAF_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A CA made for one server, and the acceptor presenting the leaf it signed.
#[derive(Clone)]
pub(super) struct Pki {
    pub(super) ca_pem: String,
    pub(super) ca_der: CertificateDer<'static>,
    pub(super) acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

impl Pki {
    /// A fresh CA (ECDSA P-256) and a leaf for `localhost`, 127.0.0.1 and ::1.
    pub(super) fn generate() -> Result<Self, TestServerError> {
        let err = |e: rcgen::Error| TestServerError::Certificate(e.to_string());
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "smtp-tokio test server CA");
        let ca = ca_params.self_signed(&ca_key).map_err(err)?;
        let leaf_key = KeyPair::generate().map_err(err)?;
        let names: Vec<String> = LEAF_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(names).map_err(err)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca, &ca_key)
            .map_err(err)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![leaf.der().clone()], key)
            })
            .map_err(|e| TestServerError::Certificate(e.to_string()))?;
        Ok(Self {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}
