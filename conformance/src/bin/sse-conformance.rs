//! `sse-conformance`: this project's adapter (`adapter`), the runner for any adapter command
//! (`run`), and a way to read the corpus (`list`, `show`).

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use lexopt::prelude::*;
use ssewire_conformance::adapter::{self, EncodeFailure};
use ssewire_conformance::process::{self, AdapterRun, ChunkSize, Verdict};
use ssewire_conformance::{escape, Case};

const USAGE: &str = "\
sse-conformance: the text/event-stream conformance corpus and its runner

USAGE:
  sse-conformance adapter [--chunk-size N] [--count | --encode]
      This project's parser (or encoder) behind the adapter protocol: stream on stdin,
      JSON lines on stdout.
  sse-conformance run [--adapter COMMAND] [--chunk-sizes 1,2,3,7,64,whole] [--run PREFIX]...
                      [--skip PREFIX]... [--expected-failures FILE] [--timeout SECS]
                      [--jobs N] [--json FILE] [--encode]
      Runs every case through COMMAND (a shell command line; default: this program's own
      adapter) at each chunk size and reports every failure; the last line is
      'N passed, M failed'. --encode also checks COMMAND --encode (round trips and refusals).
      Exit status 0 only when nothing went otherwise than expected.
  sse-conformance matrix --impl NAME=COMMAND [--version NAME=TEXT]... [--chunk-sizes ...]
                         [--timeout SECS] [--jobs N] [--markdown FILE] [--json FILE]
      Runs every case through each implementation's adapter (repeat --impl) and writes the
      results matrix: a summary per implementation, passes per area, every case. Markdown goes
      to FILE or stdout. Exit status 0 whatever the implementations do.
  sse-conformance serve [--port N] [--run-ours] [--exit-when-done] [--timeout SECS]
                        [--cases PREFIX] [--scenarios TEXT] [--segmentations whole,tiny,crlf,utf8]
                        [--client NAME] [--markdown FILE] [--json FILE]
      The client-conformance server on 127.0.0.1:N (default 8090; 0 picks a free port):
      every case over HTTP with controlled segmentation, and the EventSource scenarios
      (docs/client-conformance.md). A browser opening the printed URL runs everything.
      --run-ours runs this project's client against it in process and exits 1 on any
      failure; --exit-when-done waits for a client's POST /done (or --timeout, default 600)
      and exits 0 if it came. Either way the report is printed (and written to FILE).
  sse-conformance list [PREFIX]
      Case names with their sources.
  sse-conformance show NAME...
      A case's input bytes, escaped, and its expected outputs.
";

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sse-conformance: {message}");
            eprintln!("(sse-conformance --help for usage)");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode, String> {
    let mut args = lexopt::Parser::from_env();
    let command = match args.next().map_err(|e| e.to_string())? {
        Some(Value(command)) => command.string().map_err(|e| e.to_string())?,
        Some(Long("help") | Short('h')) | None => {
            print!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => return Err(other.unexpected().to_string()),
    };
    match command.as_str() {
        "adapter" => run_adapter(args),
        "run" => run_suite(args),
        "matrix" => run_matrix(args),
        #[cfg(feature = "serve")]
        "serve" => serve(args),
        #[cfg(not(feature = "serve"))]
        "serve" => Err("this sse-conformance was built without the `serve` feature".into()),
        "list" => list(args),
        "show" => show(args),
        "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn text(args: &mut lexopt::Parser) -> Result<String, String> {
    args.value()
        .map_err(|e| e.to_string())?
        .string()
        .map_err(|e| e.to_string())
}

fn number<T: std::str::FromStr>(args: &mut lexopt::Parser, what: &str) -> Result<T, String> {
    let value = text(args)?;
    value
        .parse()
        .map_err(|_| format!("{what} takes a number, not {value:?}"))
}

fn run_adapter(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    let (mut chunk_size, mut count, mut encode) = (None, false, false);
    while let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Long("chunk-size") => {
                let n: usize = number(&mut args, "--chunk-size")?;
                if n == 0 {
                    return Err("--chunk-size must be at least 1".into());
                }
                chunk_size = Some(n);
            }
            Long("count") => count = true,
            Long("encode") => encode = true,
            other => return Err(other.unexpected().to_string()),
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if encode {
        let stdin = io::stdin();
        return Ok(match adapter::encode(stdin.lock(), &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(EncodeFailure::Refused(why)) => {
                let _ = out.flush();
                eprintln!("refused: {why}");
                ExitCode::from(2)
            }
            Err(EncodeFailure::BadItem(why)) => {
                let _ = out.flush();
                eprintln!("bad item: {why}");
                ExitCode::from(1)
            }
            Err(EncodeFailure::Io(e)) => {
                eprintln!("i/o error: {e}");
                ExitCode::from(1)
            }
        });
    }
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let written = if count {
        adapter::count(&input, chunk_size, &mut out)
    } else {
        adapter::parse(&input, chunk_size, &mut out)
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// This program's own adapter as a shell command line.
fn own_adapter() -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let exe = exe.to_str().ok_or("this program's path is not UTF-8")?;
    Ok(format!("'{}' adapter", exe.replace('\'', r"'\''")))
}

fn chunk_sizes_arg(value: &str) -> Result<Vec<ChunkSize>, String> {
    value
        .split(',')
        .map(|s| match s.trim() {
            "whole" => Ok(None),
            n => n
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .map(Some)
                .ok_or(format!("bad chunk size {n:?}")),
        })
        .collect()
}

fn run_matrix(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    use ssewire_conformance::matrix::{self, Implementation};
    let mut implementations: Vec<Implementation> = Vec::new();
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    let mut settings = AdapterRun {
        command: String::new(),
        chunk_sizes: vec![None, Some(1), Some(2), Some(3), Some(7), Some(64)],
        timeout: Duration::from_secs(10),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        expected_failures: Vec::new(),
    };
    let (mut markdown, mut json) = (None, None);
    let pair = |value: String, what: &str| -> Result<(String, String), String> {
        value
            .split_once('=')
            .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .ok_or(format!("{what} takes NAME=VALUE, not {value:?}"))
    };
    while let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Long("impl") => {
                let (name, command) = pair(text(&mut args)?, "--impl")?;
                implementations.push(Implementation {
                    name,
                    version: String::new(),
                    command,
                });
            }
            Long("version") => {
                let (name, version) = pair(text(&mut args)?, "--version")?;
                versions.insert(name, version);
            }
            Long("chunk-sizes") => settings.chunk_sizes = chunk_sizes_arg(&text(&mut args)?)?,
            Long("timeout") => {
                settings.timeout = Duration::from_secs_f64(
                    text(&mut args)?
                        .parse()
                        .map_err(|_| "--timeout takes seconds")?,
                )
            }
            Long("jobs") => settings.jobs = number(&mut args, "--jobs")?,
            Long("markdown") => markdown = Some(text(&mut args)?),
            Long("json") => json = Some(text(&mut args)?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    if implementations.is_empty() {
        return Err("matrix needs at least one --impl NAME=COMMAND".into());
    }
    for implementation in &mut implementations {
        implementation.version = versions
            .remove(&implementation.name)
            .unwrap_or_else(|| "-".into());
    }
    if let Some(name) = versions.keys().next() {
        return Err(format!("--version names {name:?}, which no --impl has"));
    }
    let cases: Vec<&Case> = Case::all().iter().collect();
    let matrix = matrix::run(implementations, &settings, &cases);
    let text = matrix.markdown();
    match markdown {
        Some(path) => std::fs::write(&path, &text).map_err(|e| format!("{path}: {e}"))?,
        None => print!("{text}"),
    }
    if let Some(path) = json {
        let value = serde_json::to_string_pretty(&matrix).map_err(|e| e.to_string())?;
        std::fs::write(&path, value).map_err(|e| format!("{path}: {e}"))?;
    }
    for (i, implementation) in matrix.implementations.iter().enumerate() {
        eprintln!(
            "{}: {} / {} cases pass",
            implementation.name,
            matrix.passed(i),
            matrix.cases.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_suite(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    let mut command = None;
    let mut chunk_sizes: Vec<ChunkSize> = vec![None, Some(1), Some(2), Some(3), Some(7), Some(64)];
    let (mut run, mut skip) = (Vec::<String>::new(), Vec::<String>::new());
    let mut expected_failures = Vec::new();
    let mut timeout = Duration::from_secs(10);
    let mut jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (mut json, mut encode) = (None, false);
    while let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Long("adapter") => command = Some(text(&mut args)?),
            Long("chunk-sizes") => chunk_sizes = chunk_sizes_arg(&text(&mut args)?)?,
            Long("run") => run.push(text(&mut args)?),
            Long("skip") => skip.push(text(&mut args)?),
            Long("expected-failures") => {
                let path = text(&mut args)?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                expected_failures.extend(
                    text.lines()
                        .map(|l| l.split('#').next().unwrap_or("").trim())
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
            }
            Long("timeout") => {
                timeout = Duration::from_secs_f64(
                    text(&mut args)?
                        .parse()
                        .map_err(|_| "--timeout takes seconds")?,
                )
            }
            Long("jobs") => {
                jobs = text(&mut args)?
                    .parse()
                    .map_err(|_| "--jobs takes a number")?
            }
            Long("json") => json = Some(text(&mut args)?),
            Long("encode") => encode = true,
            other => return Err(other.unexpected().to_string()),
        }
    }
    for name in &expected_failures {
        if Case::find(name).is_none() {
            return Err(format!("expected failure {name:?} is not a case name"));
        }
    }
    let settings = AdapterRun {
        command: match command {
            Some(command) => command,
            None => own_adapter()?,
        },
        chunk_sizes,
        timeout,
        jobs,
        expected_failures,
    };
    let cases: Vec<&Case> = Case::all()
        .iter()
        .filter(|c| run.is_empty() || run.iter().any(|p| c.name.starts_with(p.as_str())))
        .filter(|c| !skip.iter().any(|p| c.name.starts_with(p.as_str())))
        .collect();
    if cases.is_empty() {
        return Err("no case matches the --run/--skip filters".into());
    }
    eprintln!(
        "running {} cases through: {}",
        cases.len(),
        settings.command
    );
    let report = process::run(&settings, &cases);

    // A per-area summary before the details, so a newcomer sees the shape of the result.
    let mut areas: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for outcome in &report.outcomes {
        let area = outcome.name.split('/').next().unwrap_or("");
        let entry = areas.entry(area).or_default();
        entry.1 += 1;
        if outcome.verdict == Verdict::Pass {
            entry.0 += 1;
        }
    }
    println!("{:<14} passed / cases", "area");
    for (area, (passed, total)) in &areas {
        let mark = if passed == total { "" } else { "  <-" };
        println!("{area:<14} {passed:>6} / {total}{mark}");
    }
    println!();
    let mut failed = report.failed();
    let mut text = report.text.clone();
    if encode {
        let checks = process::encode_checks(&cases);
        let (encode_text, encode_failed) = process::run_encode(&settings, &checks);
        println!(
            "encoder checks ({} round trips and refusals):",
            checks.len()
        );
        print!("{encode_text}");
        println!();
        failed += encode_failed;
        let passed = report
            .outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count()
            + checks.len()
            - encode_failed;
        let last = text.trim_end().rfind('\n').map_or(0, |i| i + 1);
        text.truncate(last);
        text.push_str(&format!("{passed} passed, {failed} failed\n"));
    }
    if let Some(path) = json {
        let doc = serde_json::json!({
            "adapter": settings.command,
            "chunk_sizes": settings.chunk_sizes.iter().map(|s| s.map_or("whole".to_string(), |n| n.to_string())).collect::<Vec<_>>(),
            "cases": report.outcomes,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n")
            .map_err(|e| format!("{path}: {e}"))?;
    }
    print!("{text}");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn list(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    let mut prefix = String::new();
    if let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Value(p) => prefix = p.string().map_err(|e| e.to_string())?,
            other => return Err(other.unexpected().to_string()),
        }
    }
    let mut stdout = io::stdout().lock();
    for case in Case::all().iter().filter(|c| c.name.starts_with(&prefix)) {
        let _ = writeln!(stdout, "{:<70} {}", case.name, case.source);
    }
    Ok(ExitCode::SUCCESS)
}

fn show(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    let mut names = Vec::new();
    while let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Value(name) => names.push(name.string().map_err(|e| e.to_string())?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    if names.is_empty() {
        return Err("show needs a case name (see sse-conformance list)".into());
    }
    for name in names {
        let case = Case::find(&name).ok_or(format!("no case named {name:?}"))?;
        println!(
            "{}\n  source: {}\n  input ({} bytes):",
            case.name,
            case.source,
            case.input.len()
        );
        // One input line per printed line, its line end shown escaped at the end.
        let mut rest = &case.input[..];
        let mut shown = 0;
        while !rest.is_empty() && shown < 40 {
            let end = rest
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .map_or(rest.len(), |i| {
                    i + if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    }
                });
            println!("    {}", escape(&rest[..end]));
            rest = &rest[end..];
            shown += 1;
        }
        if !rest.is_empty() {
            println!("    … ({} more bytes)", rest.len());
        }
        println!("  expect:");
        if case.expect.is_empty() {
            println!("    (nothing)");
        }
        for output in &case.expect {
            println!(
                "    {}",
                ssewire_conformance::escape_truncated(output.to_json_line().as_bytes(), 200)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "serve")]
fn serve(mut args: lexopt::Parser) -> Result<ExitCode, String> {
    use ssewire_conformance::serve::{run_ours, Segmentation, ServeOptions, Server};
    let mut port: u16 = 8090;
    let (mut ours, mut exit_when_done) = (false, false);
    let mut timeout = Duration::from_secs(600);
    let mut options = ServeOptions::default();
    let mut client = None;
    let (mut markdown, mut json) = (None, None);
    while let Some(arg) = args.next().map_err(|e| e.to_string())? {
        match arg {
            Long("port") => port = number(&mut args, "--port")?,
            Long("run-ours") => ours = true,
            Long("exit-when-done") => exit_when_done = true,
            Long("timeout") => timeout = Duration::from_secs(number(&mut args, "--timeout")?),
            Long("cases") => options.filter = Some(text(&mut args)?),
            Long("scenarios") => options.scenario_filter = Some(text(&mut args)?),
            Long("segmentations") => {
                options.segmentations = text(&mut args)?
                    .split(',')
                    .map(|name| {
                        Segmentation::from_name(name.trim())
                            .ok_or(format!("unknown segmentation {name:?}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            Long("client") => client = Some(text(&mut args)?),
            Long("markdown") => markdown = Some(text(&mut args)?),
            Long("json") => json = Some(text(&mut args)?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = Server::start(port, options)
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let plan = server.plan();
        eprintln!(
            "serving {} case runs and {} scenarios on {}/ (open it in a browser to run them)",
            plan.cases.len(),
            plan.scenarios.len(),
            server.url()
        );
        let client = client.unwrap_or_else(|| {
            if ours {
                "ssewire-http".into()
            } else {
                "client".into()
            }
        });
        let completed = if ours {
            run_ours(&server, 16).await;
            true
        } else if exit_when_done {
            server.wait_done(timeout).await
        } else {
            let _ = tokio::signal::ctrl_c().await;
            true
        };
        let results = server.results();
        println!("{results}");
        if let Some(path) = markdown {
            std::fs::write(&path, results.to_markdown(&client))
                .map_err(|e| format!("{path}: {e}"))?;
        }
        if let Some(path) = json {
            let text = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
            std::fs::write(&path, text).map_err(|e| format!("{path}: {e}"))?;
        }
        if !completed {
            eprintln!("sse-conformance: no client said it was done within {timeout:?}");
            return Ok(ExitCode::from(2));
        }
        Ok(if ours && results.failed() > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
}
