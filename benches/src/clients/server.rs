//! The client benchmark's server: one stream of small events on `/events`, over cleartext
//! HTTP/1.1 or HTTPS (HTTP/1.1 by ALPN, so that every client speaks the same protocol), with a
//! test CA made at start (rcgen) that each client is told to trust.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

/// rustls on ring, for the server and the clients that take a rustls configuration.
#[allow(deprecated)] // rustls deprecates ring for lack of post-quantum key exchange.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A test CA and the server configuration of a certificate it signed for 127.0.0.1.
pub struct Tls {
    /// The CA certificate, for clients to trust.
    pub ca_der: CertificateDer<'static>,
    /// The server's configuration (ALPN `http/1.1` only).
    pub server: Arc<rustls::ServerConfig>,
}

impl Tls {
    /// A fresh CA and certificate.
    ///
    /// # Panics
    /// When rcgen or rustls refuse what they made (not expected).
    pub fn new() -> Tls {
        let ca_key = rcgen::KeyPair::generate().expect("a key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("the CA");
        let key = rcgen::KeyPair::generate().expect("a key");
        let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .expect("params")
            .signed_by(&key, &ca, &ca_key)
            .expect("the leaf");
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        let mut server = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring has TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key.into())
            .expect("the key matches");
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Tls {
            ca_der: ca.der().clone(),
            server: Arc::new(server),
        }
    }

    /// A rustls client configuration trusting only the test CA.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).expect("the CA parses");
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring has TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth()
    }
}

impl Default for Tls {
    fn default() -> Self {
        Self::new()
    }
}

/// `events` events, `data: event NNNNNN` (22 bytes on the wire each), in 16 KiB pieces.
pub fn body(events: usize) -> Arc<[Bytes]> {
    let mut all = Vec::with_capacity(events * 22);
    for i in 0..events {
        all.extend_from_slice(format!("data: event {i:06}\n\n").as_bytes());
    }
    let all = Bytes::from(all);
    (0..all.len())
        .step_by(16 << 10)
        .map(|at| all.slice(at..(at + (16 << 10)).min(all.len())))
        .collect()
}

/// Serves `body` as `text/event-stream` to every request on `listener`, over TLS when
/// `tls` is given, until the task is dropped.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    body: Arc<[Bytes]>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let body = body.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |_request| {
                let body = body.clone();
                async move {
                    let frames = futures::stream::iter(
                        (0..body.len())
                            .map(move |i| Ok::<_, Infallible>(Frame::data(body[i].clone()))),
                    );
                    let response = hyper::Response::builder()
                        .header("content-type", "text/event-stream")
                        .header("cache-control", "no-cache")
                        .body(StreamBody::new(frames))
                        .expect("a valid response");
                    Ok::<_, Infallible>(response)
                }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match acceptor {
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                }
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        });
    }
}
