//! The connection loop behind [`EventSource`](super::EventSource): attempts, redirects,
//! response checks, reconnection delays.

use std::time::Duration;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LANGUAGE,
    CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, LOCATION,
};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::BodyDataStream;
use ssewire_parser::Parser;
use tokio::sync::watch;
use url::Url;

use crate::stream::{EventStream, StreamError};

use super::{
    Body, Cause, Disconnect, EventSourceBuilder, Failure, ReadyState, RedirectError, ResponseBody,
    SourceEvent, Transport, TransportError, UrlError, MAX_REDIRECTS,
};

pub(super) enum Phase {
    Connect,
    Wait(Duration),
    Streaming,
    Done,
}

/// Why an attempt did not give a stream.
pub(super) enum Attempt {
    Retry(Disconnect),
    Fatal(Failure),
}

/// The connection loop behind [`EventSource`].
pub(super) struct Driver {
    pub(super) config: EventSourceBuilder,
    pub(super) transport: Arc<dyn Transport>,
    /// Where the next attempt goes: the constructor's URL, then the last redirect's target.
    pub(super) url: Result<Url, Failure>,
    /// Holds the last event ID and reconnection time between connections.
    pub(super) parser: Option<Parser>,
    pub(super) body: Option<Body>,
    pub(super) failures: u32,
    /// Set when a redirect turned the request into a `GET` without a body (fetch's rule for
    /// 303, and for 301 and 302 after a `POST`); reconnections keep to that.
    pub(super) as_get: bool,
    pub(super) phase: Phase,
    pub(super) state: watch::Sender<ReadyState>,
}

impl Driver {
    fn set_state(&self, state: ReadyState) {
        self.state.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }

    pub(super) fn close(&mut self) {
        self.end_body();
        self.phase = Phase::Done;
        self.set_state(ReadyState::Closed);
    }

    fn fail(&mut self, failure: Failure) -> Option<Result<SourceEvent, Failure>> {
        self.close();
        Some(Err(failure))
    }

    fn parser(&mut self) -> &mut Parser {
        let limits = self.config.limits;
        // Only a body holds the parser, and `end_body` gives it back; the fallback keeps the
        // configured limits all the same.
        self.parser
            .get_or_insert_with(|| Parser::with_limits(limits))
    }

    fn reconnection_time(&mut self) -> Duration {
        let configured = self.config.reconnection_time;
        let floor = self.config.min_reconnection_time;
        self.parser()
            .reconnection_time()
            .map_or(configured, Duration::from_millis)
            .max(floor)
    }

    fn end_body(&mut self) {
        if let Some(body) = self.body.take() {
            let mut parser = body.into_parser();
            // The spec's end of file: an unterminated event is discarded.
            parser.finish();
            self.parser = Some(parser);
        }
    }

    /// The method requests are sent with now.
    fn method(&self) -> Method {
        if self.as_get {
            Method::GET
        } else {
            self.config.method.clone()
        }
    }

    fn reconnect(&mut self, cause: Disconnect) -> Option<Result<SourceEvent, Failure>> {
        self.end_body();
        let repeat = self.config.repeatable
            && (self.method().is_idempotent() || self.config.reconnect_non_idempotent);
        if !repeat {
            // The server may have acted on the request already: repeating it is the caller's
            // call (see `EventSourceBuilder::method`).
            if cause == Disconnect::Closed {
                self.close();
                return None;
            }
            return self.fail(Failure::Interrupted(cause));
        }
        self.failures = self.failures.saturating_add(1);
        if let Some(max) = self.config.max_attempts {
            if self.failures > max {
                let attempts = self.failures;
                return self.fail(Failure::GaveUp {
                    attempts,
                    last: cause,
                });
            }
        }
        let base = self.reconnection_time();
        let delay = match self.config.backoff {
            Some(backoff) => backoff.delay(base, self.failures),
            None => base,
        };
        self.set_state(ReadyState::Connecting);
        self.phase = Phase::Wait(delay);
        Some(Ok(SourceEvent::Reconnecting { delay, cause }))
    }

    pub(super) async fn next(&mut self) -> Option<Result<SourceEvent, Failure>> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::Wait(delay) => {
                    tokio::time::sleep(delay).await;
                    self.phase = Phase::Connect;
                }
                Phase::Connect => {
                    self.set_state(ReadyState::Connecting);
                    let limit = self.config.connect_timeout;
                    let attempt = async {
                        match self.config.idle_timeout {
                            Some(idle) => tokio::time::timeout(idle, self.connect())
                                .await
                                .unwrap_or(Err(Attempt::Retry(Disconnect::IdleTimeout(idle)))),
                            None => self.connect().await,
                        }
                    };
                    let attempt = tokio::time::timeout(limit, attempt)
                        .await
                        .unwrap_or(Err(Attempt::Retry(Disconnect::ConnectTimeout(limit))));
                    match attempt {
                        Ok(incoming) => {
                            let limits = self.config.limits;
                            let parser =
                                (self.parser.take()).unwrap_or_else(|| Parser::with_limits(limits));
                            let body = BodyDataStream::new(incoming);
                            self.body = Some(EventStream::with_parser(body, parser));
                            self.phase = Phase::Streaming;
                            self.set_state(ReadyState::Open);
                            return Some(Ok(SourceEvent::Open));
                        }
                        Err(Attempt::Fatal(failure)) => return self.fail(failure),
                        Err(Attempt::Retry(cause)) => return self.reconnect(cause),
                    }
                }
                Phase::Streaming => {
                    let body = self.body.as_mut()?;
                    let item = match self.config.idle_timeout {
                        Some(idle) => tokio::time::timeout(idle, body.next())
                            .await
                            .map_err(|_| Disconnect::IdleTimeout(idle)),
                        None => Ok(body.next().await),
                    };
                    return match item {
                        Ok(Some(Ok(event))) => {
                            self.failures = 0;
                            Some(Ok(SourceEvent::Message(event)))
                        }
                        Ok(Some(Err(StreamError::Limit(limit)))) => {
                            Some(Ok(SourceEvent::Skipped(limit)))
                        }
                        Ok(Some(Err(StreamError::Source(e)))) => {
                            self.reconnect(Disconnect::Network(Cause::from_boxed(e)))
                        }
                        Ok(None) => self.reconnect(Disconnect::Closed),
                        Err(idle) => self.reconnect(idle),
                    };
                }
            }
        }
    }

    /// One attempt: connect, follow redirects, check the final response.
    async fn connect(&mut self) -> Result<ResponseBody, Attempt> {
        let mut url = self.url.clone().map_err(Attempt::Fatal)?;
        // The origin the user's headers are meant for: the constructor's URL's.
        let origin = Url::parse(&self.config.url).ok().map(|u| u.origin());
        let mut extra = self.config.fixed_headers.clone();
        if let Some(make) = &self.config.headers {
            // `extend` replaces a fixed header by the per-attempt one of the same name.
            extra.extend(make());
        }
        let mut method = self.method();
        let mut body = match (&self.config.body, self.as_get) {
            (Some(make), false) => make(),
            _ => Bytes::new(),
        };
        if self.as_get {
            remove_body_headers(&mut extra);
        }
        let last_event_id = self.parser().last_event_id().to_owned();
        for _ in 0..=MAX_REDIRECTS {
            // As fetch does: credentials do not follow a redirect to another origin, nor do
            // they go there on a reconnection to where the redirect led.
            if origin
                .as_ref()
                .is_some_and(|origin| *origin != url.origin())
            {
                extra.remove(http::header::AUTHORIZATION);
            }
            let request = Outgoing {
                method: &method,
                url: &url,
                headers: &extra,
                body: body.clone(),
                last_event_id: &last_event_id,
            };
            let response = fetch(&*self.transport, request).await?;
            let status = response.status();
            if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                // Fetch's HTTP-redirect fetch, step 12: these become a GET without a body.
                let to_get = (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
                    || (status == StatusCode::SEE_OTHER
                        && method != Method::GET
                        && method != Method::HEAD);
                if to_get {
                    method = Method::GET;
                    body = Bytes::new();
                    remove_body_headers(&mut extra);
                    self.as_get = true;
                }
                let redirect = |e| Attempt::Fatal(Failure::Redirect(e));
                let location = response
                    .headers()
                    .get(LOCATION)
                    .ok_or_else(|| redirect(RedirectError::NoLocation(status)))?
                    .to_str()
                    .map_err(|e| {
                        redirect(RedirectError::LocationNotAscii {
                            status,
                            cause: Cause::new(e),
                        })
                    })?;
                url = resolve(&url, location).map_err(|error| {
                    redirect(RedirectError::BadLocation {
                        location: location.to_owned(),
                        error,
                    })
                })?;
                // Reconnections go to where the redirects led (fetch's current URL).
                self.url = Ok(url.clone());
                continue;
            }
            if status != StatusCode::OK {
                return Err(Attempt::Fatal(Failure::Status(status)));
            }
            let content_type = response.headers().get(CONTENT_TYPE);
            if !content_type.is_some_and(is_event_stream) {
                let shown = content_type.map(|v| String::from_utf8_lossy(v.as_bytes()).into());
                return Err(Attempt::Fatal(Failure::ContentType(shown)));
            }
            // The request says `Accept-Encoding: identity`; a server that compresses anyway
            // sends bytes the parser would read as no events at all, and would again.
            if let Some(coding) = response.headers().get(CONTENT_ENCODING) {
                if !coding
                    .as_bytes()
                    .trim_ascii()
                    .eq_ignore_ascii_case(b"identity")
                {
                    let shown = String::from_utf8_lossy(coding.as_bytes()).into_owned();
                    return Err(Attempt::Fatal(Failure::ContentEncoding(shown)));
                }
            }
            return Ok(response.into_body());
        }
        Err(Attempt::Fatal(Failure::Redirect(RedirectError::TooMany)))
    }
}

/// `text/event-stream`, any case, parameters allowed (the MIME type's essence).
fn is_event_stream(value: &HeaderValue) -> bool {
    let essence = value.as_bytes().split(|&b| b == b';').next().unwrap_or(b"");
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

/// Drops the headers that describe a body, when a redirect drops the body (fetch's
/// request-body-header names).
fn remove_body_headers(headers: &mut HeaderMap) {
    for name in [
        CONTENT_ENCODING,
        CONTENT_LANGUAGE,
        CONTENT_LOCATION,
        CONTENT_TYPE,
        CONTENT_LENGTH,
    ] {
        headers.remove(name);
    }
}

/// What one attempt sends.
struct Outgoing<'a> {
    method: &'a Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    body: Bytes,
    last_event_id: &'a str,
}

/// One request through the transport.
async fn fetch(
    transport: &dyn Transport,
    outgoing: Outgoing<'_>,
) -> Result<Response<ResponseBody>, Attempt> {
    let Outgoing {
        method,
        url,
        headers: extra,
        body,
        last_event_id,
    } = outgoing;
    let bad_url = |e: UrlError| Attempt::Fatal(Failure::Url(e));
    // Fetch's schemes for an HTTP request; anything else cannot give an event stream.
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_url(UrlError::UnsupportedScheme(url.clone())));
    }
    if url.host().is_none() {
        return Err(bad_url(UrlError::NoHost(url.clone())));
    }
    let invalid = |e: http::Error| {
        bad_url(UrlError::Invalid {
            url: url.to_string(),
            cause: Cause::new(e),
        })
    };
    let uri = request_uri(url).map_err(invalid)?;
    let mut request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(body)
        .map_err(invalid)?;
    let headers = request.headers_mut();
    headers.extend(extra.clone());
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Events must reach the parser as they are sent; see the Content-Encoding check.
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    if !last_event_id.is_empty() {
        // The `http` crate refuses control characters other than tab in a header value; an
        // ID holding one cannot be sent, and is left out rather than failing the attempt.
        if let Ok(value) = HeaderValue::from_bytes(last_event_id.as_bytes()) {
            headers.insert("last-event-id", value);
        }
    }
    transport.send(request).await.map_err(|e| match e {
        TransportError::Network(cause) => Attempt::Retry(Disconnect::Network(cause)),
        TransportError::Tls(cause) => Attempt::Fatal(Failure::Tls(cause)),
        TransportError::UnsupportedScheme => bad_url(UrlError::UnsupportedScheme(url.clone())),
    })
}

/// The URI a request for `url` is made with: the URL without its fragment, which fetch never
/// sends.
fn request_uri(url: &Url) -> Result<Uri, http::Error> {
    let mut url = url.clone();
    url.set_fragment(None);
    Ok(url.as_str().parse::<Uri>()?)
}

/// Resolves a `Location` against the URL it came from, as RFC 3986 §5.2 (and the WHATWG URL
/// parser fetch uses) do: any reference form, with `.` and `..` segments removed.
fn resolve(base: &Url, location: &str) -> Result<Url, url::ParseError> {
    base.join(location)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Backoff;

    #[test]
    fn content_type_essence_is_compared_without_case_or_parameters() {
        let ok = [
            "text/event-stream",
            "Text/Event-Stream",
            "text/event-stream; charset=utf-8",
        ];
        for value in ok {
            assert!(is_event_stream(&HeaderValue::from_static(value)), "{value}");
        }
        let bad = [
            "text/plain",
            "text/event-streams",
            "text/event-stream2;",
            "",
        ];
        for value in bad {
            assert!(
                !is_event_stream(&HeaderValue::from_static(value)),
                "{value}"
            );
        }
    }

    #[test]
    fn locations_resolve_like_urls() {
        let base = Url::parse("http://h:1/a/b?q").unwrap();
        let cases = [
            ("http://x/y", "http://x/y"),
            ("//x:2/y", "http://x:2/y"),
            ("/z", "http://h:1/z"),
            ("?r", "http://h:1/a/b?r"),
            ("c", "http://h:1/a/c"),
            ("#f", "http://h:1/a/b?q#f"),
            // Dot segments are removed (RFC 3986 §5.2.4), never sent.
            ("../c/./d", "http://h:1/c/d"),
            ("./../../x/..", "http://h:1/"),
            ("/a/%2e%2E/z", "http://h:1/z"),
            ("HTTP://X/Y", "http://x/Y"),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve(&base, location).unwrap().as_str(), expected);
        }
    }

    #[test]
    fn a_location_that_does_not_parse_keeps_the_parse_error() {
        let base = Url::parse("http://h:1/a").unwrap();
        assert_eq!(
            resolve(&base, "http://[bad"),
            Err(url::ParseError::InvalidIpv6Address)
        );
    }

    /// Issue 24: `location.contains("://")` took this relative reference for an absolute URL
    /// because its query holds one.
    #[test]
    fn a_relative_location_whose_query_holds_a_url_stays_relative() {
        let base = Url::parse("http://h:1/a/b").unwrap();
        let resolved = resolve(&base, "/login?next=https://x").unwrap();
        assert_eq!(resolved.as_str(), "http://h:1/login?next=https://x");
        let resolved = resolve(&base, "login?next=https://x/y").unwrap();
        assert_eq!(resolved.as_str(), "http://h:1/a/login?next=https://x/y");
    }

    #[test]
    fn the_fragment_is_not_sent() {
        let url = Url::parse("http://h:1/a?q#frag").unwrap();
        assert_eq!(request_uri(&url).unwrap().to_string(), "http://h:1/a?q");
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_jitter_stays_in_the_upper_half() {
        let backoff = Backoff::exponential(Duration::from_secs(8));
        let base = Duration::from_secs(1);
        assert_eq!(backoff.jitter(false).delay(base, 1), base);
        assert_eq!(backoff.jitter(false).delay(base, 2), base * 2);
        assert_eq!(
            backoff.jitter(false).delay(base, 99),
            Duration::from_secs(8)
        );
        for failures in 1..10 {
            let full = backoff.jitter(false).delay(base, failures);
            let jittered = backoff.delay(base, failures);
            assert!(
                jittered >= full / 2 && jittered <= full,
                "{failures}: {jittered:?}"
            );
        }
    }
}
