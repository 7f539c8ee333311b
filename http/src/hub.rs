//! Publish once, deliver to every subscriber; replay what a reconnecting client missed.
//!
//! Policy, in one place:
//! - Every event is encoded once; all queues and the replay buffer share its bytes.
//! - The hub numbers events 1, 2, 3 … and writes the number as the event's `id`, so that a
//!   reconnecting client's `Last-Event-ID` says exactly where it stopped.
//! - Each subscriber may fall at most [`HubConfig::queue`] events behind. One that falls
//!   further is disconnected, not buffered for: its stream ends, [`Subscription::lagged`] says
//!   why, and the client reconnects with its `Last-Event-ID` and catches up from the replay
//!   buffer. Memory is bounded by the queue and replay sizes, not by the slowest reader.
//! - A `Last-Event-ID` older than the replay buffer (or not one of this hub's IDs) gets an
//!   explicit `events-lost` event first, then everything the buffer still holds.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_core::Stream;
use http::{HeaderMap, Response};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::body::{SseBody, SseFrame};

/// The event type of the frame that tells a resuming client that events were lost.
pub const EVENTS_LOST: &str = "events-lost";

/// Sizes of a [`Hub`]'s buffers.
///
/// ```
/// let config = ssewire_http::HubConfig::default().replay(4096).queue(64);
/// assert_eq!((config.replay_len(), config.queue_len()), (4096, 64));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubConfig {
    replay: usize,
    queue: usize,
}

impl Default for HubConfig {
    /// Replay the last 1024 events; let a subscriber fall 256 events behind.
    fn default() -> Self {
        HubConfig {
            replay: 1024,
            queue: 256,
        }
    }
}

impl HubConfig {
    /// How many of the latest events are kept for clients that reconnect (0 keeps none).
    ///
    /// ```
    /// assert_eq!(ssewire_http::HubConfig::default().replay(10).replay_len(), 10);
    /// ```
    #[must_use]
    pub fn replay(mut self, events: usize) -> Self {
        self.replay = events;
        self
    }

    /// How many events a subscriber may fall behind before it is disconnected (at least 1).
    ///
    /// ```
    /// assert_eq!(ssewire_http::HubConfig::default().queue(0).queue_len(), 1);
    /// ```
    #[must_use]
    pub fn queue(mut self, events: usize) -> Self {
        self.queue = events.max(1);
        self
    }

    /// The replay buffer's length.
    ///
    /// ```
    /// assert_eq!(ssewire_http::HubConfig::default().replay_len(), 1024);
    /// ```
    pub fn replay_len(&self) -> usize {
        self.replay
    }

    /// The per-subscriber queue's length.
    ///
    /// ```
    /// assert_eq!(ssewire_http::HubConfig::default().queue_len(), 256);
    /// ```
    pub fn queue_len(&self) -> usize {
        self.queue
    }
}

/// [`Hub::publish`] after [`Hub::close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubClosed;

impl fmt::Display for HubClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the hub is closed: nothing more can be published")
    }
}

impl std::error::Error for HubClosed {}

/// A broadcast hub for one event stream. Cloning it gives another handle to the same hub.
///
/// ```
/// use futures_util::StreamExt;
/// use ssewire_http::{Hub, HubConfig};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let hub = Hub::new(HubConfig::default());
/// hub.publish(ssewire_encoder::Event::new("first"))?;
/// let mut late = hub.subscribe(Some("0")); // saw nothing yet: gets "first" replayed
/// hub.publish(ssewire_encoder::Event::new("second"))?;
/// hub.close();
/// let frames: Vec<_> = late.by_ref().collect().await;
/// assert_eq!(frames[0].as_bytes(), &b"id: 1\ndata: first\n\n"[..]);
/// assert_eq!(frames[1].as_bytes(), &b"id: 2\ndata: second\n\n"[..]);
/// assert_eq!(frames.len(), 2);
/// # Ok::<(), ssewire_http::HubClosed>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: HubConfig,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The ID of the latest event published (0: none yet).
    last_id: u64,
    replay: VecDeque<(u64, SseFrame)>,
    /// `None` once closed: dropping it ends every subscription after its queue drains.
    sender: Option<broadcast::Sender<SseFrame>>,
}

/// Where a new subscription starts, against what its client asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resume {
    /// No `Last-Event-ID`: live events only.
    Fresh,
    /// The requested ID was found: this many missed events are replayed first.
    Replayed(usize),
    /// The requested ID is older than the replay buffer or not one of this hub's. The
    /// subscription starts with an [`EVENTS_LOST`] event whose data is the requested ID, then
    /// replays the whole buffer (`replayed` events); events between are gone.
    Lost {
        /// The `Last-Event-ID` the client sent.
        requested: String,
        /// How many events the whole buffer replays.
        replayed: usize,
    },
}

impl Hub {
    /// An empty hub.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(ssewire_http::HubConfig::default());
    /// assert_eq!(hub.subscriber_count(), 0);
    /// ```
    pub fn new(config: HubConfig) -> Self {
        let (sender, _) = broadcast::channel(config.queue);
        Hub {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(State {
                    last_id: 0,
                    replay: VecDeque::with_capacity(config.replay.min(4096)),
                    sender: Some(sender),
                }),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state consistent (every update is a
        // single push or pop), so a poisoned lock is still usable.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `event` to every subscriber and keeps it for replay. The hub sets its `id` to the
    /// next number (any `id` already on it is replaced) and returns that number.
    ///
    /// # Errors
    /// [`HubClosed`] after [`Hub::close`].
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// assert_eq!(hub.publish(ssewire_encoder::Event::new("x")), Ok(1));
    /// assert_eq!(hub.publish(ssewire_encoder::Event::new("y")), Ok(2));
    /// ```
    pub fn publish(&self, event: ssewire_encoder::Event<'_>) -> Result<u64, HubClosed> {
        let mut state = self.state();
        if state.sender.is_none() {
            return Err(HubClosed);
        }
        let id = state.last_id + 1;
        let digits = id.to_string();
        let event = event.id(&digits).expect("decimal digits are a valid id");
        let frame = SseFrame::event(&event);
        state.last_id = id;
        if self.shared.config.replay > 0 {
            if state.replay.len() == self.shared.config.replay {
                state.replay.pop_front();
            }
            state.replay.push_back((id, frame.clone()));
        }
        if let Some(sender) = &state.sender {
            // No subscribers is not an error: the event is still kept for replay.
            let _ = sender.send(frame);
        }
        Ok(id)
    }

    /// A subscription starting after `last_event_id` (the client's `Last-Event-ID`, if any).
    /// Replay and live events meet without a gap or a duplicate: both are taken under one lock.
    ///
    /// ```
    /// use ssewire_http::{Hub, Resume};
    /// let hub = Hub::new(Default::default());
    /// assert_eq!(hub.subscribe(None).resume(), &Resume::Fresh);
    /// assert!(matches!(hub.subscribe(Some("99")).resume(), Resume::Lost { .. }));
    /// ```
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        let state = self.state();
        let live = state
            .sender
            .as_ref()
            .map(|sender| BroadcastStream::new(sender.subscribe()));
        let requested = last_event_id.filter(|id| !id.is_empty());
        let (resume, backlog) = match requested {
            None => (Resume::Fresh, VecDeque::new()),
            Some(id) => {
                let oldest_kept = state.replay.front().map_or(state.last_id + 1, |(n, _)| *n);
                match id.parse::<u64>() {
                    // Known and still covered: everything after it is in the buffer.
                    Ok(n) if n <= state.last_id && n + 1 >= oldest_kept => {
                        let backlog: VecDeque<SseFrame> = state
                            .replay
                            .iter()
                            .filter(|(m, _)| *m > n)
                            .map(|(_, frame)| frame.clone())
                            .collect();
                        (Resume::Replayed(backlog.len()), backlog)
                    }
                    _ => {
                        let lost = ssewire_encoder::Event::new(id)
                            .event_type(EVENTS_LOST)
                            .expect("a constant, valid event type");
                        let mut backlog = VecDeque::with_capacity(state.replay.len() + 1);
                        backlog.push_back(SseFrame::event(&lost));
                        backlog.extend(state.replay.iter().map(|(_, frame)| frame.clone()));
                        let resume = Resume::Lost {
                            requested: id.to_owned(),
                            replayed: backlog.len() - 1,
                        };
                        (resume, backlog)
                    }
                }
            }
        };
        Subscription {
            backlog,
            live,
            resume,
            lagged: false,
        }
    }

    /// A `200 OK` event-stream response for a request with these headers: a subscription that
    /// resumes after its `Last-Event-ID`, in an [`SseBody`] with the default keep-alive.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// let response = hub.respond(&http::HeaderMap::new());
    /// assert_eq!(response.headers()["content-type"], "text/event-stream");
    /// ```
    pub fn respond(&self, request_headers: &HeaderMap) -> Response<SseBody<Subscription>> {
        let last_event_id = request_headers
            .get("last-event-id")
            .and_then(|value| value.to_str().ok());
        SseBody::new(self.subscribe(last_event_id)).into_response()
    }

    /// Ends the stream gracefully: nothing more can be published, and every subscription
    /// ends once it has delivered what was already published.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// hub.close();
    /// assert!(hub.publish(ssewire_encoder::Event::new("late")).is_err());
    /// ```
    pub fn close(&self) {
        self.state().sender = None;
    }

    /// How many subscriptions are live.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// let _subscription = hub.subscribe(None);
    /// assert_eq!(hub.subscriber_count(), 1);
    /// ```
    pub fn subscriber_count(&self) -> usize {
        self.state()
            .sender
            .as_ref()
            .map_or(0, broadcast::Sender::receiver_count)
    }

    /// The ID of the latest event published, 0 before the first.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// assert_eq!(hub.last_id(), 0);
    /// ```
    pub fn last_id(&self) -> u64 {
        self.state().last_id
    }
}

/// One subscriber's stream of [`SseFrame`]s: its replay first, then live events. It ends when the
/// hub closes (after delivering everything published before) or when the subscriber fell more
/// than [`HubConfig::queue`] events behind ([`Subscription::lagged`]).
///
/// ```
/// use futures_util::StreamExt;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let hub = ssewire_http::Hub::new(Default::default());
/// let mut subscription = hub.subscribe(None);
/// hub.publish(ssewire_encoder::Event::new("hi")).unwrap();
/// let frame = subscription.next().await.unwrap();
/// assert_eq!(frame.as_bytes(), &b"id: 1\ndata: hi\n\n"[..]);
/// # });
/// ```
pub struct Subscription {
    backlog: VecDeque<SseFrame>,
    live: Option<BroadcastStream<SseFrame>>,
    resume: Resume,
    lagged: bool,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("backlog", &self.backlog.len())
            .field("live", &self.live.is_some())
            .field("resume", &self.resume)
            .field("lagged", &self.lagged)
            .finish()
    }
}

impl Subscription {
    /// Where this subscription started, against the requested ID.
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// assert_eq!(hub.subscribe(Some("0")).resume(), &ssewire_http::Resume::Replayed(0));
    /// ```
    pub fn resume(&self) -> &Resume {
        &self.resume
    }

    /// The subscription ended because it fell too far behind (the slow-subscriber policy).
    ///
    /// ```
    /// let hub = ssewire_http::Hub::new(Default::default());
    /// assert!(!hub.subscribe(None).lagged());
    /// ```
    pub fn lagged(&self) -> bool {
        self.lagged
    }
}

impl Stream for Subscription {
    type Item = SseFrame;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SseFrame>> {
        if let Some(frame) = self.backlog.pop_front() {
            return Poll::Ready(Some(frame));
        }
        let Some(live) = &mut self.live else {
            return Poll::Ready(None);
        };
        match Pin::new(live).poll_next(cx) {
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Some(frame)),
            Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(_)))) => {
                self.lagged = true;
                self.live = None;
                Poll::Ready(None)
            }
            Poll::Ready(None) => {
                self.live = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
