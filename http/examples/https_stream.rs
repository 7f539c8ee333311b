//! An HTTPS stream: the example makes a certificate authority and a certificate for
//! 127.0.0.1 (with rcgen), serves events over TLS on a free port (HTTP/2 and HTTP/1.1 by
//! ALPN), then follows them with an `EventSource` that trusts that CA alone.
//!
//! ```text
//! cargo run -p ssewire-http --example https_stream
//! ```

// rustls's ring provider: see `HyperTransport`'s docs for why the crate uses it.
#![allow(deprecated)]

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ssewire_http::{EventSource, HyperTransport, SourceEvent};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let (ca, server_config) = certificates();
    let url = serve(server_config).await;

    // README: begin
    // Trust the CA made above (a real service needs none of this: the default
    // transport trusts the webpki roots).
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut source = EventSource::builder(url)
        .transport(HyperTransport::with_tls_config(tls))
        .build();
    let mut received = 0;
    while let Some(item) = source.next().await {
        match item {
            Ok(SourceEvent::Message(event)) => {
                println!("{}: {}", event.event_type(), event.data());
                received += 1;
                if received == 3 {
                    break;
                }
            }
            Ok(other) => println!("({other:?})"),
            Err(failure) => {
                eprintln!("failed: {failure}");
                std::process::exit(1);
            }
        }
    }
    // README: end
}

/// A CA, and a server config with a certificate for 127.0.0.1 that it signed.
fn certificates() -> (CertificateDer<'static>, Arc<rustls::ServerConfig>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (ca.der().clone(), Arc::new(config))
}

/// Serves `https://127.0.0.1:PORT/events` and returns that URL. Each response is two events
/// (the second names the HTTP version the client spoke) and a `retry`, then the body ends,
/// so the client reconnects.
async fn serve(config: Arc<rustls::ServerConfig>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service_fn(events))
                    .await;
            });
        }
    });
    url
}

async fn events(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!(
        "retry: 500\ndata: hello over TLS\n\nevent: version\ndata: {:?}\n\n",
        request.version()
    );
    let response = Response::builder()
        .header("content-type", "text/event-stream")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    Ok(response)
}
