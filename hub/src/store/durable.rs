//! [`RedbHistory`]: the durable history, an embedded redb database file.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use redb::{
    Database, Durability, MultimapTable, MultimapTableDefinition, ReadableDatabase,
    ReadableMultimapTable, ReadableTable, ReadableTableMetadata, Table, TableDefinition,
};

use super::{
    check_weights, must_trim, unix_millis, Cursor, History, HistoryLimits, HistoryStats, ReadAfter,
    StoreError, StoredUpdate, UpdateRecord,
};

/// seq → (published_at_ms, weight, the [`UpdateRecord`] as JSON). The first two are kept
/// outside the JSON so that deciding whether the oldest update must go decodes nothing.
const UPDATES: TableDefinition<u64, (u64, u64, &[u8])> = TableDefinition::new("updates");
/// id → the seqs that carry it (a multimap keeps them sorted, so the first is the earliest
/// occurrence still stored, RC-8).
const IDS: MultimapTableDefinition<&str, u64> = MultimapTableDefinition::new("ids");
/// `format`, `next_seq` (survives even when every update was trimmed) and `bytes`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

const FORMAT: u64 = 1;
const KEY_FORMAT: &str = "format";
const KEY_NEXT_SEQ: &str = "next_seq";
const KEY_BYTES: &str = "bytes";

/// redb's page cache: twice the byte limit (the file is about that size, see
/// [`RedbHistory`]), at least 4 MiB, at most redb's default of 1 GiB.
fn cache_size(limits: &HistoryLimits) -> usize {
    let want = limits.max_bytes.saturating_mul(2).clamp(4 << 20, 1 << 30);
    usize::try_from(want).unwrap_or(1 << 30)
}

/// The durable history: a redb database file (the default history of the hub).
///
/// **fsync policy**: every [`History::append`] (or [`History::append_many`] batch) is one
/// write transaction, committed with [`Durability::Immediate`] (redb writes the new pages,
/// flips the commit slot and `fsync`s) before it returns `Ok`. An update whose publish was
/// answered 200 therefore survives `kill -9` of the hub, and a power loss on a disk that honours `fsync`. redb's
/// default 1-phase commit with checksums is used (recovery picks the newest commit slot whose
/// checksum holds); 2-phase commit, which also defends against an attacker who controls
/// crash timing and page contents, is not enabled. The cost is one `fsync` per publish, or
/// per batch; trimming shares the append's transaction and adds none. After a crash redb
/// repairs the file on open (it walks the trees to rebuild its allocator state; quick-repair
/// is not enabled, so appends stay one `fsync`).
///
/// Tables: `updates` (seq → published_at, weight, JSON of the [`UpdateRecord`]), `ids` (a
/// multimap id → seqs) and `meta` (format, next seq, total weight). JSON (`serde_json`,
/// already a dependency) keeps the file readable with any tool and lets fields be added with
/// `#[serde(default)]`; it costs a few dozen bytes per update plus the escaping of `"`,
/// `\` and control characters in `data`.
///
/// Disk use: [`HistoryLimits::max_bytes`] bounds the sum of [`UpdateRecord::weight`]; the
/// file adds the JSON overhead and B-tree pages, and redb reuses freed pages rather than
/// shrinking the file, so the file stays near its peak, a small multiple of `max_bytes`
/// (measured: 10 000 updates of 500-byte data, 7.9 MB of weight, made an 8.9 MB file).
///
/// Memory: redb's page cache is set to twice [`HistoryLimits::max_bytes`] (between 4 MiB and
/// 1 GiB).
///
/// redb locks the file: a second hub opening it gets [`StoreError::Open`].
#[derive(Debug)]
pub struct RedbHistory {
    db: Database,
    path: PathBuf,
    limits: HistoryLimits,
}

impl RedbHistory {
    /// Opens the history at `path`, creating the file if it does not exist. Seqs continue
    /// after the highest ever given. If the limits are lower than when the file was written,
    /// the oldest updates are removed now to meet the count and byte limits (age waits for
    /// the next append or [`History::trim`]).
    pub fn open(path: impl AsRef<Path>, limits: HistoryLimits) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let db = Database::builder()
            .set_cache_size(cache_size(&limits))
            .create(&path)
            .map_err(|e| StoreError::Open {
                path: path.clone(),
                source: Box::new(e),
            })?;
        let history = RedbHistory { db, path, limits };
        history.init()?;
        Ok(history)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail<E: Into<redb::Error>>(&self, action: &'static str) -> impl FnOnce(E) -> StoreError {
        let path = self.path.clone();
        move |e| StoreError::Database {
            path,
            action,
            source: Box::new(e.into()),
        }
    }

    fn init(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(self.fail("begin a write"))?;
        {
            let mut meta = txn
                .open_table(META)
                .map_err(self.fail("open the meta table"))?;
            let found = meta
                .get(KEY_FORMAT)
                .map_err(self.fail("read the format"))?
                .map(|g| g.value());
            match found {
                None => {
                    meta.insert(KEY_FORMAT, FORMAT)
                        .map_err(self.fail("write the format"))?;
                }
                Some(FORMAT) => {}
                Some(found) => {
                    return Err(StoreError::Format {
                        path: self.path.clone(),
                        found,
                        expected: FORMAT,
                    })
                }
            }
            let mut updates = txn
                .open_table(UPDATES)
                .map_err(self.fail("open the updates table"))?;
            let mut ids = txn
                .open_multimap_table(IDS)
                .map_err(self.fail("open the ids table"))?;
            // Count and bytes only: no age limit without a clock.
            self.trim_in(&mut meta, &mut updates, &mut ids, 0)?;
        }
        txn.commit().map_err(self.fail("commit the opening"))?;
        Ok(())
    }

    fn meta_value(
        &self,
        meta: &impl ReadableTable<&'static str, u64>,
        key: &str,
        default: u64,
    ) -> Result<u64, StoreError> {
        Ok(meta
            .get(key)
            .map_err(self.fail("read the meta table"))?
            .map_or(default, |g| g.value()))
    }

    /// Removes the oldest updates while the limits require it (`now_ms` 0: no age limit),
    /// keeping `ids` and the `bytes` total consistent.
    fn trim_in(
        &self,
        meta: &mut Table<'_, &'static str, u64>,
        updates: &mut Table<'_, u64, (u64, u64, &'static [u8])>,
        ids: &mut MultimapTable<'_, &'static str, u64>,
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut bytes = self.meta_value(meta, KEY_BYTES, 0)?;
        let mut count = updates.len().map_err(self.fail("count the updates"))?;
        let mut removed = 0;
        loop {
            let oldest = updates
                .first()
                .map_err(self.fail("read the oldest update"))?
                .map(|(k, v)| {
                    let (published_at_ms, weight, _) = v.value();
                    (k.value(), published_at_ms, weight)
                });
            let Some((seq, published_at_ms, weight)) = oldest else {
                break;
            };
            if !must_trim(&self.limits, count, bytes, published_at_ms, now_ms) {
                break;
            }
            let record = {
                let guard = updates
                    .remove(seq)
                    .map_err(self.fail("remove the oldest update"))?;
                match guard {
                    Some(g) => self.decode(seq, g.value().2)?,
                    None => break,
                }
            };
            ids.remove(record.id.as_str(), seq)
                .map_err(self.fail("remove an id from the index"))?;
            bytes = bytes.saturating_sub(weight);
            count -= 1;
            removed += 1;
        }
        if removed > 0 {
            meta.insert(KEY_BYTES, bytes)
                .map_err(self.fail("write the byte total"))?;
        }
        Ok(removed)
    }

    fn decode(&self, seq: u64, json: &[u8]) -> Result<UpdateRecord, StoreError> {
        serde_json::from_slice(json).map_err(|source| StoreError::Encoding {
            path: self.path.clone(),
            seq,
            source,
        })
    }

    fn write_txn(&self) -> Result<redb::WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write().map_err(self.fail("begin a write"))?;
        // The default, stated: commit returns only after fsync.
        txn.set_durability(Durability::Immediate)
            .map_err(self.fail("set the durability"))?;
        Ok(txn)
    }
}

impl History for RedbHistory {
    fn append_many(&self, updates: &[UpdateRecord]) -> Result<Vec<u64>, StoreError> {
        check_weights(&self.limits, updates)?;
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.write_txn()?;
        let mut seqs = Vec::with_capacity(updates.len());
        {
            let mut meta = txn
                .open_table(META)
                .map_err(self.fail("open the meta table"))?;
            let mut table = txn
                .open_table(UPDATES)
                .map_err(self.fail("open the updates table"))?;
            let mut ids = txn
                .open_multimap_table(IDS)
                .map_err(self.fail("open the ids table"))?;
            for update in updates {
                let seq = self.meta_value(&meta, KEY_NEXT_SEQ, 1)?;
                let json = serde_json::to_vec(update).map_err(|source| StoreError::Encoding {
                    path: self.path.clone(),
                    seq,
                    source,
                })?;
                let weight = update.weight();
                table
                    .insert(seq, (update.published_at_ms, weight, json.as_slice()))
                    .map_err(self.fail("insert an update"))?;
                ids.insert(update.id.as_str(), seq)
                    .map_err(self.fail("index an id"))?;
                let bytes = self.meta_value(&meta, KEY_BYTES, 0)? + weight;
                meta.insert(KEY_BYTES, bytes)
                    .map_err(self.fail("write the byte total"))?;
                meta.insert(KEY_NEXT_SEQ, seq + 1)
                    .map_err(self.fail("write the next seq"))?;
                self.trim_in(&mut meta, &mut table, &mut ids, update.published_at_ms)?;
                seqs.push(seq);
            }
        }
        // Dropping an uncommitted transaction on an error above aborts it: all or none.
        txn.commit().map_err(self.fail("commit an append"))?;
        Ok(seqs)
    }

    fn read_after(&self, cursor: &Cursor, limit: usize) -> Result<ReadAfter, StoreError> {
        let txn = self.db.begin_read().map_err(self.fail("begin a read"))?;
        let updates = txn
            .open_table(UPDATES)
            .map_err(self.fail("open the updates table"))?;
        let (found, preceding_id, after) = match cursor {
            Cursor::Earliest => (true, None, 0),
            Cursor::Id(id) => {
                let ids = txn
                    .open_multimap_table(IDS)
                    .map_err(self.fail("open the ids table"))?;
                let first = ids
                    .get(id.as_str())
                    .map_err(self.fail("look an id up"))?
                    .next()
                    .transpose()
                    .map_err(self.fail("look an id up"))?
                    .map(|g| g.value());
                match first {
                    Some(seq) => (true, Some(id.clone()), seq),
                    None => {
                        return Ok(ReadAfter {
                            found: false,
                            preceding_id: None,
                            updates: Vec::new(),
                            more: false,
                        })
                    }
                }
            }
            Cursor::Seq(seq) => {
                let first = updates
                    .first()
                    .map_err(self.fail("read the oldest update"))?
                    .map(|(k, _)| k.value());
                let unbroken = match first {
                    Some(first) => first <= seq.saturating_add(1),
                    None => {
                        let meta = txn
                            .open_table(META)
                            .map_err(self.fail("open the meta table"))?;
                        self.meta_value(&meta, KEY_NEXT_SEQ, 1)? <= seq.saturating_add(1)
                    }
                };
                let preceding = match updates.get(*seq).map_err(self.fail("read an update"))? {
                    Some(g) => Some(self.decode(*seq, g.value().2)?.id),
                    None => None,
                };
                (unbroken, preceding, *seq)
            }
        };
        let mut out = Vec::new();
        let mut more = false;
        if let Some(start) = after.checked_add(1) {
            for entry in updates
                .range(start..)
                .map_err(self.fail("read the updates"))?
            {
                let (k, v) = entry.map_err(self.fail("read the updates"))?;
                if out.len() == limit {
                    more = true;
                    break;
                }
                let seq = k.value();
                out.push(StoredUpdate {
                    seq,
                    update: self.decode(seq, v.value().2)?,
                });
            }
        }
        Ok(ReadAfter {
            found,
            preceding_id,
            updates: out,
            more,
        })
    }

    fn last_id(&self) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read().map_err(self.fail("begin a read"))?;
        let updates = txn
            .open_table(UPDATES)
            .map_err(self.fail("open the updates table"))?;
        let last = updates
            .last()
            .map_err(self.fail("read the newest update"))?;
        match last {
            Some((k, v)) => Ok(Some(self.decode(k.value(), v.value().2)?.id)),
            None => Ok(None),
        }
    }

    fn trim(&self, now: SystemTime) -> Result<u64, StoreError> {
        let txn = self.write_txn()?;
        let removed;
        {
            let mut meta = txn
                .open_table(META)
                .map_err(self.fail("open the meta table"))?;
            let mut updates = txn
                .open_table(UPDATES)
                .map_err(self.fail("open the updates table"))?;
            let mut ids = txn
                .open_multimap_table(IDS)
                .map_err(self.fail("open the ids table"))?;
            removed = self.trim_in(&mut meta, &mut updates, &mut ids, unix_millis(now))?;
        }
        if removed == 0 {
            txn.abort().map_err(self.fail("end a trim"))?;
        } else {
            txn.commit().map_err(self.fail("commit a trim"))?;
        }
        Ok(removed)
    }

    fn stats(&self) -> Result<HistoryStats, StoreError> {
        let txn = self.db.begin_read().map_err(self.fail("begin a read"))?;
        let updates = txn
            .open_table(UPDATES)
            .map_err(self.fail("open the updates table"))?;
        let meta = txn
            .open_table(META)
            .map_err(self.fail("open the meta table"))?;
        let first_seq = updates
            .first()
            .map_err(self.fail("read the oldest update"))?
            .map(|(k, _)| k.value());
        Ok(HistoryStats {
            updates: updates.len().map_err(self.fail("count the updates"))?,
            bytes: self.meta_value(&meta, KEY_BYTES, 0)?,
            first_seq,
            next_seq: self.meta_value(&meta, KEY_NEXT_SEQ, 1)?,
        })
    }

    fn limits(&self) -> HistoryLimits {
        self.limits
    }
}
