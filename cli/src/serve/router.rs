//! The accept loop and the routes: the plan, reports, `/done`, cases (`/c/…`) and scenarios
//! (`/s/…`). The loop stops accepting when told to and lets open connections finish.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::judge::Seen;
use super::plan::ClientReport;
use super::reply::{respond, Pieces, Reply};
use super::Shared;

/// Accepts connections until `quit` fires, then asks every open connection to finish its
/// response and close, and waits for them up to `deadline`.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    quit: Arc<tokio::sync::Notify>,
    deadline: Duration,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = quit.notified() => break,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors, most likely: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |request| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(route(&shared, request).await) }
        });
        // HTTP/1.1, or HTTP/2 (with prior knowledge, or by ALPN over TLS), so that clients
        // are checked over both; each response is segmented the same way (writes or DATA
        // frames).
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        match tls.clone() {
            None => {
                let connection = builder
                    .serve_connection(TokioIo::new(tcp), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task, not in this loop.
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let connection = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .into_owned();
                    let _ = watcher.watch(connection).await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(deadline, graceful.shutdown()).await;
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

pub(crate) async fn route(shared: &Arc<Shared>, request: Request<Incoming>) -> Response<ServeBody> {
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
        (Method::GET, _) if path.starts_with("/s/") => {
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
            let seen = Seen {
                at: Instant::now(),
                path: path.clone(),
                last_event_id: request
                    .headers()
                    .get("last-event-id")
                    .map(|v| v.as_bytes().to_vec()),
                accept: header("accept"),
                cache_control: header("cache-control"),
                ended: None,
            };
            let (same_path, index) = {
                let mut state = shared.state();
                let requests = state.requests.entry(scenario.id.clone()).or_default();
                let same_path = requests.iter().filter(|r| r.path == path).count();
                requests.push(seen);
                (same_path, requests.len() - 1)
            };
            let reply = (scenario.reply)(same_path, &path);
            respond(reply, Some((shared.clone(), scenario.id.clone(), index)))
        }
        _ => plain(StatusCode::NOT_FOUND, "text/plain", "not found"),
    }
}
