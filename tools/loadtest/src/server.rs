//! The `hub-server` role: a [`Hub`] on 127.0.0.1 behind the chosen server loop, steered by
//! the driver over stdin and stdout, one line each way.
//!
//! It prints `port P` once listening, then answers `count` with `count N` (the hub's
//! subscribers), `rss` with `rss VmRSS VmHWM` (KiB), `publish K BYTES` with `published ID`
//! (the last ID) and `quit` (or the end of stdin) with `bye` after draining.

use std::io::Write as _;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use ssewire_http::{serve_hub, Hub, HubConfig};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::cli::{HubServerArgs, Variant};
use crate::system::{is_fd_exhaustion, memory_kib, raise_nofile};

/// Runs the role; the exit status is 0, or 2 on an error.
pub async fn main(args: HubServerArgs) -> i32 {
    match serve(args.variant).await {
        Ok(()) => crate::PASS,
        Err(message) => {
            eprintln!("loadtest hub-server: {message}");
            crate::ERROR
        }
    }
}

/// The data of event `id`: it starts with its ID so a client can tell it came under that ID.
pub fn payload(id: u64, bytes: usize) -> String {
    let mut data = format!("event {id} ");
    while data.len() < bytes {
        data.push('x');
    }
    data
}

fn say(line: &str) {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

async fn serve(variant: Variant) -> Result<(), String> {
    raise_nofile("hub-server");
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(([127, 0, 0, 1], 0).into())
        .map_err(|e| format!("bind: {e}"))?;
    // A long backlog: thousands of clients connect at once (the kernel caps it at somaxconn).
    let listener = socket.listen(8192).map_err(|e| format!("listen: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let hub = Hub::new(HubConfig::default());
    let (quit, quitting) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = quitting.await;
    };
    let mut serving: JoinHandle<std::io::Result<()>> = match variant {
        Variant::ServeHub => tokio::spawn(serve_hub(listener, hub.clone(), shutdown)),
        Variant::Hyper => tokio::spawn(serve_hyper(listener, hub.clone(), shutdown, false)),
        Variant::HyperTuned => tokio::spawn(serve_hyper(listener, hub.clone(), shutdown, true)),
    };
    say(&format!("port {port}"));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line.map_err(|e| format!("stdin: {e}"))?,
            ended = &mut serving => return Err(why_serving_ended(ended)),
        };
        // End of stdin: the driver is gone, so is the reason to serve.
        let Some(line) = line else { break };
        let mut words = line.split_whitespace();
        match words.next() {
            Some("count") => say(&format!("count {}", hub.subscriber_count())),
            Some("rss") => {
                let (rss, hwm) = memory_kib();
                say(&format!("rss {rss} {hwm}"));
            }
            Some("publish") => {
                let mut number = || words.next().and_then(|w| w.parse::<u64>().ok());
                let (Some(count), Some(bytes)) = (number(), number()) else {
                    say("error: publish COUNT BYTES");
                    continue;
                };
                let mut last = hub.last_id();
                for _ in 0..count {
                    let data = payload(last + 1, bytes as usize);
                    last = hub
                        .publish(ssewire_encoder::Event::new(&data))
                        .map_err(|e| e.to_string())?;
                }
                say(&format!("published {last}"));
            }
            Some("quit") => break,
            _ => say(&format!("error: unknown command {line:?}")),
        }
    }
    let _ = quit.send(());
    if tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .is_err()
    {
        eprintln!("loadtest hub-server: connections still open 10 s after quit");
    }
    say("bye");
    Ok(())
}

fn why_serving_ended(ended: Result<std::io::Result<()>, tokio::task::JoinError>) -> String {
    match ended {
        Ok(Ok(())) => "the accept loop ended".to_owned(),
        Ok(Err(e)) if is_fd_exhaustion(&e.to_string()) => format!(
            "accept failed: {e}: out of file descriptors; raise the limit (ulimit -n) or use \
             fewer --subscribers"
        ),
        Ok(Err(e)) => format!("accept failed: {e}"),
        Err(e) => format!("the accept loop panicked: {e}"),
    }
}

/// A hyper accept loop serving `Hub::respond`, as a user with a router has it; `tuned` sets
/// the `http1::Builder` options that might shrink a connection, to measure what they change.
async fn serve_hyper(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl std::future::Future<Output = ()>,
    tuned: bool,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    if tuned {
        builder.writev(false).max_buf_size(8192);
    }
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let hub = hub.clone();
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let response = hub.respond(request.headers());
            async move { Ok::<_, std::convert::Infallible>(response) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), service));
        report_size_once(
            "the hyper connection future",
            std::mem::size_of_val(&connection),
        );
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    hub.close();
    graceful.shutdown().await;
    Ok(())
}

/// Tells (on stderr, once per process) how big a connection's future is: the tokio task that
/// holds it allocates that much plus its header.
fn report_size_once(what: &str, bytes: usize) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| eprintln!("loadtest hub-server: {what} is {bytes} bytes"));
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_payload_starts_with_its_id_and_has_the_asked_length() {
        let data = super::payload(42, 30);
        assert!(data.starts_with("event 42 "));
        assert_eq!(data.len(), 30);
    }
}
