//! The clients: one `EventSource` per subscriber, each in its own task, checking every event
//! it receives (type, ID in order, data) and counting toward the current phase's target.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ssewire_http::{CloseHandle, EventSource, SourceEvent};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::system::is_fd_exhaustion;

/// What the subscriber tasks share with the driver.
pub struct Shared {
    url: String,
    data_bytes: usize,
    /// The ID that completes the current phase, and how many subscribers must reach it.
    target: AtomicU64,
    expected: AtomicUsize,
    reached: AtomicUsize,
    /// When the last expected subscriber reached the target.
    finished_at: Mutex<Option<Instant>>,
    /// Subscribers whose connection opened.
    pub opened: AtomicUsize,
    /// Connection attempts that failed before opening.
    pub connect_retries: AtomicUsize,
    /// Of those, the ones that failed with EMFILE.
    pub fd_exhausted: AtomicUsize,
    /// Events out of order, duplicated, missing or with the wrong data.
    pub order_errors: AtomicUsize,
    /// Connections lost after they opened (the client reconnected by itself).
    pub disconnects: AtomicUsize,
    /// The first few problems, word for word.
    pub samples: Mutex<Vec<String>>,
    connect_gate: Semaphore,
}

impl Shared {
    /// Subscribers of `url` expecting `data_bytes` of data per event, at most
    /// `connect_concurrency` of them connecting at once.
    pub fn new(url: String, data_bytes: usize, connect_concurrency: usize) -> Arc<Self> {
        Arc::new(Shared {
            url,
            data_bytes,
            target: AtomicU64::new(u64::MAX),
            expected: AtomicUsize::new(usize::MAX),
            reached: AtomicUsize::new(0),
            finished_at: Mutex::new(None),
            opened: AtomicUsize::new(0),
            connect_retries: AtomicUsize::new(0),
            fd_exhausted: AtomicUsize::new(0),
            order_errors: AtomicUsize::new(0),
            disconnects: AtomicUsize::new(0),
            samples: Mutex::new(Vec::new()),
            connect_gate: Semaphore::new(connect_concurrency.max(1)),
        })
    }

    fn note(&self, message: String) {
        let mut samples = self.samples.lock().unwrap();
        if samples.len() < 8 {
            samples.push(message);
        }
    }

    /// A phase that ends when `expected` subscribers have received event `target`.
    pub fn start_phase(&self, target: u64, expected: usize) {
        *self.finished_at.lock().unwrap() = None;
        self.reached.store(0, Ordering::SeqCst);
        self.expected.store(expected, Ordering::SeqCst);
        self.target.store(target, Ordering::SeqCst);
    }

    /// Waits until the current phase's subscribers all reached its target; returns when the
    /// last one did.
    pub async fn wait_phase(&self, deadline: Instant, what: &str) -> Result<Instant, String> {
        loop {
            let expected = self.expected.load(Ordering::SeqCst);
            if expected == 0 {
                return Ok(Instant::now());
            }
            if let Some(at) = *self.finished_at.lock().unwrap() {
                return Ok(at);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out ({what}): {} of {expected} subscribers got event {}",
                    self.reached.load(Ordering::SeqCst),
                    self.target.load(Ordering::SeqCst),
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// One subscriber's progress, kept across its reconnection.
#[derive(Default)]
pub struct Progress {
    /// The last ID it received (0: none yet).
    pub last: AtomicU64,
}

/// A running subscriber.
pub struct Subscriber {
    /// What it received so far.
    pub progress: Arc<Progress>,
    /// Closes its `EventSource`.
    pub close: CloseHandle,
    /// Its task, which ends when the source is closed or fails for good.
    pub task: JoinHandle<()>,
}

/// Starts subscriber `index`; one that already has `progress` resumes with `Last-Event-ID`.
pub fn spawn(shared: &Arc<Shared>, index: usize, progress: Arc<Progress>) -> Subscriber {
    let last = progress.last.load(Ordering::SeqCst);
    let mut builder =
        EventSource::builder(shared.url.clone()).reconnection_time(Duration::from_millis(250));
    if last > 0 {
        builder = builder.last_event_id(&last.to_string());
    }
    let source = builder.build();
    let close = source.close_handle();
    let task = tokio::spawn(run(
        Arc::clone(shared),
        index,
        Arc::clone(&progress),
        source,
    ));
    Subscriber {
        progress,
        close,
        task,
    }
}

async fn run(shared: Arc<Shared>, index: usize, progress: Arc<Progress>, mut source: EventSource) {
    // At most `connect_concurrency` connections are being set up at once.
    let permit = shared.connect_gate.acquire().await;
    loop {
        match source.next().await {
            Some(Ok(SourceEvent::Open)) => break,
            Some(Ok(SourceEvent::Reconnecting { cause, .. })) => {
                let cause = chain(&cause);
                if is_fd_exhaustion(&cause) {
                    shared.fd_exhausted.fetch_add(1, Ordering::SeqCst);
                }
                if shared.connect_retries.fetch_add(1, Ordering::SeqCst) == 0 {
                    shared.note(format!("subscriber {index}: connecting failed: {cause}"));
                }
            }
            other => {
                shared.order_errors.fetch_add(1, Ordering::SeqCst);
                shared.note(format!("subscriber {index}: before opening, got {other:?}"));
                return;
            }
        }
    }
    drop(permit);
    shared.opened.fetch_add(1, Ordering::SeqCst);
    let mut next = progress.last.load(Ordering::SeqCst) + 1;
    while let Some(item) = source.next().await {
        let event = match item {
            Ok(SourceEvent::Message(event)) => event,
            Ok(SourceEvent::Open) => continue,
            Ok(SourceEvent::Reconnecting { cause, .. }) => {
                shared.disconnects.fetch_add(1, Ordering::SeqCst);
                let cause = chain(&cause);
                shared.note(format!("subscriber {index}: disconnected: {cause}"));
                continue;
            }
            Ok(other) => {
                shared.order_errors.fetch_add(1, Ordering::SeqCst);
                shared.note(format!("subscriber {index}: unexpected {other:?}"));
                continue;
            }
            Err(failure) => {
                shared.order_errors.fetch_add(1, Ordering::SeqCst);
                let failure = chain(&failure);
                shared.note(format!("subscriber {index}: failed for good: {failure}"));
                return;
            }
        };
        let id = event.last_event_id().parse::<u64>().unwrap_or(0);
        let data = event.data();
        let data_ok = data.len() == shared.data_bytes
            && data
                .strip_prefix("event ")
                .and_then(|rest| rest.split(' ').next())
                .is_some_and(|digits| digits == event.last_event_id());
        if event.event_type() != "message" || id != next || !data_ok {
            shared.order_errors.fetch_add(1, Ordering::SeqCst);
            shared.note(format!(
                "subscriber {index}: expected event {next}, got type {:?} id {:?} ({} bytes of data)",
                event.event_type(),
                event.last_event_id(),
                data.len()
            ));
        }
        if id == 0 {
            continue;
        }
        next = id + 1;
        progress.last.store(id, Ordering::SeqCst);
        if id == shared.target.load(Ordering::SeqCst) {
            let reached = shared.reached.fetch_add(1, Ordering::SeqCst) + 1;
            if reached == shared.expected.load(Ordering::SeqCst) {
                *shared.finished_at.lock().unwrap() = Some(Instant::now());
            }
        }
    }
}

/// `error` and its sources, joined by `: `: the client's errors leave their causes to
/// `source()`, and the EMFILE check reads the socket's message.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_chain_holds_the_socket_error_that_tells_emfile() {
        let emfile = std::io::Error::from_raw_os_error(24);
        let cause = ssewire_http::Disconnect::Network(ssewire_http::Cause::new(emfile));
        let text = super::chain(&cause);
        assert!(text.starts_with("network error: "), "{text}");
        assert!(crate::system::is_fd_exhaustion(&text), "{text}");
    }
}
