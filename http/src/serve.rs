//! The hub's own server: every GET on a listener subscribes to one hub.
//!
//! It speaks just enough HTTP/1.1 for an event stream, without hyper: read one request head
//! (bounded in size and time), write the response head, then write each batch of frames as
//! chunks. Measured with `ssewire-loadtest hub` (tools/loadtest, docs/load.md), a hyper
//! connection keeps two 8 KiB buffers for its whole life, which made an idle subscriber cost
//! about 12 KiB; this loop keeps none, and an idle subscriber costs about 1.4 KiB. Routers and other paths
//! belong in hyper (or axum …) with [`Hub::respond`].

use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::body::DEFAULT_KEEP_ALIVE;
use crate::hub::Hub;

/// The largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one write may wait for a client that does not read before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most bytes of ready frames gathered into one write.
const BATCH: usize = 64 * 1024;

/// Serves `hub` on `listener`: every `GET` (any path) gets a `200 text/event-stream`
/// response carrying [`Hub::subscribe`] after its `Last-Event-ID`, with a keep-alive comment
/// after [`DEFAULT_KEEP_ALIVE`] of silence; other methods get `405`. When `shutdown`
/// completes it stops accepting, closes the hub (each subscriber first receives what was
/// already published), and returns once every connection has finished.
///
/// A client that stops reading is dropped after 30 s of blocked writes, or sooner by the hub's
/// slow-subscriber policy; one that sends no complete request head within 10 s, or a head
/// over 8 KiB, is dropped too.
///
/// # Errors
/// When accepting fails for a reason other than running out of file descriptors or a
/// connection reset before it was accepted.
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
    let connections = TaskTracker::new();
    let stop = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) if is_transient(&e) => {
                // Out of descriptors or a reset in the backlog: wait a little, keep serving.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let _ = tcp.set_nodelay(true);
        let hub = hub.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            let _ = connection(tcp, hub, stop).await;
        });
    }
    hub.close();
    connections.close();
    // Connections still reading their request head will never subscribe: end them.
    stop.cancel();
    connections.wait().await;
    Ok(())
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset};
    matches!(e.kind(), ConnectionAborted | ConnectionReset) || e.raw_os_error() == Some(24)
}

/// What the request head asked for.
struct Head {
    get: bool,
    http10: bool,
    last_event_id: Option<String>,
}

/// Reads one request head; `None` if the client closed, was too slow, or sent too much.
async fn read_head(tcp: &mut TcpStream) -> Option<Result<Head, &'static [u8]>> {
    let mut buf = Vec::with_capacity(1024);
    let deadline = Instant::now() + HEAD_TIMEOUT;
    loop {
        let read = tokio::time::timeout_at(deadline, tcp.read_buf(&mut buf)).await;
        if !matches!(read, Ok(Ok(n)) if n > 0) {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let last_event_id = request
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("last-event-id"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .map(str::to_owned);
                return Some(Ok(Head {
                    get: request.method == Some("GET"),
                    http10: request.version == Some(0),
                    last_event_id,
                }));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Some(Err(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Some(Err(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
            }
            Err(_) => return Some(Err(b"HTTP/1.1 400 Bad Request\r\n")),
        }
    }
}

async fn write_timed<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(bytes)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Appends `data` as one chunk of a chunked body (or as is, for HTTP/1.0).
fn push_chunk(out: &mut Vec<u8>, data: &[u8], chunked: bool) {
    if chunked {
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    } else {
        out.extend_from_slice(data);
    }
}

async fn connection(mut tcp: TcpStream, hub: Hub, stop: CancellationToken) -> std::io::Result<()> {
    let head = tokio::select! {
        head = read_head(&mut tcp) => head,
        () = stop.cancelled() => return Ok(()),
    };
    let head = match head {
        None => return Ok(()),
        Some(Err(status_line)) => {
            write_timed(&mut tcp, status_line).await?;
            return write_timed(&mut tcp, b"content-length: 0\r\nconnection: close\r\n\r\n").await;
        }
        Some(Ok(head)) if !head.get => {
            let refusal = b"HTTP/1.1 405 Method Not Allowed\r\nallow: GET\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            return write_timed(&mut tcp, refusal).await;
        }
        Some(Ok(head)) => head,
    };
    let mut subscription = hub.subscribe(head.last_event_id.as_deref());
    let chunked = !head.http10;
    let response_head: &[u8] = if chunked {
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\ntransfer-encoding: chunked\r\n\r\n"
    } else {
        b"HTTP/1.0 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nx-accel-buffering: no\r\n\r\n"
    };
    write_timed(&mut tcp, response_head).await?;
    let (mut reader, mut writer) = tcp.split();
    // The client sends nothing more; reading only tells when it goes away.
    let mut probe = [0u8; 16];
    let keep_alive = tokio::time::sleep(DEFAULT_KEEP_ALIVE);
    tokio::pin!(keep_alive);
    loop {
        tokio::select! {
            read = reader.read(&mut probe) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return Ok(());
                }
            }
            frame = futures_util::StreamExt::next(&mut subscription) => {
                let Some(frame) = frame else {
                    // The hub closed (drained) or the subscriber lagged: end the body cleanly.
                    if chunked {
                        write_timed(&mut writer, b"0\r\n\r\n").await?;
                    }
                    return writer.shutdown().await;
                };
                // Whatever else is already queued goes out in the same write; the buffer lives
                // only for that write, so an idle connection holds none.
                let mut out = Vec::new();
                push_chunk(&mut out, frame.as_bytes(), chunked);
                while out.len() < BATCH {
                    match futures_util::StreamExt::next(&mut subscription).now_or_never() {
                        Some(Some(frame)) => push_chunk(&mut out, frame.as_bytes(), chunked),
                        _ => break,
                    }
                }
                write_timed(&mut writer, &out).await?;
                keep_alive.as_mut().reset(Instant::now() + DEFAULT_KEEP_ALIVE);
            }
            () = &mut keep_alive => {
                let mut out = Vec::new();
                push_chunk(&mut out, b":\n", chunked);
                write_timed(&mut writer, &out).await?;
                keep_alive.as_mut().reset(Instant::now() + DEFAULT_KEEP_ALIVE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start(hub: &Hub) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve_hub(listener, hub.clone(), async {
            let _ = stopped.await;
        }));
        (addr, stop)
    }

    async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(request).await.unwrap();
        let mut all = Vec::new();
        let _ = tcp.read_to_end(&mut all).await;
        String::from_utf8_lossy(&all).into_owned()
    }

    #[tokio::test]
    async fn other_methods_bad_heads_and_huge_heads_are_refused() {
        let hub = Hub::new(Default::default());
        let (addr, _stop) = start(&hub).await;
        let post = exchange(addr, b"POST / HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        let bad = exchange(addr, b"GET / HTTP/9\r\n\r\n").await;
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        let mut huge = b"GET / HTTP/1.1\r\nx: ".to_vec();
        huge.extend(vec![b'a'; MAX_HEAD + 10]);
        let huge = exchange(addr, &huge).await;
        assert!(huge.starts_with("HTTP/1.1 431"), "{huge}");
        assert_eq!(hub.subscriber_count(), 0);
    }

    #[tokio::test]
    async fn a_stream_is_chunked_for_http11_and_close_delimited_for_http10() {
        let hub = Hub::new(Default::default());
        hub.publish(ssewire_encoder::Event::new("a")).unwrap();
        let (addr, stop) = start(&hub).await;
        let http11 = tokio::spawn(exchange(
            addr,
            b"GET /x HTTP/1.1\r\nlast-event-id: 0\r\n\r\n",
        ));
        let http10 = tokio::spawn(exchange(
            addr,
            b"GET / HTTP/1.0\r\nLast-Event-ID: 0\r\n\r\n",
        ));
        while hub.subscriber_count() < 2 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        stop.send(()).unwrap();
        let http11 = http11.await.unwrap();
        let http10 = http10.await.unwrap();
        assert!(http11.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        assert!(http11.contains("transfer-encoding: chunked"));
        assert!(
            http11.ends_with("\r\n\r\nf\r\nid: 1\ndata: a\n\n\r\n0\r\n\r\n"),
            "{http11:?}"
        );
        assert!(http10.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(http10.ends_with("\r\n\r\nid: 1\ndata: a\n\n"), "{http10:?}");
    }
}
