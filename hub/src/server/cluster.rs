//! With `--transport redis://…`, one of several nodes: a thread reads the shared Redis Stream
//! (`XREAD BLOCK` from the last entry it saw) and hands each update to this node's fan-out,
//! its own publishes included, so every node delivers the same updates in the same order with
//! the same ids and seqs.
//!
//! A thread of its own, not a task: the Redis client is synchronous (as the history's calls
//! are, from blocking tasks), and a read blocks for up to a second. When Redis cannot be
//! reached the thread retries with back-off (50 ms doubling to 2 s) and goes on from the last
//! entry it handed over, so an outage delays updates and loses none that Redis kept. It stops
//! within about a second of [`Reader::stop`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use redis::Value;

use crate::store::{History, RedisHistory, StoreError};

use super::state::{Delivery, State};

/// How long one `XREAD` waits for new entries before the thread checks whether to stop.
const BLOCK: Duration = Duration::from_secs(1);

/// The most entries taken per read.
const BATCH: usize = 512;

/// The running reader; [`Reader::stop`] ends it.
pub(crate) struct Reader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// Starts reading after the newest entry now in the stream: what is older is history,
    /// which subscribers replay by themselves.
    pub(crate) fn start(state: Arc<State>, log: Arc<RedisHistory>) -> Reader {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ssewire-hub-redis-reader".into())
            .spawn(move || run(&state, &log, &stopping))
            .ok();
        if thread.is_none() {
            tracing::error!("cannot start the Redis reader thread: no updates will be delivered");
        }
        Reader { stop, thread }
    }

    /// Stops the thread and waits for it (at most about [`BLOCK`] plus a Redis timeout).
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(state: &State, log: &RedisHistory, stop: &AtomicBool) {
    let mut last_seq: Option<u64> = None;
    let mut backoff = Duration::from_millis(50);
    let mut failing = false;
    while !stop.load(Ordering::SeqCst) {
        match read_some(state, log, &mut last_seq, stop) {
            Ok(()) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!("Redis reader: {e}; retrying with back-off");
                }
                failing = true;
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        }
        if failing {
            tracing::info!("Redis reader: connected again; going on after seq {last_seq:?}");
            failing = false;
            backoff = Duration::from_millis(50);
        }
    }
}

/// Connects, then reads and delivers until an error or the stop flag.
fn read_some(
    state: &State,
    log: &RedisHistory,
    last_seq: &mut Option<u64>,
    stop: &AtomicBool,
) -> Result<(), StoreError> {
    let mut connection = log.connect(BLOCK + Duration::from_secs(2))?;
    let transport_error = |e: redis::RedisError| StoreError::Transport {
        url: log.url().to_owned(),
        action: "read new entries",
        source: Box::new(e),
    };
    if last_seq.is_none() {
        *last_seq = Some(log.stats()?.next_seq.saturating_sub(1));
    }
    while !stop.load(Ordering::SeqCst) {
        let after = last_seq.unwrap_or(0);
        let reply: Value = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(u64::try_from(BLOCK.as_millis()).unwrap_or(1000))
            .arg("STREAMS")
            .arg(log.log_key())
            .arg(format!("0-{after}"))
            .query(&mut connection)
            .map_err(transport_error)?;
        let entries = match reply {
            // `[[key, [entry, …]]]`; nil when nothing came within the block time.
            Value::Array(streams) => match streams.into_iter().next() {
                Some(Value::Array(mut pair)) if pair.len() == 2 => match pair.pop() {
                    Some(Value::Array(entries)) => entries,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for stored in log.decode_entries(&entries)? {
            *last_seq = Some(stored.seq);
            let update = state.update_from_record(stored.update);
            let frame = update.to_frame();
            state.deliver(Arc::new(Delivery {
                seq: stored.seq,
                update,
                frame,
            }));
        }
    }
    Ok(())
}
