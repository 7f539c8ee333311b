//! `sse-conformance serve`: the client-conformance server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use ssewire_http::HyperTransport;

use crate::serve::{run_ours_with, Segmentation, ServeOptions, Server, TestCa};

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8090)]
    port: u16,
    /// Run this project's client (ssewire-http's EventSource) against the server in process,
    /// then exit: status 1 if any entry failed.
    #[arg(long, conflicts_with = "exit_when_done")]
    run_ours: bool,
    /// Wait for a client's `POST /done` (or the timeout), then exit: status 0 if it came.
    #[arg(long)]
    exit_when_done: bool,
    /// With --exit-when-done: how long to wait for the client, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,
    /// Serve only the cases whose name contains TEXT.
    #[arg(long, value_name = "TEXT")]
    cases: Option<String>,
    /// Serve only the scenarios whose id contains TEXT.
    #[arg(long, value_name = "TEXT")]
    scenarios: Option<String>,
    /// How each case's bytes are cut into writes, comma-separated.
    #[arg(long, value_name = "LIST", default_value = "whole,tiny,crlf,utf8", value_parser = parse_segmentations)]
    segmentations: Segmentations,
    /// The client's name in the Markdown report (default: `ssewire-http` with --run-ours,
    /// else `client`).
    #[arg(long, value_name = "NAME")]
    client: Option<String>,
    /// Write the report as Markdown to FILE.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with a certificate for 127.0.0.1 and
    /// localhost, signed by a test CA made at start (see --tls-ca-out). Without it, the server
    /// speaks cleartext HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on the same port.
    #[arg(long)]
    tls: bool,
    /// With --tls: write the test CA's certificate (PEM) to FILE, for a client to trust.
    #[arg(long, value_name = "FILE", requires = "tls")]
    tls_ca_out: Option<PathBuf>,
    /// With --run-ours: our client speaks HTTP/2 only (h2c with prior knowledge over
    /// cleartext; over TLS, HTTP/2 as ALPN would choose anyway).
    #[arg(long, requires = "run_ours")]
    http2: bool,
}

/// A list of segmentations (a newtype, so clap takes the whole list as one value).
#[derive(Clone, Debug)]
struct Segmentations(Vec<Segmentation>);

fn parse_segmentations(value: &str) -> Result<Segmentations, String> {
    let list = value
        .split(',')
        .map(|name| {
            Segmentation::from_name(name.trim()).ok_or(format!(
                "unknown segmentation {name:?} (whole, tiny, crlf or utf8)"
            ))
        })
        .collect::<Result<_, _>>()?;
    Ok(Segmentations(list))
}

pub(super) fn execute(args: ServeArgs) -> Result<ExitCode, String> {
    let options = ServeOptions {
        filter: args.cases,
        segmentations: args.segmentations.0,
        scenario_filter: args.scenarios,
    };
    let timeout = Duration::from_secs(args.timeout);
    let port = args.port;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let ca = args.tls.then(TestCa::new);
        if let (Some(ca), Some(path)) = (&ca, &args.tls_ca_out) {
            std::fs::write(path, ca.ca_pem()).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let started = match &ca {
            Some(ca) => Server::start_tls(port, options, ca.server_config()).await,
            None => Server::start(port, options).await,
        };
        let server = started.map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        // One machine-readable line first, so a script can start its client on the port.
        outln!("listening on {}", server.url());
        let plan = server.plan();
        eprintln!(
            "serving {} case runs and {} scenarios on {}/ (open it in a browser to run them)",
            plan.cases.len(),
            plan.scenarios.len(),
            server.url()
        );
        let client = args.client.unwrap_or_else(|| {
            let name = if args.run_ours {
                "ssewire-http"
            } else {
                "client"
            };
            name.into()
        });
        let completed = if args.run_ours {
            // Over HTTP/2 (h2c, or by ALPN over TLS), a transport per entry, so a connection
            // per entry (see `run_ours_with` on h2's budget); over HTTP/1.1, one pool.
            let shared = HyperTransport::new();
            let tls = ca.as_ref().map(TestCa::client_config);
            let http2 = args.http2;
            run_ours_with(&server, 16, move || {
                let transport = match &tls {
                    Some(config) => HyperTransport::with_tls_config(config.clone()),
                    None => shared.clone(),
                };
                if http2 {
                    transport.http2_only()
                } else {
                    transport
                }
            })
            .await;
            true
        } else if args.exit_when_done {
            server.wait_done(timeout).await
        } else {
            shutdown_signal().await;
            true
        };
        let results = server.results();
        server.shutdown().await;
        outln!("{results}");
        if let Some(path) = &args.markdown {
            std::fs::write(path, results.to_markdown(&client))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some(path) = &args.json {
            let text = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if !completed {
            eprintln!("sse-conformance: no client said it was done within {timeout:?}");
            return Ok(ExitCode::from(2));
        }
        Ok(if args.run_ours && results.failed() > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// SIGINT or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
