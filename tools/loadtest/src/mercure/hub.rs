//! `ssewire-hub serve` in a child process: its key in a temporary directory, its port, its
//! memory from /proc, its metrics; [`HubChild`] kills it and removes the directory on drop,
//! so a run that fails or times out leaves nothing behind.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::report::Memory;

/// The issuer every token names and the hub is bound to.
pub const ISSUER: &str = "https://loadtest.example";
/// The audience every token names and the hub checks (`serve --audience`).
pub const AUDIENCE: &str = "https://hub.loadtest.example/.well-known/mercure";

/// A running `ssewire-hub serve`; dropping it kills the process and removes its key.
pub struct HubChild {
    child: Child,
    pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The HS256 secret, as `keygen` wrote it (the hex text is the key).
    pub secret: Vec<u8>,
    dir: PathBuf,
    // Kept open: the hub may print more, and a closed pipe would fail its writes.
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// The hub binary: `--hub-bin`, else `ssewire-hub` next to this executable (the same
/// `target/<profile>` directory).
pub fn binary(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let path = exe.with_file_name("ssewire-hub");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it (`cargo build --release -p ssewire-hub`) or pass --hub-bin",
            path.display()
        ))
    }
}

impl HubChild {
    /// `keygen` into a fresh temporary directory, then `serve` on 127.0.0.1:0 with HS256,
    /// history in memory, no anonymous subscribers, room for `max_connections`, and `extra`;
    /// `touch_heap` sets glibc's `MALLOC_PERTURB_` in its environment.
    pub async fn spawn(
        bin: &Path,
        max_connections: usize,
        extra: &[String],
        touch_heap: bool,
        secret: Option<&[u8]>,
    ) -> Result<HubChild, String> {
        static SPAWNED: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ssewire-loadtest-{}-{}",
            std::process::id(),
            SPAWNED.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let guard = DirGuard(dir.clone());
        let secret = match secret {
            Some(secret) => secret.to_vec(),
            None => keygen(bin).await?,
        };
        let key = dir.join("hub.key");
        std::fs::write(&key, &secret).map_err(|e| format!("{}: {e}", key.display()))?;
        let mut command = tokio::process::Command::new(bin);
        if touch_heap {
            command.env("MALLOC_PERTURB_", "165");
        }
        let mut child = command
            .arg("serve")
            .args([
                "--listen",
                "127.0.0.1:0",
                "--alg",
                "HS256",
                "--history",
                "memory",
            ])
            .arg("--publisher-key")
            .arg(&key)
            .args(["--issuer", ISSUER, "--audience", AUDIENCE, "--log", "warn"])
            .arg("--max-connections")
            .arg((max_connections + 100).to_string())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawning {} serve: {e}", bin.display()))?;
        let pid = child.id().unwrap_or(0);
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let line = match tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(_) => {
                let status = child.wait().await.map_err(|e| e.to_string())?;
                return Err(format!(
                    "the hub exited ({status}) before listening (see its message above)"
                ));
            }
            Err(_) => return Err("the hub did not print `listening on …` within 20 s".into()),
        };
        let addr: SocketAddr = line
            .strip_prefix("listening on http://")
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| format!("the hub said {line:?} instead of `listening on …`"))?;
        std::mem::forget(guard);
        Ok(HubChild {
            child,
            pid,
            addr,
            secret,
            dir,
            _stdout: lines,
        })
    }

    /// The hub's VmRSS and VmHWM.
    pub fn memory(&self) -> Result<Memory, String> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        Ok(Memory {
            rss_kib: field(&status, "VmRSS:"),
            hwm_kib: field(&status, "VmHWM:"),
        })
    }

    /// Stops the hub with SIGKILL and waits for it (nothing of it is worth draining here).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Drop for HubChild {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh HS256 secret from `ssewire-hub keygen` (the hex text is the key).
async fn keygen(bin: &Path) -> Result<Vec<u8>, String> {
    let keygen = tokio::process::Command::new(bin)
        .arg("keygen")
        .output()
        .await
        .map_err(|e| format!("running {} keygen: {e}", bin.display()))?;
    if !keygen.status.success() {
        return Err(format!(
            "{} keygen failed: {}",
            bin.display(),
            keygen.status
        ));
    }
    Ok(String::from_utf8_lossy(&keygen.stdout)
        .trim()
        .as_bytes()
        .to_vec())
}

/// The hub under test: one node on its embedded store, or several sharing a Redis of their
/// own (`--nodes`), all with one key. Dropping it kills every process it started.
pub struct Hubs {
    /// The nodes, in start order.
    pub nodes: Vec<HubChild>,
    _redis: Option<RedisChild>,
}

impl Hubs {
    /// `nodes` hubs; more than one share a `redis-server` started here (AOF, fsync always).
    pub async fn spawn(
        bin: &Path,
        nodes: usize,
        max_connections: usize,
        extra: &[String],
        touch_heap: bool,
    ) -> Result<Hubs, String> {
        if nodes <= 1 {
            let node = HubChild::spawn(bin, max_connections, extra, touch_heap, None).await?;
            return Ok(Hubs {
                nodes: vec![node],
                _redis: None,
            });
        }
        let redis = RedisChild::spawn().await?;
        let secret = keygen(bin).await?;
        let mut with_transport = extra.to_vec();
        with_transport.extend(["--transport".to_owned(), redis.url()]);
        let mut children = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            children.push(
                HubChild::spawn(
                    bin,
                    max_connections,
                    &with_transport,
                    touch_heap,
                    Some(&secret),
                )
                .await?,
            );
        }
        Ok(Hubs {
            nodes: children,
            _redis: Some(redis),
        })
    }

    /// The key every node trusts.
    pub fn secret(&self) -> &[u8] {
        &self.nodes[0].secret
    }

    /// Where the nodes listen.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// The nodes' memory, summed.
    pub fn memory(&self) -> Result<Memory, String> {
        let mut sum = Memory::default();
        for node in &self.nodes {
            let m = node.memory()?;
            sum.rss_kib += m.rss_kib;
            sum.hwm_kib += m.hwm_kib;
        }
        Ok(sum)
    }

    /// Stops every node (SIGKILL), then Redis.
    pub async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
    }
}

/// A `redis-server` on a free loopback port with its append-only file fsynced on every write
/// (the durable setting docs/cluster.md recommends), in a temporary directory; killed on drop.
pub struct RedisChild {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisChild {
    async fn spawn() -> Result<RedisChild, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!(
            "ssewire-loadtest-redis-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--loglevel", "warning", "--maxclients", "10000"])
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server ({e}); bash scripts/test.sh installs it")
            })?;
        let redis = RedisChild { child, port, dir };
        for _ in 0..200 {
            let ping = tokio::process::Command::new("redis-cli")
                .args(["-p", &port.to_string(), "ping"])
                .output()
                .await;
            if ping.is_ok_and(|out| out.stdout.starts_with(b"PONG")) {
                return Ok(redis);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "redis-server on port {port} did not answer within 10 s"
        ))
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisChild {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills `child`, then reaps it (for up to a second): the driver may exit right after this,
/// and tokio's orphan reaper would not get to it, leaving a zombie.
fn kill_and_reap(child: &mut Child) {
    let _ = child.start_kill();
    for _ in 0..100 {
        if !matches!(child.try_wait(), Ok(None)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Removes the temporary directory if spawning fails half-way.
struct DirGuard(PathBuf);

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `Vm…:` field of /proc/PID/status, in KiB (0 when absent).
pub fn field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The value of metric `name` in Prometheus text (the first sample, without labels).
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.split_once(' ')?;
            (key == name).then(|| value.trim().parse::<f64>().ok().map(|v| v as u64))?
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_metric_is_read_from_prometheus_text() {
        let text = "# HELP ssewire_hub_subscribers x\n# TYPE ssewire_hub_subscribers gauge\n\
                    ssewire_hub_subscribers 10000\nssewire_hub_subscribers_x 3\n";
        assert_eq!(super::metric(text, "ssewire_hub_subscribers"), Some(10_000));
        assert_eq!(super::metric(text, "ssewire_hub_connections"), None);
    }
}
