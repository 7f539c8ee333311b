//! The default transport against hyper servers on 127.0.0.1: HTTPS with a CA made at test
//! time, HTTP/2 by ALPN and by prior knowledge, HTTP/1.1 keep-alive reuse across a
//! reconnection, and certificates that must be refused, each with a typed error.

// rustls's ring provider is deprecated for lack of post-quantum key exchange; it is the one
// the crate uses (see `HyperTransport`), so the tests use it too.
#![allow(deprecated)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};
use ssewire_http::{EventSource, Failure, HyperTransport, SourceEvent};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

/// A CA made for one test, and a server certificate it signed.
struct Pki {
    ca: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// A fresh CA and a leaf for `names` (an IP address becomes an IP SAN).
fn pki(names: &[&str]) -> Pki {
    // Each CA has its own name: with a shared one a client would take another test's CA for
    // the issuer and report a bad signature instead of an unknown issuer.
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let name = format!("ssewire test CA {}", SERIAL.fetch_add(1, Ordering::SeqCst));
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca: ca.der().clone(),
        chain: vec![leaf.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client config trusting `ca` alone.
fn trusting(ca: &CertificateDer<'static>) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A server config for `pki`'s leaf, offering `alpn`.
fn server_config(pki: &Pki, alpn: &[&[u8]]) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// What a server saw: connections accepted and each request's HTTP version.
#[derive(Clone, Default)]
struct Seen {
    connections: Arc<AtomicUsize>,
    versions: Arc<Mutex<Vec<Version>>>,
}

/// A server on 127.0.0.1 (TLS when `tls` is given; HTTP/1.1 and h2 either way) that answers
/// every request with one event naming the request's HTTP version, then ends the body.
async fn server(tls: Option<Arc<ServerConfig>>) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Seen::default();
    let state = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            state.connections.fetch_add(1, Ordering::SeqCst);
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            serve_connection(stream, state).await;
                        }
                    }
                    None => serve_connection(tcp, state).await,
                }
            });
        }
    });
    (port, seen)
}

async fn serve_connection<I>(io: I, seen: Seen)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let seen = seen.clone();
        async move {
            seen.versions.lock().unwrap().push(request.version());
            let body = format!("data: {:?}\n\n", request.version());
            let response = Response::builder()
                .header("content-type", "text/event-stream")
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            Ok::<_, Infallible>(response)
        }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// The data of the next `n` events, skipping opens and reconnections.
async fn events(source: &mut EventSource, n: usize) -> Vec<String> {
    let mut data = Vec::new();
    while data.len() < n {
        let item = tokio::time::timeout(Duration::from_secs(10), source.next())
            .await
            .expect("the client stalled")
            .expect("the stream ended early");
        match item {
            Ok(SourceEvent::Message(event)) => data.push(event.data().to_owned()),
            Ok(_) => {}
            Err(failure) => panic!("failed: {failure:?}"),
        }
    }
    data
}

/// The rustls error a source failed with.
async fn tls_failure(source: &mut EventSource) -> rustls::Error {
    let item = tokio::time::timeout(Duration::from_secs(10), source.next())
        .await
        .expect("the client stalled")
        .expect("the stream ended early");
    let Err(Failure::Tls(cause)) = item else {
        panic!("expected a TLS failure, got {item:?}")
    };
    let end = tokio::time::timeout(Duration::from_secs(5), source.next()).await;
    assert!(matches!(end, Ok(None)), "a TLS failure is final: {end:?}");
    cause
        .downcast_ref::<rustls::Error>()
        .expect("the cause is rustls's error")
        .clone()
}

#[tokio::test]
async fn https_with_a_trusted_ca_streams_over_http2_chosen_by_alpn() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"h2", b"http/1.1"]))).await;
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca));
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/events"))
        .transport(transport)
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 2).await, ["HTTP/2.0", "HTTP/2.0"]);
    // The reconnection is a new stream on the same HTTP/2 connection.
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn https_to_an_http1_only_server_reuses_its_connection_for_the_reconnection() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca));
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/"))
        .transport(transport)
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 3).await, ["HTTP/1.1"; 3]);
    assert_eq!(seen.versions.lock().unwrap().len(), 3);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cleartext_http1_keeps_the_connection_alive_across_reconnections() {
    let (port, seen) = server(None).await;
    let mut source = EventSource::builder(format!("http://127.0.0.1:{port}/"))
        .reconnection_time(Duration::from_millis(10))
        .build();
    assert_eq!(events(&mut source, 3).await, ["HTTP/1.1"; 3]);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cleartext_http2_with_prior_knowledge() {
    let (port, _) = server(None).await;
    let mut source = EventSource::builder(format!("http://127.0.0.1:{port}/"))
        .transport(HyperTransport::new().http2_only())
        .build();
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_for_good() {
    let pki = pki(&["127.0.0.1"]);
    let other = self::pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let url = format!("https://127.0.0.1:{port}/");
    // Trusting another CA, and with the default transport's webpki roots.
    for transport in [
        HyperTransport::with_tls_config(trusting(&other.ca)),
        HyperTransport::new(),
    ] {
        let mut source = EventSource::builder(url.clone())
            .transport(transport)
            .reconnection_time(Duration::from_millis(10))
            .build();
        let error = tls_failure(&mut source).await;
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        );
    }
    // One connection each, no request sent, no reconnection.
    assert!(seen.versions.lock().unwrap().is_empty());
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_for_good() {
    let pki = pki(&["localhost"]);
    let (port, _) = server(Some(server_config(&pki, &[b"http/1.1"]))).await;
    let mut source = EventSource::builder(format!("https://127.0.0.1:{port}/"))
        .transport(HyperTransport::with_tls_config(trusting(&pki.ca)))
        .build();
    let error = tls_failure(&mut source).await;
    assert!(
        matches!(
            error,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{error:?}"
    );
    assert!(Failure::Tls(ssewire_http::Cause::new(error))
        .to_string()
        .contains("TLS"));
}
