//! A publish answered 200 survives `kill -9` of the hub: a child process appends to a
//! `RedbHistory` and prints each seq once `append` has returned `Ok`; the parent kills it
//! with SIGKILL mid-stream, reopens the file, and finds every printed update, intact.
//!
//! The child is this test binary run again with [`CHILD_ENV`] set, on the test
//! [`crash_child`], which does nothing in a normal run.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ssewire_hub::store::{Cursor, History, HistoryLimits, RedbHistory, UpdateRecord};

/// Set to the database path, it makes [`crash_child`] the appending child.
const CHILD_ENV: &str = "SSEWIRE_HUB_STORE_CRASH_CHILD";
/// Kill rounds on the same file: each also checks that recovery leaves a file that takes
/// appends and survives the next crash.
const ROUNDS: u64 = 3;
/// The longest a round may wait for the child's lines.
const ROUND_TIMEOUT: Duration = Duration::from_secs(60);

fn limits() -> HistoryLimits {
    HistoryLimits {
        max_updates: u64::MAX,
        max_age: Duration::from_secs(u64::MAX / 4),
        max_bytes: u64::MAX,
    }
}

/// The update that seq `seq` must hold: derived from the seq, so the parent can check it.
fn record(seq: u64) -> UpdateRecord {
    UpdateRecord {
        id: format!("urn:crash:{seq}"),
        topics: vec![
            format!("https://example.com/crash/{seq}"),
            "https://example.com/crash/{n}".into(),
        ],
        private: seq.is_multiple_of(2),
        event_type: Some("crash".into()),
        retry: Some(seq),
        data: format!("payload {seq}\n").repeat(1 + (seq % 40) as usize),
        published_at_ms: 1_800_000_000_000 + seq,
    }
}

/// The child: appends until killed (or until a bound it never reaches in the test).
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let history = RedbHistory::open(&path, limits()).expect("child: open");
    let mut out = std::io::stdout().lock();
    for _ in 0..1_000_000 {
        let next = history.stats().expect("child: stats").next_seq;
        let seq = history.append(&record(next)).expect("child: append");
        assert_eq!(seq, next);
        writeln!(out, "appended {seq}").expect("child: print");
        out.flush().expect("child: flush");
    }
}

/// Kills the child if the parent panics before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs one child on `path`, kills it with SIGKILL after `lines` printed appends, and
/// returns every seq it printed.
fn run_and_kill(path: &Path, lines: usize) -> Vec<u64> {
    let exe = std::env::current_exe().expect("test binary");
    let child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let mut child = KillOnDrop(child);
    let mut stdout = BufReader::new(child.0.stdout.take().expect("child stdout"));
    let mut printed = Vec::new();
    let started = Instant::now();
    let mut line = String::new();
    while printed.len() < lines {
        assert!(
            started.elapsed() < ROUND_TIMEOUT,
            "the child printed {} appends in {ROUND_TIMEOUT:?}",
            printed.len()
        );
        line.clear();
        let n = stdout.read_line(&mut line).expect("read the child");
        assert!(n > 0, "the child ended early: {:?}", child.0.wait());
        if let Some(seq) = parse(&line) {
            printed.push(seq);
        }
    }
    // SIGKILL, as `kill -9 <pid>`: no destructor, no flush, no redb shutdown runs.
    child.0.kill().expect("SIGKILL the child");
    let status = child.0.wait().expect("wait for the child");
    assert_eq!(status.signal(), Some(9), "{status:?}");
    // Lines already in the pipe were printed after an Ok too.
    loop {
        line.clear();
        if stdout.read_line(&mut line).expect("drain the child") == 0 {
            break;
        }
        if let Some(seq) = parse(&line) {
            printed.push(seq);
        }
    }
    printed
}

/// `appended <seq>\n`; a line cut short by the kill has no newline and does not count.
fn parse(line: &str) -> Option<u64> {
    line.strip_suffix('\n')?
        .strip_prefix("appended ")?
        .parse()
        .ok()
}

#[test]
fn appends_that_returned_ok_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crash.redb");
    let mut all_printed = Vec::new();
    for round in 0..ROUNDS {
        // Vary where the kill lands.
        let lines = 60 + (std::process::id() as usize + 97 * round as usize) % 200;
        let printed = run_and_kill(&path, lines);
        assert!(printed.len() >= lines);
        all_printed.extend(printed);

        let history = RedbHistory::open(&path, limits()).expect("reopen after SIGKILL");
        let stored = history
            .read_after(&Cursor::Earliest, usize::MAX)
            .expect("read after SIGKILL")
            .updates;
        // Every printed seq is there, with its update intact.
        for &seq in &all_printed {
            let found = stored.iter().find(|u| u.seq == seq);
            assert_eq!(
                found.map(|u| &u.update),
                Some(&record(seq)),
                "round {round}: seq {seq} was printed after Ok but is missing or damaged"
            );
        }
        // Nothing else is damaged, seqs have no hole, and at most the one append in flight
        // at the kill was committed without being printed.
        for (i, u) in stored.iter().enumerate() {
            assert_eq!(u.seq, i as u64 + 1);
            assert_eq!(u.update, record(u.seq));
        }
        let printed_max = *all_printed.iter().max().expect("printed");
        assert!(
            stored.len() as u64 == printed_max || stored.len() as u64 == printed_max + 1,
            "round {round}: {} stored, {printed_max} printed",
            stored.len()
        );
        // The index came through: the first update's id resolves to seq 1.
        let r = history
            .read_after(&Cursor::Id(record(1).id), 1)
            .expect("lookup");
        assert!(r.found && r.updates[0].seq == 2);
        // The child of the next round goes on from here; the file must take appends.
        let stats = history.stats().expect("stats");
        assert_eq!(stats.next_seq, stored.len() as u64 + 1);
        assert_eq!(
            stats.bytes,
            stored.iter().map(|u| u.update.weight()).sum::<u64>()
        );
        let seq = history.append(&record(stats.next_seq)).expect("append");
        all_printed.push(seq);
    }
}
