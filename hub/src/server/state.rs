//! What every request shares: the configuration, the verifier, the history, the bus that
//! fans updates out to the streams, the counters, and the registry of active subscriptions.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use ssewire_http::SseFrame;
use tokio::sync::watch;

use crate::auth::{Grants, Verifier};
use crate::config::HubConfig;
use crate::matcher::Matcher;
use crate::store::{History, RedisHistory, StoreError, UpdateRecord};
use crate::topic::Topic;
use crate::update::Update;

use super::fanout::Fanout;
use super::metrics::Metrics;

/// One published update on its way to the streams.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// Its place in the history.
    pub(crate) seq: u64,
    /// The update, for matching and authorization.
    pub(crate) update: Update,
    /// Its bytes, encoded once.
    pub(crate) frame: SseFrame,
}

/// Why a publish could not be stored.
#[derive(Debug)]
pub(crate) enum DispatchError {
    /// The history refused it (an update heavier than the whole history's byte bound).
    TooLarge,
    /// The history failed: the publish is not acknowledged (503).
    Store(StoreError),
    /// The task that writes the history panicked (503).
    Panicked,
}

impl std::fmt::Display for DispatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DispatchError::TooLarge => f.write_str("the update is heavier than the history holds"),
            DispatchError::Store(e) => write!(f, "the history failed: {e}"),
            DispatchError::Panicked => f.write_str("the history task panicked"),
        }
    }
}

/// One active subscription, as the subscriptions API and subscription events show it; made
/// from a stream's [`Filter`] when needed.
#[derive(Clone, Debug)]
pub(crate) struct ActiveSubscription {
    pub(crate) match_type: &'static str,
    pub(crate) matcher: String,
    pub(crate) subscriber: Arc<str>,
    pub(crate) payload: Option<serde_json::Value>,
}

/// Which updates one stream gets: its matchers and its token's grants. Shared by the stream
/// and, with active subscriptions on, the registry, so that each stream's state exists once.
pub(crate) struct Filter {
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) grants: Grants,
    pub(crate) anonymous: bool,
}

impl Filter {
    /// A matcher selects it (Mercure-08 §Subscription SUB-10) and, when private, the token
    /// may receive one of its topics (§Subscribers SB-1); an anonymous stream never gets a
    /// private update.
    pub(crate) fn wants(&self, update: &Update) -> bool {
        self.matchers.iter().any(|m| m.matches_any(&update.topics))
            && (!update.private || (!self.anonymous && self.grants.may_receive(&update.topics)))
    }

    /// The stream's active subscriptions, one per matcher (Mercure-08 §Active Subscriptions).
    pub(crate) fn active(&self, subscriber: &Arc<str>) -> Vec<ActiveSubscription> {
        self.matchers
            .iter()
            .map(|m| ActiveSubscription {
                match_type: m.match_type().name(),
                matcher: m.as_str().to_owned(),
                subscriber: subscriber.clone(),
                payload: self.grants.payload_for(m.as_str()).cloned(),
            })
            .collect()
    }
}

pub(crate) struct State {
    pub(crate) config: HubConfig,
    pub(crate) verifier: Verifier,
    pub(crate) history: Arc<dyn History>,
    /// The open streams, indexed by topic.
    pub(crate) fanout: Fanout,
    /// Appends and fan-out happen in one order: seq order is delivery order.
    pub(crate) publish_order: tokio::sync::Mutex<()>,
    pub(crate) metrics: Metrics,
    /// Open streams per token subject, for [`crate::limits::Limits::max_streams_per_token`].
    pub(crate) streams_per_token: Mutex<HashMap<Arc<str>, usize>>,
    /// Active subscriptions, by subscriber id.
    pub(crate) subscriptions: Mutex<HashMap<Arc<str>, Arc<Filter>>>,
    /// With `--transport redis://…`: the shared stream, whose reader hands every update to
    /// the fan-out (this node's own publishes too, in the stream's order).
    pub(crate) shared_log: Option<Arc<RedisHistory>>,
    /// Becomes true when the hub starts draining (the dashboard stops; streams end through
    /// [`Fanout::close`]).
    pub(crate) draining: watch::Receiver<bool>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    /// Stores `update` (giving it an id when it has none), then sends it to the streams.
    /// Returns once the history has it: for the file history, once it is fsynced.
    pub(crate) async fn dispatch(&self, mut update: Update) -> Result<String, DispatchError> {
        if update.id.is_empty() {
            // Random, not time-ordered: ids are cursors that subscribers who may not read an
            // update can still see (Mercure-08 §Reconnection RC-12).
            update.id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        }
        let record = UpdateRecord {
            id: update.id.clone(),
            topics: update
                .topics
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            private: update.private,
            event_type: update.event_type.clone(),
            retry: update.retry,
            data: update.data.clone(),
            published_at_ms: crate::store::unix_millis(std::time::SystemTime::now()),
        };
        let frame = update.to_frame();
        // One node: the lock makes the history's order the fan-out's. Several: Redis orders
        // the appends (each is one atomic script) and the stream's reader delivers in that
        // order, so appends may run side by side, and Redis can commit them together.
        let _order = match self.shared_log {
            None => Some(self.publish_order.lock().await),
            Some(_) => None,
        };
        let history = self.history.clone();
        let seq = tokio::task::spawn_blocking(move || history.append(&record))
            .await
            .map_err(|_| DispatchError::Panicked)?
            .map_err(|e| match e {
                StoreError::TooLarge { .. } => DispatchError::TooLarge,
                e => DispatchError::Store(e),
            })?;
        let id = update.id.clone();
        self.metrics.published.fetch_add(1, Ordering::Relaxed);
        // Several nodes: the stream's reader delivers it, here and everywhere else.
        if self.shared_log.is_none() {
            // No stream listening is fine: the history has it for those who come back.
            self.deliver(Arc::new(Delivery { seq, update, frame }));
        }
        Ok(id)
    }

    /// Hands a stored update to the local streams that may want it; counts those dropped
    /// for lagging.
    pub(crate) fn deliver(&self, delivery: Arc<Delivery>) {
        let max_bytes = self.config.limits.max_queued_bytes as u64;
        let sent = self.fanout.send(&delivery, max_bytes);
        if sent.lagged > 0 {
            self.metrics
                .lag_disconnects
                .fetch_add(sent.lagged as u64, Ordering::Relaxed);
        }
    }

    /// An update as the history keeps it, back into the server's form.
    pub(crate) fn update_from_record(&self, record: UpdateRecord) -> Update {
        let hub = self.config.hub_url();
        Update {
            topics: record
                .topics
                .into_iter()
                .map(|t| Topic::new(t, hub))
                .collect(),
            data: record.data,
            private: record.private,
            id: record.id,
            event_type: record.event_type,
            retry: record.retry,
        }
    }

    /// Publishes a subscription event (Mercure-08 §Subscription Events SE-1..SE-7): private,
    /// SSE type `mercure`, on the subscription's own topic.
    pub(crate) async fn subscription_event(&self, subscription: &ActiveSubscription, active: bool) {
        if !self.config.subscriptions {
            return;
        }
        let topic = subscription_topic(
            self.config.hub_url().path(),
            subscription.match_type,
            &subscription.matcher,
            &subscription.subscriber,
        );
        let document = subscription_document(&topic, subscription, active);
        let update = Update {
            topics: vec![Topic::new(topic, self.config.hub_url())],
            data: document.to_string(),
            private: true,
            id: String::new(),
            event_type: Some("mercure".into()),
            retry: None,
        };
        if let Err(e) = self.dispatch(update).await {
            tracing::warn!("subscription event not stored: {e}");
        }
    }
}

/// `<hub path>/subscriptions/{match_type}/{match}/{subscriber}`, each variable
/// percent-encoded exactly once (Mercure-08 §Subscription Events SE-2, SE-4).
pub(crate) fn subscription_topic(
    hub_path: &str,
    match_type: &str,
    matcher: &str,
    subscriber: &str,
) -> String {
    format!(
        "{hub_path}/subscriptions/{match_type}/{}/{}",
        encode_component(matcher),
        encode_component(subscriber)
    )
}

/// Everything outside the unreserved set (`A-Z a-z 0-9 - . _ ~`) percent-encoded.
pub(crate) fn encode_component(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}

/// The JSON document of a subscription (Mercure-08 §Subscription Events SE-5).
pub(crate) fn subscription_document(
    topic: &str,
    subscription: &ActiveSubscription,
    active: bool,
) -> serde_json::Value {
    let mut document = serde_json::json!({
        "id": topic,
        "type": "subscription",
        "match_type": subscription.match_type,
        "match": subscription.matcher,
        "subscriber": &*subscription.subscriber,
        "active": active,
    });
    if let Some(payload) = &subscription.payload {
        document["payload"] = payload.clone();
    }
    document
}
