//! [`RedisHistory`]: the history as a Redis Stream, shared by every hub node that names the
//! same Redis and key prefix (`--transport redis://…`).
//!
//! Layout under the prefix `P` (every key in one hash slot, `{P}`, so a Redis Cluster keeps
//! them together and the scripts may touch them all):
//!
//! * `{P}:log`, the stream. Entry ids are `0-SEQ`: the seq itself, so that every node derives
//!   the same seq from an entry and a cursor is a plain `XRANGE` bound. Fields: `i` the update
//!   id, `w` its weight, `t` its publish time (ms), `r` the update as JSON.
//! * `{P}:seq`, the last seq given (`INCR`), so seqs are never reused even after every entry
//!   was trimmed.
//! * `{P}:ids`, a hash: update id → seq of its earliest stored occurrence (RC-8), and
//!   `{P}:dups`, update id → how many stored entries carry it (most ids are unique; only a
//!   trimmed earliest occurrence of a repeated id needs a scan for the next one).
//! * `{P}:bytes`, the sum of the stored weights.
//!
//! Appends and trimming run as Lua scripts, so each is atomic in Redis whatever other nodes
//! do at the same time; the history's bounds (count, age, bytes) are the appending node's.
//! An append that returned `Ok` has been applied by Redis; it is as durable as Redis's own
//! persistence makes it (`appendonly yes` with `appendfsync always` for "acknowledged means
//! on disk"; docs/cluster.md).
//!
//! Calls are synchronous with a bounded wait (`--transport-timeout`): a Redis that is down
//! or stopped turns into a [`StoreError::Transport`] within it, never a hang. Connections are
//! pooled and dropped on error; the next call reconnects.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use redis::Value;

use super::{
    check_weights, unix_millis, Cursor, History, HistoryLimits, HistoryStats, ReadAfter,
    StoreError, StoredUpdate, UpdateRecord,
};

/// Appends updates (ARGV after the limits: id, weight, time, json per update), trimming after
/// each as [`super::MemoryHistory`] does; returns their seqs.
const APPEND: &str = r"
local log, seq_key, ids, dups, bytes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local max_updates, max_age, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
TRIM
local seqs = {}
for at = 4, #ARGV, 4 do
  local id, weight, time = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', log, '0-' .. seq, 'i', id, 'w', weight, 't', time, 'r', ARGV[at + 3])
  redis.call('HSETNX', ids, id, seq)
  redis.call('HINCRBY', dups, id, 1)
  redis.call('INCRBY', bytes, weight)
  trim(time)
  seqs[#seqs + 1] = seq
end
return seqs
";

/// Trims with ARGV[4] as now; returns how many were removed.
const TRIM_NOW: &str = r"
local log, seq_key, ids, dups, bytes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local max_updates, max_age, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
TRIM
return trim(tonumber(ARGV[4]))
";

/// The trimming both scripts share: oldest first while a bound is exceeded, keeping the id
/// index pointing at the earliest stored occurrence.
const TRIM_FUNCTION: &str = r"
local function fields(entry)
  local f = {}
  for k = 1, #entry[2], 2 do f[entry[2][k]] = entry[2][k + 1] end
  return f
end
local function trim(now)
  local removed = 0
  while true do
    local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
    if not oldest then return removed end
    local f = fields(oldest)
    local count = redis.call('XLEN', log)
    local total = tonumber(redis.call('GET', bytes) or '0')
    local age = now - tonumber(f.t)
    if not (count > max_updates or total > max_bytes or age > max_age) then return removed end
    redis.call('XDEL', log, oldest[1])
    redis.call('DECRBY', bytes, f.w)
    local left = redis.call('HINCRBY', dups, f.i, -1)
    if left <= 0 then
      redis.call('HDEL', dups, f.i)
      redis.call('HDEL', ids, f.i)
    elseif redis.call('HGET', ids, f.i) == string.sub(oldest[1], 3) then
      -- A repeated id lost its earliest occurrence: the next one becomes the answer.
      local cursor = oldest[1]
      local moved = false
      while not moved do
        local page = redis.call('XRANGE', log, '(' .. cursor, '+', 'COUNT', 256)
        if #page == 0 then break end
        for _, entry in ipairs(page) do
          if fields(entry).i == f.i then
            redis.call('HSET', ids, f.i, string.sub(entry[1], 3))
            moved = true
            break
          end
          cursor = entry[1]
        end
      end
      if not moved then redis.call('HDEL', ids, f.i) end
    end
    removed = removed + 1
  end
end
";

/// Reads after a cursor (ARGV: mode `e`arliest, `i`d or `s`eq, its value, limit): returns
/// `{found, preceding id or false, more, entries…}`, in one atomic step so that a trim
/// between the lookup and the range cannot split them.
const READ: &str = r"
local log, seq_key, ids = KEYS[1], KEYS[2], KEYS[3]
local mode, value, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local found, preceding, start = 1, false, '-'
if mode == 'i' then
  local seq = redis.call('HGET', ids, value)
  if not seq then return {0, false, 0} end
  preceding, start = value, '(0-' .. seq
elseif mode == 's' then
  start = '(0-' .. value
  local first = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
  local next_seq = tonumber(value) + 1
  if first then
    if tonumber(string.sub(first[1], 3)) > next_seq then found = 0 end
  elseif tonumber(redis.call('GET', seq_key) or '0') >= next_seq then
    found = 0
  end
  local at = redis.call('XRANGE', log, '0-' .. value, '0-' .. value)[1]
  if at then
    for k = 1, #at[2], 2 do if at[2][k] == 'i' then preceding = at[2][k + 1] end end
  end
end
local page = redis.call('XRANGE', log, start, '+', 'COUNT', limit + 1)
local more = 0
if #page > limit then
  more = 1
  page[#page] = nil
end
local out = {found, preceding, more}
for _, entry in ipairs(page) do
  out[#out + 1] = string.sub(entry[1], 3)
  for k = 1, #entry[2], 2 do
    if entry[2][k] == 'r' then out[#out + 1] = entry[2][k + 1] end
  end
end
return out
";

/// The keys of one history.
#[derive(Debug, Clone)]
struct Keys {
    log: String,
    seq: String,
    ids: String,
    dups: String,
    bytes: String,
}

impl Keys {
    fn new(prefix: &str) -> Keys {
        let key = |name: &str| format!("{{{prefix}}}:{name}");
        Keys {
            log: key("log"),
            seq: key("seq"),
            ids: key("ids"),
            dups: key("dups"),
            bytes: key("bytes"),
        }
    }
}

/// The history in a Redis Stream, shared by hub nodes; see the module docs.
pub struct RedisHistory {
    client: redis::Client,
    /// The URL without its password, for messages.
    shown: String,
    keys: Keys,
    limits: HistoryLimits,
    timeout: Duration,
    idle: Mutex<Vec<(redis::Connection, Instant)>>,
    append: redis::Script,
    trim: redis::Script,
    read: redis::Script,
}

impl std::fmt::Debug for RedisHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHistory")
            .field("url", &self.shown)
            .field("log", &self.keys.log)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Connections kept for reuse; more are opened when busy and closed when returned.
const IDLE_CONNECTIONS: usize = 8;

/// A connection idle for longer is checked with `PING` before use.
const CHECK_AFTER: Duration = Duration::from_secs(1);

impl RedisHistory {
    /// A history at `url` (`redis://HOST:PORT[/DB]`) under the key prefix `prefix`, each call
    /// answered within `timeout`. Connects once to check that Redis answers.
    ///
    /// # Errors
    /// [`StoreError::Transport`]: the URL is not a Redis URL, or Redis does not answer.
    pub fn open(
        url: &str,
        prefix: &str,
        limits: HistoryLimits,
        timeout: Duration,
    ) -> Result<RedisHistory, StoreError> {
        let shown = without_password(url);
        let client = redis::Client::open(url).map_err(|e| StoreError::Transport {
            url: shown.clone(),
            action: "parse the Redis URL",
            source: Box::new(e),
        })?;
        let with_trim = |script: &str| script.replace("TRIM", TRIM_FUNCTION);
        let history = RedisHistory {
            client,
            shown,
            keys: Keys::new(prefix),
            limits,
            timeout,
            idle: Mutex::new(Vec::new()),
            append: redis::Script::new(&with_trim(APPEND)),
            trim: redis::Script::new(&with_trim(TRIM_NOW)),
            read: redis::Script::new(READ),
        };
        history.with_connection("reach Redis", true, |c| {
            redis::cmd("PING").query::<String>(c)
        })?;
        Ok(history)
    }

    /// The Redis URL, without its password.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// The stream's key, which nodes read for live updates.
    pub fn log_key(&self) -> &str {
        &self.keys.log
    }

    /// A new connection with this history's timeouts, for a reader that blocks on `XREAD`.
    ///
    /// # Errors
    /// [`StoreError::Transport`] when Redis cannot be reached in time.
    pub fn connect(&self, read_timeout: Duration) -> Result<redis::Connection, StoreError> {
        let connection = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| self.error("connect", e))?;
        connection
            .set_read_timeout(Some(read_timeout))
            .and_then(|()| connection.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.error("set socket timeouts", e))?;
        Ok(connection)
    }

    fn error(&self, action: &'static str, e: redis::RedisError) -> StoreError {
        StoreError::Transport {
            url: self.shown.clone(),
            action,
            source: Box::new(e),
        }
    }

    /// Runs `call` on a pooled connection. A connection that failed is dropped with every
    /// other idle one (after an error they are likely dead too), and one that sat idle for
    /// [`CHECK_AFTER`] is checked with `PING` first. A call that failed on a pooled
    /// connection is tried once more on a new one only when it is `idempotent`: an append
    /// whose reply was lost may have been applied, and a second would store it twice.
    fn with_connection<T>(
        &self,
        action: &'static str,
        idempotent: bool,
        mut call: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let (mut connection, pooled) = self.take_connection()?;
        let mut result = call(&mut connection);
        if let Err(e) = &result {
            if is_connection_error(e) {
                self.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
                if pooled && idempotent {
                    connection = self.connect(self.timeout)?;
                    result = call(&mut connection);
                }
            }
        }
        match result {
            Ok(value) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < IDLE_CONNECTIONS {
                    idle.push((connection, Instant::now()));
                }
                Ok(value)
            }
            Err(e) => Err(self.error(action, e)),
        }
    }

    /// An idle connection that still answers (and `true`), else a new one (and `false`).
    fn take_connection(&self) -> Result<(redis::Connection, bool), StoreError> {
        loop {
            let pooled = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some((mut connection, since)) = pooled else {
                return Ok((self.connect(self.timeout)?, false));
            };
            if since.elapsed() < CHECK_AFTER
                || redis::cmd("PING").query::<String>(&mut connection).is_ok()
            {
                return Ok((connection, true));
            }
        }
    }

    fn limit_args(&self) -> [u64; 3] {
        [
            self.limits.max_updates,
            u64::try_from(self.limits.max_age.as_millis()).unwrap_or(u64::MAX),
            self.limits.max_bytes,
        ]
    }

    /// Decodes one stored update.
    fn decode(&self, seq: u64, json: &[u8]) -> Result<StoredUpdate, StoreError> {
        let update = serde_json::from_slice(json).map_err(|e| StoreError::Transport {
            url: self.shown.clone(),
            action: "decode a stored update",
            source: format!("seq {seq}: {e}").into(),
        })?;
        Ok(StoredUpdate { seq, update })
    }

    /// Decodes the entries of an `XREAD`/`XRANGE` reply (`[[id, [field, value, …]], …]`).
    ///
    /// # Errors
    /// [`StoreError::Transport`] for an entry that is not one this history wrote.
    pub fn decode_entries(&self, entries: &[Value]) -> Result<Vec<StoredUpdate>, StoreError> {
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Array(parts) = entry else {
                return Err(self.malformed());
            };
            let [Value::BulkString(id), Value::Array(fields)] = parts.as_slice() else {
                return Err(self.malformed());
            };
            let seq = seq_of(id).ok_or_else(|| self.malformed())?;
            let json = fields
                .chunks(2)
                .find_map(|pair| match pair {
                    [Value::BulkString(name), Value::BulkString(value)] if name == b"r" => {
                        Some(value)
                    }
                    _ => None,
                })
                .ok_or_else(|| self.malformed())?;
            out.push(self.decode(seq, json)?);
        }
        Ok(out)
    }

    fn malformed(&self) -> StoreError {
        StoreError::Transport {
            url: self.shown.clone(),
            action: "read the stream",
            source: "an entry this hub did not write (another program uses the key?)".into(),
        }
    }
}

/// Whether `e` means the connection is unusable (rather than Redis refusing the command).
fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// The seq in an entry id `0-SEQ`.
fn seq_of(id: &[u8]) -> Option<u64> {
    std::str::from_utf8(id.strip_prefix(b"0-")?)
        .ok()?
        .parse()
        .ok()
}

/// `url` with any password replaced, for messages and logs.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl History for RedisHistory {
    fn append_many(&self, updates: &[UpdateRecord]) -> Result<Vec<u64>, StoreError> {
        check_weights(&self.limits, updates)?;
        let mut encoded = Vec::with_capacity(updates.len());
        for update in updates {
            let json = serde_json::to_string(update).map_err(|e| StoreError::Transport {
                url: self.shown.clone(),
                action: "encode an update",
                source: Box::new(e),
            })?;
            encoded.push(json);
        }
        let k = &self.keys;
        self.with_connection("append to the stream", false, |c| {
            let mut call = self.append.prepare_invoke();
            call.key(&k.log)
                .key(&k.seq)
                .key(&k.ids)
                .key(&k.dups)
                .key(&k.bytes)
                .arg(&self.limit_args()[..]);
            for (update, json) in updates.iter().zip(&encoded) {
                call.arg(&update.id)
                    .arg(update.weight())
                    .arg(update.published_at_ms)
                    .arg(json);
            }
            call.invoke::<Vec<u64>>(c)
        })
    }

    fn read_after(&self, cursor: &Cursor, limit: usize) -> Result<ReadAfter, StoreError> {
        let (mode, value) = match cursor {
            Cursor::Earliest => ("e", String::new()),
            Cursor::Id(id) => ("i", id.clone()),
            Cursor::Seq(seq) => ("s", seq.to_string()),
        };
        let k = &self.keys;
        let reply: Vec<Value> = self.with_connection("read the stream", true, |c| {
            self.read
                .key(&k.log)
                .key(&k.seq)
                .key(&k.ids)
                .arg(mode)
                .arg(&value)
                // Lua numbers are doubles: past 2^53 they print as 1.8e+19, which XRANGE
                // refuses. No history holds more than this anyway.
                .arg(limit.min(1 << 40))
                .invoke(c)
        })?;
        let flag = |v: Option<&Value>| matches!(v, Some(Value::Int(1)));
        let preceding_id = match reply.get(1) {
            Some(Value::BulkString(id)) => Some(String::from_utf8_lossy(id).into_owned()),
            _ => None,
        };
        let mut updates = Vec::new();
        for pair in reply.get(3..).unwrap_or(&[]).chunks(2) {
            let [Value::BulkString(seq), Value::BulkString(json)] = pair else {
                return Err(self.malformed());
            };
            let seq = std::str::from_utf8(seq)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| self.malformed())?;
            updates.push(self.decode(seq, json)?);
        }
        Ok(ReadAfter {
            found: flag(reply.first()),
            preceding_id,
            updates,
            more: flag(reply.get(2)),
        })
    }

    fn last_id(&self) -> Result<Option<String>, StoreError> {
        let newest: Vec<Value> = self.with_connection("read the newest update", true, |c| {
            redis::cmd("XREVRANGE")
                .arg(&self.keys.log)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query(c)
        })?;
        Ok(self
            .decode_entries(&newest)?
            .pop()
            .map(|stored| stored.update.id))
    }

    fn trim(&self, now: SystemTime) -> Result<u64, StoreError> {
        let k = &self.keys;
        self.with_connection("trim the stream", true, |c| {
            self.trim
                .key(&k.log)
                .key(&k.seq)
                .key(&k.ids)
                .key(&k.dups)
                .key(&k.bytes)
                .arg(&self.limit_args()[..])
                .arg(unix_millis(now))
                .invoke(c)
        })
    }

    fn stats(&self) -> Result<HistoryStats, StoreError> {
        let k = &self.keys;
        let (updates, bytes, last, oldest): (u64, Option<u64>, Option<u64>, Vec<Value>) = self
            .with_connection("read the stream's counts", true, |c| {
                redis::pipe()
                    .cmd("XLEN")
                    .arg(&k.log)
                    .get(&k.bytes)
                    .get(&k.seq)
                    .cmd("XRANGE")
                    .arg(&k.log)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .query(c)
            })?;
        let first_seq = self.decode_entries(&oldest)?.first().map(|s| s.seq);
        Ok(HistoryStats {
            updates,
            bytes: bytes.unwrap_or(0),
            first_seq,
            next_seq: last.unwrap_or(0) + 1,
        })
    }

    fn limits(&self) -> HistoryLimits {
        self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_are_seqs() {
        assert_eq!(seq_of(b"0-1"), Some(1));
        assert_eq!(seq_of(b"0-18446744073709551615"), Some(u64::MAX));
        assert_eq!(seq_of(b"1-1"), None);
        assert_eq!(seq_of(b"0-x"), None);
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            without_password("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(without_password("redis://host:6379"), "redis://host:6379");
    }

    #[test]
    fn keys_share_one_hash_slot() {
        let keys = Keys::new("hub");
        for key in [&keys.log, &keys.seq, &keys.ids, &keys.dups, &keys.bytes] {
            assert!(key.starts_with("{hub}:"), "{key}");
        }
    }
}
