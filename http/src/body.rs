//! Events in, bytes out: encoded frames and a streaming response body with keep-alives.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::Response;
use http_body::{Body, Frame as BodyFrame, SizeHint};
use tokio::time::{Instant, Sleep};

/// One encoded piece of an event stream: an event block, a comment or a `retry` line. Encode
/// once, then clone it to any number of connections: clones share the bytes.
///
/// An [`SseBody`] sends each as one [`http_body::Frame`] of data; the `Sse` prefix keeps the
/// two apart in code that imports both.
///
/// ```
/// let event = ssewire_encoder::Event::new("hi").id("1")?;
/// let frame = ssewire_http::SseFrame::event(&event);
/// assert_eq!(frame.as_bytes(), &b"id: 1\ndata: hi\n\n"[..]);
/// # Ok::<(), ssewire_encoder::EncodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SseFrame(Bytes);

impl SseFrame {
    /// An event block. [`ssewire_encoder::Event`] refuses what cannot be encoded when it is
    /// built, so this cannot fail.
    ///
    /// ```
    /// let frame = ssewire_http::SseFrame::event(&ssewire_encoder::Event::new("a\nb"));
    /// assert_eq!(frame.as_bytes(), &b"data: a\ndata: b\n\n"[..]);
    /// ```
    pub fn event(event: &ssewire_encoder::Event<'_>) -> SseFrame {
        let mut out = BytesMut::new();
        event.encode_to_buf(&mut out);
        SseFrame(out.freeze())
    }

    /// A comment, which clients ignore.
    ///
    /// ```
    /// assert_eq!(ssewire_http::SseFrame::comment("hello").as_bytes(), &b": hello\n"[..]);
    /// ```
    pub fn comment(text: &str) -> SseFrame {
        let mut out = BytesMut::new();
        ssewire_encoder::Comment::new(text).encode_to_buf(&mut out);
        SseFrame(out.freeze())
    }

    /// A block that only sets the client's reconnection time.
    ///
    /// ```
    /// use std::time::Duration;
    /// let frame = ssewire_http::SseFrame::retry(Duration::from_millis(1500));
    /// assert_eq!(frame.as_bytes(), &b"retry: 1500\n\n"[..]);
    /// ```
    pub fn retry(after: Duration) -> SseFrame {
        let millis = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
        SseFrame::event(&ssewire_encoder::Event::without_data().retry(millis))
    }

    /// The encoded bytes.
    ///
    /// ```
    /// assert!(ssewire_http::SseFrame::comment("").as_bytes().starts_with(b":"));
    /// ```
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The encoded bytes, owned.
    ///
    /// ```
    /// let bytes = ssewire_http::SseFrame::comment("").into_bytes();
    /// assert_eq!(&bytes[..], b":\n");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

/// The default keep-alive interval of [`SseBody`]: 15 seconds, below the 30 to 60 second idle
/// timeouts common in proxies and load balancers.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

pin_project_lite::pin_project! {
    /// A streaming [`http_body::Body`] from a `Stream` of [`SseFrame`]s. When no frame has gone out
    /// for the keep-alive interval it sends a comment, so that intermediaries and the client's
    /// idle timeout see a live connection. The body ends when the stream does.
    ///
    /// ```
    /// use http_body_util::BodyExt;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let frames = futures_util::stream::iter([ssewire_http::SseFrame::comment("hi")]);
    /// let body = ssewire_http::SseBody::new(frames).collect().await.unwrap().to_bytes();
    /// assert_eq!(&body[..], b": hi\n");
    /// # });
    /// ```
    #[derive(Debug)]
    pub struct SseBody<S> {
        #[pin]
        frames: S,
        keep_alive: Option<KeepAlive>,
        done: bool,
    }
}

#[derive(Debug)]
struct KeepAlive {
    every: Duration,
    comment: Bytes,
    /// Made at the first poll, so a body can be built outside a runtime.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> SseBody<S> {
    /// A body sending `frames`, with a keep-alive comment every [`DEFAULT_KEEP_ALIVE`] of
    /// silence. Needs a tokio runtime with time enabled when polled.
    ///
    /// ```
    /// let frames = futures_util::stream::empty::<ssewire_http::SseFrame>();
    /// let _ = ssewire_http::SseBody::new(frames);
    /// ```
    pub fn new(frames: S) -> Self {
        SseBody {
            frames,
            keep_alive: None,
            done: false,
        }
        .keep_alive(Some(DEFAULT_KEEP_ALIVE))
    }

    /// Sets the keep-alive interval; `None` sends none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let frames = futures_util::stream::empty::<ssewire_http::SseFrame>();
    /// let _ = ssewire_http::SseBody::new(frames).keep_alive(Some(Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every.map(|every| KeepAlive {
            every,
            comment: Bytes::from_static(b":\n"),
            timer: None,
        });
        self
    }

    /// Sets the keep-alive comment's text (default: empty, the 2 bytes `:` LF).
    ///
    /// ```
    /// let frames = futures_util::stream::empty::<ssewire_http::SseFrame>();
    /// let _ = ssewire_http::SseBody::new(frames).keep_alive_comment("ping");
    /// ```
    #[must_use]
    pub fn keep_alive_comment(mut self, text: &str) -> Self {
        if let Some(keep_alive) = &mut self.keep_alive {
            keep_alive.comment = SseFrame::comment(text).into_bytes();
        }
        self
    }

    /// This body in a `200 OK` response with the headers streaming needs:
    /// `Content-Type: text/event-stream`, `Cache-Control: no-cache` (no cache may hold the
    /// stream back) and `X-Accel-Buffering: no` (nginx must not buffer it).
    ///
    /// ```
    /// let frames = futures_util::stream::empty::<ssewire_http::SseFrame>();
    /// let response = ssewire_http::SseBody::new(frames).into_response();
    /// assert_eq!(response.headers()["content-type"], "text/event-stream");
    /// ```
    pub fn into_response(self) -> Response<Self> {
        let mut response = Response::new(self);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

impl<S: Stream<Item = SseFrame>> Body for SseBody<S> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, Infallible>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        match this.frames.poll_next(cx) {
            Poll::Ready(Some(frame)) => {
                if let Some(KeepAlive {
                    every,
                    timer: Some(timer),
                    ..
                }) = this.keep_alive
                {
                    timer.as_mut().reset(Instant::now() + *every);
                }
                Poll::Ready(Some(Ok(BodyFrame::data(frame.into_bytes()))))
            }
            Poll::Ready(None) => {
                *this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let Some(keep_alive) = this.keep_alive else {
                    return Poll::Pending;
                };
                let every = keep_alive.every;
                let timer = keep_alive
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                timer.as_mut().reset(Instant::now() + every);
                Poll::Ready(Some(Ok(BodyFrame::data(keep_alive.comment.clone()))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn silence_gets_a_keep_alive_comment_and_frames_reset_the_timer() {
        let (tx, rx) = tokio::sync::mpsc::channel::<SseFrame>(4);
        let frames = tokio_stream::wrappers::ReceiverStream::new(rx);
        let mut body = SseBody::new(frames)
            .keep_alive(Some(Duration::from_secs(10)))
            .keep_alive_comment("ka");
        let start = Instant::now();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&first[..], b": ka\n");
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send(SseFrame::comment("x")).await.unwrap();
        let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&second[..], b": x\n");
        let sent_at = Instant::now();
        let third = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&third[..], b": ka\n");
        assert_eq!(sent_at.elapsed(), Duration::from_secs(10));
        drop(tx);
        assert!(body.frame().await.is_none());
    }
}
