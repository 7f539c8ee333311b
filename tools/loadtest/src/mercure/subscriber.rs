//! The subscribers: a raw TCP connection each, from one of several loopback source
//! addresses, with a request written by hand, a minimal chunked decoder and SSE reader (only
//! `data` matters here), and a tally of what arrived. Cheaper than a full `EventSource`
//! (no reconnection: a lost stream is a failure to report, not to hide).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;

/// Latency shards (a subscriber records into shard index mod SHARDS).
const SHARDS: usize = 64;

/// What the subscriber tasks share with the driver.
pub struct Shared {
    /// The hub's nodes; subscriber i connects to node i mod their number.
    pub hubs: Vec<SocketAddr>,
    /// Public topics.
    pub topics: usize,
    /// When the run started: timestamps in the data are nanoseconds since then.
    pub epoch: Instant,
    /// Streams that answered 200.
    pub opened: AtomicUsize,
    /// Streams refused, failed or lost.
    pub disconnects: AtomicUsize,
    /// Updates that reached the wrong subscriber.
    pub misdelivered: AtomicUsize,
    /// Deliveries counted so far, every kind.
    pub delivered: AtomicU64,
    /// The latest delivery, nanoseconds since `epoch`.
    pub last_delivery_ns: AtomicU64,
    /// Per broadcast, when its last receiver had it (nanoseconds since `epoch`).
    pub broadcast_reached_ns: Vec<AtomicU64>,
    /// Latencies in µs, by kind (0 broadcast, 1 public, 2 private), sharded.
    latencies: Vec<Mutex<[Vec<u32>; 3]>>,
    /// The first problems, word for word.
    pub samples: Mutex<Vec<String>>,
    connect_gate: Semaphore,
    source_addrs: u8,
}

impl Shared {
    /// For `topics` topics and `broadcasts` broadcasts on the hub's nodes at `hubs`.
    pub fn new(
        hubs: Vec<SocketAddr>,
        topics: usize,
        broadcasts: u64,
        connect_concurrency: usize,
        source_addrs: u8,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            hubs,
            topics,
            epoch: Instant::now(),
            opened: AtomicUsize::new(0),
            disconnects: AtomicUsize::new(0),
            misdelivered: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            last_delivery_ns: AtomicU64::new(0),
            broadcast_reached_ns: (0..broadcasts).map(|_| AtomicU64::new(0)).collect(),
            latencies: (0..SHARDS)
                .map(|_| Mutex::new(Default::default()))
                .collect(),
            samples: Mutex::new(Vec::new()),
            connect_gate: Semaphore::new(connect_concurrency.max(1)),
            source_addrs: source_addrs.max(1),
        })
    }

    /// Nanoseconds since `epoch`.
    pub fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Notes a problem (the first eight are kept).
    pub fn note(&self, message: String) {
        let mut samples = self.samples.lock().unwrap();
        if samples.len() < 8 {
            samples.push(message);
        }
    }

    /// Takes the latencies of one kind (0 broadcast, 1 public, 2 private).
    pub fn take_latencies(&self, kind: usize) -> Vec<u32> {
        let mut all = Vec::new();
        for shard in &self.latencies {
            all.append(&mut shard.lock().unwrap()[kind]);
        }
        all
    }
}

/// What one subscriber received.
#[derive(Default)]
pub struct Counts {
    /// Broadcasts.
    pub broadcast: AtomicU32,
    /// Public updates of its topic.
    pub public: AtomicU32,
    /// Its private updates.
    pub private: AtomicU32,
    /// A hash of the order its topic's public updates came in.
    pub order: AtomicU64,
}

/// The public topic `j`.
pub fn public_topic(j: usize) -> String {
    format!("https://example.com/topics/{j}")
}

/// Subscriber `i`'s private topic.
pub fn private_topic(i: usize) -> String {
    format!("https://example.com/users/{i}/notifications")
}

/// The topic every subscriber follows.
pub const BROADCAST_TOPIC: &str = "https://example.com/announcements";

/// Subscriber `i`'s request target: its public topic, the broadcast topic, its private topic
/// and its neighbour's (which its token does not grant: those updates must never arrive).
pub fn request_target(i: usize, topics: usize, subscribers: usize) -> String {
    let neighbour = (i + 1) % subscribers;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("match", &public_topic(i % topics));
    query.append_pair("match", BROADCAST_TOPIC);
    query.append_pair("match", &private_topic(i));
    query.append_pair("match", &private_topic(neighbour));
    format!("/.well-known/mercure?{}", query.finish())
}

/// Runs subscriber `index` with its `request` (target) and `token` until its stream ends.
pub async fn run(
    shared: Arc<Shared>,
    index: usize,
    target: String,
    token: String,
    counts: Arc<Counts>,
) {
    // Held until the stream opens: at most `connect_concurrency` connecting at once.
    let mut permit = Some(shared.connect_gate.acquire().await);
    let source = Ipv4Addr::new(127, 0, 0, 2 + (index % shared.source_addrs as usize) as u8);
    let hub = shared.hubs[index % shared.hubs.len()];
    let stream = match connect(source, hub).await {
        Ok(stream) => stream,
        Err(e) => {
            shared.disconnects.fetch_add(1, Ordering::SeqCst);
            shared.note(format!("subscriber {index}: connecting from {source}: {e}"));
            return;
        }
    };
    let mut stream = stream;
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {hub}\r\nAccept: text/event-stream\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    drop(token);
    if let Err(e) = stream.write_all(request.as_bytes()).await {
        shared.disconnects.fetch_add(1, Ordering::SeqCst);
        shared.note(format!("subscriber {index}: writing the request: {e}"));
        return;
    }
    drop(request);
    let mut reader = Reader::default();
    let mut buf = vec![0u8; 2048];
    let mut opened = false;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => {
                shared.note(format!("subscriber {index}: the hub closed the stream"));
                break;
            }
            Ok(n) => n,
            Err(e) => {
                shared.note(format!("subscriber {index}: reading: {e}"));
                break;
            }
        };
        let events = match reader.feed(&buf[..n]) {
            Ok(events) => events,
            Err(e) => {
                shared.note(format!("subscriber {index}: {e}"));
                break;
            }
        };
        if !opened && reader.head_done {
            opened = true;
            drop(permit.take());
            shared.opened.fetch_add(1, Ordering::SeqCst);
        }
        for data in events {
            deliver(&shared, index, &counts, &data);
        }
    }
    drop(permit);
    shared.disconnects.fetch_add(1, Ordering::SeqCst);
}

async fn connect(source: Ipv4Addr, hub: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = socket.connect(hub).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Counts one event's data: `b SEQ NS`, `t TOPIC SEQ NS` or `p SUBSCRIBER SEQ NS`.
fn deliver(shared: &Shared, index: usize, counts: &Counts, data: &str) {
    let now = shared.now_ns();
    let words: Vec<&str> = data.split(' ').collect();
    let number = |k: usize| words.get(k).and_then(|w| w.parse::<u64>().ok());
    let (kind, sent) = match (words.first().copied(), words.len()) {
        (Some("b"), 3) => (0, number(2)),
        (Some("t"), 4) => (1, number(3)),
        (Some("p"), 4) => (2, number(3)),
        _ => {
            shared.misdelivered.fetch_add(1, Ordering::SeqCst);
            shared.note(format!("subscriber {index}: unexpected data {data:?}"));
            return;
        }
    };
    let right = match kind {
        0 => {
            let seq = number(1).unwrap_or(u64::MAX) as usize;
            if let Some(reached) = shared.broadcast_reached_ns.get(seq) {
                reached.fetch_max(now, Ordering::SeqCst);
            }
            counts.broadcast.fetch_add(1, Ordering::SeqCst);
            true
        }
        1 if number(1) == Some((index % shared.topics) as u64) => {
            counts.public.fetch_add(1, Ordering::SeqCst);
            // Position-sensitive: two subscribers agree only if they saw the same order.
            let position = number(2).unwrap_or(u64::MAX);
            let order = counts.order.load(Ordering::SeqCst);
            counts.order.store(
                order.wrapping_mul(1_000_003).wrapping_add(position + 1),
                Ordering::SeqCst,
            );
            true
        }
        2 if number(1) == Some(index as u64) => {
            counts.private.fetch_add(1, Ordering::SeqCst);
            true
        }
        _ => false,
    };
    if !right {
        shared.misdelivered.fetch_add(1, Ordering::SeqCst);
        shared.note(format!("subscriber {index}: received {data:?}, not for it"));
        return;
    }
    if let Some(sent) = sent {
        let us = (now.saturating_sub(sent) / 1_000).min(u64::from(u32::MAX)) as u32;
        shared.latencies[index % SHARDS].lock().unwrap()[kind].push(us);
    }
    shared.last_delivery_ns.fetch_max(now, Ordering::SeqCst);
    shared.delivered.fetch_add(1, Ordering::SeqCst);
}

/// The response as it arrives: the head, then a chunked (or plain) body holding SSE.
#[derive(Default)]
pub struct Reader {
    /// The head was read and said 200.
    pub head_done: bool,
    chunked: bool,
    raw: Vec<u8>,
    /// Bytes left in the current chunk; `None` between chunks.
    chunk_left: Option<usize>,
    /// Decoded body not yet split into lines.
    body: Vec<u8>,
    /// The current event's data lines.
    data: Option<String>,
}

impl Reader {
    /// Feeds bytes from the socket; returns the data of every event completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, String> {
        self.raw.extend_from_slice(bytes);
        if !self.head_done {
            let Some(end) = find(&self.raw, b"\r\n\r\n") else {
                return Ok(Vec::new());
            };
            let head = String::from_utf8_lossy(&self.raw[..end]).to_ascii_lowercase();
            let status = head.lines().next().unwrap_or_default().to_owned();
            if !status.starts_with("http/1.1 200") {
                let body = String::from_utf8_lossy(&self.raw[end + 4..]).into_owned();
                return Err(format!("the hub answered {status:?} {}", body.trim()));
            }
            self.chunked = head.contains("transfer-encoding: chunked");
            self.raw.drain(..end + 4);
            self.head_done = true;
        }
        if self.chunked {
            self.dechunk()?;
        } else {
            self.body.append(&mut self.raw);
        }
        Ok(self.events())
    }

    fn dechunk(&mut self) -> Result<(), String> {
        let mut pos = 0;
        loop {
            match self.chunk_left {
                None => {
                    let Some(end) = find(&self.raw[pos..], b"\r\n") else {
                        break;
                    };
                    let line = String::from_utf8_lossy(&self.raw[pos..pos + end]).into_owned();
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16)
                        .map_err(|_| format!("bad chunk size line {line:?}"))?;
                    if size == 0 {
                        return Err("the stream ended (last chunk)".into());
                    }
                    pos += end + 2;
                    self.chunk_left = Some(size);
                }
                Some(0) => {
                    if self.raw.len() - pos < 2 {
                        break;
                    }
                    pos += 2;
                    self.chunk_left = None;
                }
                Some(left) => {
                    let take = left.min(self.raw.len() - pos);
                    if take == 0 {
                        break;
                    }
                    self.body.extend_from_slice(&self.raw[pos..pos + take]);
                    pos += take;
                    self.chunk_left = Some(left - take);
                }
            }
        }
        self.raw.drain(..pos);
        if self.raw.capacity() > 4096 && self.raw.is_empty() {
            self.raw.shrink_to(0);
        }
        Ok(())
    }

    fn events(&mut self) -> Vec<String> {
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(end) = self.body[start..].iter().position(|&b| b == b'\n') {
            let mut line = &self.body[start..start + end];
            start += end + 1;
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    events.push(data);
                }
            } else if let Some(value) = line.strip_prefix(b"data:") {
                let value = value.strip_prefix(b" ").unwrap_or(value);
                let value = String::from_utf8_lossy(value);
                match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(&value);
                    }
                    None => self.data = Some(value.into_owned()),
                }
            }
        }
        self.body.drain(..start);
        if self.body.is_empty() && self.body.capacity() > 4096 {
            self.body.shrink_to(0);
        }
        events
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::Reader;

    #[test]
    fn chunked_sse_split_anywhere_gives_the_same_events() {
        let wire = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                     transfer-encoding: chunked\r\n\r\n\
                     3\r\n:\n\n\r\n\
                     1f\r\nid: x\ndata: t 3 0 12\n\ndata: p 4\r\n\
                     b\r\n 0 99\n\n:hb\n\r\n";
        for split in 1..wire.len() {
            let mut reader = Reader::default();
            let mut events = reader.feed(&wire[..split]).unwrap();
            events.extend(reader.feed(&wire[split..]).unwrap());
            assert_eq!(events, ["t 3 0 12", "p 4 0 99"], "split at {split}");
        }
    }

    #[test]
    fn another_subscribers_private_update_or_topic_is_misdelivered() {
        use std::sync::atomic::Ordering;
        let shared = super::Shared::new(vec!["127.0.0.1:1".parse().unwrap()], 10, 1, 1, 1);
        let counts = super::Counts::default();
        super::deliver(&shared, 13, &counts, "p 13 0 5");
        super::deliver(&shared, 13, &counts, "t 3 0 5");
        super::deliver(&shared, 13, &counts, "b 0 5");
        assert_eq!(shared.misdelivered.load(Ordering::SeqCst), 0);
        assert_eq!(shared.delivered.load(Ordering::SeqCst), 3);
        super::deliver(&shared, 13, &counts, "p 14 0 5");
        super::deliver(&shared, 13, &counts, "t 4 0 5");
        super::deliver(&shared, 13, &counts, "garbage");
        assert_eq!(shared.misdelivered.load(Ordering::SeqCst), 3);
        let got =
            [&counts.broadcast, &counts.public, &counts.private].map(|c| c.load(Ordering::SeqCst));
        assert_eq!(got, [1, 1, 1]);
    }

    #[test]
    fn a_refusal_says_its_status() {
        let mut reader = Reader::default();
        let e = reader
            .feed(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
            .unwrap_err();
        assert!(e.contains("401"), "{e}");
    }
}
