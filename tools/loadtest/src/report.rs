//! What a run found, as plain data: the one model that [`render`](crate::render) turns into
//! text for the console and Markdown for docs/load-results.md.

/// A whole run: what was tested and how it went.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The system under test, e.g. `Hub`.
    pub target: String,
    /// The server in front of it, in a phrase (may hold Markdown code spans).
    pub server: String,
    /// The command-line arguments, as given.
    pub arguments: Vec<String>,
    /// Concurrent subscribers asked for.
    pub subscribers: usize,
    /// The measurements and checks, or why the run did not complete.
    pub outcome: Result<Measured, String>,
}

/// A completed run of one of the scenarios.
#[derive(Clone, Debug, PartialEq)]
pub enum Measured {
    /// `hub`: the broadcast Hub of ssewire-http.
    Hub(Run),
    /// `mercure`: ssewire-hub, with authorization.
    Mercure(MercureRun),
}

impl Measured {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        match self {
            Measured::Hub(run) => run.checks.passed(),
            Measured::Mercure(run) => run.checks.passed(),
        }
    }

    /// The first problems seen, word for word.
    pub fn samples(&self) -> &[String] {
        match self {
            Measured::Hub(run) => &run.samples,
            Measured::Mercure(run) => &run.samples,
        }
    }
}

/// Publish-to-delivery latencies of one kind of update, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    /// Deliveries measured.
    pub count: usize,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// The slowest.
    pub max_us: u64,
}

impl Latency {
    /// The percentiles of `samples` (sorted here).
    pub fn of(samples: &mut [u32]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let at = |q: f64| u64::from(samples[((samples.len() - 1) as f64 * q).round() as usize]);
        Latency {
            count: samples.len(),
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}

/// What `mercure`'s checks counted; the run passes when every count is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MercureChecks {
    /// Subscribers whose counts of public, private or broadcast updates are not exactly what
    /// was published for them.
    pub wrong_counts: usize,
    /// Updates a subscriber received that were not for it (another topic; another
    /// subscriber's private update: a leak).
    pub misdelivered: usize,
    /// Streams lost after they opened, or refused (not 200).
    pub disconnects: usize,
    /// Publishes not answered 200.
    pub publish_errors: usize,
    /// Subscribers the hub disconnected for lagging (its `ssewire_hub_lag_disconnects_total`).
    pub lag_disconnects: u64,
    /// Subscribers that saw their topic's public updates in another order than the topic's
    /// other subscribers.
    pub order_mismatches: usize,
}

impl MercureChecks {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        *self == MercureChecks::default()
    }
}

/// The measurements of a completed `mercure` run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MercureRun {
    /// Public topics (subscriber i follows topic i mod T).
    pub topics: usize,
    /// Loopback source addresses the subscribers came from.
    pub source_addrs: u8,
    /// Seconds to mint the N subscriber tokens (HS256, in the driver).
    pub mint_secs: f64,
    /// Seconds until every stream was open (200) and counted by the hub's metrics.
    pub connect_secs: f64,
    /// The hub before any subscriber, with all idle, and at the end.
    pub memory_before: Memory,
    /// With every subscriber connected and idle.
    pub memory_idle: Memory,
    /// After every update.
    pub memory_after: Memory,
    /// With `--probe-connections`: the hub's RSS per idle keep-alive connection served by
    /// hyper, holding no stream, in bytes (measured on a hub of its own).
    pub idle_connection_bytes: Option<f64>,
    /// The driver's own RSS with every subscriber idle, KiB (for scale).
    pub driver_rss_kib: u64,
    /// Broadcasts published, each to every subscriber.
    pub broadcasts: u64,
    /// Median seconds from a broadcast's publish until the last subscriber had it.
    pub broadcast_reach_secs: f64,
    /// Publish-to-delivery latency of the broadcasts.
    pub broadcast_latency: Latency,
    /// Public updates in the burst (each to one topic's subscribers).
    pub public_updates: u64,
    /// Private updates in the burst (each to one subscriber).
    pub private_updates: u64,
    /// Seconds the publishers took to have every burst update answered.
    pub publish_secs: f64,
    /// Deliveries of the burst (public receivers + private receivers).
    pub burst_deliveries: u64,
    /// Seconds from the burst's first publish to its last delivery.
    pub burst_secs: f64,
    /// Publish-to-delivery latency of the burst's public updates.
    pub public_latency: Latency,
    /// Publish-to-delivery latency of the burst's private updates.
    pub private_latency: Latency,
    /// The verdict's counts.
    pub checks: MercureChecks,
    /// The first problems seen, word for word.
    pub samples: Vec<String>,
    /// Seconds for the whole run.
    pub total_secs: f64,
}

impl MercureRun {
    /// The hub's memory per idle subscriber, in bytes: (RSS with all idle − RSS before) / N.
    pub fn per_subscriber_bytes(&self, subscribers: usize) -> f64 {
        let grown = self.memory_idle.rss_kib as f64 - self.memory_before.rss_kib as f64;
        grown * 1024.0 / subscribers.max(1) as f64
    }

    /// The burst's deliveries per second.
    pub fn burst_rate(&self) -> Option<f64> {
        (self.burst_secs > 0.0).then(|| self.burst_deliveries as f64 / self.burst_secs)
    }
}

/// The server's resident memory at one moment (from /proc: VmRSS and VmHWM).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Resident now, KiB.
    pub rss_kib: u64,
    /// The high-water mark of resident memory, KiB.
    pub hwm_kib: u64,
}

/// One burst of events: how many, to how many subscribers, and how long until the last
/// subscriber had the last one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Burst {
    /// Events published.
    pub events: u64,
    /// Subscribers that had to receive every one.
    pub subscribers: usize,
    /// Seconds from the publish command until the last subscriber had the last event.
    pub secs: f64,
}

impl Burst {
    /// Events delivered per second (every event to every subscriber); `None` if no time passed.
    pub fn rate(&self) -> Option<f64> {
        (self.secs > 0.0).then(|| self.events as f64 * self.subscribers as f64 / self.secs)
    }
}

/// What the checks counted; the run passes when every count is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// Events out of order, duplicated, missing, of the wrong type or with the wrong data.
    pub order_errors: usize,
    /// Connections lost after they opened (a lagged subscriber shows up here).
    pub disconnects: usize,
    /// Subscribers not at the last ID at the end.
    pub wrong_last: usize,
}

impl Checks {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        self.order_errors == 0 && self.disconnects == 0 && self.wrong_last == 0
    }
}

/// The measurements of a completed run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// Seconds until every subscriber was open and counted by the server.
    pub connect_secs: f64,
    /// Connection attempts that failed before opening (each retried).
    pub connect_retries: usize,
    /// Before any connection.
    pub memory_before: Memory,
    /// With every subscriber connected and idle.
    pub memory_idle: Memory,
    /// After the first burst.
    pub memory_after_burst: Memory,
    /// The first burst, to everyone.
    pub burst1: Burst,
    /// Subscribers that closed and later reconnected with `Last-Event-ID`.
    pub dropped: usize,
    /// Seconds until the server noticed they were gone.
    pub drop_secs: f64,
    /// The second burst, to those that stayed.
    pub burst2: Burst,
    /// The reconnection: `events` is how many each replayed, `subscribers` how many came back.
    pub resume: Burst,
    /// The third burst, live to everyone after the reconnections.
    pub burst3: Burst,
    /// The verdict's counts.
    pub checks: Checks,
    /// The first problems seen, word for word.
    pub samples: Vec<String>,
    /// Seconds for the whole run.
    pub total_secs: f64,
}

/// The memory aim per idle subscriber, in bytes.
pub const MEMORY_AIM: f64 = 4096.0;

impl Run {
    /// The server's memory per idle subscriber, in bytes: (RSS with all idle − RSS before) / N.
    pub fn per_subscriber_bytes(&self, subscribers: usize) -> f64 {
        let grown = self.memory_idle.rss_kib as f64 - self.memory_before.rss_kib as f64;
        grown * 1024.0 / subscribers.max(1) as f64
    }
}

impl Report {
    /// The exit status: 0 every check passed, 1 a check failed, 2 the run did not complete.
    pub fn exit_code(&self) -> i32 {
        match &self.outcome {
            Ok(measured) if measured.passed() => crate::PASS,
            Ok(_) => crate::CHECK_FAILED,
            Err(_) => crate::ERROR,
        }
    }
}
