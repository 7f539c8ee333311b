//! Fan-out: which open streams an update is handed to. Streams whose matchers are all exact
//! are indexed by topic, so an update reaches only the streams that name one of its topics,
//! plus those with a wildcard, URL Pattern or template matcher, which are scanned. A broadcast
//! channel would wake every stream for every update: with 10,000 streams that capped publishing
//! at about 130 updates/s and made connecting quadratic (each new stream's subscription event
//! woke all the others; docs/hub.md).
//!
//! Each stream has a bounded queue; one that falls behind by `capacity` updates or by
//! `max_bytes` queued bytes is dropped here, which ends it (it resumes from the history with
//! `Last-Event-ID`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::state::{lock, Delivery};
use crate::matcher::{MatchType, Matcher};

/// Updates a stream may have waiting before it counts as lagging.
pub(crate) const STREAM_QUEUE: usize = 1024;

/// A stream's end of the fan-out.
pub(crate) struct Inbox {
    pub(crate) id: u64,
    pub(crate) updates: mpsc::Receiver<Arc<Delivery>>,
    /// Bytes handed to this stream and not taken yet.
    pub(crate) queued: Arc<AtomicU64>,
}

struct Entry {
    sender: mpsc::Sender<Arc<Delivery>>,
    queued: Arc<AtomicU64>,
    topics: Vec<String>,
    scanned: bool,
}

#[derive(Default)]
struct Index {
    next_id: u64,
    streams: HashMap<u64, Entry>,
    by_topic: HashMap<String, Vec<u64>>,
    scanned: HashSet<u64>,
    closed: bool,
}

/// The streams, indexed by the exact topics they match.
#[derive(Default)]
pub(crate) struct Fanout {
    index: Mutex<Index>,
}

/// What one [`Fanout::send`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Streams the update was queued for (they still filter by grants).
    pub(crate) queued: usize,
    /// Streams dropped for lagging.
    pub(crate) lagged: usize,
}

impl Fanout {
    /// Registers a stream with these matchers; `None` once the hub is draining.
    pub(crate) fn join(&self, matchers: &[Matcher]) -> Option<Inbox> {
        let mut index = lock(&self.index);
        if index.closed {
            return None;
        }
        index.next_id += 1;
        let id = index.next_id;
        let scanned = matchers
            .iter()
            .any(|m| m.is_wildcard() || m.match_type() != MatchType::Exact);
        let mut topics: Vec<String> = if scanned {
            Vec::new()
        } else {
            matchers.iter().map(|m| m.as_str().to_owned()).collect()
        };
        topics.sort();
        topics.dedup();
        for topic in &topics {
            index.by_topic.entry(topic.clone()).or_default().push(id);
        }
        if scanned {
            index.scanned.insert(id);
        }
        let (sender, updates) = mpsc::channel(STREAM_QUEUE);
        let queued = Arc::new(AtomicU64::new(0));
        index.streams.insert(
            id,
            Entry {
                sender,
                queued: queued.clone(),
                topics,
                scanned,
            },
        );
        Some(Inbox {
            id,
            updates,
            queued,
        })
    }

    /// Unregisters a stream (when it ends for any reason).
    pub(crate) fn leave(&self, id: u64) {
        let mut index = lock(&self.index);
        remove(&mut index, id);
    }

    /// Hands `delivery` to every stream that may want it; drops the streams that lag.
    pub(crate) fn send(&self, delivery: &Arc<Delivery>, max_bytes: u64) -> Sent {
        let bytes = delivery.frame.as_bytes().len() as u64;
        let mut index = lock(&self.index);
        let mut targets: Vec<u64> = index.scanned.iter().copied().collect();
        for topic in &delivery.update.topics {
            if let Some(ids) = index.by_topic.get(topic.as_str()) {
                targets.extend_from_slice(ids);
            }
        }
        targets.sort_unstable();
        targets.dedup();
        let mut sent = Sent::default();
        let mut lagging = Vec::new();
        for id in targets {
            let Some(entry) = index.streams.get(&id) else {
                continue;
            };
            let behind = entry.queued.load(Ordering::Relaxed);
            if behind + bytes > max_bytes {
                lagging.push(id);
                continue;
            }
            match entry.sender.try_send(delivery.clone()) {
                Ok(()) => {
                    entry.queued.fetch_add(bytes, Ordering::Relaxed);
                    sent.queued += 1;
                }
                Err(mpsc::error::TrySendError::Full(_)) => lagging.push(id),
                Err(mpsc::error::TrySendError::Closed(_)) => remove(&mut index, id),
            }
        }
        for id in lagging {
            remove(&mut index, id);
            sent.lagged += 1;
        }
        sent
    }

    /// Ends every stream and refuses new ones: the drain.
    pub(crate) fn close(&self) {
        let mut index = lock(&self.index);
        index.closed = true;
        index.streams.clear();
        index.by_topic.clear();
        index.scanned.clear();
    }
}

fn remove(index: &mut Index, id: u64) {
    let Some(entry) = index.streams.remove(&id) else {
        return;
    };
    if entry.scanned {
        index.scanned.remove(&id);
    }
    for topic in entry.topics {
        if let Some(ids) = index.by_topic.get_mut(&topic) {
            ids.retain(|&other| other != id);
            if ids.is_empty() {
                index.by_topic.remove(&topic);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::Topic;
    use crate::update::Update;

    fn hub() -> url::Url {
        url::Url::parse("https://hub.example/.well-known/mercure").unwrap()
    }

    fn matcher(t: MatchType, v: &str) -> Matcher {
        Matcher::parse(t, v, &hub(), 4096).unwrap()
    }

    fn delivery(seq: u64, topics: &[&str], data: &str) -> Arc<Delivery> {
        let update = Update {
            topics: topics.iter().map(|t| Topic::new(*t, &hub())).collect(),
            data: data.into(),
            private: false,
            id: format!("urn:{seq}"),
            event_type: None,
            retry: None,
        };
        let frame = update.to_frame();
        Arc::new(Delivery { seq, update, frame })
    }

    #[test]
    fn an_update_is_queued_only_for_streams_that_name_its_topic_or_are_scanned() {
        let fanout = Fanout::default();
        let mut books = fanout
            .join(&[matcher(MatchType::Exact, "/books/1")])
            .unwrap();
        let mut authors = fanout
            .join(&[matcher(MatchType::Exact, "/authors/1")])
            .unwrap();
        let mut all = fanout.join(&[matcher(MatchType::Exact, "*")]).unwrap();
        let mut pattern = fanout
            .join(&[matcher(MatchType::UrlPattern, "/books/:id")])
            .unwrap();
        let sent = fanout.send(&delivery(1, &["/books/1", "/alt"], "x"), u64::MAX);
        assert_eq!(
            sent,
            Sent {
                queued: 3,
                lagged: 0
            }
        );
        assert!(books.updates.try_recv().is_ok());
        assert!(all.updates.try_recv().is_ok());
        assert!(pattern.updates.try_recv().is_ok());
        assert!(authors.updates.try_recv().is_err());
        // An alternate topic counts too.
        fanout.send(&delivery(2, &["/other", "/authors/1"], "y"), u64::MAX);
        assert!(authors.updates.try_recv().is_ok());
        fanout.leave(books.id);
        let sent = fanout.send(&delivery(3, &["/books/1"], "z"), u64::MAX);
        assert_eq!(sent.queued, 2, "the left stream is gone from the index");
    }

    #[test]
    fn a_stream_that_lags_by_count_or_bytes_is_dropped_and_its_queue_ends() {
        let fanout = Fanout::default();
        let mut slow = fanout.join(&[matcher(MatchType::Exact, "/t")]).unwrap();
        let first = delivery(1, &["/t"], "0123456789");
        let bytes = first.frame.as_bytes().len() as u64;
        assert_eq!(fanout.send(&first, 2 * bytes).queued, 1);
        assert_eq!(
            fanout
                .send(&delivery(2, &["/t"], "0123456789"), 2 * bytes)
                .queued,
            1
        );
        let third = fanout.send(&delivery(3, &["/t"], "0123456789"), 2 * bytes);
        assert_eq!(
            third,
            Sent {
                queued: 0,
                lagged: 1
            }
        );
        assert!(slow.updates.try_recv().is_ok());
        assert!(slow.updates.try_recv().is_ok());
        assert!(matches!(
            slow.updates.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        let mut count = fanout.join(&[matcher(MatchType::Exact, "/c")]).unwrap();
        for seq in 0..STREAM_QUEUE as u64 {
            assert_eq!(fanout.send(&delivery(seq, &["/c"], ""), u64::MAX).queued, 1);
        }
        assert_eq!(
            fanout.send(&delivery(9999, &["/c"], ""), u64::MAX).lagged,
            1
        );
        let mut received = 0;
        while count.updates.try_recv().is_ok() {
            received += 1;
        }
        assert_eq!(received, STREAM_QUEUE);
    }

    #[test]
    fn closing_ends_every_stream_and_refuses_new_ones() {
        let fanout = Fanout::default();
        let mut open = fanout.join(&[matcher(MatchType::Exact, "*")]).unwrap();
        fanout.close();
        assert!(matches!(
            open.updates.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(fanout.join(&[matcher(MatchType::Exact, "*")]).is_none());
    }
}
