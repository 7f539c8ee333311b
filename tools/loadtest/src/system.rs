//! The open-files limit and this process's memory, from /proc (no unsafe code, no libc).

use std::process::Stdio;

/// File descriptors besides the sockets: stdio, the listener, epoll, the runtime's own.
pub const SPARE_FDS: u64 = 64;

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
pub fn raise_nofile(role: &str) -> Option<u64> {
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
            eprintln!("loadtest {role}: raised the open-files limit from {soft} to {hard}");
        }
        _ => eprintln!(
            "loadtest {role}: could not raise the open-files limit from {soft} to {hard} \
             (is `prlimit` installed?); run `ulimit -n {hard}` first, or scripts/load.sh"
        ),
    }
    Some(raised)
}

/// VmRSS and VmHWM of this process, in KiB.
pub fn memory_kib() -> (u64, u64) {
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

/// An error message that says the process ran out of file descriptors (EMFILE).
pub fn is_fd_exhaustion(message: &str) -> bool {
    message.contains("os error 24") || message.contains("Too many open files")
}
