//! Event streams for reqwest users: from a `RequestBuilder` (with reconnection, as any
//! [`EventSource`]) or from a `Response` already received (one stream, no reconnection).
//! Either way the driver and its checks are the same as with the default transport, and the
//! parser slices events out of reqwest's `Bytes` chunks without copying them.

use std::error::Error;
use std::fmt;
use std::sync::Mutex;

use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;

use super::transport::classify;
use super::{
    BoxError, Cause, EventSource, EventSourceBuilder, ResponseFuture, Transport, TransportError,
};

/// A [`Transport`] on a `reqwest::Client`: its pool, TLS, proxies and settings. Which TLS
/// setups end a stream with [`Failure::Tls`](crate::Failure::Tls) on a refused certificate:
/// see [`EventSource::from_reqwest`].
///
/// reqwest follows redirects itself by default, so the client sees only the final response
/// and reconnects to the URL it was given. Build the client with
/// `redirect(reqwest::redirect::Policy::none())` to have the [`EventSource`] follow them as
/// fetch does (credentials dropped across origins, reconnections to the final URL).
///
/// ```
/// let client = reqwest::Client::new();
/// let transport = ssewire_http::ReqwestTransport::new(client);
/// let _ = ssewire_http::EventSource::builder("http://127.0.0.1:1/").transport(transport);
/// ```
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Sends requests with `client`.
    ///
    /// ```
    /// let _ = ssewire_http::ReqwestTransport::new(reqwest::Client::new());
    /// ```
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

/// reqwest's response as the driver takes it; its chunks stay the `Bytes` reqwest made.
fn into_http(response: reqwest::Response) -> http::Response<super::ResponseBody> {
    http::Response::from(response)
        .map(|body| body.map_err(|e| Box::new(e) as BoxError).boxed_unsync())
}

impl Transport for ReqwestTransport {
    fn send(&self, request: Request<Bytes>) -> ResponseFuture {
        let client = self.client.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(classify)?;
            let response = client.execute(request).await.map_err(classify)?;
            Ok(into_http(response))
        })
    }
}

/// Hands over one response received before, then has nothing more.
struct Received(Mutex<Option<reqwest::Response>>);

impl Transport for Received {
    fn send(&self, _: Request<Bytes>) -> ResponseFuture {
        let response = self.0.lock().ok().and_then(|mut slot| slot.take());
        Box::pin(async move {
            match response {
                Some(response) => Ok(into_http(response)),
                // Only a redirect in the response asks again; nothing can follow it.
                None => Err(TransportError::Network(Cause::new(FromReqwestError::Spent))),
            }
        })
    }
}

/// Why a reqwest request cannot become an [`EventSource`].
///
/// ```
/// let e = ssewire_http::FromReqwestError::StreamingBody;
/// assert_eq!(e.to_string(), "a streaming body cannot be sent again on reconnection");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FromReqwestError {
    /// The `RequestBuilder` did not build (the cause is reqwest's error).
    Request(reqwest::Error),
    /// The body is a stream, which cannot be sent again on reconnection; give bytes.
    StreamingBody,
    /// A stream from a response received before met a redirect: there is no request to
    /// follow it with.
    Spent,
}

impl fmt::Display for FromReqwestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromReqwestError::Request(_) => f.write_str("the reqwest request did not build"),
            FromReqwestError::StreamingBody => {
                f.write_str("a streaming body cannot be sent again on reconnection")
            }
            FromReqwestError::Spent => {
                f.write_str("the response was handed over already; no request follows it")
            }
        }
    }
}

impl Error for FromReqwestError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FromReqwestError::Request(e) => Some(e),
            FromReqwestError::StreamingBody | FromReqwestError::Spent => None,
        }
    }
}

impl EventSource {
    /// Settings for a client that sends `request` (its client, URL, method, headers and
    /// body) on every attempt, through a [`ReqwestTransport`]. The rest is as for
    /// [`EventSource::builder`]: the spec's checks and reconnection, a non-idempotent
    /// method sent once unless
    /// [`reconnect_non_idempotent`](EventSourceBuilder::reconnect_non_idempotent). A timeout
    /// set on the request is not kept; see [`EventSourceBuilder::connect_timeout`] and
    /// [`EventSourceBuilder::idle_timeout`].
    ///
    /// **TLS failures.** A failed handshake (a certificate not trusted or not for the host)
    /// ends the stream with [`Failure::Tls`](crate::Failure::Tls), its cause the
    /// [`rustls::Error`], when reqwest's TLS is rustls 0.23 (its `rustls-tls*` features, or
    /// `use_preconfigured_tls` with a `rustls::ClientConfig`) and this crate's `rustls`
    /// feature (on by default) is on: the transport finds rustls's error in reqwest's error
    /// chain. Otherwise (reqwest's `native-tls`, or this crate without `rustls`) a failed
    /// handshake is a [`Disconnect::Network`](crate::Disconnect::Network) like any connection
    /// error, and the source reconnects after it: for ever, unless
    /// [`max_attempts`](EventSourceBuilder::max_attempts) bounds it
    /// ([`Failure::GaveUp`](crate::Failure::GaveUp)).
    ///
    /// ```
    /// let client = reqwest::Client::new();
    /// let request = client
    ///     .post("http://127.0.0.1:1/v1/chat")
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"stream":true}"#);
    /// let source = ssewire_http::EventSource::from_reqwest(request).unwrap().build();
    /// # drop(source);
    /// ```
    ///
    /// # Errors
    /// [`FromReqwestError::Request`] when the request does not build,
    /// [`FromReqwestError::StreamingBody`] when its body is a stream.
    pub fn from_reqwest(
        request: reqwest::RequestBuilder,
    ) -> Result<EventSourceBuilder, FromReqwestError> {
        let (client, request) = request.build_split();
        let request = request.map_err(FromReqwestError::Request)?;
        let body = match request.body() {
            None => None,
            Some(body) => {
                let bytes = body.as_bytes().ok_or(FromReqwestError::StreamingBody)?;
                Some(Bytes::copy_from_slice(bytes))
            }
        };
        let mut builder = EventSource::builder(request.url().as_str())
            .method(request.method().clone())
            .transport(ReqwestTransport::new(client));
        for (name, value) in request.headers() {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(body) = body {
            builder = builder.body(body);
        }
        Ok(builder)
    }

    /// The events of a response already received: the same checks (status 200,
    /// `text/event-stream`, no compression) and items as any [`EventSource`], but no
    /// reconnection, since there is no request to repeat. A clean end of the body ends the
    /// stream; any other end is [`Failure::Interrupted`](super::Failure::Interrupted).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), reqwest::Error> {
    /// let response = reqwest::Client::new().get("http://127.0.0.1:8080/events").send().await?;
    /// let source = ssewire_http::EventSource::from_reqwest_response(response);
    /// # drop(source);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_reqwest_response(response: reqwest::Response) -> EventSource {
        let mut builder = EventSource::builder(response.url().as_str())
            .transport(Received(Mutex::new(Some(response))));
        builder.repeatable = false;
        builder.build()
    }
}
