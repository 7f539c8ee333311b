//! `ssewire-loadtest mercure`: `ssewire-hub serve` in a child process, with authorization on
//! (HS256, no anonymous subscribers), driven by N subscribers over T topics.
//!
//! Subscriber i holds its own token (subject `user-i`, granting only its private topic) and
//! matches four topics: public topic i mod T, the broadcast topic, its private topic, and its
//! neighbour's private topic, which its token does not grant (those updates must never
//! arrive). Phases, each with a deadline:
//!
//! 1. Mint the tokens in-process; start the hub; its RSS before.
//! 2. Connect every subscriber (200, counted by the hub's `ssewire_hub_subscribers`); RSS
//!    with all idle, and so memory per idle subscriber.
//! 3. B broadcasts, one at a time, each waited for until all N have it.
//! 4. A burst from K publisher connections: E public updates per topic, then P private
//!    updates to P subscribers spread evenly; wait until every delivery arrived.
//! 5. A quiet moment, then the checks: every subscriber's counts exactly (B, E, P), nothing
//!    misdelivered, no stream lost, no publish refused, no lag disconnect.
//!
//! Publishes are what limit the burst: the hub wakes every subscriber for every update
//! (docs/hub.md), so P defaults to 1 000 rather than one per subscriber.
//!
//! Each update's data carries its publish time (nanoseconds since the run's start, on this
//! process's monotonic clock), so each delivery gives a publish-to-delivery latency.

pub mod hub;
pub mod publisher;
pub mod subscriber;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssewire_hub::auth::{SigningKey, TokenBuilder};
use ssewire_hub::matcher::MatchType;

use crate::cli::MercureArgs;
use crate::report::{Latency, Measured, MercureChecks, MercureRun, Report};
use crate::system::{raise_nofile, SPARE_FDS};
use hub::{HubChild, Hubs, AUDIENCE, ISSUER};
use publisher::{Publisher, Update};
use subscriber::{Counts, Shared, BROADCAST_TOPIC};

/// `ssewire-loadtest mercure`: runs, prints the report, writes its Markdown if asked.
pub async fn main(args: MercureArgs) -> i32 {
    if args.subscribers == 0 || args.topics == 0 || args.topics > args.subscribers {
        eprintln!("loadtest: need 1 <= --topics <= --subscribers");
        return crate::ERROR;
    }
    if args.private_updates > args.subscribers {
        eprintln!("loadtest: --private-updates is at most --subscribers (one each)");
        return crate::ERROR;
    }
    let bin = match hub::binary(args.hub_bin.as_deref()) {
        Ok(bin) => bin,
        Err(e) => {
            eprintln!("loadtest: {e}");
            return crate::ERROR;
        }
    };
    let touch = if args.touch_heap {
        ", with `MALLOC_PERTURB_` (every allocated byte touched)"
    } else {
        ""
    };
    // With several nodes, the same scenario runs first on one node with the embedded store.
    let first = MercureArgs {
        nodes: 1,
        ..args.clone()
    };
    let outcome = crate::scenario::within(args.timeout, async {
        let probe = if args.probe_connections {
            Some(idle_connection_bytes(&args, &bin).await?)
        } else {
            None
        };
        let mut run = run(&first, &bin).await?;
        run.idle_connection_bytes = probe;
        Ok(run)
    })
    .await;
    let report = Report {
        target: if args.nodes > 1 {
            "ssewire-hub, 1 node (embedded store)".into()
        } else {
            "ssewire-hub (Mercure)".into()
        },
        server: format!(
            "`ssewire-hub serve` (HS256, authorization on, `--history memory`{}){touch}",
            args.hub_arg
                .iter()
                .map(|a| format!(", `{a}`"))
                .collect::<String>()
        ),
        arguments: std::env::args().skip(2).collect(),
        subscribers: args.subscribers,
        outcome: outcome.map(Measured::Mercure),
    };
    let compared = if args.nodes > 1 {
        crate::scenario::write_report(&report, None);
        eprintln!(
            "loadtest: the same scenario on {} nodes sharing a Redis",
            args.nodes
        );
        let outcome = crate::scenario::within(args.timeout, run(&args, &bin)).await;
        Report {
            target: format!("ssewire-hub, {} nodes on Redis", args.nodes),
            server: format!(
                "{} × `ssewire-hub serve --transport redis://…` on one `redis-server` \
                 (appendfsync always), subscribers and publishers spread over the nodes{touch}",
                args.nodes
            ),
            outcome: outcome.map(Measured::Mercure),
            ..report.clone()
        }
    } else if let Some(other) = &args.compare_bin {
        crate::scenario::write_report(&report, None);
        eprintln!("loadtest: the same scenario against {}", other.display());
        let outcome = crate::scenario::within(args.timeout, run(&args, other)).await;
        Report {
            target: "axum `Sse` + tokio `broadcast`".into(),
            server: format!(
                "`{}` (benches/src/bin/axum-mercure.rs: HS256 via jsonwebtoken, one broadcast \
                 channel, an exact-topic filter per stream){touch}",
                other.file_name().unwrap_or_default().to_string_lossy()
            ),
            outcome: outcome.map(Measured::Mercure),
            ..report.clone()
        }
    } else {
        crate::scenario::write_report(&report, args.markdown.as_deref());
        write_svg(&args, std::slice::from_ref(&report));
        return report.exit_code();
    };
    crate::scenario::write_report(&compared, None);
    let reports = [report, compared];
    if let Some(path) = &args.markdown {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        match std::fs::write(path, crate::render::markdown::side_by_side(&reports)) {
            Ok(()) => println!("markdown written to {}", path.display()),
            Err(e) => eprintln!("loadtest: writing {}: {e}", path.display()),
        }
    }
    write_svg(&args, &reports);
    reports
        .iter()
        .map(Report::exit_code)
        .max()
        .unwrap_or(crate::ERROR)
}

fn write_svg(args: &MercureArgs, reports: &[Report]) {
    let (Some(path), Some(svg)) = (&args.svg, crate::render::svg::chart(reports)) else {
        return;
    };
    match std::fs::write(path, svg) {
        Ok(()) => println!("chart written to {}", path.display()),
        Err(e) => eprintln!("loadtest: writing {}: {e}", path.display()),
    }
}

async fn run(args: &MercureArgs, bin: &std::path::Path) -> Result<MercureRun, String> {
    let started = Instant::now();
    let n = args.subscribers;
    let phase = args.phase_timeout;
    let need = n as u64 + SPARE_FDS;
    if let Some(soft) = raise_nofile("driver") {
        if soft < need {
            return Err(format!(
                "the open-files limit is {soft}, below the {need} that {n} subscribers need: \
                 raise it (scripts/hub-load.sh does) or use fewer --subscribers"
            ));
        }
    }
    let mut out = MercureRun {
        topics: args.topics,
        source_addrs: args.source_addrs,
        broadcasts: args.broadcasts,
        ..MercureRun::default()
    };

    // 1. The hub, then the tokens signed with its key.
    let hub = Hubs::spawn(bin, args.nodes, n, &args.hub_arg, args.touch_heap).await?;
    let addrs = hub.addrs();
    let key = SigningKey::from_secret(hub.secret()).map_err(|e| format!("the key: {e}"))?;
    let t = Instant::now();
    let publisher_token = TokenBuilder::new(ISSUER, AUDIENCE)
        .publish("https://example.com/*", MatchType::UrlPattern)
        .subject("publisher")
        .sign(&key)
        .map_err(|e| format!("minting: {e}"))?;
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let token = TokenBuilder::new(ISSUER, AUDIENCE)
            .subscribe(subscriber::private_topic(i), MatchType::Exact)
            .subject(format!("user-{i}"))
            .sign(&key)
            .map_err(|e| format!("minting: {e}"))?;
        tokens.push(token);
    }
    out.mint_secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;
    out.memory_before = hub.memory()?;
    eprintln!(
        "loadtest: hub at {addrs:?} (RSS {} KiB); connecting {n} subscribers",
        out.memory_before.rss_kib
    );

    // 2. Every subscriber, idle.
    let shared = Shared::new(
        addrs.clone(),
        args.topics,
        args.broadcasts,
        args.connect_concurrency,
        args.source_addrs,
    );
    let t = Instant::now();
    let mut all_counts = Vec::with_capacity(n);
    for (i, token) in tokens.into_iter().enumerate() {
        let counts = Arc::new(Counts::default());
        all_counts.push(Arc::clone(&counts));
        let target = subscriber::request_target(i, args.topics, n);
        tokio::spawn(subscriber::run(
            Arc::clone(&shared),
            i,
            target,
            token,
            counts,
        ));
    }
    let deadline = t + phase;
    loop {
        let opened = shared.opened.load(Ordering::SeqCst);
        let lost = shared.disconnects.load(Ordering::SeqCst);
        if lost > 0 {
            return Err(format!(
                "{lost} subscribers failed while connecting ({opened} open); first: {}",
                first_problem(&shared)
            ));
        }
        if opened == n {
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out after {} s connecting: {opened} of {n} streams open",
                phase.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        // A connection per poll: the hub closes keep-alive connections idle for longer than
        // its header-read timeout (10 s), and connecting can take longer than that.
        let held = metric_sum(&addrs, "ssewire_hub_subscribers").await?;
        if held as usize == n {
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out: the hub counts {held} of {n} subscribers"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out.connect_secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    out.memory_idle = hub.memory()?;
    let own = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    out.driver_rss_kib = hub::field(&own, "VmRSS:");
    eprintln!(
        "loadtest: {n} subscribers in {:.1} s; hub RSS {} -> {} KiB ({:.0} bytes each)",
        out.connect_secs,
        out.memory_before.rss_kib,
        out.memory_idle.rss_kib,
        out.per_subscriber_bytes(n)
    );

    // 3. Broadcasts, one at a time, from a connection opened now (see above).
    let mut control = Publisher::connect(addrs[0]).await?;
    let mut publish_errors = 0;
    let mut reach = Vec::new();
    for seq in 0..args.broadcasts {
        let before = shared.delivered.load(Ordering::SeqCst);
        let sent = shared.now_ns();
        let update = Update {
            topic: BROADCAST_TOPIC.into(),
            data: format!("b {seq} {sent}"),
            private: false,
        };
        if let Err(e) = control.publish(&publisher_token, &update).await {
            publish_errors += 1;
            shared.note(format!("broadcast {seq}: {e}"));
            continue;
        }
        wait_delivered(
            &shared,
            before + n as u64,
            Instant::now() + phase,
            "a broadcast",
        )
        .await?;
        let reached = shared.broadcast_reached_ns[seq as usize].load(Ordering::SeqCst);
        reach.push(reached.saturating_sub(sent) as f64 / 1e9);
    }
    reach.sort_by(f64::total_cmp);
    out.broadcast_reach_secs = reach.get(reach.len() / 2).copied().unwrap_or(0.0);
    out.broadcast_latency = Latency::of(&mut shared.take_latencies(0));
    eprintln!(
        "loadtest: {} broadcasts, median {:.3} s to reach all",
        args.broadcasts, out.broadcast_reach_secs
    );

    // 4. The burst: public updates, then private ones, from K connections.
    let mut updates = Vec::new();
    for seq in 0..args.public_per_topic {
        for j in 0..args.topics {
            updates.push(Update {
                topic: subscriber::public_topic(j),
                data: format!("t {j} {seq}"),
                private: false,
            });
        }
    }
    let mut private_for = vec![0u64; n];
    for k in 0..args.private_updates {
        let i = k * n / args.private_updates.max(1);
        private_for[i] += 1;
        updates.push(Update {
            topic: subscriber::private_topic(i),
            data: format!("p {i} 0"),
            private: true,
        });
    }
    out.public_updates = args.public_per_topic * args.topics as u64;
    out.private_updates = args.private_updates as u64;
    // Every subscriber follows exactly one public topic; a private update has one receiver.
    out.burst_deliveries = args.public_per_topic * n as u64 + args.private_updates as u64;
    let updates = Arc::new(updates);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let before = shared.delivered.load(Ordering::SeqCst);
    let burst_start = shared.now_ns();
    let mut publishers = Vec::new();
    for k in 0..args.publishers.max(1) {
        // With several nodes, publishers are spread over them.
        let mut publisher = Publisher::connect(addrs[k % addrs.len()]).await?;
        let (updates, next, errors) =
            (Arc::clone(&updates), Arc::clone(&next), Arc::clone(&errors));
        let (token, shared) = (publisher_token.clone(), Arc::clone(&shared));
        publishers.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(update) = updates.get(k) else { break };
                let stamped = Update {
                    topic: update.topic.clone(),
                    data: format!("{} {}", update.data, shared.now_ns()),
                    private: update.private,
                };
                if let Err(e) = publisher.publish(&token, &stamped).await {
                    errors.lock().unwrap().push(e);
                }
            }
        }));
    }
    for publisher in publishers {
        let _ = publisher.await;
    }
    out.publish_secs = (shared.now_ns() - burst_start) as f64 / 1e9;
    let errors = std::mem::take(&mut *errors.lock().unwrap());
    publish_errors += errors.len();
    if let Some(first) = errors.first() {
        shared.note(format!(
            "{} burst publishes failed; first: {first}",
            errors.len()
        ));
    }
    let want = before + out.burst_deliveries;
    let waited = wait_delivered(&shared, want, Instant::now() + phase, "the burst").await;
    out.burst_secs = (shared
        .last_delivery_ns
        .load(Ordering::SeqCst)
        .saturating_sub(burst_start)) as f64
        / 1e9;
    out.public_latency = Latency::of(&mut shared.take_latencies(1));
    out.private_latency = Latency::of(&mut shared.take_latencies(2));
    if let Err(e) = &waited {
        shared.note(e.clone());
    }

    // 5. A quiet moment for anything extra to arrive, then the checks.
    tokio::time::sleep(Duration::from_millis(500)).await;
    out.memory_after = hub.memory()?;
    let mut wrong = 0;
    for (i, counts) in all_counts.iter().enumerate() {
        let got = (
            u64::from(counts.broadcast.load(Ordering::SeqCst)),
            u64::from(counts.public.load(Ordering::SeqCst)),
            u64::from(counts.private.load(Ordering::SeqCst)),
        );
        let want = (args.broadcasts, args.public_per_topic, private_for[i]);
        if got != want {
            wrong += 1;
            if wrong == 1 {
                shared.note(format!(
                    "subscriber {i}: (broadcast, public, private) {got:?}, expected {want:?}"
                ));
            }
        }
    }
    // Every subscriber of a topic saw its public updates in the same order (the hub's
    // order; with several nodes, the shared stream's).
    let mut order_mismatches = 0;
    for (i, counts) in all_counts.iter().enumerate() {
        let first = &all_counts[i % args.topics];
        if counts.order.load(Ordering::SeqCst) != first.order.load(Ordering::SeqCst) {
            order_mismatches += 1;
            if order_mismatches == 1 {
                shared.note(format!(
                    "subscriber {i} saw topic {}'s updates in another order than subscriber {}",
                    i % args.topics,
                    i % args.topics
                ));
            }
        }
    }
    out.checks = MercureChecks {
        wrong_counts: wrong,
        misdelivered: shared.misdelivered.load(Ordering::SeqCst),
        disconnects: shared.disconnects.load(Ordering::SeqCst),
        publish_errors,
        lag_disconnects: metric_sum(&addrs, "ssewire_hub_lag_disconnects_total")
            .await
            .unwrap_or(0),
        order_mismatches,
    };
    out.samples = shared.samples.lock().unwrap().clone();
    hub.stop().await;
    out.total_secs = started.elapsed().as_secs_f64();
    Ok(out)
}

/// The hub's RSS per idle keep-alive connection that made one `GET /healthz` and holds no
/// stream, in bytes, on a hub of its own.
async fn idle_connection_bytes(args: &MercureArgs, bin: &std::path::Path) -> Result<f64, String> {
    let n = args.subscribers;
    let hub = HubChild::spawn(bin, n, &args.hub_arg, args.touch_heap, None).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = hub.memory()?;
    let shared = Shared::new(
        vec![hub.addr],
        1,
        0,
        args.connect_concurrency,
        args.source_addrs,
    );
    for i in 0..n {
        let counts = Arc::new(Counts::default());
        let task = subscriber::run(
            Arc::clone(&shared),
            i,
            "/healthz".into(),
            "-".into(),
            counts,
        );
        tokio::spawn(task);
    }
    // Within the hub's header-read timeout (10 s), which also bounds idle keep-alive.
    let deadline = Instant::now() + Duration::from_secs(7);
    loop {
        let metrics = Publisher::connect(hub.addr).await?.get("/metrics").await?;
        let open = hub::metric(&metrics, "ssewire_hub_connections").unwrap_or(0) as usize;
        if shared.opened.load(Ordering::SeqCst) == n && open > n {
            break;
        }
        if Instant::now() >= deadline || shared.disconnects.load(Ordering::SeqCst) > 0 {
            return Err(format!(
                "--probe-connections: {} of {n} keep-alive connections answered, the hub counts \
                 {open} connections; first problem: {}",
                shared.opened.load(Ordering::SeqCst),
                first_problem(&shared)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = hub.memory()?;
    hub.stop().await;
    let bytes = (idle.rss_kib as f64 - before.rss_kib as f64) * 1024.0 / n as f64;
    eprintln!("loadtest: {n} idle keep-alive connections without a stream: {bytes:.0} bytes each");
    Ok(bytes)
}

async fn wait_delivered(
    shared: &Shared,
    want: u64,
    deadline: Instant,
    what: &str,
) -> Result<(), String> {
    loop {
        let delivered = shared.delivered.load(Ordering::SeqCst);
        if delivered >= want {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out waiting for {what}: {delivered} of {want} deliveries arrived"
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn first_problem(shared: &Shared) -> String {
    shared
        .samples
        .lock()
        .unwrap()
        .first()
        .cloned()
        .unwrap_or_default()
}

/// A metric summed over every node.
async fn metric_sum(addrs: &[std::net::SocketAddr], name: &str) -> Result<u64, String> {
    let mut sum = 0;
    for addr in addrs {
        // A connection per poll: the hub closes keep-alive connections idle for longer than
        // its header-read timeout (10 s).
        let metrics = Publisher::connect(*addr).await?.get("/metrics").await?;
        sum += hub::metric(&metrics, name).unwrap_or(0);
    }
    Ok(sum)
}
