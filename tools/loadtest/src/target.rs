//! The system under test, as the driver sees it: where subscribers connect, how many the
//! server holds, its memory, and a way to publish. [`HubProcess`] is the hub in a child
//! process; another server (a Mercure hub, a cluster behind Redis) would be another
//! [`Target`] driven by the same [`scenario`](crate::scenario).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::cli::Variant;
use crate::report::Memory;

/// What the scenario needs from a server. Published events carry the IDs 1, 2, 3 … in
/// order, and data of the asked length that starts with `event <id> `.
pub trait Target {
    /// The URL each subscriber opens.
    fn url(&self) -> &str;
    /// How many subscribers the server holds now.
    async fn subscribers(&mut self) -> Result<usize, String>;
    /// The server's resident memory now.
    async fn memory(&mut self) -> Result<Memory, String>;
    /// Publishes `count` events with `data_bytes` bytes of data each.
    async fn publish(&mut self, count: u64, data_bytes: usize) -> Result<(), String>;
    /// Stops the server, if the test started it.
    async fn quit(self);

    /// Polls [`Target::subscribers`] until it is `want`, or fails at `deadline`.
    async fn wait_subscribers(
        &mut self,
        want: usize,
        deadline: Instant,
        what: &str,
    ) -> Result<(), String> {
        loop {
            let count = self.subscribers().await?;
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
}

/// `ssewire-loadtest hub-server` in a child process, steered over its stdin and stdout.
pub struct HubProcess {
    url: String,
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl HubProcess {
    /// Starts this same binary as `hub-server --variant <variant>` and reads its port;
    /// `touch_heap` sets glibc's `MALLOC_PERTURB_` in its environment.
    pub async fn spawn(variant: Variant, touch_heap: bool) -> Result<HubProcess, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut command = tokio::process::Command::new(exe);
        command
            .args(["hub-server", "--variant", variant.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if touch_heap {
            command.env("MALLOC_PERTURB_", "165");
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("spawning the server: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut process = HubProcess {
            url: String::new(),
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        let line = process.read_line("its port").await?;
        let port: u16 = line
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("the server said {line:?} instead of its port"))?;
        process.url = format!("http://127.0.0.1:{port}/events");
        Ok(process)
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
}

impl Target for HubProcess {
    fn url(&self) -> &str {
        &self.url
    }

    async fn subscribers(&mut self) -> Result<usize, String> {
        let answer = self.ask("count").await?;
        answer
            .strip_prefix("count ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad answer to count: {answer:?}"))
    }

    async fn memory(&mut self) -> Result<Memory, String> {
        let answer = self.ask("rss").await?;
        let mut words = answer.split_whitespace().skip(1);
        let mut number = || words.next().and_then(|w| w.parse().ok());
        match (number(), number()) {
            (Some(rss_kib), Some(hwm_kib)) => Ok(Memory { rss_kib, hwm_kib }),
            _ => Err(format!("bad answer to rss: {answer:?}")),
        }
    }

    async fn publish(&mut self, count: u64, data_bytes: usize) -> Result<(), String> {
        self.ask(&format!("publish {count} {data_bytes}"))
            .await
            .map(drop)
    }

    async fn quit(mut self) {
        let _ = self.stdin.write_all(b"quit\n").await;
        let _ = self.stdin.flush().await;
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("loadtest: the server did not exit within 15 s of quit; killing it");
            let _ = self.child.kill().await;
        }
    }
}
