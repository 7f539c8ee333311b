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
    pub outcome: Result<Run, String>,
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
            Ok(run) if run.checks.passed() => crate::PASS,
            Ok(_) => crate::CHECK_FAILED,
            Err(_) => crate::ERROR,
        }
    }
}
