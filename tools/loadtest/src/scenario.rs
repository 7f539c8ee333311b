//! The driver: the phases of a run against any [`Target`], each with a deadline, and the
//! `hub` subcommand that runs them against [`HubProcess`].
//!
//! 1. Connect N subscribers; the server's memory before and with all idle.
//! 2. Burst E to everyone: IDs 1..=E, in order, with the right data.
//! 3. A fraction closes; the server must notice; burst E2 to those that stayed.
//! 4. They reconnect with `Last-Event-ID` and replay what they missed; burst E3 to everyone.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::{HubArgs, Scenario};
use crate::report::{Burst, Checks, Measured, Report, Run};
use crate::subscribers::{self, Progress, Shared, Subscriber};
use crate::system::{raise_nofile, SPARE_FDS};
use crate::target::{HubProcess, Target};

/// `ssewire-loadtest hub`: runs the scenario against the hub in a child process, prints the
/// report, writes it as Markdown if asked, and returns the exit status.
pub async fn hub(args: HubArgs) -> i32 {
    let scenario = &args.scenario;
    if let Err(message) = scenario.check() {
        eprintln!("loadtest: {message}");
        return crate::ERROR;
    }
    let outcome = within(scenario.timeout, async {
        check_fd_limit(scenario.subscribers)?;
        let target = HubProcess::spawn(args.variant, args.touch_heap).await?;
        eprintln!(
            "loadtest: connecting {} subscribers ({} variant)",
            scenario.subscribers,
            args.variant.name()
        );
        run(scenario, target).await.map(Measured::Hub)
    })
    .await;
    let touch = if args.touch_heap {
        ", with `MALLOC_PERTURB_` (every allocated byte touched)"
    } else {
        ""
    };
    let report = Report {
        target: "Hub".into(),
        server: format!("{}{touch}", args.variant.describe()),
        arguments: std::env::args().skip(2).collect(),
        subscribers: scenario.subscribers,
        outcome,
    };
    publish(&report, scenario);
    report.exit_code()
}

/// Prints `report` (to stderr when the run did not complete) and writes its Markdown.
fn publish(report: &Report, scenario: &Scenario) {
    write_report(report, scenario.markdown.as_deref());
}

/// Prints `report` (to stderr when the run did not complete) and writes its Markdown to `markdown`.
pub fn write_report(report: &Report, markdown: Option<&std::path::Path>) {
    let text = crate::render::text::render(report);
    if report.outcome.is_ok() {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
    let Some(path) = markdown else {
        return;
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(path, crate::render::markdown::render(report)) {
        Ok(()) => println!("markdown written to {}", path.display()),
        Err(e) => eprintln!("loadtest: writing {}: {e}", path.display()),
    }
}

pub async fn within<T>(
    budget: Duration,
    run: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(budget, run).await.unwrap_or_else(|_| {
        Err(format!(
            "the whole run took longer than {} s (--timeout)",
            budget.as_secs()
        ))
    })
}

/// Each subscriber holds a socket in the driver and one in the server: both need N + spare.
fn check_fd_limit(n: usize) -> Result<(), String> {
    let need = n as u64 + SPARE_FDS;
    match raise_nofile("driver") {
        Some(soft) if soft < need => Err(format!(
            "the open-files limit is {soft}, below the {need} that {n} subscribers need (one \
             socket each, in the driver and in the server): raise it (`ulimit -n {need}` or \
             more; scripts/load.sh does) or use fewer --subscribers"
        )),
        _ => Ok(()),
    }
}

/// Runs every phase against `target`, then stops it.
pub async fn run<T: Target>(options: &Scenario, mut target: T) -> Result<Run, String> {
    let started = Instant::now();
    let n = options.subscribers;
    let phase = options.phase_timeout;
    let bytes = options.data_bytes;
    let shared = Shared::new(target.url().to_owned(), bytes, options.connect_concurrency);
    let mut run = Run::default();
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.memory_before = target.memory().await?;

    // Phase 1: N idle subscribers.
    let t = Instant::now();
    let mut subscribers: Vec<Subscriber> = (0..n)
        .map(|i| subscribers::spawn(&shared, i, Arc::new(Progress::default())))
        .collect();
    let deadline = t + phase;
    while shared.opened.load(Ordering::SeqCst) < n {
        if Instant::now() >= deadline {
            return Err(connect_timeout(&shared, n, phase));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    target
        .wait_subscribers(n, deadline, "all connected")
        .await?;
    run.connect_secs = t.elapsed().as_secs_f64();
    // Let the freshly accepted connections settle before reading the memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    run.memory_idle = target.memory().await?;
    eprintln!(
        "loadtest: {n} connected in {:.1} s; server RSS {} -> {} KiB",
        run.connect_secs, run.memory_before.rss_kib, run.memory_idle.rss_kib
    );

    // Phase 2: a burst to everyone.
    let e1 = options.events;
    shared.start_phase(e1, n);
    let t = Instant::now();
    target.publish(e1, bytes).await?;
    let done = shared.wait_phase(t + phase, "burst of --events").await?;
    run.burst1 = burst(e1, n, t, done);
    run.memory_after_burst = target.memory().await?;

    // Phase 3: some leave; a burst while they are away.
    let dropped = ((n as f64) * options.drop_fraction).floor() as usize;
    run.dropped = dropped;
    let t = Instant::now();
    let leaving: Vec<Subscriber> = subscribers.drain(..dropped).collect();
    for subscriber in &leaving {
        subscriber.close.close();
    }
    let mut away = Vec::with_capacity(dropped);
    for subscriber in leaving {
        let remaining = (t + phase).saturating_duration_since(Instant::now());
        if tokio::time::timeout(remaining, subscriber.task)
            .await
            .is_err()
        {
            return Err("timed out waiting for closed subscribers' tasks to end".into());
        }
        away.push(subscriber.progress);
    }
    let what = "after the dropped clients closed";
    target
        .wait_subscribers(n - dropped, t + phase, what)
        .await?;
    run.drop_secs = t.elapsed().as_secs_f64();
    let e2 = options.events2;
    shared.start_phase(e1 + e2, n - dropped);
    let t = Instant::now();
    target.publish(e2, bytes).await?;
    let what = "burst of --events2 while some were away";
    let done = shared.wait_phase(t + phase, what).await?;
    run.burst2 = burst(e2, n - dropped, t, done);

    // Phase 4: they come back with Last-Event-ID, catch up from the replay buffer, then a
    // live burst to everyone.
    shared.start_phase(e1 + e2, dropped);
    let t = Instant::now();
    for (i, progress) in away.into_iter().enumerate() {
        subscribers.push(subscribers::spawn(&shared, i, progress));
    }
    let what = "replay to the reconnected subscribers";
    let done = shared.wait_phase(t + phase, what).await?;
    run.resume = burst(e2, dropped, t, done);
    let what = "after the reconnections";
    target.wait_subscribers(n, t + phase, what).await?;
    let e3 = options.events3;
    let last = e1 + e2 + e3;
    shared.start_phase(last, n);
    let t = Instant::now();
    target.publish(e3, bytes).await?;
    let what = "live burst of --events3 to everyone";
    let done = shared.wait_phase(t + phase, what).await?;
    run.burst3 = burst(e3, n, t, done);

    // The verdict, then a quiet teardown.
    run.checks = Checks {
        order_errors: shared.order_errors.load(Ordering::SeqCst),
        disconnects: shared.disconnects.load(Ordering::SeqCst),
        wrong_last: (subscribers.iter())
            .filter(|s| s.progress.last.load(Ordering::SeqCst) != last)
            .count(),
    };
    run.connect_retries = shared.connect_retries.load(Ordering::SeqCst);
    run.samples = shared.samples.lock().unwrap().clone();
    for subscriber in &subscribers {
        subscriber.close.close();
    }
    for subscriber in subscribers {
        let _ = tokio::time::timeout(Duration::from_secs(10), subscriber.task).await;
    }
    target.quit().await;
    run.total_secs = started.elapsed().as_secs_f64();
    Ok(run)
}

fn burst(events: u64, subscribers: usize, start: Instant, done: Instant) -> Burst {
    Burst {
        events,
        subscribers,
        secs: done.duration_since(start).as_secs_f64(),
    }
}

fn connect_timeout(shared: &Shared, n: usize, phase: Duration) -> String {
    let mut why = format!(
        "timed out after {} s connecting: {} of {n} subscribers open",
        phase.as_secs(),
        shared.opened.load(Ordering::SeqCst)
    );
    if shared.fd_exhausted.load(Ordering::SeqCst) > 0 {
        why.push_str("; connect failed with EMFILE (too many open files): raise `ulimit -n`");
    }
    if let Some(sample) = shared.samples.lock().unwrap().first() {
        let _ = write!(why, "; first problem: {sample}");
    }
    why
}
