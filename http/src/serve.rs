//! The smallest complete server: every GET on a listener subscribes to one hub.

use std::convert::Infallible;
use std::future::Future;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::hub::Hub;

/// Serves `hub` on `listener` (HTTP/1.1): every request gets [`Hub::respond`]. When
/// `shutdown` completes it stops accepting, closes the hub (each subscriber first receives
/// what was already published) and returns once every connection has finished.
///
/// For routing, authentication or other paths, write the accept loop yourself around
/// [`Hub::respond`]; `http/examples/hub_server.rs` shows one in a few dozen lines.
///
/// # Errors
/// When accepting fails (e.g. out of file descriptors).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let hub = ssewire_http::Hub::new(Default::default());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// ssewire_http::serve_hub(listener, hub, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
pub async fn serve_hub(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let hub = hub.clone();
        let service = service_fn(move |request: Request<Incoming>| {
            let response = hub.respond(request.headers());
            async move { Ok::<_, Infallible>(response) }
        });
        let connection =
            hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    hub.close();
    graceful.shutdown().await;
    Ok(())
}
