//! What adapter processes printed, kept on disk between runs so that regenerating a matrix
//! reruns only what changed: a new case, a changed input, another version of a library.
//!
//! One file per implementation. Its first line is the identity the outputs belong to (the
//! command line and the adapter's `--capabilities` answer, which names its version); a file of
//! another identity is ignored and rewritten. Each further line is one process: its key (case
//! name, chunk size and a hash of the input bytes) and what it did. Timeouts are not kept, since
//! a busy machine causes them.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::process::Finished;

/// A cache of adapter outputs for one implementation.
#[derive(Debug)]
pub struct OutputCache {
    path: PathBuf,
    identity: String,
    entries: Mutex<HashMap<String, Entry>>,
    hits: Mutex<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    stdout: String,
    stderr: String,
    code: Option<i32>,
    signal: Option<i32>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    #[serde(flatten)]
    entry: Entry,
}

#[derive(Serialize, Deserialize)]
struct Header {
    identity: String,
}

impl OutputCache {
    /// Opens (or starts) the cache at `path` for `identity`; an unreadable or foreign file
    /// starts empty.
    pub fn open(path: PathBuf, identity: String) -> OutputCache {
        let mut entries = HashMap::new();
        if let Ok(file) = std::fs::File::open(&path) {
            let mut lines = BufReader::new(file).lines();
            let same = lines
                .next()
                .and_then(Result::ok)
                .and_then(|l| serde_json::from_str::<Header>(&l).ok())
                .is_some_and(|h| h.identity == identity);
            if same {
                for line in lines.map_while(Result::ok) {
                    if let Ok(line) = serde_json::from_str::<Line>(&line) {
                        entries.insert(line.key, line.entry);
                    }
                }
            }
        }
        OutputCache {
            path,
            identity,
            entries: Mutex::new(entries),
            hits: Mutex::new(0),
        }
    }

    /// The key of one process: case, chunk size, and the input's hash (so an edited case is
    /// run again).
    pub fn key(case: &str, chunk_size: Option<usize>, input: &[u8]) -> String {
        let mut hasher = DefaultHasher::new();
        input.hash(&mut hasher);
        let size = chunk_size.map_or_else(|| "whole".to_owned(), |n| n.to_string());
        format!("{case}|{size}|{}|{:016x}", input.len(), hasher.finish())
    }

    /// What the process of `key` printed last time, if kept.
    pub fn get(&self, key: &str) -> Option<Finished> {
        let entry = lock(&self.entries).get(key).cloned()?;
        *lock(&self.hits) += 1;
        Some(Finished {
            stdout: entry.stdout.into_bytes(),
            stderr: entry.stderr.into_bytes(),
            code: entry.code,
            signal: entry.signal,
            timed_out: false,
        })
    }

    /// Keeps what a process did, unless it timed out or printed bytes that are not UTF-8.
    pub fn put(&self, key: String, finished: &Finished) {
        if finished.timed_out {
            return;
        }
        let (Ok(stdout), Ok(stderr)) = (
            String::from_utf8(finished.stdout.clone()),
            String::from_utf8(finished.stderr.clone()),
        ) else {
            return;
        };
        let entry = Entry {
            stdout,
            stderr,
            code: finished.code,
            signal: finished.signal,
        };
        lock(&self.entries).insert(key, entry);
    }

    /// How many lookups found an entry.
    pub fn hits(&self) -> usize {
        *lock(&self.hits)
    }

    /// Writes the cache back.
    ///
    /// # Errors
    /// The file's path and the I/O error.
    pub fn save(&self) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("{}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut out = BufWriter::new(std::fs::File::create(&self.path).map_err(fail)?);
        let header = Header {
            identity: self.identity.clone(),
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&header).expect("serializes")
        )
        .map_err(fail)?;
        for (key, entry) in lock(&self.entries).iter() {
            let line = Line {
                key: key.clone(),
                entry: entry.clone(),
            };
            writeln!(out, "{}", serde_json::to_string(&line).expect("serializes")).map_err(fail)?;
        }
        out.flush().map_err(fail)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_back_only_for_the_same_identity_and_input() {
        let dir =
            std::env::temp_dir().join(format!("sse-conformance-cache-{}", std::process::id()));
        let path = dir.join("x.jsonl");
        let finished = Finished {
            stdout: b"{\"retry\":1}\n".to_vec(),
            stderr: Vec::new(),
            code: Some(0),
            signal: None,
            timed_out: false,
        };
        let key = OutputCache::key("retry/a", Some(3), b"retry: 1\n");
        let cache = OutputCache::open(path.clone(), "v1".into());
        cache.put(key.clone(), &finished);
        cache.put(
            OutputCache::key("retry/b", None, b""),
            &Finished {
                timed_out: true,
                ..finished.clone()
            },
        );
        cache.save().unwrap();

        let again = OutputCache::open(path.clone(), "v1".into());
        assert_eq!(again.get(&key).unwrap().stdout, finished.stdout);
        assert!(again.get(&OutputCache::key("retry/b", None, b"")).is_none());
        assert_ne!(key, OutputCache::key("retry/a", Some(3), b"retry: 2\n"));
        assert_eq!(again.hits(), 1);
        let other = OutputCache::open(path, "v2".into());
        assert!(other.get(&key).is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
