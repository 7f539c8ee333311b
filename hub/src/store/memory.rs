//! [`MemoryHistory`]: the history in memory, lost on restart.

use std::collections::{HashMap, VecDeque};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use super::{
    check_weights, must_trim, unix_millis, Cursor, History, HistoryLimits, HistoryStats, ReadAfter,
    StoreError, StoredUpdate, UpdateRecord,
};

/// The history in memory: a `VecDeque` in seq order and an index id → seqs, behind a
/// `RwLock` (readers, i.e. reconnecting subscribers, do not wait for each other). Lost on
/// restart, so a restarted hub answers every cursor with `earliest`. The bytes held are
/// bounded by [`HistoryLimits::max_bytes`] (as [`UpdateRecord::weight`] estimates them).
#[derive(Debug)]
pub struct MemoryHistory {
    limits: HistoryLimits,
    state: RwLock<State>,
}

#[derive(Debug)]
struct State {
    /// Oldest first; seqs strictly increasing.
    updates: VecDeque<StoredUpdate>,
    /// Every stored id → the seqs that carry it, increasing. Trimming removes the oldest
    /// update, which is always the front of its id's list, so the front is the earliest
    /// occurrence still stored (RC-8).
    ids: HashMap<String, VecDeque<u64>>,
    next_seq: u64,
    bytes: u64,
}

impl MemoryHistory {
    /// An empty history with these limits; seqs start at 1.
    pub fn new(limits: HistoryLimits) -> Self {
        MemoryHistory {
            limits,
            state: RwLock::new(State {
                updates: VecDeque::new(),
                ids: HashMap::new(),
                next_seq: 1,
                bytes: 0,
            }),
        }
    }

    // No code path panics while holding the lock with the state half-updated (only
    // allocation failure could, and it aborts), so a poisoned lock still guards a
    // consistent state.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryHistory {
    fn default() -> Self {
        MemoryHistory::new(HistoryLimits::default())
    }
}

impl State {
    fn trim(&mut self, limits: &HistoryLimits, now_ms: u64) -> u64 {
        let mut removed = 0;
        while let Some(oldest) = self.updates.front() {
            if !must_trim(
                limits,
                self.updates.len() as u64,
                self.bytes,
                oldest.update.published_at_ms,
                now_ms,
            ) {
                break;
            }
            let Some(oldest) = self.updates.pop_front() else {
                break;
            };
            self.bytes -= oldest.update.weight();
            if let Some(seqs) = self.ids.get_mut(&oldest.update.id) {
                debug_assert_eq!(seqs.front(), Some(&oldest.seq));
                seqs.pop_front();
                if seqs.is_empty() {
                    self.ids.remove(&oldest.update.id);
                }
            }
            removed += 1;
        }
        removed
    }

    /// The position in `updates` of the first update with a seq greater than `seq`.
    fn position_after(&self, seq: u64) -> usize {
        self.updates.partition_point(|u| u.seq <= seq)
    }
}

impl History for MemoryHistory {
    fn append_many(&self, updates: &[UpdateRecord]) -> Result<Vec<u64>, StoreError> {
        check_weights(&self.limits, updates)?;
        let mut state = self.write();
        let mut seqs = Vec::with_capacity(updates.len());
        for update in updates {
            let seq = state.next_seq;
            state.next_seq += 1;
            state.bytes += update.weight();
            state
                .ids
                .entry(update.id.clone())
                .or_default()
                .push_back(seq);
            state.updates.push_back(StoredUpdate {
                seq,
                update: update.clone(),
            });
            state.trim(&self.limits, update.published_at_ms);
            seqs.push(seq);
        }
        Ok(seqs)
    }

    fn read_after(&self, cursor: &Cursor, limit: usize) -> Result<ReadAfter, StoreError> {
        let state = self.read();
        let (found, preceding_id, start) = match cursor {
            Cursor::Earliest => (true, None, 0),
            Cursor::Id(id) => match state.ids.get(id).and_then(|seqs| seqs.front()) {
                Some(&seq) => (true, Some(id.clone()), state.position_after(seq)),
                None => {
                    return Ok(ReadAfter {
                        found: false,
                        preceding_id: None,
                        updates: Vec::new(),
                        more: false,
                    })
                }
            },
            Cursor::Seq(seq) => {
                let start = state.position_after(*seq);
                let unbroken = match state.updates.front() {
                    Some(first) => first.seq <= seq.saturating_add(1),
                    None => state.next_seq <= seq.saturating_add(1),
                };
                let preceding = start
                    .checked_sub(1)
                    .and_then(|i| state.updates.get(i))
                    .filter(|u| u.seq == *seq)
                    .map(|u| u.update.id.clone());
                (unbroken, preceding, start)
            }
        };
        let updates: Vec<StoredUpdate> =
            state.updates.range(start..).take(limit).cloned().collect();
        let more = state.updates.len() > start + updates.len();
        Ok(ReadAfter {
            found,
            preceding_id,
            updates,
            more,
        })
    }

    fn last_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self.read().updates.back().map(|u| u.update.id.clone()))
    }

    fn trim(&self, now: SystemTime) -> Result<u64, StoreError> {
        Ok(self.write().trim(&self.limits, unix_millis(now)))
    }

    fn stats(&self) -> Result<HistoryStats, StoreError> {
        let state = self.read();
        Ok(HistoryStats {
            updates: state.updates.len() as u64,
            bytes: state.bytes,
            first_seq: state.updates.front().map(|u| u.seq),
            next_seq: state.next_seq,
        })
    }

    fn limits(&self) -> HistoryLimits {
        self.limits
    }
}
