//! Bytes in, events out, and events in, bytes out, over real TCP on 127.0.0.1: the codec and
//! the `Stream` adapter under hostile segmentation, and `SseBody` through a hyper server.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use ssewire_http::{Event, EventStream, SseBody, SseDecoder, SseFrame};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

/// CRLF split across writes, a 4-byte character split across writes, a BOM, and an
/// unterminated event at the end that must be dropped.
const INPUT: &[u8] = "\u{feff}event: add\r\ndata: caf\u{e9} \u{1f600}\r\nid: 7\r\n\r\ndata: second\r\n\r\ndata: never dispatched".as_bytes();

/// What the parser makes of `INPUT` in one piece: the reference for every segmentation.
fn expected() -> Vec<Event> {
    vec![
        Event::new("add", "caf\u{e9} \u{1f600}", "7"),
        Event::new("message", "second", "7"),
    ]
}

/// Every way of cutting `INPUT` that matters: one byte per write, inside each CRLF, inside
/// the multi-byte characters, and whole.
fn segmentations() -> Vec<Vec<usize>> {
    let mut all = vec![vec![], (1..INPUT.len()).collect()];
    for (i, pair) in INPUT.windows(2).enumerate() {
        if pair == b"\r\n" {
            all.push(vec![i + 1]);
        }
    }
    for (i, &b) in INPUT.iter().enumerate() {
        if b & 0xC0 == 0x80 {
            all.push(vec![i]);
        }
    }
    all
}

/// A server that writes `INPUT` cut at `cuts`, pausing so each piece is its own segment.
async fn serve_pieces(cuts: Vec<usize>) -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut start = 0;
        for end in cuts.into_iter().chain([INPUT.len()]) {
            tcp.write_all(&INPUT[start..end]).await.unwrap();
            tcp.flush().await.unwrap();
            tokio::time::sleep(Duration::from_micros(300)).await;
            start = end;
        }
    });
    TcpStream::connect(addr).await.unwrap()
}

/// An `AsyncRead` that notes the length of every read, so a test can tell how its input was
/// segmented: loopback TCP may merge writes, and a test of a segmentation that never happened
/// proves nothing.
struct Recorded<R> {
    inner: R,
    reads: Arc<Mutex<Vec<usize>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Recorded<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.reads.lock().unwrap().push(read);
        }
        poll
    }
}

/// An in-memory `AsyncRead` that hands out exactly one piece per read: the segmentation is
/// exact, whatever the machine's load.
struct Pieces(std::collections::VecDeque<Vec<u8>>);

impl Pieces {
    fn new(cuts: &[usize]) -> Self {
        let ends = cuts.iter().copied().chain([INPUT.len()]);
        let starts = [0].into_iter().chain(cuts.iter().copied());
        Pieces(
            starts
                .zip(ends)
                .map(|(a, b)| INPUT[a..b].to_vec())
                .collect(),
        )
    }
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(piece) = self.0.pop_front() {
            buf.put_slice(&piece);
        }
        Poll::Ready(Ok(()))
    }
}

/// Where the reads of `reads` ended in the input.
fn boundaries(reads: &[usize]) -> Vec<usize> {
    reads
        .iter()
        .scan(0, |end, read| {
            *end += read;
            Some(*end)
        })
        .collect()
}

/// Runs `read` (which parses `INPUT` served over TCP cut at `cuts`, through a `Recorded`) until
/// the reads show the segmentation asked for: each cut of a one-cut segmentation as a read's
/// end, or more than one read for the byte-at-a-time one. Every attempt must give the events
/// of the whole input, and its reads may only end at cuts.
async fn over_tcp<F, Fut>(cuts: &[usize], read: F)
where
    F: Fn(Recorded<TcpStream>) -> Fut,
    Fut: std::future::Future<Output = Vec<Event>>,
{
    for _attempt in 0..20 {
        let reads = Arc::new(Mutex::new(Vec::new()));
        let tcp = Recorded {
            inner: serve_pieces(cuts.to_vec()).await,
            reads: reads.clone(),
        };
        assert_eq!(read(tcp).await, expected(), "cut at {cuts:?}");
        let ends = boundaries(&reads.lock().unwrap());
        assert_eq!(ends.last(), Some(&INPUT.len()), "{ends:?}");
        for end in &ends[..ends.len() - 1] {
            assert!(
                cuts.contains(end),
                "a read ended at {end}, not a cut of {cuts:?}"
            );
        }
        let segmented = match cuts.len() {
            0 => true,
            1 => ends.contains(&cuts[0]),
            _ => ends.len() > 1,
        };
        if segmented {
            return;
        }
    }
    panic!("TCP never delivered the input cut at {cuts:?}");
}

#[tokio::test]
async fn the_codec_gives_the_same_events_for_every_segmentation_and_drops_the_unterminated() {
    for cuts in segmentations() {
        // Exactly these pieces, one per read.
        let events: Vec<Event> = FramedRead::new(Pieces::new(&cuts), SseDecoder::new())
            .map(|item| item.expect("no error on this input"))
            .collect()
            .await;
        assert_eq!(events, expected(), "cut at {cuts:?}");
        // And over TCP, with the segmentation checked.
        over_tcp(&cuts, |tcp| {
            FramedRead::new(tcp, SseDecoder::new())
                .map(|item| item.expect("no error on this input"))
                .collect()
        })
        .await;
    }
}

#[tokio::test]
async fn the_stream_adapter_reads_a_response_body_for_every_segmentation() {
    for cuts in segmentations().into_iter().take(12) {
        let mut stream = EventStream::new(tokio_util::io::ReaderStream::new(Pieces::new(&cuts)));
        let mut events = Vec::new();
        while let Some(item) = stream.next().await {
            events.push(item.unwrap());
        }
        assert_eq!(events, expected(), "cut at {cuts:?}");
        assert_eq!(stream.last_event_id(), "7");
        over_tcp(&cuts, |tcp| async move {
            let stream = EventStream::new(tokio_util::io::ReaderStream::new(tcp));
            stream.map(|item| item.unwrap()).collect().await
        })
        .await;
    }
}

#[tokio::test]
async fn a_limit_error_arrives_in_order_and_the_codec_stops_after_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.write_all(b"data: ok\n\ndata: 0123456789\n\n")
            .await
            .unwrap();
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let parser = ssewire_parser::Parser::with_limits(
        ssewire_parser::Limits::default().max_event_data_bytes(4),
    );
    let mut framed = FramedRead::new(tcp, SseDecoder::with_parser(parser));
    assert_eq!(framed.next().await.unwrap().unwrap().data(), "ok");
    let err = framed.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("event dropped"), "{err}");
}

/// Serves one `SseBody` response per connection, from frames sent on a channel.
async fn serve_body(
    frames: tokio::sync::mpsc::Receiver<SseFrame>,
    keep_alive: Duration,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let frames = std::sync::Mutex::new(Some(frames));
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let service = hyper::service::service_fn(move |_request| {
            let rx = frames.lock().unwrap().take().unwrap();
            let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
            let body = SseBody::new(stream)
                .keep_alive(Some(keep_alive))
                .keep_alive_comment("ka");
            async move { Ok::<_, std::convert::Infallible>(body.into_response()) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service)
            .await;
    });
    addr
}

async fn get(addr: std::net::SocketAddr) -> http::Response<Incoming> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("/")
        .header("host", "localhost")
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    sender.send_request(request).await.unwrap()
}

#[tokio::test]
async fn sse_body_sends_the_streaming_headers_frames_and_keep_alives() {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let addr = serve_body(rx, Duration::from_millis(60)).await;
    let response = get(addr).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    let mut body = response.into_body();
    let event = ssewire_encoder::Event::new("one\ntwo").id("1").unwrap();
    tx.send(SseFrame::event(&event)).await.unwrap();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&first[..], b"id: 1\ndata: one\ndata: two\n\n");
    // Silence: the keep-alive comment comes next.
    let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&second[..], b": ka\n");
    drop(tx);
    assert!(
        body.frame().await.is_none(),
        "the body ends when the stream does"
    );
}

#[tokio::test]
async fn event_stream_from_body_parses_what_sse_body_sends() {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let addr = serve_body(rx, Duration::from_secs(60)).await;
    let response = get(addr).await;
    let mut events = EventStream::from_body(response.into_body());
    let sent = ["plain", "two\nlines", "", " leading space", "tail\r"];
    for (i, data) in sent.iter().enumerate() {
        let id = i.to_string();
        let event = ssewire_encoder::Event::new(data).id(&id).unwrap();
        tx.send(SseFrame::event(&event)).await.unwrap();
    }
    drop(tx);
    let mut received = Vec::new();
    while let Some(event) = events.next().await {
        received.push(event.unwrap());
    }
    let expected: Vec<Event> = sent
        .iter()
        .enumerate()
        .map(|(i, data)| Event::new("message", data.replace('\r', "\n"), i.to_string()))
        .collect();
    assert_eq!(received, expected);
}
