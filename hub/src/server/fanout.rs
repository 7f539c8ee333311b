//! Fan-out: which open streams an update is handed to. Streams whose matchers are all exact
//! are indexed by topic, so an update reaches only the streams that name one of its topics,
//! plus those with a wildcard, URL Pattern or template matcher, which are scanned. A broadcast
//! channel would wake every stream for every update: with 10,000 streams that capped publishing
//! at about 130 updates/s and made connecting quadratic (each new stream's subscription event
//! woke all the others; docs/hub.md).
//!
//! Each stream has a bounded queue; one that falls behind by `capacity` updates or by
//! `max_bytes` queued bytes is dropped here, which ends it (it resumes from the history with
//! `Last-Event-ID`). The queue is a `VecDeque` and a waker under one small mutex, not a tokio
//! `mpsc` channel: an idle stream then holds about 100 bytes for it instead of 800 (a channel
//! allocates its first block of slots and a cache-padded semaphore up front; docs/hub.md).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::state::{lock, Delivery};
use crate::matcher::{MatchType, Matcher};

/// Updates a stream may have waiting before it counts as lagging.
pub(crate) const STREAM_QUEUE: usize = 1024;

/// A queue left with more room than this after it empties gives it back, so a stream that
/// once fell behind does not keep the memory of its backlog while idle.
const KEPT_CAPACITY: usize = 16;

/// What the fan-out handed one stream and the stream has not taken yet.
#[derive(Default)]
struct Queue {
    deliveries: VecDeque<Arc<Delivery>>,
    bytes: u64,
    /// No more will come: the stream lagged, or the hub drains. What is queued is still taken.
    closed: bool,
    /// The stream's task, waiting for a delivery.
    waker: Option<Waker>,
}

/// A stream's end of the fan-out.
pub(crate) struct Inbox {
    pub(crate) id: u64,
    queue: Arc<Mutex<Queue>>,
}

impl Inbox {
    /// The next delivery; `Ready(None)` once the queue is closed and empty.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Arc<Delivery>>> {
        let mut queue = lock(&self.queue);
        if let Some(delivery) = queue.deliveries.pop_front() {
            queue.bytes -= delivery.frame.as_bytes().len() as u64;
            if queue.deliveries.is_empty() && queue.deliveries.capacity() > KEPT_CAPACITY {
                queue.deliveries = VecDeque::new();
            }
            return Poll::Ready(Some(delivery));
        }
        if queue.closed {
            return Poll::Ready(None);
        }
        // Registered under the same lock the sender takes: no wake-up falls in between.
        if !queue
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            queue.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// The next delivery if one is queued: `Ok(None)` while open and empty, `Err(())` once
    /// closed and empty.
    #[cfg(test)]
    fn try_recv(&self) -> Result<Option<Arc<Delivery>>, ()> {
        let waker = Waker::noop();
        match self.poll_recv(&mut Context::from_waker(waker)) {
            Poll::Ready(Some(delivery)) => Ok(Some(delivery)),
            Poll::Ready(None) => Err(()),
            Poll::Pending => Ok(None),
        }
    }
}

struct Entry {
    queue: Arc<Mutex<Queue>>,
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

/// Whether a stream with these matchers is scanned rather than indexed by topic.
fn is_scanned(matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .any(|m| m.is_wildcard() || m.match_type() != MatchType::Exact)
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
        let scanned = is_scanned(matchers);
        if scanned {
            index.scanned.insert(id);
        } else {
            for matcher in matchers {
                let ids = index
                    .by_topic
                    .entry(matcher.as_str().to_owned())
                    .or_default();
                // The same topic twice is indexed once; this id can only be the last one.
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
        }
        let queue = Arc::new(Mutex::new(Queue::default()));
        index.streams.insert(
            id,
            Entry {
                queue: queue.clone(),
                scanned,
            },
        );
        Some(Inbox { id, queue })
    }

    /// Unregisters a stream (when it ends for any reason), given the matchers it joined with.
    pub(crate) fn leave(&self, id: u64, matchers: &[Matcher]) {
        let mut index = lock(&self.index);
        remove(&mut index, id, Some(matchers));
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
            let mut queue = lock(&entry.queue);
            if queue.deliveries.len() >= STREAM_QUEUE || queue.bytes + bytes > max_bytes {
                lagging.push(id);
                continue;
            }
            queue.deliveries.push_back(delivery.clone());
            queue.bytes += bytes;
            let waker = queue.waker.take();
            drop(queue);
            if let Some(waker) = waker {
                waker.wake();
            }
            sent.queued += 1;
        }
        for id in lagging {
            remove(&mut index, id, None);
            sent.lagged += 1;
        }
        sent
    }

    /// Ends every stream and refuses new ones: the drain.
    pub(crate) fn close(&self) {
        let mut index = lock(&self.index);
        index.closed = true;
        for (_, entry) in index.streams.drain() {
            end(&entry.queue);
        }
        index.by_topic.clear();
        index.scanned.clear();
    }
}

/// Closes a queue and wakes its stream, which takes what is left and ends.
fn end(queue: &Mutex<Queue>) {
    let mut queue = lock(queue);
    queue.closed = true;
    let waker = queue.waker.take();
    drop(queue);
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Takes a stream out of the index and ends its queue. Its topics come from its matchers when
/// the caller has them, else from a scan of the topic index (a lagging stream, rare).
fn remove(index: &mut Index, id: u64, matchers: Option<&[Matcher]>) {
    let Some(entry) = index.streams.remove(&id) else {
        return;
    };
    end(&entry.queue);
    if entry.scanned {
        index.scanned.remove(&id);
        return;
    }
    let topics: Vec<String> = match matchers {
        Some(matchers) => matchers.iter().map(|m| m.as_str().to_owned()).collect(),
        None => index
            .by_topic
            .iter()
            .filter(|(_, ids)| ids.contains(&id))
            .map(|(topic, _)| topic.clone())
            .collect(),
    };
    for topic in topics {
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
        let books = fanout
            .join(&[matcher(MatchType::Exact, "/books/1")])
            .unwrap();
        let authors = fanout
            .join(&[matcher(MatchType::Exact, "/authors/1")])
            .unwrap();
        let all = fanout.join(&[matcher(MatchType::Exact, "*")]).unwrap();
        let pattern = fanout
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
        assert!(books.try_recv().unwrap().is_some());
        assert!(all.try_recv().unwrap().is_some());
        assert!(pattern.try_recv().unwrap().is_some());
        assert!(authors.try_recv().unwrap().is_none());
        // An alternate topic counts too.
        fanout.send(&delivery(2, &["/other", "/authors/1"], "y"), u64::MAX);
        assert!(authors.try_recv().unwrap().is_some());
        fanout.leave(books.id, &[matcher(MatchType::Exact, "/books/1")]);
        let sent = fanout.send(&delivery(3, &["/books/1"], "z"), u64::MAX);
        assert_eq!(sent.queued, 2, "the left stream is gone from the index");
    }

    #[test]
    fn a_stream_that_lags_by_count_or_bytes_is_dropped_and_its_queue_ends() {
        let fanout = Fanout::default();
        let slow = fanout.join(&[matcher(MatchType::Exact, "/t")]).unwrap();
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
        assert!(slow.try_recv().unwrap().is_some());
        assert!(slow.try_recv().unwrap().is_some());
        assert!(slow.try_recv().is_err(), "a lagging stream's queue ends");
        let count = fanout.join(&[matcher(MatchType::Exact, "/c")]).unwrap();
        for seq in 0..STREAM_QUEUE as u64 {
            assert_eq!(fanout.send(&delivery(seq, &["/c"], ""), u64::MAX).queued, 1);
        }
        assert_eq!(
            fanout.send(&delivery(9999, &["/c"], ""), u64::MAX).lagged,
            1
        );
        let mut received = 0;
        while let Ok(Some(_)) = count.try_recv() {
            received += 1;
        }
        assert_eq!(received, STREAM_QUEUE);
    }

    #[test]
    fn closing_ends_every_stream_and_refuses_new_ones() {
        let fanout = Fanout::default();
        let open = fanout.join(&[matcher(MatchType::Exact, "*")]).unwrap();
        fanout.close();
        assert!(open.try_recv().is_err());
        assert!(fanout.join(&[matcher(MatchType::Exact, "*")]).is_none());
    }

    /// Counts wake-ups, to see that a waiting stream is woken by a delivery and by the end.
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiting_stream_is_woken_by_a_delivery_and_by_the_drain_and_gives_back_its_backlog() {
        let fanout = Fanout::default();
        let inbox = fanout.join(&[matcher(MatchType::Exact, "/w")]).unwrap();
        let counter = Arc::new(CountingWaker(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(inbox.poll_recv(&mut cx).is_pending());
        fanout.send(&delivery(1, &["/w"], "x"), u64::MAX);
        assert_eq!(counter.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(matches!(inbox.poll_recv(&mut cx), Poll::Ready(Some(_))));
        // A backlog, taken: the queue's memory goes back once it is empty.
        for seq in 2..200 {
            fanout.send(&delivery(seq, &["/w"], "x"), u64::MAX);
        }
        while let Poll::Ready(Some(_)) = inbox.poll_recv(&mut cx) {}
        assert!(lock(&inbox.queue).deliveries.capacity() <= KEPT_CAPACITY);
        let before = counter.0.load(std::sync::atomic::Ordering::SeqCst);
        fanout.close();
        assert_eq!(
            counter.0.load(std::sync::atomic::Ordering::SeqCst),
            before + 1
        );
        assert!(matches!(inbox.poll_recv(&mut cx), Poll::Ready(None)));
    }
}
