//! A bounded load test of [`Hub`] behind `serve_hub`, with our own [`EventSource`] clients.
//!
//! It measures, on loopback, with the server in a child process of its own:
//! - connections held: N concurrent subscribers (default 10 000), each an `EventSource` in its
//!   own tokio task;
//! - memory per idle subscriber: the server's VmRSS with N idle subscribers minus its VmRSS
//!   before any connection, divided by N (VmHWM is reported too);
//! - events/s delivered: a burst of E events (default 100, ~100 bytes of data each) published
//!   at once; N × E divided by the time from the publish command until the last subscriber
//!   got the last event. Every subscriber must see exactly the IDs 1..=E, in order, each with
//!   the data published under that ID;
//! - resumption: a fraction of the clients (default half) closes, E2 events are published
//!   while they are away, they reconnect with `Last-Event-ID` = the last ID they saw, and
//!   each must get exactly the missed events from the replay buffer and then the live ones
//!   (E3 more), nothing lost, nothing twice; the clients that stayed must get everything.
//!
//! Every phase has a timeout, and so has the whole run: it fails with a message saying what
//! it was waiting for rather than hanging. The exit status is 0 when every check passed, 1
//! when one failed, 2 on an error or a timeout.
//!
//! Run it with `bash scripts/load.sh` (raises `ulimit -n`, builds in release, writes
//! `docs/load-results.md`), or directly:
//!
//! ```text
//! cargo run --release -p ssewire-http --example hub_load -- \
//!     [--subscribers N] [--events E] [--events2 E2] [--events3 E3] [--drop-fraction F]
//!     [--data-bytes B] [--connect-concurrency C] [--phase-timeout SECS] [--timeout SECS]
//!     [--variant serve-hub|hyper|hyper-tuned] [--touch-heap] [--markdown FILE]
//! ```
//!
//! `--variant` picks the server: `serve-hub` (the default) is `ssewire_http::serve_hub`, the
//! crate's own streaming loop without hyper; `hyper` is a hyper http1 accept loop serving
//! `Hub::respond`, as an application with a router has it; `hyper-tuned` is that loop with
//! `http1::Builder::writev(false).max_buf_size(8192)`. `--touch-heap` runs the server with glibc's
//! `MALLOC_PERTURB_`, which fills every allocation when it is made, so that RSS counts
//! every allocated byte rather than only the pages written so far.
//!
//! The driver spawns this same binary as `--role server`; they talk over the server's stdin
//! and stdout, one line each way: `count`, `rss`, `publish K BYTES`, `quit`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ssewire_http::{serve_hub, CloseHandle, EventSource, Hub, HubConfig, SourceEvent};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

const USAGE: &str = "usage: hub_load [--role driver|server] [--subscribers N] [--events E] \
[--events2 E2] [--events3 E3] [--drop-fraction F] [--data-bytes B] [--connect-concurrency C] \
[--phase-timeout SECS] [--timeout SECS] [--variant serve-hub|hyper|hyper-tuned] [--touch-heap] \
[--markdown FILE]";

/// File descriptors besides the sockets: stdio, the listener, epoll, the runtime's own.
const SPARE_FDS: u64 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    ServeHub,
    Hyper,
    HyperTuned,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::ServeHub => "serve-hub",
            Variant::Hyper => "hyper",
            Variant::HyperTuned => "hyper-tuned",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Variant::ServeHub => "`serve_hub` (the crate's own HTTP/1.1 streaming loop)",
            Variant::Hyper => "hyper http1 (default builder) serving `Hub::respond`",
            Variant::HyperTuned => {
                "hyper http1 with `writev(false)`, `max_buf_size(8192)` serving `Hub::respond`"
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Options {
    server: bool,
    subscribers: usize,
    events: u64,
    events2: u64,
    events3: u64,
    drop_fraction: f64,
    data_bytes: usize,
    connect_concurrency: usize,
    phase_timeout: Duration,
    total_timeout: Duration,
    variant: Variant,
    touch_heap: bool,
    markdown: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            server: false,
            subscribers: 10_000,
            events: 100,
            events2: 100,
            events3: 20,
            drop_fraction: 0.5,
            data_bytes: 100,
            connect_concurrency: 500,
            phase_timeout: Duration::from_secs(60),
            total_timeout: Duration::from_secs(150),
            variant: Variant::ServeHub,
            touch_heap: false,
            markdown: None,
        }
    }
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--touch-heap" {
            options.touch_heap = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag} {value:?}: {what}\n{USAGE}");
        let number = || value.parse::<u64>().map_err(|_| bad("not a whole number"));
        match flag.as_str() {
            "--role" => {
                options.server = match value.as_str() {
                    "server" => true,
                    "driver" => false,
                    _ => return Err(bad("driver or server")),
                }
            }
            "--subscribers" => options.subscribers = number()? as usize,
            "--events" => options.events = number()?,
            "--events2" => options.events2 = number()?,
            "--events3" => options.events3 = number()?,
            "--data-bytes" => options.data_bytes = number()? as usize,
            "--connect-concurrency" => options.connect_concurrency = (number()? as usize).max(1),
            "--phase-timeout" => options.phase_timeout = Duration::from_secs(number()?),
            "--timeout" => options.total_timeout = Duration::from_secs(number()?),
            "--drop-fraction" => {
                options.drop_fraction = value
                    .parse::<f64>()
                    .ok()
                    .filter(|f| (0.0..=1.0).contains(f))
                    .ok_or_else(|| bad("a fraction from 0 to 1"))?;
            }
            "--variant" => {
                options.variant = match value.as_str() {
                    "serve-hub" => Variant::ServeHub,
                    "hyper" => Variant::Hyper,
                    "hyper-tuned" => Variant::HyperTuned,
                    _ => return Err(bad("serve-hub, hyper or hyper-tuned")),
                }
            }
            "--markdown" => options.markdown = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    if options.server {
        return Ok(options);
    }
    let config = HubConfig::default();
    let queue = config.queue_len() as u64;
    for (name, burst) in [
        ("--events", options.events),
        ("--events2", options.events2),
        ("--events3", options.events3),
    ] {
        if burst == 0 || burst > queue {
            return Err(format!(
                "{name} {burst}: a burst must be 1..={queue} events (HubConfig::default() \
                 queue): a longer one may disconnect subscribers that fall behind"
            ));
        }
    }
    if options.events2 > config.replay_len() as u64 {
        return Err(format!(
            "--events2 must fit the replay buffer ({})",
            config.replay_len()
        ));
    }
    if options.subscribers == 0 {
        return Err("--subscribers must be at least 1".into());
    }
    if options.data_bytes < 24 {
        return Err("--data-bytes must be at least 24 (the data starts with its ID)".into());
    }
    Ok(options)
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("hub_load: {message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = if options.server {
        runtime.block_on(server_main(options.variant))
    } else {
        runtime.block_on(driver_main(options))
    };
    // The subscriber tasks still in the runtime need no orderly teardown.
    std::process::exit(code);
}

// ---------------------------------------------------------------------------------------
// Limits and memory, from /proc (no unsafe code, no libc).

/// (soft, hard) limit on open files; `None` for "unlimited" or when /proc cannot tell.
fn nofile_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut words = line["Max open files".len()..].split_whitespace();
    let soft = words.next()?.parse().ok()?;
    let hard = words.next()?.parse().ok()?;
    Some((soft, hard))
}

/// Raises the soft limit on open files to the hard one with util-linux's `prlimit` on this
/// process (setrlimit itself would need libc and an unsafe block). Returns the soft limit.
fn raise_nofile(role: &str) -> Option<u64> {
    let (soft, hard) = nofile_limits()?;
    if soft >= hard {
        return Some(soft);
    }
    let status = std::process::Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={hard}:{hard}"))
        .stderr(Stdio::null())
        .status();
    let raised = nofile_limits().map_or(soft, |(now, _)| now);
    match status {
        Ok(s) if s.success() && raised == hard => {
            eprintln!("hub_load {role}: raised the open-files limit from {soft} to {hard}");
        }
        _ => eprintln!(
            "hub_load {role}: could not raise the open-files limit from {soft} to {hard} \
             (is `prlimit` installed?); run `ulimit -n {hard}` first, or scripts/load.sh"
        ),
    }
    Some(raised)
}

/// VmRSS and VmHWM of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn is_fd_exhaustion(message: &str) -> bool {
    message.contains("os error 24") || message.contains("Too many open files")
}

// ---------------------------------------------------------------------------------------
// The server role.

/// The data of event `id`: it starts with its ID so a client can tell it came under that ID.
fn payload(id: u64, bytes: usize) -> String {
    let mut data = format!("event {id} ");
    while data.len() < bytes {
        data.push('x');
    }
    data
}

async fn server_main(variant: Variant) -> i32 {
    match server(variant).await {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("hub_load server: {message}");
            2
        }
    }
}

async fn server(variant: Variant) -> Result<(), String> {
    raise_nofile("server");
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(([127, 0, 0, 1], 0).into())
        .map_err(|e| format!("bind: {e}"))?;
    // A long backlog: thousands of clients connect at once (the kernel caps it at somaxconn).
    let listener = socket.listen(8192).map_err(|e| format!("listen: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let hub = Hub::new(HubConfig::default());
    let (quit, quitting) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = quitting.await;
    };
    let mut serving: JoinHandle<std::io::Result<()>> = match variant {
        Variant::ServeHub => tokio::spawn(serve_hub(listener, hub.clone(), shutdown)),
        Variant::Hyper => tokio::spawn(serve_hyper(listener, hub.clone(), shutdown, false)),
        Variant::HyperTuned => tokio::spawn(serve_hyper(listener, hub.clone(), shutdown, true)),
    };
    let mut stdout = std::io::stdout();
    let mut say = |line: String| {
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    };
    say(format!("port {port}"));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line.map_err(|e| format!("stdin: {e}"))?,
            ended = &mut serving => {
                let why = match ended {
                    Ok(Ok(())) => "the accept loop ended".to_owned(),
                    Ok(Err(e)) if is_fd_exhaustion(&e.to_string()) => format!(
                        "accept failed: {e}: out of file descriptors; raise the limit \
                         (ulimit -n) or use fewer --subscribers"
                    ),
                    Ok(Err(e)) => format!("accept failed: {e}"),
                    Err(e) => format!("the accept loop panicked: {e}"),
                };
                return Err(why);
            }
        };
        // End of stdin: the driver is gone, so is the reason to serve.
        let Some(line) = line else { break };
        let mut words = line.split_whitespace();
        match words.next() {
            Some("count") => say(format!("count {}", hub.subscriber_count())),
            Some("rss") => {
                let (rss, hwm) = memory_kib();
                say(format!("rss {rss} {hwm}"));
            }
            Some("publish") => {
                let mut number = || words.next().and_then(|w| w.parse::<u64>().ok());
                let (Some(count), Some(bytes)) = (number(), number()) else {
                    say("error: publish COUNT BYTES".into());
                    continue;
                };
                let mut last = hub.last_id();
                for _ in 0..count {
                    let data = payload(last + 1, bytes as usize);
                    last = hub
                        .publish(ssewire_encoder::Event::new(&data))
                        .map_err(|e| e.to_string())?;
                }
                say(format!("published {last}"));
            }
            Some("quit") => break,
            _ => say(format!("error: unknown command {line:?}")),
        }
    }
    let _ = quit.send(());
    match tokio::time::timeout(Duration::from_secs(10), serving).await {
        Ok(_) => {}
        Err(_) => eprintln!("hub_load server: connections still open 10 s after quit"),
    }
    say("bye".into());
    Ok(())
}

/// A hyper accept loop serving `Hub::respond`, as a user with a router has it; `tuned` sets
/// the `http1::Builder` options that might shrink a connection, to measure what they change.
async fn serve_hyper(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl std::future::Future<Output = ()>,
    tuned: bool,
) -> std::io::Result<()> {
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    if tuned {
        builder.writev(false).max_buf_size(8192);
    }
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let hub = hub.clone();
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let response = hub.respond(request.headers());
            async move { Ok::<_, std::convert::Infallible>(response) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), service));
        report_size_once(
            "the hyper connection future",
            std::mem::size_of_val(&connection),
        );
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    hub.close();
    graceful.shutdown().await;
    Ok(())
}

/// Tells (on stderr, once per process) how big a connection's future is: the tokio task that
/// holds it allocates that much plus its header.
fn report_size_once(what: &str, bytes: usize) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| eprintln!("hub_load server: {what} is {bytes} bytes"));
}

// ---------------------------------------------------------------------------------------
// The driver role: the clients and the checks.

/// What the subscriber tasks share with the driver.
struct Shared {
    url: String,
    data_bytes: usize,
    /// The ID that completes the current phase, and how many subscribers must reach it.
    target: AtomicU64,
    expected: AtomicUsize,
    reached: AtomicUsize,
    /// When the last expected subscriber reached the target.
    finished_at: Mutex<Option<Instant>>,
    opened: AtomicUsize,
    connect_retries: AtomicUsize,
    fd_exhausted: AtomicUsize,
    /// Events out of order, duplicated, missing or with the wrong data.
    order_errors: AtomicUsize,
    /// Connections lost after they opened (the client reconnected by itself).
    disconnects: AtomicUsize,
    samples: Mutex<Vec<String>>,
    connect_gate: Semaphore,
}

impl Shared {
    fn note(&self, message: String) {
        let mut samples = self.samples.lock().unwrap();
        if samples.len() < 8 {
            samples.push(message);
        }
    }

    fn start_phase(&self, target: u64, expected: usize) {
        *self.finished_at.lock().unwrap() = None;
        self.reached.store(0, Ordering::SeqCst);
        self.expected.store(expected, Ordering::SeqCst);
        self.target.store(target, Ordering::SeqCst);
    }
}

/// One subscriber's progress, kept across its reconnection.
struct Progress {
    /// The last ID it received (0: none yet).
    last: AtomicU64,
}

struct Subscriber {
    progress: Arc<Progress>,
    close: CloseHandle,
    task: JoinHandle<()>,
}

fn spawn_subscriber(shared: &Arc<Shared>, index: usize, progress: Arc<Progress>) -> Subscriber {
    let last = progress.last.load(Ordering::SeqCst);
    let mut builder =
        EventSource::builder(shared.url.clone()).reconnection_time(Duration::from_millis(250));
    if last > 0 {
        builder = builder.last_event_id(&last.to_string());
    }
    let source = builder.build();
    let close = source.close_handle();
    let task = tokio::spawn(run_subscriber(
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

async fn run_subscriber(
    shared: Arc<Shared>,
    index: usize,
    progress: Arc<Progress>,
    mut source: EventSource,
) {
    // At most `connect_concurrency` connections are being set up at once.
    let permit = shared.connect_gate.acquire().await;
    loop {
        match source.next().await {
            Some(Ok(SourceEvent::Open)) => break,
            Some(Ok(SourceEvent::Reconnecting { cause, .. })) => {
                let cause = cause.to_string();
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

/// The server child and its stdin/stdout control channel.
struct Control {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Control {
    async fn spawn(options: &Options) -> Result<(Control, u16), String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut command = tokio::process::Command::new(exe);
        command
            .args(["--role", "server", "--variant", options.variant.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if options.touch_heap {
            command.env("MALLOC_PERTURB_", "165");
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawning the server: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut control = Control {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        let line = control.read_line("its port").await?;
        let port = line
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("the server said {line:?} instead of its port"))?;
        Ok((control, port))
    }

    async fn read_line(&mut self, what: &str) -> Result<String, String> {
        match tokio::time::timeout(Duration::from_secs(20), self.lines.next_line()).await {
            Err(_) => Err(format!("the server did not answer within 20 s ({what})")),
            Ok(Err(e)) => Err(format!("reading from the server ({what}): {e}")),
            Ok(Ok(None)) => Err(format!(
                "the server exited while the driver waited for {what} (see its message above)"
            )),
            Ok(Ok(Some(line))) => Ok(line),
        }
    }

    async fn ask(&mut self, command: &str) -> Result<String, String> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .map_err(|e| format!("the server is gone ({command}): {e}"))?;
        self.stdin.flush().await.map_err(|e| e.to_string())?;
        let answer = self.read_line(command).await?;
        if answer.starts_with("error") {
            return Err(format!("the server answered {command:?} with {answer:?}"));
        }
        Ok(answer)
    }

    async fn count(&mut self) -> Result<usize, String> {
        let answer = self.ask("count").await?;
        answer
            .strip_prefix("count ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad answer to count: {answer:?}"))
    }

    /// (VmRSS, VmHWM) of the server, in KiB.
    async fn memory(&mut self) -> Result<(u64, u64), String> {
        let answer = self.ask("rss").await?;
        let mut words = answer.split_whitespace().skip(1);
        let mut number = || words.next().and_then(|w| w.parse().ok());
        match (number(), number()) {
            (Some(rss), Some(hwm)) => Ok((rss, hwm)),
            _ => Err(format!("bad answer to rss: {answer:?}")),
        }
    }

    async fn wait_count(
        &mut self,
        want: usize,
        deadline: Instant,
        what: &str,
    ) -> Result<(), String> {
        loop {
            let count = self.count().await?;
            if count == want {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out waiting for the server to hold {want} subscribers ({what}); it \
                     holds {count}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn quit(mut self) {
        let _ = self.stdin.write_all(b"quit\n").await;
        let _ = self.stdin.flush().await;
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("hub_load: the server did not exit within 15 s of quit; killing it");
            let _ = self.child.kill().await;
        }
    }
}

/// Waits until the current phase's subscribers all reached its target; returns when the
/// last one did.
async fn wait_phase(shared: &Shared, deadline: Instant, what: &str) -> Result<Instant, String> {
    loop {
        let expected = shared.expected.load(Ordering::SeqCst);
        if expected == 0 {
            return Ok(Instant::now());
        }
        if let Some(at) = *shared.finished_at.lock().unwrap() {
            return Ok(at);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out ({what}): {} of {expected} subscribers got event {}",
                shared.reached.load(Ordering::SeqCst),
                shared.target.load(Ordering::SeqCst),
            ));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[derive(Default)]
struct Report {
    subscribers: usize,
    connect_secs: f64,
    rss_before_kib: u64,
    rss_idle_kib: u64,
    hwm_idle_kib: u64,
    rss_after_kib: u64,
    hwm_after_kib: u64,
    burst_secs: f64,
    dropped: usize,
    drop_secs: f64,
    burst2_secs: f64,
    resume_secs: f64,
    burst3_secs: f64,
    order_errors: usize,
    disconnects: usize,
    connect_retries: usize,
    wrong_last: usize,
    samples: Vec<String>,
    total_secs: f64,
}

impl Report {
    fn per_subscriber_bytes(&self) -> f64 {
        (self.rss_idle_kib as f64 - self.rss_before_kib as f64) * 1024.0 / self.subscribers as f64
    }

    fn passed(&self) -> bool {
        self.order_errors == 0 && self.disconnects == 0 && self.wrong_last == 0
    }
}

async fn driver_main(options: Options) -> i32 {
    let budget = options.total_timeout;
    let outcome = match tokio::time::timeout(budget, drive(&options)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "the whole run took longer than {} s (--timeout)",
            budget.as_secs()
        )),
    };
    let (code, markdown) = match outcome {
        Ok(report) => {
            let text = summary(&options, &report);
            print!("{text}");
            let code = if report.passed() { 0 } else { 1 };
            (code, markdown(&options, Ok(&report)))
        }
        Err(message) => {
            eprintln!("hub_load: FAILED: {message}");
            (2, markdown(&options, Err(&message)))
        }
    };
    if let Some(path) = &options.markdown {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        match std::fs::write(path, markdown) {
            Ok(()) => println!("markdown written to {}", path.display()),
            Err(e) => eprintln!("hub_load: writing {}: {e}", path.display()),
        }
    }
    code
}

async fn drive(options: &Options) -> Result<Report, String> {
    let started = Instant::now();
    let n = options.subscribers;
    let need = n as u64 + SPARE_FDS;
    if let Some(soft) = raise_nofile("driver") {
        if soft < need {
            return Err(format!(
                "the open-files limit is {soft}, below the {need} that {n} subscribers need (one \
                 socket each, in the driver and in the server): raise it (`ulimit -n {need}` or \
                 more; scripts/load.sh does) or use fewer --subscribers"
            ));
        }
    }
    let phase = options.phase_timeout;
    let (mut control, port) = Control::spawn(options).await?;
    let shared = Arc::new(Shared {
        url: format!("http://127.0.0.1:{port}/events"),
        data_bytes: options.data_bytes,
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
        connect_gate: Semaphore::new(options.connect_concurrency),
    });
    let mut report = Report {
        subscribers: n,
        ..Report::default()
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    (report.rss_before_kib, _) = control.memory().await?;

    // Phase 1: N idle subscribers.
    eprintln!(
        "hub_load: connecting {n} subscribers ({} variant)",
        options.variant.name()
    );
    let t = Instant::now();
    let mut subscribers: Vec<Subscriber> = (0..n)
        .map(|i| {
            let progress = Arc::new(Progress {
                last: AtomicU64::new(0),
            });
            spawn_subscriber(&shared, i, progress)
        })
        .collect();
    let deadline = t + phase;
    while shared.opened.load(Ordering::SeqCst) < n {
        if Instant::now() >= deadline {
            let mut why = format!(
                "timed out after {} s connecting: {} of {n} subscribers open",
                phase.as_secs(),
                shared.opened.load(Ordering::SeqCst)
            );
            if shared.fd_exhausted.load(Ordering::SeqCst) > 0 {
                why.push_str(
                    "; connect failed with EMFILE (too many open files): raise `ulimit -n`",
                );
            }
            if let Some(sample) = shared.samples.lock().unwrap().first() {
                let _ = write!(why, "; first problem: {sample}");
            }
            return Err(why);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    control.wait_count(n, deadline, "all connected").await?;
    report.connect_secs = t.elapsed().as_secs_f64();
    // Let the freshly accepted connections settle before reading the memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    (report.rss_idle_kib, report.hwm_idle_kib) = control.memory().await?;
    eprintln!(
        "hub_load: {n} connected in {:.1} s; server RSS {} -> {} KiB",
        report.connect_secs, report.rss_before_kib, report.rss_idle_kib
    );

    // Phase 1: a burst to everyone.
    let e1 = options.events;
    shared.start_phase(e1, n);
    let t = Instant::now();
    control
        .ask(&format!("publish {e1} {}", options.data_bytes))
        .await?;
    let done = wait_phase(&shared, t + phase, "burst of --events").await?;
    report.burst_secs = done.duration_since(t).as_secs_f64();
    (report.rss_after_kib, report.hwm_after_kib) = control.memory().await?;

    // Phase 2: some leave; a burst while they are away.
    let dropped = ((n as f64) * options.drop_fraction).floor() as usize;
    report.dropped = dropped;
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
    control
        .wait_count(n - dropped, t + phase, "after the dropped clients closed")
        .await?;
    report.drop_secs = t.elapsed().as_secs_f64();
    let e2 = options.events2;
    shared.start_phase(e1 + e2, n - dropped);
    let t = Instant::now();
    control
        .ask(&format!("publish {e2} {}", options.data_bytes))
        .await?;
    let done = wait_phase(
        &shared,
        t + phase,
        "burst of --events2 while some were away",
    )
    .await?;
    report.burst2_secs = done.duration_since(t).as_secs_f64();

    // Phase 3: they come back with Last-Event-ID, catch up from the replay buffer, then a
    // live burst to everyone.
    shared.start_phase(e1 + e2, dropped);
    let t = Instant::now();
    for (i, progress) in away.into_iter().enumerate() {
        subscribers.push(spawn_subscriber(&shared, i, progress));
    }
    let done = wait_phase(&shared, t + phase, "replay to the reconnected subscribers").await?;
    report.resume_secs = done.duration_since(t).as_secs_f64();
    control
        .wait_count(n, t + phase, "after the reconnections")
        .await?;
    let e3 = options.events3;
    let last = e1 + e2 + e3;
    shared.start_phase(last, n);
    let t = Instant::now();
    control
        .ask(&format!("publish {e3} {}", options.data_bytes))
        .await?;
    let done = wait_phase(&shared, t + phase, "live burst of --events3 to everyone").await?;
    report.burst3_secs = done.duration_since(t).as_secs_f64();

    // The verdict, then a quiet teardown.
    report.wrong_last = subscribers
        .iter()
        .filter(|s| s.progress.last.load(Ordering::SeqCst) != last)
        .count();
    report.order_errors = shared.order_errors.load(Ordering::SeqCst);
    report.disconnects = shared.disconnects.load(Ordering::SeqCst);
    report.connect_retries = shared.connect_retries.load(Ordering::SeqCst);
    report.samples = shared.samples.lock().unwrap().clone();
    for subscriber in &subscribers {
        subscriber.close.close();
    }
    for subscriber in subscribers {
        let _ = tokio::time::timeout(Duration::from_secs(10), subscriber.task).await;
    }
    control.quit().await;
    report.total_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

fn rate(deliveries: f64, secs: f64) -> String {
    if secs <= 0.0 {
        return "n/a".into();
    }
    let per_sec = deliveries / secs;
    if per_sec >= 1e6 {
        format!("{:.2} M events/s", per_sec / 1e6)
    } else {
        format!("{:.0} k events/s", per_sec / 1e3)
    }
}

fn summary(options: &Options, r: &Report) -> String {
    let n = r.subscribers as f64;
    let stay = (r.subscribers - r.dropped) as f64;
    let (e1, e2, e3) = (
        options.events as f64,
        options.events2 as f64,
        options.events3 as f64,
    );
    let per = r.per_subscriber_bytes();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "hub_load: {} subscribers, server variant {}{}",
        r.subscribers,
        options.variant.name(),
        if options.touch_heap {
            ", MALLOC_PERTURB_ (every allocated byte touched)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  connected in {:.2} s ({} connect retries)",
        r.connect_secs, r.connect_retries
    );
    let _ = writeln!(
        out,
        "  server RSS: {} KiB before, {} KiB with {} idle (HWM {} KiB) => {:.0} bytes = {:.2} KiB per idle subscriber (aim: <= 4 KiB: {})",
        r.rss_before_kib,
        r.rss_idle_kib,
        r.subscribers,
        r.hwm_idle_kib,
        per,
        per / 1024.0,
        if per <= 4096.0 { "met" } else { "NOT met" }
    );
    let _ = writeln!(
        out,
        "  burst 1: {} events x {} subscribers in {:.3} s = {}; server RSS after {} KiB (HWM {} KiB)",
        options.events,
        r.subscribers,
        r.burst_secs,
        rate(n * e1, r.burst_secs),
        r.rss_after_kib,
        r.hwm_after_kib
    );
    let _ = writeln!(
        out,
        "  dropped {} subscribers (server noticed in {:.2} s); burst 2: {} events x {} in {:.3} s = {}",
        r.dropped,
        r.drop_secs,
        options.events2,
        r.subscribers - r.dropped,
        r.burst2_secs,
        rate(stay * e2, r.burst2_secs)
    );
    let _ = writeln!(
        out,
        "  {} reconnected with Last-Event-ID and replayed {} missed events each in {:.3} s; burst 3: {} events x {} in {:.3} s = {}",
        r.dropped,
        options.events2,
        r.resume_secs,
        options.events3,
        r.subscribers,
        r.burst3_secs,
        rate(n * e3, r.burst3_secs)
    );
    let _ = writeln!(
        out,
        "  checks: {} ordering/content errors, {} unexpected disconnects, {} subscribers not at the last ID -> {}",
        r.order_errors,
        r.disconnects,
        r.wrong_last,
        if r.passed() { "PASS" } else { "FAIL" }
    );
    for sample in &r.samples {
        let _ = writeln!(out, "    {sample}");
    }
    let _ = writeln!(out, "  total {:.1} s", r.total_secs);
    out
}

fn markdown(options: &Options, outcome: Result<&Report, &String>) -> String {
    let mut md = String::new();
    let command: Vec<String> = std::env::args().skip(1).collect();
    let _ = writeln!(
        md,
        "### Hub load test ({} subscribers)\n",
        options.subscribers
    );
    let _ = writeln!(
        md,
        "Arguments: `{}`; server: {}{}.\n",
        command.join(" "),
        options.variant.describe(),
        if options.touch_heap {
            ", with `MALLOC_PERTURB_`"
        } else {
            ""
        }
    );
    let r = match outcome {
        Err(message) => {
            let _ = writeln!(md, "**FAILED**: {message}");
            return md;
        }
        Ok(r) => r,
    };
    let n = r.subscribers as f64;
    let stay = r.subscribers - r.dropped;
    let per = r.per_subscriber_bytes();
    let _ = writeln!(md, "| Measure | Result |\n|---|---|");
    let _ = writeln!(
        md,
        "| Connections held | {} (connected in {:.2} s) |",
        r.subscribers, r.connect_secs
    );
    let _ = writeln!(
        md,
        "| Server RSS before / with all idle | {} KiB / {} KiB (HWM {} KiB) |",
        r.rss_before_kib, r.rss_idle_kib, r.hwm_idle_kib
    );
    let _ = writeln!(
        md,
        "| Memory per idle subscriber | {:.0} bytes ({:.2} KiB); aim ≤ 4 KiB: **{}** |",
        per,
        per / 1024.0,
        if per <= 4096.0 { "met" } else { "not met" }
    );
    let _ = writeln!(
        md,
        "| Burst 1: {} events × {} | {:.3} s, {} delivered |",
        options.events,
        r.subscribers,
        r.burst_secs,
        rate(n * options.events as f64, r.burst_secs)
    );
    let _ = writeln!(
        md,
        "| Server RSS after burst 1 | {} KiB (HWM {} KiB) |",
        r.rss_after_kib, r.hwm_after_kib
    );
    let _ = writeln!(
        md,
        "| Burst 2 while {} were away: {} events × {} | {:.3} s, {} |",
        r.dropped,
        options.events2,
        stay,
        r.burst2_secs,
        rate(stay as f64 * options.events2 as f64, r.burst2_secs)
    );
    let _ = writeln!(
        md,
        "| Reconnect with `Last-Event-ID` and replay {} missed events | {} subscribers in {:.3} s |",
        options.events2, r.dropped, r.resume_secs
    );
    let _ = writeln!(
        md,
        "| Burst 3 (live, after the reconnections): {} events × {} | {:.3} s, {} |",
        options.events3,
        r.subscribers,
        r.burst3_secs,
        rate(n * options.events3 as f64, r.burst3_secs)
    );
    let _ = writeln!(
        md,
        "| Ordering/content errors, unexpected disconnects, not at the last ID | {}, {}, {} → **{}** |",
        r.order_errors,
        r.disconnects,
        r.wrong_last,
        if r.passed() { "PASS" } else { "FAIL" }
    );
    let _ = writeln!(md, "| Whole run | {:.1} s |", r.total_secs);
    if !r.samples.is_empty() {
        let _ = writeln!(md, "\nFirst problems seen:\n");
        for sample in &r.samples {
            let _ = writeln!(md, "- {sample}");
        }
    }
    md
}
