//! TLS for the tests (feature `rustls`): a CA made at test time, servers and a `CONNECT`
//! proxy on 127.0.0.1 that speak TLS with its certificates.

// rustls's ring provider is deprecated for lack of post-quantum key exchange; it is the one
// the crate uses (see `HyperTransport`), so the tests use it too.
#![allow(deprecated)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A CA made for one test, and a server certificate it signed.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// A fresh CA and a leaf for `names` (an IP address becomes an IP SAN).
pub fn pki(names: &[&str]) -> Pki {
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

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client config trusting `ca` alone.
pub fn trusting(ca: &CertificateDer<'static>) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A server config for `pki`'s leaf, offering `alpn`.
pub fn server_config(pki: &Pki, alpn: &[&[u8]]) -> Arc<ServerConfig> {
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
pub struct Seen {
    pub connections: Arc<AtomicUsize>,
    pub versions: Arc<Mutex<Vec<Version>>>,
}

/// A server on 127.0.0.1 (TLS when `tls` is given; HTTP/1.1 and h2 either way) that answers
/// every request with one event naming the request's HTTP version, then ends the body.
pub async fn server(tls: Option<Arc<ServerConfig>>) -> (u16, Seen) {
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

pub async fn serve_connection<I>(io: I, seen: Seen)
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

/// A `CONNECT` proxy on 127.0.0.1, and what it saw.
pub struct Proxy {
    /// Its URL, with the credentials `u:p`; `https:` when it speaks TLS.
    pub url: String,
    /// Each request head received.
    pub heads: Arc<Mutex<Vec<String>>>,
    /// The protocol each TLS client chose by ALPN, if any.
    pub alpn: Arc<Mutex<Vec<Option<Vec<u8>>>>>,
}

/// A `CONNECT` proxy on 127.0.0.1 that tunnels to the requested port on 127.0.0.1 (whatever
/// the host asked for), over TLS with `tls` when given.
pub async fn connect_proxy(tls: Option<Arc<ServerConfig>>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let proxy = Proxy {
        url: format!("{scheme}://u:p@{}", listener.local_addr().unwrap()),
        heads: Arc::default(),
        alpn: Arc::default(),
    };
    let (heads, alpn) = (proxy.heads.clone(), proxy.alpn.clone());
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (heads, alpn, tls) = (heads.clone(), alpn.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(stream) = acceptor.accept(client).await {
                            let chosen = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                            alpn.lock().unwrap().push(chosen);
                            tunnel(stream, heads).await;
                        }
                    }
                    None => tunnel(client, heads).await,
                }
            });
        }
    });
    proxy
}

/// Reads a `CONNECT` head from `client`, records it, and joins `client` to the port it names.
async fn tunnel<S>(mut client: S, heads: Arc<Mutex<Vec<String>>>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(k) => head.extend_from_slice(&buf[..k]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    heads.lock().unwrap().push(head.clone());
    let target = head.split(' ').nth(1).unwrap_or("");
    let port = target.rsplit(':').next().unwrap_or("");
    let Ok(mut server) = TcpStream::connect(format!("127.0.0.1:{port}")).await else {
        return;
    };
    let _ = client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
