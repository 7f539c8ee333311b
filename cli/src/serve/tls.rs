//! Certificates made at start with rcgen: a test CA whose server certificate a client can be
//! told to trust (`serve --tls`), and the self-signed certificate of the untrusted endpoint.

use std::sync::Arc;

/// rustls's ring provider, as ssewire-http uses (rustls deprecates it for lack of
/// post-quantum key exchange; see `ssewire_http::HyperTransport`).
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The names every certificate made here is for.
fn names() -> Vec<String> {
    vec!["127.0.0.1".to_owned(), "localhost".to_owned()]
}

/// A test certificate authority made now, and a server certificate it signed for `127.0.0.1`
/// and `localhost`.
pub struct TestCa {
    ca_der: rustls::pki_types::CertificateDer<'static>,
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new CA and server certificate (fresh keys each time).
    ///
    /// # Panics
    /// When rcgen or rustls refuse what they made themselves (not expected).
    pub fn new() -> TestCa {
        let ca_key = rcgen::KeyPair::generate().expect("rcgen makes a key");
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("empty names are valid");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sse-conformance test CA");
        let ca = ca_params.self_signed(&ca_key).expect("rcgen signs the CA");
        let key = rcgen::KeyPair::generate().expect("rcgen makes a key");
        let leaf = rcgen::CertificateParams::new(names())
            .expect("the names are valid")
            .signed_by(&key, &ca, &ca_key)
            .expect("rcgen signs the leaf");
        TestCa {
            ca_der: ca.der().clone(),
            ca_pem: ca.pem(),
            server: server_config(leaf.der().clone(), &key),
        }
    }

    /// The CA certificate as PEM, for a client to trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate as DER.
    pub fn ca_der(&self) -> &rustls::pki_types::CertificateDer<'static> {
        &self.ca_der
    }

    /// The server's TLS configuration (ALPN `h2` and `http/1.1`), for
    /// [`Server::start_tls`](super::Server::start_tls).
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.server.clone()
    }

    /// A rustls client configuration trusting only this CA.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.ca_der.clone())
            .expect("the CA certificate parses");
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_root_certificates(roots)
            .with_no_client_auth()
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A server configuration with a self-signed certificate for `127.0.0.1`, which no client
/// trusts.
pub(crate) fn self_signed() -> Arc<rustls::ServerConfig> {
    let key = rcgen::KeyPair::generate().expect("rcgen makes a key");
    let cert = rcgen::CertificateParams::new(names())
        .expect("the names are valid")
        .self_signed(&key)
        .expect("rcgen signs it");
    server_config(cert.der().clone(), &key)
}

fn server_config(
    cert: rustls::pki_types::CertificateDer<'static>,
    key: &rcgen::KeyPair,
) -> Arc<rustls::ServerConfig> {
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key.into())
        .expect("rcgen's key matches its certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}
