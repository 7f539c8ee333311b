//! The wire model of a scripted response: status, headers, the body's pieces (each flushed as
//! its own write) and how it ends: cleanly, cut off, or held open.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use hyper::{Response, StatusCode};

use super::router::ServeBody;
use super::Shared;

/// How a response ends after its last piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The body ends cleanly.
    Close,
    /// The connection is cut without ending the chunked body: a network error.
    Abort,
    /// Nothing more is sent; the response stays open (for at most a minute).
    Hold,
}

/// A scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) pieces: Vec<Bytes>,
    pub(crate) end: End,
}

impl Reply {
    /// `200 text/event-stream` with `body` in one write, then a clean end.
    pub(crate) fn stream(body: &[u8]) -> Reply {
        Reply {
            status: 200,
            content_type: Some("text/event-stream".into()),
            location: None,
            pieces: vec![Bytes::copy_from_slice(body)],
            end: End::Close,
        }
    }

    pub(crate) fn redirect(status: u16, location: &str) -> Reply {
        Reply {
            status,
            content_type: None,
            location: Some(location.into()),
            pieces: Vec::new(),
            end: End::Close,
        }
    }

    pub(crate) fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    pub(crate) fn held(mut self) -> Reply {
        self.end = End::Hold;
        self
    }

    pub(crate) fn aborted(mut self) -> Reply {
        self.end = End::Abort;
        self
    }
}

pub(crate) fn respond(
    reply: Reply,
    record: Option<(Arc<Shared>, String, usize)>,
) -> Response<ServeBody> {
    let body = Pieces {
        pieces: reply.pieces.into(),
        flushed: true,
        end: reply.end,
        hold: None,
        record,
    };
    let mut response = Response::new(http_body_util::Either::Right(body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Some(content_type) = reply.content_type {
        if let Ok(value) = content_type.parse() {
            headers.insert("content-type", value);
        }
    }
    if let Some(location) = reply.location {
        if let Ok(value) = location.parse() {
            headers.insert("location", value);
        }
    }
    headers.insert("cache-control", "no-cache".parse().expect("a valid header"));
    headers.insert(
        "access-control-allow-origin",
        "*".parse().expect("a valid header"),
    );
    response
}

/// How long a cut-off response waits after its last piece before failing (see `End::Abort`).
const ABORT_PAUSE: Duration = Duration::from_millis(150);

/// A response body that hands hyper one piece per poll, returning `Pending` in between so
/// that each piece is flushed as its own write.
pub struct Pieces {
    pieces: VecDeque<Bytes>,
    /// The last piece has been followed by a `Pending` (so hyper flushed it).
    flushed: bool,
    end: End,
    hold: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Where to note the time the last piece went out.
    record: Option<(Arc<Shared>, String, usize)>,
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if !self.flushed {
            self.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(piece) = self.pieces.pop_front() {
            self.flushed = false;
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        if let Some((shared, id, index)) = self.record.take() {
            if let Some(seen) = shared
                .state()
                .requests
                .get_mut(&id)
                .and_then(|r| r.get_mut(index))
            {
                seen.ended = Some(Instant::now());
            }
        }
        match self.end {
            End::Close => Poll::Ready(None),
            // Over HTTP/2 a body error becomes RST_STREAM, and h2 drops whatever DATA it
            // still has queued for the stream when it sends one; the one `Pending` above
            // is a flush for HTTP/1.1 but only a scheduling hint for h2's connection task.
            // A short pause lets the last piece reach the socket before the cut, so the
            // scenario tests the client's reaction to the cut, not a race in this server.
            End::Abort => {
                let pause = self
                    .hold
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(ABORT_PAUSE)));
                match pause.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err(std::io::Error::other("cut off on purpose"))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
            End::Hold => {
                let hold = self
                    .hold
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_secs(60))));
                match hold.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}
