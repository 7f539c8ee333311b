//! `GET` (or `QUERY`) on the hub URL (Mercure-08 §Subscription): authenticate, parse the
//! matchers and the cursor, replay from the history, then stream live updates, each one
//! checked against the matchers and, when private, against the token's grants.
//!
//! Nothing is lost or sent twice between replay and live: the stream joins the fan-out before
//! it reads the history, then skips live updates whose seq the replay already covered.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::routes::RequestBody;
use bytes::Bytes;
use futures_util::Stream;
use http::header::{HeaderValue, CACHE_CONTROL};
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use ssewire_http::{SseBody, SseFrame};

use crate::auth::{AccessToken, AuthError, Grants, Role};
use crate::store::{self, Cursor as StoreCursor};
use crate::subscribe::{self, Cursor};

use super::fanout::Inbox;
use super::publish::query_pairs;
use super::routes::{auth_failure, text, HubBody};
use super::state::{lock, Filter, State};

pub(crate) async fn handle(state: &Arc<State>, request: Request<RequestBody>) -> Response<HubBody> {
    let (parts, body) = request.into_parts();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let presented = state
        .verifier
        .presented(&parts.headers, &query_pairs(Some(&raw_query)));
    // A token that is presented but invalid is refused even when anonymous subscribers are
    // allowed: never a silent fall back to public updates.
    let token = match state.verifier.authenticate(Role::Subscriber, &presented) {
        Ok(token) => token,
        Err(e) => return auth_failure(state, &e),
    };
    if token.is_none() && !state.config.anonymous {
        return auth_failure(state, &AuthError::MissingToken);
    }
    let limits = &state.config.limits;
    let body = if parts.method == Method::GET || parts.method == Method::HEAD {
        Bytes::new()
    } else {
        let read = Limited::new(body, limits.max_body_bytes).collect();
        match tokio::time::timeout(limits.body_read_timeout, read).await {
            Err(_) => return text(408, "the request body did not arrive in time"),
            Ok(Err(_)) => {
                return text(
                    400,
                    format!("body larger than {} bytes", limits.max_body_bytes),
                )
            }
            Ok(Ok(collected)) => collected.to_bytes(),
        }
    };
    let request = match subscribe::parse(
        &raw_query,
        &body,
        &parts.headers,
        state.config.hub_url(),
        limits,
        state.config.verifier.legacy,
    ) {
        Ok(request) => request,
        Err(e) => return text(e.status(), e.to_string()),
    };
    let Some(slot) = StreamSlot::take(state, token.as_ref()) else {
        return text(
            429,
            format!(
                "more than {} open streams for this token",
                limits.max_streams_per_token
            ),
        );
    };
    // Join the fan-out before reading the history, so nothing published meanwhile is missed.
    let Some(inbox) = state.fanout.join(&request.matchers) else {
        return text(503, "the hub is shutting down; reconnect to another");
    };
    let lifetime = stream_lifetime(state.config.limits.max_stream_lifetime, token.as_ref());
    let anonymous = token.is_none();
    let grants = token.map_or_else(|| Grants::none(state.config.hub_url()), |t| t.grants);
    let filter = Filter {
        matchers: request.matchers,
        grants,
        anonymous,
    };
    let mut replay = VecDeque::new();
    let mut replayed_up_to = 0;
    let mut cursor_header = None;
    if let Some(cursor) = request.last_event_id {
        match cursor {
            // Sent but empty: the header answers, nothing is replayed.
            None => cursor_header = Some(store::EARLIEST.to_owned()),
            Some(cursor) => {
                let cursor = match cursor {
                    Cursor::Earliest => StoreCursor::Earliest,
                    Cursor::After(id) => StoreCursor::Id(id),
                };
                let history = state.history.clone();
                let max = usize::try_from(history.limits().max_updates).unwrap_or(usize::MAX);
                let read =
                    tokio::task::spawn_blocking(move || history.read_after(&cursor, max)).await;
                match read {
                    Ok(Ok(read)) => {
                        cursor_header = Some(read.mercure_last_event_id().to_owned());
                        for stored in read.updates {
                            replayed_up_to = stored.seq;
                            let update = state.update_from_record(stored.update);
                            // Mercure-08 §Reconnection RC-6: the current token decides.
                            if filter.wants(&update) {
                                replay.push_back(update.to_frame());
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::error!("history read failed: {e}");
                        return text(503, "the history cannot be read; try again");
                    }
                    Err(_) => return text(503, "the history cannot be read; try again"),
                }
            }
        }
    }
    // The subscriptions registry holds the one copy of what the API and the events show.
    let filter = Arc::new(filter);
    let subscriber = if state.config.subscriptions {
        let subscriber: Arc<str> = format!("urn:uuid:{}", uuid::Uuid::new_v4()).into();
        // Listed before its events go out, so whoever reacts to an event finds it in the API.
        lock(&state.subscriptions).insert(subscriber.clone(), filter.clone());
        for subscription in &filter.active(&subscriber) {
            state.subscription_event(subscription, true).await;
        }
        Some(subscriber)
    } else {
        None
    };
    state.metrics.subscribers.fetch_add(1, Ordering::Relaxed);
    let frames = OpenStream {
        state: state.clone(),
        replay,
        replayed_up_to,
        inbox,
        filter,
        deadline: Box::pin(tokio::time::sleep(lifetime)),
        subscriber,
        _slot: slot,
    };
    let mut response = SseBody::new(frames)
        .keep_alive(state.config.heartbeat)
        .into_response()
        .map(|body| body.boxed_unsync());
    if let Some(value) = cursor_header.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response
            .headers_mut()
            .insert("mercure-last-event-id", value);
    }
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    response
}

/// How long a stream may stay open: the configured maximum, and never past the token's
/// `exp` (Mercure-08 §Subscribers SB-2).
fn stream_lifetime(max: Duration, token: Option<&AccessToken>) -> Duration {
    let Some(exp) = token.and_then(|t| t.expires_at) else {
        return max;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    max.min(Duration::from_secs(exp.saturating_sub(now)))
}

/// A token subject's share of the open streams, given back when the stream ends.
struct StreamSlot {
    state: Arc<State>,
    /// Shared with the count's key: one allocation per subject.
    key: Option<Arc<str>>,
}

impl StreamSlot {
    fn take(state: &Arc<State>, token: Option<&AccessToken>) -> Option<StreamSlot> {
        let key = match token {
            None => None,
            Some(t) => {
                let key = format!("{}\u{0}{}", t.issuer, t.subject.as_deref().unwrap_or(""));
                let mut open = lock(&state.streams_per_token);
                let max = state.config.limits.max_streams_per_token;
                let key = match open.get_key_value(key.as_str()) {
                    Some((_, &count)) if count >= max => return None,
                    Some((shared, _)) => shared.clone(),
                    None => Arc::from(key),
                };
                *open.entry(key.clone()).or_default() += 1;
                Some(key)
            }
        };
        Some(StreamSlot {
            state: state.clone(),
            key,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Some(key) = &self.key {
            let mut open = lock(&self.state.streams_per_token);
            if let Some(count) = open.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// One open event stream: the replay first, then live deliveries that pass the filter,
/// until the fan-out ends the queue (lag, drain) or the lifetime is over. A `Stream` by hand
/// rather than `stream::unfold`, which keeps a second copy of this state in its future.
struct OpenStream {
    state: Arc<State>,
    replay: VecDeque<SseFrame>,
    replayed_up_to: u64,
    inbox: Inbox,
    filter: Arc<Filter>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// The subscriber's id in the subscriptions registry, when that is on.
    subscriber: Option<Arc<str>>,
    _slot: StreamSlot,
}

impl Stream for OpenStream {
    type Item = SseFrame;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SseFrame>> {
        let open = self.get_mut();
        if let Some(frame) = open.replay.pop_front() {
            open.state.metrics.delivered.fetch_add(1, Ordering::Relaxed);
            return Poll::Ready(Some(frame));
        }
        if open.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        loop {
            let Some(delivery) = std::task::ready!(open.inbox.poll_recv(cx)) else {
                return Poll::Ready(None);
            };
            if delivery.seq <= open.replayed_up_to {
                continue;
            }
            if open.filter.wants(&delivery.update) {
                open.state.metrics.delivered.fetch_add(1, Ordering::Relaxed);
                return Poll::Ready(Some(delivery.frame.clone()));
            }
        }
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let state = &self.state;
        state.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
        state.fanout.leave(self.inbox.id, &self.filter.matchers);
        let Some(subscriber) = &self.subscriber else {
            return;
        };
        let Some(filter) = lock(&state.subscriptions).remove(subscriber) else {
            return;
        };
        let ended = filter.active(subscriber);
        let state = state.clone();
        // The stream may end outside a runtime (at shutdown): then there is nobody to tell.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for subscription in &ended {
                    state.subscription_event(subscription, false).await;
                }
            });
        }
    }
}
