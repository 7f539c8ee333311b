//! The default transport against hyper servers on 127.0.0.1: HTTPS with a CA made at test
//! time, HTTP/2 by ALPN and by prior knowledge, HTTP/1.1 keep-alive reuse across a
//! reconnection, and certificates that must be refused, each with a typed error.

// rustls's ring provider is deprecated for lack of post-quantum key exchange; it is the one
// the crate uses (see `HyperTransport`), so the tests use it too.
#![allow(deprecated)]

mod support;

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
use support::{scripted, Reply};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A `CONNECT` proxy on 127.0.0.1 that tunnels to the requested port on 127.0.0.1 and
/// records each request head it receives.
async fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://u:p@{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                seen.lock().unwrap().push(head.clone());
                let target = head.split(' ').nth(1).unwrap_or("");
                let port = target.rsplit(':').next().unwrap_or("");
                let Ok(mut server) = TcpStream::connect(format!("127.0.0.1:{port}")).await else {
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (url, heads)
}

#[tokio::test]
async fn an_http_stream_goes_through_the_proxy_in_absolute_form_with_its_credentials() {
    // The proxy is a scripted server: the stream's host need not exist.
    let (proxy, requests) = scripted(vec![Reply::events(b"data: via proxy\n\n")]).await;
    let proxy = proxy.replace("http://", "http://user:secret@");
    let mut source = EventSource::builder("http://stream.invalid/events")
        .transport(HyperTransport::new().proxy(&proxy, ""))
        .build();
    assert_eq!(events(&mut source, 1).await, ["via proxy"]);
    let head = &requests.all()[0];
    assert!(
        head.starts_with("GET http://stream.invalid/events HTTP/1.1\r\n"),
        "{head}"
    );
    // "user:secret" in Basic.
    assert_eq!(
        requests.header(0, "proxy-authorization").as_deref(),
        Some("Basic dXNlcjpzZWNyZXQ=")
    );
}

#[tokio::test]
async fn an_https_stream_goes_through_a_connect_tunnel_and_no_proxy_exempts_hosts() {
    let pki = pki(&["127.0.0.1"]);
    let (port, seen) = server(Some(server_config(&pki, &[b"h2", b"http/1.1"]))).await;
    let (proxy, heads) = connect_proxy().await;
    let url = format!("https://127.0.0.1:{port}/");
    let transport = HyperTransport::with_tls_config(trusting(&pki.ca)).proxy(&proxy, "");
    let mut source = EventSource::builder(url.clone())
        .transport(transport)
        .build();
    // TLS (and HTTP/2 by ALPN) with the server itself, inside the tunnel.
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
    let head = heads.lock().unwrap()[0].clone();
    assert!(
        head.starts_with(&format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n")),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authorization: basic dtpw"),
        "{head}"
    );

    // NO_PROXY: straight to the server.
    let transport =
        HyperTransport::with_tls_config(trusting(&pki.ca)).proxy(&proxy, "localhost,127.0.0.1");
    let mut source = EventSource::builder(url).transport(transport).build();
    assert_eq!(events(&mut source, 1).await, ["HTTP/2.0"]);
    assert_eq!(heads.lock().unwrap().len(), 1);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}
