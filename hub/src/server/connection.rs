//! One connection. The hub reads the first request head itself: a `GET` on the hub URL (an
//! event stream, or its refusal) is answered straight on the socket; anything else, and
//! whatever follows on a connection that stays open, goes to hyper with the bytes already read.
//!
//! Why not hyper for everything: hyper keeps an 8 KiB read buffer and an 8 KiB write buffer
//! for as long as a connection is open, 15 of the 19 KiB an idle subscriber cost
//! (docs/hub.md). An event stream only writes frames the encoder already made, so it needs
//! neither: its head is written once, then each frame goes out as one chunk in one vectored
//! write, and the only read buffer is a few bytes on the stack that notice a client leaving.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, Request, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Empty};
use hyper::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::routes::{self, HubBody, RequestBody};
use super::state::State;

/// The most bytes read while looking for a first head the hub answers itself. Event-stream
/// requests are small (a few matchers and a token); a longer head goes to hyper, whose own
/// limits apply to it.
const HEAD_PEEK: usize = 8 * 1024;

/// The most header fields in that head; more goes to hyper, which answers 431.
const MAX_HEADERS: usize = 64;

/// Serves one accepted connection until it closes.
///
/// Each phase before an event stream's body (the head, the handler, the response head) runs
/// boxed: its state is freed when it is done, so an open stream's task keeps only the body
/// loop's few hundred bytes (`task_sizes` in the tests below holds that line).
pub(crate) async fn serve(state: Arc<State>, mut tcp: TcpStream, watcher: Watcher) {
    match Box::pin(first_request(&state, &mut tcp)).await {
        Some(First::Own(request)) => {
            let Some(started) = Box::pin(start(&state, &mut tcp, request)).await else {
                return;
            };
            let Started {
                body,
                framing,
                reusable,
            } = started;
            let timeout = state.config.limits.write_timeout;
            let reusable = write_body(&mut tcp, body, framing, reusable, timeout).await;
            if reusable && !*state.draining.borrow() {
                Box::pin(with_hyper(state, tcp, Vec::new(), watcher)).await;
            }
        }
        Some(First::Hyper(read)) => Box::pin(with_hyper(state, tcp, read, watcher)).await,
        Some(First::Gone) | None => {}
    }
}

/// The connection's first request, read within the head timeout; `None` when the client
/// left, broke the connection, was too slow (slowloris), or the hub began draining first.
async fn first_request(state: &State, tcp: &mut TcpStream) -> Option<First> {
    let mut draining = state.draining.clone();
    let read = tokio::time::timeout(
        state.config.limits.header_read_timeout,
        read_first(tcp, state.config.hub_url().path()),
    );
    tokio::select! {
        first = read => match first {
            Ok(Ok(First::Gone) | Err(_)) | Err(_) => None,
            Ok(Ok(first)) => Some(first),
        },
        _ = draining.wait_for(|draining| *draining) => None,
    }
}

/// What the first bytes of a connection turned out to be.
enum First {
    /// A complete `GET` on the hub URL, with nothing after its head: answered here.
    Own(Box<Request<RequestBody>>),
    /// Anything else, with the bytes read so far, which hyper reads again.
    Hyper(Vec<u8>),
    /// The client closed before sending a head.
    Gone,
}

async fn read_first(tcp: &mut TcpStream, hub_path: &str) -> io::Result<First> {
    let mut read = Vec::with_capacity(1024);
    loop {
        if read.len() == read.capacity() {
            if read.len() >= HEAD_PEEK {
                return Ok(First::Hyper(read));
            }
            read.reserve(read.len());
        }
        if tcp.read_buf(&mut read).await? == 0 {
            return Ok(First::Gone);
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut head = httparse::Request::new(&mut headers);
        match head.parse(&read) {
            Ok(httparse::Status::Partial) => continue,
            // A pipelined request behind this one is hyper's to order.
            Ok(httparse::Status::Complete(length)) if length == read.len() => {
                return Ok(
                    own(&head, hub_path).map_or(First::Hyper(read), |r| First::Own(Box::new(r)))
                );
            }
            // Malformed heads and pipelining: hyper answers them as it always has.
            Ok(httparse::Status::Complete(_)) | Err(_) => return Ok(First::Hyper(read)),
        }
    }
}

/// The request, when it is one this module answers: `GET` on the hub path, no body.
fn own(head: &httparse::Request<'_, '_>, hub_path: &str) -> Option<Request<RequestBody>> {
    if head.method? != "GET" {
        return None;
    }
    let uri: Uri = head.path?.parse().ok()?;
    if uri.path() != hub_path {
        return None;
    }
    let version = match head.version? {
        0 => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .version(version);
    let headers = request.headers_mut()?;
    for field in head.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).ok()?;
        // A body, however framed, is hyper's to read (and to refuse).
        if name == TRANSFER_ENCODING || (name == CONTENT_LENGTH && field.value != b"0") {
            return None;
        }
        headers.append(name, HeaderValue::from_bytes(field.value).ok()?);
    }
    let body = Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    request.body(body).ok()
}

/// How a response's body is delimited.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`: an event stream to an HTTP/1.1 client.
    Chunked,
    /// Closing the connection: an event stream to an HTTP/1.0 client.
    Close,
}

/// A response whose head is on the wire, and what its body needs.
struct Started {
    body: HubBody,
    framing: Framing,
    reusable: bool,
}

/// Routes `request` and writes the response head; `None` when the client is gone.
async fn start(
    state: &Arc<State>,
    tcp: &mut TcpStream,
    request: Box<Request<RequestBody>>,
) -> Option<Started> {
    // Unboxed here, so the box is freed with this phase, not kept while the stream is open.
    let request = *request;
    let version = request.version();
    let mut reusable = version == Version::HTTP_11 && !asks_to_close(request.headers());
    let response = routes::route(state.clone(), request).await;
    let (parts, body) = response.into_parts();
    let framing = match body.size_hint().exact() {
        Some(length) => Framing::Length(length),
        None if version == Version::HTTP_11 => Framing::Chunked,
        None => Framing::Close,
    };
    reusable &= framing != Framing::Close;
    let head = response_head(&parts, framing, reusable);
    let timeout = state.config.limits.write_timeout;
    send(tcp, &mut [IoSlice::new(&head)], timeout)
        .await
        .then_some(Started {
            body,
            framing,
            reusable,
        })
}

/// Writes the body, frame by frame as the stream yields them; true when the connection may
/// carry another request.
async fn write_body(
    tcp: &mut TcpStream,
    mut body: HubBody,
    framing: Framing,
    mut reusable: bool,
    timeout: Duration,
) -> bool {
    // Room for whatever a client sends while its stream is open: read only to notice it leave.
    let mut stray = [0_u8; 32];
    loop {
        let data = tokio::select! {
            frame = body.frame() => match frame {
                None | Some(Err(_)) => break,
                // Only data is sent; trailers have no place in an event stream.
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => data,
                    _ => continue,
                },
            },
            read = tcp.read(&mut stray) => match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => {
                    // Nothing may follow an event-stream request; the connection ends with it.
                    reusable = false;
                    continue;
                }
            },
        };
        let mut size = [0_u8; 18];
        let written = if framing == Framing::Chunked {
            let size = chunk_size(data.len(), &mut size);
            let mut slices = [
                IoSlice::new(size),
                IoSlice::new(&data),
                IoSlice::new(b"\r\n"),
            ];
            send(tcp, &mut slices, timeout).await
        } else {
            send(tcp, &mut [IoSlice::new(&data)], timeout).await
        };
        if !written {
            return false;
        }
    }
    if framing == Framing::Chunked && !send(tcp, &mut [IoSlice::new(b"0\r\n\r\n")], timeout).await {
        return false;
    }
    if !reusable {
        let _ = Box::pin(tokio::time::timeout(timeout, tcp.shutdown())).await;
    }
    reusable
}

/// Whether the client's `Connection` field asks to close after this response.
fn asks_to_close(headers: &http::HeaderMap) -> bool {
    headers.get_all(CONNECTION).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"))
        })
    })
}

/// The status line and fields of a response, with its framing and a `Date`.
fn response_head(parts: &http::response::Parts, framing: Framing, reusable: bool) -> Vec<u8> {
    let status = parts.status;
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    head.extend_from_slice(b"\r\n");
    let mut field = |name: &[u8], value: &[u8]| {
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    for (name, value) in &parts.headers {
        field(name.as_str().as_bytes(), value.as_bytes());
    }
    field(
        b"date",
        httpdate::fmt_http_date(SystemTime::now()).as_bytes(),
    );
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    match framing {
        Framing::Length(_) if bodiless => {}
        Framing::Length(length) => field(b"content-length", length.to_string().as_bytes()),
        Framing::Chunked => field(b"transfer-encoding", b"chunked"),
        Framing::Close => {}
    }
    if !reusable {
        field(b"connection", b"close");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// A chunk's size line: the length in hex and CRLF, written into `out`.
fn chunk_size(length: usize, out: &mut [u8; 18]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut at = 16;
    let mut rest = length;
    loop {
        at -= 1;
        out[at] = HEX[rest & 0xf];
        rest >>= 4;
        if rest == 0 {
            break;
        }
    }
    out[16] = b'\r';
    out[17] = b'\n';
    &out[at..]
}

/// Writes every slice: at once when the socket takes them all (the usual case, with no
/// timer), else the rest within `timeout`, in a boxed future so that only a slow client's
/// task pays for the timer. False when the client is gone or too slow.
async fn send(tcp: &mut TcpStream, slices: &mut [IoSlice<'_>], timeout: Duration) -> bool {
    let total: usize = slices.iter().map(|slice| slice.len()).sum();
    let written = match tcp.try_write_vectored(slices) {
        Ok(written) => written,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
        Err(_) => return false,
    };
    written == total || Box::pin(send_rest(tcp, slices, written, timeout)).await
}

/// The part of [`send`] that waits for the socket.
async fn send_rest(
    tcp: &mut TcpStream,
    mut slices: &mut [IoSlice<'_>],
    written: usize,
    timeout: Duration,
) -> bool {
    IoSlice::advance_slices(&mut slices, written);
    let rest = async {
        while !slices.is_empty() {
            let written = tcp.write_vectored(slices).await?;
            if written == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero));
            }
            IoSlice::advance_slices(&mut slices, written);
        }
        Ok(())
    };
    matches!(tokio::time::timeout(timeout, rest).await, Ok(Ok(())))
}

/// Hands the connection to hyper: every request on it from here on, starting with the bytes
/// already read.
async fn with_hyper(state: Arc<State>, tcp: TcpStream, read: Vec<u8>, watcher: Watcher) {
    let limits = state.config.limits.clone();
    let mut io = tokio_io_timeout::TimeoutStream::new(Replay { read, at: 0, tcp });
    io.set_write_timeout(Some(limits.write_timeout));
    let io = TokioIo::new(Box::pin(io));
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let state = state.clone();
        async move {
            let request = request.map(BodyExt::boxed_unsync);
            Ok::<_, std::convert::Infallible>(routes::route(state, request).await)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("connection ended: {e}");
    }
}

/// A socket whose first bytes were already read: reading gives them again first.
struct Replay {
    read: Vec<u8>,
    at: usize,
    tcp: TcpStream,
}

impl AsyncRead for Replay {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.read.len() {
            let n = buf.remaining().min(this.read.len() - this.at);
            buf.put_slice(&this.read[this.at..this.at + n]);
            this.at += n;
            if this.at == this.read.len() {
                this.read = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_are_lowercase_hex_with_crlf() {
        let mut out = [0_u8; 18];
        assert_eq!(chunk_size(0, &mut out), b"0\r\n");
        assert_eq!(chunk_size(10, &mut out), b"a\r\n");
        assert_eq!(chunk_size(0x1f3, &mut out), b"1f3\r\n");
        assert_eq!(chunk_size(usize::MAX, &mut out), b"ffffffffffffffff\r\n");
    }

    #[test]
    fn connection_close_is_found_among_tokens() {
        let mut headers = http::HeaderMap::new();
        headers.append(CONNECTION, HeaderValue::from_static("keep-alive, Close"));
        assert!(asks_to_close(&headers));
        headers.clear();
        headers.append(CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(!asks_to_close(&headers));
    }

    fn parsed(head: &[u8]) -> Option<Request<RequestBody>> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        assert!(request.parse(head).unwrap().is_complete());
        own(&request, "/.well-known/mercure")
    }

    #[test]
    fn only_bodiless_gets_on_the_hub_path_are_answered_here() {
        let own = parsed(b"GET /.well-known/mercure?topic=x HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        assert_eq!(own.uri().query(), Some("topic=x"));
        assert_eq!(own.headers()["host"], "h");
        assert_eq!(own.version(), Version::HTTP_11);
        for other in [
            &b"POST /.well-known/mercure HTTP/1.1\r\n\r\n"[..],
            b"GET /healthz HTTP/1.1\r\n\r\n",
            b"GET /.well-known/mercure HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
            b"GET /.well-known/mercure HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert!(
                parsed(other).is_none(),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    /// An open event stream's task holds the connection future (this) and the boxed body;
    /// hyper's buffers and the handler's state are gone. Bounds a little above what was
    /// measured (Rust 1.95), so a change that puts a phase's state back inline fails here.
    #[tokio::test]
    async fn an_open_streams_task_stays_small() {
        let url = url::Url::parse("http://127.0.0.1/.well-known/mercure").unwrap();
        let config = crate::config::HubConfig::new(crate::auth::VerifierConfig::new(
            url.as_str(),
            url.clone(),
        ));
        let hub = super::super::Hub::new(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut tcp, _) = listener.accept().await.unwrap();
        let body_loop = write_body(
            &mut tcp,
            routes::full(Bytes::new()),
            Framing::Chunked,
            true,
            Duration::from_secs(1),
        );
        let body_loop_size = std::mem::size_of_val(&body_loop);
        drop(body_loop);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let connection = serve(hub.state.clone(), tcp, graceful.watcher());
        let connection_size = std::mem::size_of_val(&connection);
        eprintln!("body loop {body_loop_size} bytes, connection {connection_size} bytes");
        assert!(body_loop_size <= 352, "body loop: {body_loop_size} bytes");
        assert!(
            connection_size <= 576,
            "connection: {connection_size} bytes"
        );
    }
}
