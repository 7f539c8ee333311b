//! The accept loop and the routes: the plan, reports, `/done`, cases (`/c/…`) and scenarios
//! (`/s/…`). The loop stops accepting when told to and lets open connections finish.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::TcpListener;

use super::judge::Seen;
use super::plan::ClientReport;
use super::reply::{respond, Pieces, Reply};
use super::Shared;

/// The sockets the server listens on.
pub(crate) struct Listeners {
    /// The plan, reports, cases and scenarios.
    pub(crate) main: TcpListener,
    /// The HTTP forward proxy (absolute-form requests and `CONNECT` tunnels), which serves
    /// what it is asked for itself, noting that it came through the proxy.
    pub(crate) proxy: TcpListener,
    /// HTTPS with a certificate no client trusts.
    pub(crate) untrusted: TcpListener,
}

/// Accepts connections until `quit` fires, then asks every open connection to finish its
/// response and close, and waits for them up to `deadline`.
pub(crate) async fn accept_loop(
    listeners: Listeners,
    tls: Option<tokio_rustls::TlsAcceptor>,
    untrusted: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    quit: Arc<tokio::sync::Notify>,
    deadline: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let (kind, accepted) = tokio::select! {
            accepted = listeners.main.accept() => (Kind::Main, accepted),
            accepted = listeners.proxy.accept() => (Kind::Proxy, accepted),
            accepted = listeners.untrusted.accept() => (Kind::Untrusted, accepted),
            () = quit.notified() => break,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors, most likely: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let watcher = graceful.watcher();
        // Handshakes run in the connection's task, not in this loop.
        match kind {
            Kind::Main => {
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve(tcp, shared, None, Some(watcher)).await,
                        Some(acceptor) => {
                            let handshake = acceptor.accept(tcp);
                            if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE, handshake).await
                            {
                                serve(stream, shared, None, Some(watcher)).await;
                            }
                        }
                    }
                });
            }
            Kind::Proxy => {
                tokio::spawn(serve_proxy(tcp, shared, tls.clone(), watcher));
            }
            Kind::Untrusted => {
                tokio::spawn(serve_untrusted(tcp, shared, untrusted.clone(), watcher));
            }
        }
    }
    drop(listeners);
    let _ = tokio::time::timeout(deadline, graceful.shutdown()).await;
}

#[derive(Clone, Copy)]
enum Kind {
    Main,
    Proxy,
    Untrusted,
}

/// How long a TLS handshake or a tunnel's upgrade may take.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// HTTP/1.1 or HTTP/2 (with prior knowledge, or by ALPN over TLS) on `io`, so that clients
/// are checked over both; each response is segmented the same way (writes or DATA frames).
/// `via` says how the requests came through the proxy, if they did.
async fn serve<I>(io: I, shared: Arc<Shared>, via: Option<String>, watcher: Option<Watcher>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        let via = via.clone();
        async move { Ok::<_, Infallible>(route(&shared, request, via).await) }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    let _ = match watcher {
        Some(watcher) => watcher.watch(connection).await,
        None => connection.await,
    };
}

/// The forward proxy: a `CONNECT` opens a tunnel, inside which the server (over TLS if it
/// serves TLS) answers as itself; any other request is answered as the server would, its
/// request target noted (a forward proxy gets the absolute form, `http://host:port/path`).
async fn serve_proxy(
    tcp: tokio::net::TcpStream,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    watcher: Watcher,
) {
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let shared = shared.clone();
        let tls = tls.clone();
        async move {
            if request.method() != Method::CONNECT {
                let via = format!("{} {}", request.method(), request.uri());
                return Ok::<_, Infallible>(route(&shared, request, Some(via)).await);
            }
            let via = format!("CONNECT {}", request.uri());
            let upgrade = hyper::upgrade::on(&mut request);
            // A tunnel is not watched for graceful shutdown: it ends with its client.
            tokio::spawn(async move {
                let Ok(Ok(upgraded)) = tokio::time::timeout(HANDSHAKE, upgrade).await else {
                    return;
                };
                let io = TokioIo::new(upgraded);
                match tls {
                    None => serve(io, shared, Some(via), None).await,
                    Some(acceptor) => {
                        let handshake = acceptor.accept(io);
                        if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE, handshake).await {
                            serve(stream, shared, Some(via), None).await;
                        }
                    }
                }
            });
            Ok(Response::new(http_body_util::Either::Left(Full::new(
                Bytes::new(),
            ))))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(tcp), service)
        .into_owned();
    let _ = watcher.watch(connection).await;
}

/// The untrusted HTTPS endpoint: notes each ClientHello as a request of method `TLS` for the
/// `tls-untrusted-fails` scenario, then completes the handshake if the client goes on (it
/// should not: the certificate is self-signed) and serves as the main listener does.
async fn serve_untrusted(
    tcp: tokio::net::TcpStream,
    shared: Arc<Shared>,
    config: Arc<rustls::ServerConfig>,
    watcher: Watcher,
) {
    let hello = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
    let Ok(Ok(start)) = tokio::time::timeout(HANDSHAKE, hello).await else {
        return;
    };
    let sni = start
        .client_hello()
        .server_name()
        .map_or_else(|| "no SNI".to_owned(), str::to_owned);
    shared
        .state()
        .requests
        .entry(super::scenarios::TLS_UNTRUSTED.to_owned())
        .or_default()
        .push(Seen {
            method: "TLS".into(),
            path: format!("ClientHello ({sni})"),
            ..Seen::new()
        });
    if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE, start.into_stream(config)).await {
        serve(stream, shared, None, Some(watcher)).await;
    }
}

/// The largest `POST /report` body read.
const MAX_REPORT_BYTES: usize = 8 << 20;

pub(crate) type ServeBody = http_body_util::Either<Full<Bytes>, Pieces>;

pub(crate) fn plain(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Response<ServeBody> {
    let mut response = Response::new(http_body_util::Either::Left(Full::new(body.into())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        content_type.parse().expect("a valid header"),
    );
    headers.insert(
        "access-control-allow-origin",
        "*".parse().expect("a valid header"),
    );
    response
}

/// The largest scenario request body read (a POST scenario's JSON).
const MAX_SCENARIO_BODY: usize = 64 << 10;

pub(crate) async fn route(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    via_proxy: Option<String>,
) -> Response<ServeBody> {
    let path = request.uri().path().to_owned();
    match (request.method().clone(), path.as_str()) {
        (Method::GET, "/") => plain(
            StatusCode::OK,
            "text/html; charset=utf-8",
            super::RUNNER_HTML,
        ),
        (Method::GET, "/plan") => {
            let json = serde_json::to_vec(&shared.plan).expect("the plan serializes");
            plain(StatusCode::OK, "application/json", json)
        }
        (Method::GET, "/results") => {
            let results = shared.results();
            let json = serde_json::to_vec(&results).expect("results serialize");
            plain(StatusCode::OK, "application/json", json)
        }
        (Method::POST, "/report") => {
            // A report holds one entry's events: a few MiB is far more than any case needs.
            let limited = http_body_util::Limited::new(request.into_body(), MAX_REPORT_BYTES);
            let Ok(body) = limited.collect().await else {
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain",
                    format!("a report is read up to {MAX_REPORT_BYTES} bytes"),
                );
            };
            match serde_json::from_slice::<ClientReport>(&body.to_bytes()) {
                Ok(report) => {
                    shared.state().reports.insert(report.id.clone(), report);
                    plain(StatusCode::NO_CONTENT, "text/plain", "")
                }
                Err(e) => plain(
                    StatusCode::BAD_REQUEST,
                    "text/plain",
                    format!("bad report: {e}"),
                ),
            }
        }
        (Method::POST, "/done") => {
            shared.state().done = true;
            shared.done.notify_waiters();
            plain(StatusCode::NO_CONTENT, "text/plain", "")
        }
        (Method::GET, _) if path.starts_with("/c/") => {
            let id = &path["/c/".len()..];
            match shared.cases.get(id) {
                Some((case, segmentation)) => {
                    let pieces = segmentation
                        .cut(&case.input)
                        .into_iter()
                        .map(Bytes::copy_from_slice)
                        .collect();
                    let reply = Reply {
                        pieces,
                        ..Reply::stream(b"")
                    };
                    respond(reply, None)
                }
                None => plain(StatusCode::NOT_FOUND, "text/plain", "no such case"),
            }
        }
        (_, _) if path.starts_with("/s/") => {
            let rest = &path["/s/".len()..];
            let name = rest.split('/').next().unwrap_or("");
            let Some(scenario) = shared.scenarios.iter().find(|s| s.id == name) else {
                return plain(StatusCode::NOT_FOUND, "text/plain", "no such scenario");
            };
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            let mut seen = Seen {
                path: path.clone(),
                last_event_id: request
                    .headers()
                    .get("last-event-id")
                    .map(|v| v.as_bytes().to_vec()),
                accept: header("accept"),
                cache_control: header("cache-control"),
                method: request.method().to_string(),
                content_type: header("content-type"),
                via_proxy,
                ..Seen::new()
            };
            if ![Method::GET, Method::HEAD].contains(request.method()) {
                let limited = http_body_util::Limited::new(request.into_body(), MAX_SCENARIO_BODY);
                let body = tokio::time::timeout(Duration::from_secs(10), limited.collect()).await;
                if let Ok(Ok(body)) = body {
                    seen.body = body.to_bytes().to_vec();
                }
            }
            let (index, reply) = {
                let mut state = shared.state();
                let requests = state.requests.entry(scenario.id.clone()).or_default();
                let same_path = requests.iter().filter(|r| r.path == path).count();
                let reply = (scenario.reply)(same_path, &seen);
                requests.push(seen);
                (requests.len() - 1, reply)
            };
            respond(reply, Some((shared.clone(), scenario.id.clone(), index)))
        }
        _ => plain(StatusCode::NOT_FOUND, "text/plain", "not found"),
    }
}
