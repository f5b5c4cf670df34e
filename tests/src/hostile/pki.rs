//! A test CA made at test time, and server certificates good and bad (rcgen, rustls).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use smtp_adapter::rustls::ServerConfig;
use smtp_adapter::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::server::TlsAcceptor;

/// A CA the client trusts, and what the server may present.
#[derive(Debug)]
pub struct TestPki {
    /// The CA's certificate, PEM: the client's only root.
    pub ca_pem: String,
    /// A certificate the CA signed for `localhost` and 127.0.0.1, valid now.
    pub good: TlsAcceptor,
    /// A certificate the CA signed for `localhost`, expired in 2001.
    pub expired: TlsAcceptor,
    /// A certificate for `localhost` that signs itself (no CA the client knows).
    pub self_signed: TlsAcceptor,
    /// A certificate the CA signed for `mx.example.test` (a DNS name),
    /// `xn--bcher-kva.example` (an IDN), 127.0.0.1 and ::1.
    pub named: TlsAcceptor,
}

/// The names of [`TestPki::named`].
pub(super) const NAMED: [&str; 4] = [
    "mx.example.test",
    "xn--bcher-kva.example",
    "127.0.0.1",
    "::1",
];

impl TestPki {
    /// A fresh CA and its three server certificates.
    pub fn new() -> Result<Self, String> {
        let e = |e: rcgen::Error| e.to_string();
        let ca_key = KeyPair::generate().map_err(e)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "smtp-tests hostile CA");
        let ca = ca_params.self_signed(&ca_key).map_err(e)?;
        let names = || vec!["localhost".to_owned(), "127.0.0.1".to_owned()];

        let key = KeyPair::generate().map_err(e)?;
        let leaf = CertificateParams::new(names())
            .map_err(e)?
            .signed_by(&key, &ca, &ca_key)
            .map_err(e)?;
        let good = acceptor(leaf.der().to_vec(), &key)?;

        let key = KeyPair::generate().map_err(e)?;
        let mut params = CertificateParams::new(names()).map_err(e)?;
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let leaf = params.signed_by(&key, &ca, &ca_key).map_err(e)?;
        let expired = acceptor(leaf.der().to_vec(), &key)?;

        let key = KeyPair::generate().map_err(e)?;
        let leaf = CertificateParams::new(names())
            .map_err(e)?
            .self_signed(&key)
            .map_err(e)?;
        let self_signed = acceptor(leaf.der().to_vec(), &key)?;

        let key = KeyPair::generate().map_err(e)?;
        let leaf = CertificateParams::new(NAMED.map(str::to_owned).to_vec())
            .map_err(e)?
            .signed_by(&key, &ca, &ca_key)
            .map_err(e)?;
        let named = acceptor(leaf.der().to_vec(), &key)?;

        Ok(Self {
            ca_pem: ca.pem(),
            good,
            expired,
            self_signed,
            named,
        })
    }
}

fn acceptor(der: Vec<u8>, key: &KeyPair) -> Result<TlsAcceptor, String> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(smtp_adapter::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der)], key)
        .map_err(|e| e.to_string())?;
    Ok(TlsAcceptor(Arc::new(config)))
}
