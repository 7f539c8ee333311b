//! The command line: one subcommand per system under test, plus the roles they spawn.
//!
//! [`Scenario`] holds what any target's run takes (subscribers, bursts, timeouts, report
//! file); a target's subcommand flattens it and adds its own options, as [`HubArgs`] does.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ssewire_http::HubConfig;

/// Bounded load tests of ssewire's servers, on loopback (docs/load.md).
///
/// Exit status: 0 every check passed, 1 a check failed, 2 an error or a timeout.
#[derive(Debug, Parser)]
#[command(name = "ssewire-loadtest", version)]
pub struct Cli {
    /// What to test.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load-test the broadcast hub: N EventSource subscribers against a Hub served in a
    /// child process (`hub-server`), with a burst, a drop, a Last-Event-ID resumption, and
    /// the server's memory per idle subscriber.
    // A later option may repeat an earlier one and wins (scripts/load.sh sets --markdown
    // before the caller's options).
    #[command(args_override_self = true)]
    Hub(HubArgs),
    /// The server side of `hub`, which spawns it: serves a Hub on 127.0.0.1, prints
    /// `port P`, then answers one line per command on stdin (`count`, `rss`,
    /// `publish K BYTES`, `quit`).
    #[command(args_override_self = true)]
    HubServer(HubServerArgs),
    /// Load-test `ssewire-hub serve` (Mercure, authorization on) in a child process: N
    /// subscribers over T topics, each with its own token and private topic; memory per idle
    /// subscriber, broadcasts to everyone, a burst of public and private updates, exact
    /// per-subscriber counts, fan-out events/s and publish-to-delivery latency.
    #[command(args_override_self = true)]
    Mercure(MercureArgs),
}

/// `mercure`'s options.
#[derive(Clone, Debug, Args)]
pub struct MercureArgs {
    /// Concurrent subscribers, each with its own subscriber token and private topic.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub subscribers: usize,
    /// Public topics; subscriber i follows topic i mod T (N/T subscribers each).
    #[arg(long, value_name = "T", default_value_t = 1_000)]
    pub topics: usize,
    /// Broadcasts (one topic every subscriber follows), published one by one, each waited
    /// for until every subscriber has it.
    #[arg(long, value_name = "B", default_value_t = 5)]
    pub broadcasts: u64,
    /// Public updates per topic in the burst.
    #[arg(long, value_name = "E", default_value_t = 1)]
    pub public_per_topic: u64,
    /// Private updates in the burst, one each to P subscribers spread evenly (at most N),
    /// each on the subscriber's own topic.
    #[arg(long, value_name = "P", default_value_t = 1_000)]
    pub private_updates: usize,
    /// Publisher connections sending the burst concurrently (keep-alive, one POST at a time).
    #[arg(long, value_name = "K", default_value_t = 8)]
    pub publishers: usize,
    /// Loopback source addresses the subscribers are spread over (127.0.0.2, 127.0.0.3 …),
    /// each with its own ~28 000 ephemeral ports.
    #[arg(long, value_name = "A", default_value_t = 4)]
    pub source_addrs: u8,
    /// The most subscribers connecting at once (0 counts as 1).
    #[arg(long, value_name = "C", default_value_t = 500)]
    pub connect_concurrency: usize,
    /// The ssewire-hub binary [default: `ssewire-hub` next to this executable].
    #[arg(long, value_name = "PATH")]
    pub hub_bin: Option<PathBuf>,
    /// Then run the same scenario against this server too (benches' `axum-mercure`: axum
    /// `Sse` + tokio `broadcast`, which takes the hub's command line), and report both side
    /// by side.
    #[arg(long, value_name = "PATH")]
    pub compare_bin: Option<PathBuf>,

    /// Hub nodes: more than 1 starts a `redis-server` of the run's own (AOF, fsync always)
    /// and that many `ssewire-hub serve --transport redis://…`, spreads subscribers and
    /// publishers over them, and first runs the same scenario on one node with the embedded
    /// store, reporting both side by side (docs/cluster.md)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub nodes: usize,
    /// First measure, on a hub of its own, the memory of N idle keep-alive connections that
    /// each made one `GET /healthz` and hold no stream: what a connection served by hyper
    /// costs, for scale (ssewire-hub writes event streams without hyper; ssewire-hub only;
    /// within the hub's 10 s header-read timeout).
    #[arg(long)]
    pub probe_connections: bool,
    /// Run the server(s) with glibc's MALLOC_PERTURB_, which fills every allocation as it is
    /// made, so that RSS counts every allocated byte, as a long-running server's does once
    /// freed memory is reused (docs/load.md), and not only the pages written so far.
    #[arg(long)]
    pub touch_heap: bool,
    /// Also draw the figures as an SVG bar chart to FILE (with --compare-bin, both runs).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// One more argument for `ssewire-hub serve` (repeatable), e.g.
    /// `--hub-arg=--no-subscriptions` (scripts/hub-load.sh passes it: with active
    /// subscriptions each connection publishes a subscription event that every subscriber
    /// wakes for, so connecting N is quadratic; docs/hub.md).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    pub hub_arg: Vec<String>,
    /// Seconds each phase may take.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    pub phase_timeout: Duration,
    /// Seconds the whole run may take.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    pub timeout: Duration,
    /// Also write the report as Markdown to FILE (on failure too).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// What every run takes, whatever serves the events.
#[derive(Clone, Debug, Args)]
pub struct Scenario {
    /// Concurrent subscribers.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub subscribers: usize,
    /// Events in the first burst, to everyone.
    #[arg(long, value_name = "E", default_value_t = 100)]
    pub events: u64,
    /// Events in the second burst, published while the dropped clients are away.
    #[arg(long, value_name = "E2", default_value_t = 100)]
    pub events2: u64,
    /// Events in the third burst, live to everyone after the reconnections.
    #[arg(long, value_name = "E3", default_value_t = 20)]
    pub events3: u64,
    /// The fraction of the clients that drops and reconnects with Last-Event-ID.
    #[arg(long, value_name = "F", default_value_t = 0.5, value_parser = fraction)]
    pub drop_fraction: f64,
    /// Bytes of data per event (at least 24: the data starts with its ID).
    #[arg(long, value_name = "B", default_value_t = 100)]
    pub data_bytes: usize,
    /// The most subscribers connecting at once (0 counts as 1).
    #[arg(long, value_name = "C", default_value_t = 500)]
    pub connect_concurrency: usize,
    /// Seconds each phase may take.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    pub phase_timeout: Duration,
    /// Seconds the whole run may take.
    #[arg(long, value_name = "SECS", default_value = "150", value_parser = seconds)]
    pub timeout: Duration,
    /// Also write the report as Markdown to FILE (on failure too).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `hub`'s options.
#[derive(Clone, Debug, Args)]
pub struct HubArgs {
    /// The run.
    #[command(flatten)]
    pub scenario: Scenario,
    /// The server loop in front of the hub.
    #[arg(long, value_enum, default_value_t = Variant::ServeHub)]
    pub variant: Variant,
    /// Run the server with glibc's MALLOC_PERTURB_, which fills every allocation as it is
    /// made, so that RSS counts every allocated byte and not only the pages written so far.
    #[arg(long)]
    pub touch_heap: bool,
}

/// `hub-server`'s options.
#[derive(Clone, Debug, Args)]
pub struct HubServerArgs {
    /// The server loop in front of the hub.
    #[arg(long, value_enum, default_value_t = Variant::ServeHub)]
    pub variant: Variant,
}

/// Which server loop serves the hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Variant {
    /// `ssewire_http::serve_hub`, the crate's own HTTP/1.1 streaming loop, without hyper.
    ServeHub,
    /// A hyper http1 accept loop (default builder) serving `Hub::respond`, as an
    /// application with a router has it.
    Hyper,
    /// The hyper loop with `http1::Builder::writev(false).max_buf_size(8192)`.
    HyperTuned,
}

impl Variant {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Variant::ServeHub => "serve-hub",
            Variant::Hyper => "hyper",
            Variant::HyperTuned => "hyper-tuned",
        }
    }

    /// One line for a report.
    pub fn describe(self) -> &'static str {
        match self {
            Variant::ServeHub => "`serve_hub` (the crate's own HTTP/1.1 streaming loop)",
            Variant::Hyper => "hyper http1 (default builder) serving `Hub::respond`",
            Variant::HyperTuned => {
                "hyper http1 with `writev(false)`, `max_buf_size(8192)` serving `Hub::respond`"
            }
        }
    }
}

impl Scenario {
    /// Checks what clap cannot: each burst must fit the hub's default queue (a longer one
    /// may disconnect a subscriber that falls behind, which is the hub's policy and not what
    /// this test measures), and the second must also fit its replay buffer.
    pub fn check(&self) -> Result<(), String> {
        let config = HubConfig::default();
        let queue = config.queue_len() as u64;
        for (name, burst) in [
            ("--events", self.events),
            ("--events2", self.events2),
            ("--events3", self.events3),
        ] {
            if burst == 0 || burst > queue {
                return Err(format!(
                    "{name} {burst}: a burst must be 1..={queue} events (HubConfig::default() \
                     queue): a longer one may disconnect subscribers that fall behind"
                ));
            }
        }
        if self.events2 > config.replay_len() as u64 {
            return Err(format!(
                "--events2 must fit the replay buffer ({})",
                config.replay_len()
            ));
        }
        if self.subscribers == 0 {
            return Err("--subscribers must be at least 1".into());
        }
        if self.data_bytes < 24 {
            return Err("--data-bytes must be at least 24 (the data starts with its ID)".into());
        }
        Ok(())
    }
}

fn fraction(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|f| (0.0..=1.0).contains(f))
        .ok_or_else(|| "a fraction from 0 to 1".into())
}

fn seconds(value: &str) -> Result<Duration, String> {
    value
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| "a whole number of seconds".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn a_later_option_overrides_an_earlier_one() {
        let cli = Cli::try_parse_from([
            "ssewire-loadtest",
            "hub",
            "--markdown",
            "a.md",
            "--subscribers",
            "200",
            "--markdown",
            "b.md",
        ])
        .unwrap();
        let Command::Hub(args) = cli.command else {
            panic!("not hub")
        };
        assert_eq!(args.scenario.markdown, Some(PathBuf::from("b.md")));
        assert_eq!(args.scenario.subscribers, 200);
        assert_eq!(args.variant, Variant::ServeHub);
        args.scenario.check().unwrap();
    }

    #[test]
    fn bursts_beyond_the_queue_are_refused() {
        let cli = Cli::try_parse_from(["ssewire-loadtest", "hub", "--events", "1000"]).unwrap();
        let Command::Hub(args) = cli.command else {
            panic!("not hub")
        };
        assert!(args.scenario.check().unwrap_err().contains("--events 1000"));
    }
}
