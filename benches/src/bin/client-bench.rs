//! `client-bench [--events N] [--runs R] [--markdown FILE]`: time to first event and events
//! per second for one stream of N small events (default 100,000) over loopback HTTP/1.1 and
//! HTTPS (HTTP/1.1 by ALPN), for ssewire-http's `EventSource`, `reqwest-eventsource` 0.6.0 and
//! `eventsource-client` 0.18.0, in the same run.
//!
//! The server (`ssewire_benches::clients::server`, hyper) runs on a runtime of its own with one
//! worker; the clients on another with one worker, one at a time, each run with a fresh client
//! (so a fresh connection and, over HTTPS, a full handshake). The order of the clients rotates
//! from run to run. Time to first event runs from building the client to its first event;
//! events/s is N over the time from building it to its Nth event. Each figure is the median of
//! R runs; ratios are the peer's median over ours.

use std::time::{Duration, Instant};

use eventsource_client::{Client as _, ClientBuilder, SSE};
use futures::StreamExt as _;
use ssewire_benches::clients::server::{self, Tls};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    Ours,
    ReqwestEventsource,
    EventsourceClient,
}

const PEERS: [Peer; 3] = [
    Peer::Ours,
    Peer::ReqwestEventsource,
    Peer::EventsourceClient,
];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Ours => "ssewire-http 0.1.0",
            Peer::ReqwestEventsource => "reqwest-eventsource 0.6.0",
            Peer::EventsourceClient => "eventsource-client 0.18.0",
        }
    }
}

/// Counts a run's events and notes when the first and the last arrived.
struct Timer {
    start: Instant,
    first: Option<Duration>,
    last: Option<Duration>,
    count: usize,
    n: usize,
}

impl Timer {
    /// An event arrived; true at the `n`th. The clock is read at the first and the last
    /// only (reading it at every event cost about 5% of the samples in a profile).
    fn event(&mut self) -> bool {
        if self.first.is_none() {
            self.first = Some(self.start.elapsed());
        }
        self.count += 1;
        if self.count >= self.n {
            self.last = Some(self.start.elapsed());
        }
        self.count >= self.n
    }
}

async fn ours(url: &str, tls: Option<&Tls>, timer: &mut Timer) -> Option<()> {
    let transport = match tls {
        Some(tls) => ssewire_http::HyperTransport::with_tls_config(tls.client_config()),
        None => ssewire_http::HyperTransport::new(),
    };
    let mut source = ssewire_http::EventSource::builder(url)
        .transport(transport.no_proxy())
        .build();
    while let Some(item) = source.next().await {
        match item {
            Ok(ssewire_http::SourceEvent::Message(_)) if timer.event() => return Some(()),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

async fn reqwest_eventsource(url: &str, tls: Option<&Tls>, timer: &mut Timer) -> Option<()> {
    let mut client = reqwest::Client::builder().no_proxy();
    if let Some(tls) = tls {
        let ca = reqwest::Certificate::from_der(&tls.ca_der).ok()?;
        client = client.add_root_certificate(ca);
    }
    let client = client.build().ok()?;
    let mut source = reqwest_eventsource::EventSource::new(client.get(url)).ok()?;
    while let Some(item) = source.next().await {
        match item {
            Ok(reqwest_eventsource::Event::Message(_)) if timer.event() => {
                source.close();
                return Some(());
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

async fn eventsource_client(url: &str, tls: Option<&Tls>, timer: &mut Timer) -> Option<()> {
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match tls {
        Some(tls) => builder.with_tls_config(tls.client_config()),
        None => builder.with_webpki_roots(),
    };
    let connector = builder.https_or_http().enable_http1().build();
    let transport = launchdarkly_sdk_transport::HyperTransport::builder()
        .disable_proxy()
        .build_with_connector(connector)
        .ok()?;
    let client = ClientBuilder::for_url(url)
        .ok()?
        .build_with_transport(transport);
    let mut stream = client.stream();
    while let Some(item) = stream.next().await {
        match item {
            Ok(SSE::Event(_)) if timer.event() => return Some(()),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// One run: time to the first event and to the `n`th. `None` when the client failed or took
/// over a minute.
async fn run(peer: Peer, url: &str, tls: Option<&Tls>, n: usize) -> Option<(Duration, Duration)> {
    let mut timer = Timer {
        start: Instant::now(),
        first: None,
        last: None,
        count: 0,
        n,
    };
    let limit = Duration::from_secs(60);
    let done = match peer {
        Peer::Ours => tokio::time::timeout(limit, ours(url, tls, &mut timer)).await,
        Peer::ReqwestEventsource => {
            tokio::time::timeout(limit, reqwest_eventsource(url, tls, &mut timer)).await
        }
        Peer::EventsourceClient => {
            tokio::time::timeout(limit, eventsource_client(url, tls, &mut timer)).await
        }
    };
    match done {
        Ok(Some(())) => Some((timer.first?, timer.last?)),
        _ => None,
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

struct Args {
    events: usize,
    runs: usize,
    markdown: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut parsed = Args {
        events: 100_000,
        runs: 5,
        markdown: None,
    };
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{arg} takes a value"));
        match arg.as_str() {
            "--events" => parsed.events = value()?.parse().map_err(|e| format!("--events: {e}"))?,
            "--runs" => parsed.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--markdown" => parsed.markdown = Some(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}\nusage: client-bench [--events N] [--runs R] [--markdown FILE]"
                ))
            }
        }
    }
    if parsed.events == 0 || parsed.runs == 0 {
        return Err("--events and --runs must be positive".into());
    }
    Ok(parsed)
}

fn main() -> std::process::ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("client-bench: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let tls = Tls::new();
    let body = server::body(args.events);
    let (http_url, https_url) = server_rt.block_on(async {
        let plain = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let secure = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let urls = (
            format!("http://{}/events", plain.local_addr().expect("an address")),
            format!(
                "https://{}/events",
                secure.local_addr().expect("an address")
            ),
        );
        tokio::spawn(server::serve(plain, None, body.clone()));
        tokio::spawn(server::serve(secure, Some(tls.server.clone()), body));
        urls
    });
    let mut table = String::new();
    table.push_str("| transport | client | time to first event (median) | events/s (median) | events/s vs ours | runs ok |\n");
    table.push_str("|---|---|---:|---:|---:|---:|\n");
    for (transport, url, tls) in [
        ("HTTP/1.1", &http_url, None),
        ("HTTPS (HTTP/1.1)", &https_url, Some(&tls)),
    ] {
        let mut samples: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); PEERS.len()];
        // One warm-up run each, not counted.
        for &peer in &PEERS {
            let _ = client_rt.block_on(run(peer, url, tls, args.events));
        }
        for r in 0..args.runs {
            for k in 0..PEERS.len() {
                let i = (r + k) % PEERS.len();
                let peer = PEERS[i];
                if let Some((first, last)) = client_rt.block_on(run(peer, url, tls, args.events)) {
                    samples[i].0.push(first.as_secs_f64() * 1e3);
                    samples[i].1.push(args.events as f64 / last.as_secs_f64());
                }
            }
        }
        let mut ours_rate = None;
        for (i, &peer) in PEERS.iter().enumerate() {
            let ok = samples[i].1.len();
            let ttfe = median(&mut samples[i].0);
            let rate = median(&mut samples[i].1);
            if peer == Peer::Ours {
                ours_rate = rate;
            }
            let ratio = match (rate, ours_rate) {
                (Some(rate), Some(ours)) => format!("{:.2}", rate / ours),
                _ => "-".into(),
            };
            let line = format!(
                "| {transport} | {} | {} | {} | {ratio} | {ok}/{} |\n",
                peer.name(),
                ttfe.map_or("-".into(), |t| format!("{t:.2} ms")),
                rate.map_or("-".into(), |r| format!("{:.0}", r)),
                args.runs
            );
            print!("{line}");
            table.push_str(&line);
        }
    }
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &table) {
            eprintln!("client-bench: {path}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
