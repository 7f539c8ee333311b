//! One test suite for every [`History`] implementation (instantiated below for
//! `MemoryHistory` and `RedbHistory`), then the tests only a durable history can pass.
//!
//! Mercure-08 §Reconnection, State Reconciliation, and Event Sourcing: RC-5 (replay after
//! the id), RC-7 (`earliest`), RC-8 (duplicate ids resolve to the earliest occurrence), RC-11
//! (the `Mercure-Last-Event-ID` value), and notes §B item 13 (unknown id: no replay).

use std::error::Error;
use std::ops::Deref;
use std::time::{Duration, UNIX_EPOCH};

use ssewire_hub::store::{
    Cursor, History, HistoryLimits, MemoryHistory, RedbHistory, RedisHistory, StoreError,
    UpdateRecord, EARLIEST,
};
use tempfile::TempDir;

#[path = "support/redis.rs"]
#[allow(dead_code)] // the cluster tests use the rest
mod redis_server;

/// A history under test, with the directory its file lives in or the Redis it talks to.
struct Subject {
    history: Box<dyn History>,
    _dir: Option<TempDir>,
    _redis: Option<redis_server::RedisServer>,
}

impl Deref for Subject {
    type Target = dyn History;
    fn deref(&self) -> &Self::Target {
        self.history.as_ref()
    }
}

fn memory(limits: HistoryLimits) -> Subject {
    Subject {
        history: Box::new(MemoryHistory::new(limits)),
        _dir: None,
        _redis: None,
    }
}

fn redb(limits: HistoryLimits) -> Subject {
    let dir = tempfile::tempdir().expect("temp dir");
    let history = RedbHistory::open(dir.path().join("history.redb"), limits).expect("open");
    Subject {
        history: Box::new(history),
        _dir: Some(dir),
        _redis: None,
    }
}

/// A Redis Stream history on a `redis-server` of its own.
fn redis(limits: HistoryLimits) -> Subject {
    let server = redis_server::RedisServer::start();
    let history = RedisHistory::open(&server.url(), "test", limits, Duration::from_secs(5))
        .expect("open the Redis history");
    Subject {
        history: Box::new(history),
        _dir: None,
        _redis: Some(server),
    }
}

/// Unix milliseconds for "second `s` of the test".
const T0: u64 = 1_800_000_000_000;
fn at(s: u64) -> u64 {
    T0 + s * 1000
}

fn rec(id: &str, data: &str, published_at_ms: u64) -> UpdateRecord {
    UpdateRecord {
        published_at_ms,
        ..UpdateRecord::new(id, vec![format!("https://example.com/{id}")], data)
    }
}

fn unlimited() -> HistoryLimits {
    HistoryLimits {
        max_updates: u64::MAX,
        max_age: Duration::from_secs(u64::MAX / 4),
        max_bytes: u64::MAX,
    }
}

fn append_all(h: &dyn History, ids: &[&str]) -> Vec<u64> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            h.append(&rec(id, &format!("data {i}"), at(i as u64)))
                .unwrap()
        })
        .collect()
}

fn ids_of(r: &ssewire_hub::store::ReadAfter) -> Vec<&str> {
    r.updates.iter().map(|u| u.update.id.as_str()).collect()
}

fn all(h: &dyn History) -> Vec<String> {
    let r = h.read_after(&Cursor::Earliest, usize::MAX).unwrap();
    r.updates.into_iter().map(|u| u.update.id).collect()
}

/// The cases every implementation must pass; each takes a constructor.
mod cases {
    use super::*;

    type Make = fn(HistoryLimits) -> Subject;

    pub fn seqs_start_at_one_and_strictly_increase(make: Make) {
        let h = make(unlimited());
        let seqs = append_all(&*h, &["a", "b", "a", "c", "d"]);
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        let r = h.read_after(&Cursor::Earliest, 100).unwrap();
        let got: Vec<u64> = r.updates.iter().map(|u| u.seq).collect();
        assert_eq!(got, seqs);
        assert_eq!(h.stats().unwrap().next_seq, 6);
    }

    pub fn a_stored_update_comes_back_intact(make: Make) {
        let h = make(unlimited());
        let update = UpdateRecord {
            id: "urn:uuid:0194e1c2-aaaa-7bbb-8ccc-123456789abc".into(),
            topics: vec![
                "https://example.com/books/1".into(),
                "https://example.com/books/{id}".into(),
                "/.well-known/mercure/subscriptions/x".into(),
            ],
            private: true,
            event_type: Some("update".into()),
            retry: Some(2500),
            data: "line 1\nline \"2\"\r\n\\ é 😀 \u{0}".into(),
            published_at_ms: at(7),
        };
        let seq = h.append(&update).unwrap();
        let r = h.read_after(&Cursor::Earliest, 10).unwrap();
        assert_eq!(r.updates.len(), 1);
        assert_eq!(r.updates[0].seq, seq);
        assert_eq!(r.updates[0].update, update);
    }

    /// RC-7, RC-11: `earliest` replays everything and the header says `earliest`.
    pub fn earliest_replays_all_oldest_first(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b", "c"]);
        let r = h.read_after(&Cursor::Earliest, 100).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["a", "b", "c"]);
        assert_eq!(r.preceding_id, None);
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
        assert!(!r.more);
    }

    /// RC-11: an empty history answers `earliest` to every cursor.
    pub fn empty_history(make: Make) {
        let h = make(unlimited());
        let r = h.read_after(&Cursor::Earliest, 100).unwrap();
        assert!(r.found);
        assert!(r.updates.is_empty());
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
        let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
        assert!(!r.found);
        assert!(r.updates.is_empty());
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
        assert_eq!(h.last_id().unwrap(), None);
        let stats = h.stats().unwrap();
        assert_eq!((stats.updates, stats.bytes, stats.first_seq), (0, 0, None));
    }

    /// RC-5, RC-11: a known id replays what follows it; the header is that id.
    pub fn known_id_replays_what_follows(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b", "c", "d"]);
        let r = h.read_after(&Cursor::Id("b".into()), 100).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["c", "d"]);
        assert_eq!(r.preceding_id.as_deref(), Some("b"));
        assert_eq!(r.mercure_last_event_id(), "b");
    }

    /// RC-11: the newest id is found; nothing to replay, the header is still that id
    /// (it precedes the next live event).
    pub fn newest_id_replays_nothing(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b"]);
        let r = h.read_after(&Cursor::Id("b".into()), 100).unwrap();
        assert!(r.found);
        assert!(r.updates.is_empty());
        assert_eq!(r.mercure_last_event_id(), "b");
        assert!(!r.more);
    }

    /// Notes §B item 13, RC-11: an unknown id replays nothing; the header is `earliest`.
    pub fn unknown_id_replays_nothing(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b"]);
        let r = h.read_after(&Cursor::Id("zzz".into()), 100).unwrap();
        assert!(!r.found);
        assert!(r.updates.is_empty());
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
    }

    /// RC-11: a trimmed id is unknown.
    pub fn trimmed_id_replays_nothing(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 2,
            ..unlimited()
        });
        append_all(&*h, &["a", "b", "c"]);
        let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
        assert!(!r.found);
        assert!(r.updates.is_empty());
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
        let r = h.read_after(&Cursor::Id("b".into()), 100).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["c"]);
    }

    /// RC-8: duplicates resolve to the earliest occurrence; later ones are replayed.
    pub fn duplicate_ids_resolve_to_the_earliest(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b", "a", "c", "a"]);
        let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["b", "a", "c", "a"]);
        let seqs: Vec<u64> = r.updates.iter().map(|u| u.seq).collect();
        assert_eq!(seqs, [2, 3, 4, 5]);
        assert_eq!(r.mercure_last_event_id(), "a");
    }

    /// RC-8 with trimming: once the first occurrence is trimmed, the id resolves to the next.
    pub fn trimming_the_first_duplicate_moves_the_index(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 3,
            ..unlimited()
        });
        append_all(&*h, &["a", "b", "a", "c"]);
        assert_eq!(all(&*h), ["b", "a", "c"]);
        let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["c"]);
        assert_eq!(r.updates[0].seq, 4);
        // Trim the second occurrence too: the id is gone.
        append_all(&*h, &["d", "e"]);
        assert_eq!(all(&*h), ["c", "d", "e"]);
        let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
        assert!(!r.found);
        assert!(r.updates.is_empty());
    }

    pub fn trims_by_count_on_append(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 3,
            ..unlimited()
        });
        for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            h.append(&rec(id, "x", at(i as u64))).unwrap();
            assert!(h.stats().unwrap().updates <= 3);
        }
        assert_eq!(all(&*h), ["c", "d", "e"]);
        let stats = h.stats().unwrap();
        assert_eq!(
            (stats.updates, stats.first_seq, stats.next_seq),
            (3, Some(3), 6)
        );
        assert_eq!(
            h.trim(UNIX_EPOCH + Duration::from_millis(at(5))).unwrap(),
            0
        );
    }

    /// Age: appends trim against the new update's time; `trim(now)` against `now`.
    pub fn trims_by_age(make: Make) {
        let h = make(HistoryLimits {
            max_age: Duration::from_secs(10),
            ..unlimited()
        });
        h.append(&rec("a", "x", at(0))).unwrap();
        h.append(&rec("b", "x", at(5))).unwrap();
        h.append(&rec("c", "x", at(10))).unwrap();
        // Exactly max_age old is kept.
        assert_eq!(all(&*h), ["a", "b", "c"]);
        h.append(&rec("d", "x", at(11))).unwrap();
        assert_eq!(all(&*h), ["b", "c", "d"]);
        let now = |s: u64| UNIX_EPOCH + Duration::from_millis(at(s));
        assert_eq!(h.trim(now(15)).unwrap(), 0);
        assert_eq!(h.trim(now(20)).unwrap(), 1);
        assert_eq!(all(&*h), ["c", "d"]);
        assert_eq!(h.trim(now(100)).unwrap(), 2);
        assert!(all(&*h).is_empty());
        let stats = h.stats().unwrap();
        assert_eq!((stats.updates, stats.bytes, stats.next_seq), (0, 0, 5));
        // Seqs go on after the history emptied.
        assert_eq!(h.append(&rec("e", "x", at(101))).unwrap(), 5);
        let r = h.read_after(&Cursor::Id("c".into()), 10).unwrap();
        assert!(!r.found);
    }

    /// Bytes: the sum of weights stays under `max_bytes`; an update heavier than the limit on
    /// its own is refused and takes no seq.
    pub fn trims_by_bytes(make: Make) {
        let one = rec("a", &"x".repeat(1000), at(0)).weight();
        let h = make(HistoryLimits {
            max_bytes: 3 * one + one / 2,
            ..unlimited()
        });
        for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            h.append(&rec(id, &"x".repeat(1000), at(i as u64))).unwrap();
            assert!(h.stats().unwrap().bytes <= 3 * one + one / 2);
        }
        assert_eq!(all(&*h), ["c", "d", "e"]);
        assert_eq!(h.stats().unwrap().bytes, 3 * one);
        // A big update pushes out as many as needed.
        let big = rec("f", &"x".repeat(2500), at(6));
        h.append(&big).unwrap();
        assert_eq!(all(&*h), ["e", "f"]);
        assert_eq!(h.stats().unwrap().bytes, one + big.weight());
        // Heavier than the limit alone: refused, nothing changes.
        let huge = rec("g", &"x".repeat(5000), at(7));
        match h.append(&huge) {
            Err(e @ StoreError::TooLarge { .. }) => {
                assert!(e.to_string().contains("too large"), "{e}");
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert_eq!(all(&*h), ["e", "f"]);
        assert_eq!(h.append(&rec("h", "x", at(8))).unwrap(), 7);
        // Lookups after byte trimming.
        assert!(!h.read_after(&Cursor::Id("d".into()), 10).unwrap().found);
        let r = h.read_after(&Cursor::Id("e".into()), 10).unwrap();
        assert_eq!(ids_of(&r), ["f", "h"]);
    }

    /// `max_updates: 0` keeps nothing, like the reference hub's `local` transport.
    pub fn zero_updates_keeps_nothing(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 0,
            ..unlimited()
        });
        assert_eq!(append_all(&*h, &["a", "b"]), [1, 2]);
        assert!(all(&*h).is_empty());
        assert_eq!(h.last_id().unwrap(), None);
        let r = h.read_after(&Cursor::Id("b".into()), 10).unwrap();
        assert!(!r.found);
        assert_eq!(r.mercure_last_event_id(), EARLIEST);
    }

    /// `limit` bounds a read; `more` and `Cursor::Seq` page through the rest, also across
    /// duplicate ids (paging by id would loop back to the first occurrence).
    pub fn limit_and_paging(make: Make) {
        let h = make(unlimited());
        append_all(&*h, &["a", "b", "a", "c", "a", "d"]);
        let r = h.read_after(&Cursor::Id("a".into()), 2).unwrap();
        assert_eq!(ids_of(&r), ["b", "a"]);
        assert!(r.more);
        assert_eq!(r.mercure_last_event_id(), "a");
        let r2 = h.read_after(&Cursor::Seq(r.updates[1].seq), 2).unwrap();
        assert!(r2.found);
        assert_eq!(ids_of(&r2), ["c", "a"]);
        assert!(r2.more);
        assert_eq!(r2.preceding_id.as_deref(), Some("a"));
        let r3 = h.read_after(&Cursor::Seq(r2.updates[1].seq), 2).unwrap();
        assert_eq!(ids_of(&r3), ["d"]);
        assert!(!r3.more);
        let r4 = h.read_after(&Cursor::Seq(6), 2).unwrap();
        assert!(r4.found && r4.updates.is_empty() && !r4.more);
        // limit 0: nothing, but says whether there is more.
        let r = h.read_after(&Cursor::Earliest, 0).unwrap();
        assert!(r.updates.is_empty() && r.more);
        let r = h.read_after(&Cursor::Id("d".into()), 0).unwrap();
        assert!(r.updates.is_empty() && !r.more);
        // Seq(0) is before everything ever appended.
        let r = h.read_after(&Cursor::Seq(0), 100).unwrap();
        assert!(r.found);
        assert_eq!(r.updates.len(), 6);
        assert_eq!(r.preceding_id, None);
    }

    /// `Cursor::Seq` past a trimmed stretch: the updates after it come back, and `found`
    /// reports the gap.
    pub fn seq_cursor_reports_a_gap(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 2,
            ..unlimited()
        });
        append_all(&*h, &["a", "b", "c", "d"]);
        let r = h.read_after(&Cursor::Seq(1), 10).unwrap();
        assert!(!r.found);
        assert_eq!(ids_of(&r), ["c", "d"]);
        assert_eq!(r.preceding_id, None);
        let r = h.read_after(&Cursor::Seq(2), 10).unwrap();
        assert!(r.found);
        assert_eq!(ids_of(&r), ["c", "d"]);
        let r = h.read_after(&Cursor::Seq(3), 10).unwrap();
        assert!(r.found);
        assert_eq!(r.preceding_id.as_deref(), Some("c"));
    }

    /// A batch is the same as appending one by one (seqs, trimming, index), all or none.
    pub fn append_many_is_appends_in_one(make: Make) {
        let h = make(HistoryLimits {
            max_updates: 3,
            max_bytes: 10_000,
            ..unlimited()
        });
        assert_eq!(h.append_many(&[]).unwrap(), Vec::<u64>::new());
        let batch: Vec<UpdateRecord> = ["a", "b", "a", "c"]
            .iter()
            .enumerate()
            .map(|(i, id)| rec(id, "x", at(i as u64)))
            .collect();
        assert_eq!(h.append_many(&batch).unwrap(), [1, 2, 3, 4]);
        assert_eq!(all(&*h), ["b", "a", "c"]);
        let r = h.read_after(&Cursor::Id("a".into()), 10).unwrap();
        assert_eq!(r.updates.iter().map(|u| u.seq).collect::<Vec<_>>(), [4]);
        // One update too heavy: none of the batch is stored, no seq is used.
        let bad = [rec("d", "x", at(5)), rec("e", &"x".repeat(20_000), at(6))];
        assert!(matches!(
            h.append_many(&bad),
            Err(StoreError::TooLarge { .. })
        ));
        assert_eq!(all(&*h), ["b", "a", "c"]);
        assert_eq!(h.append(&rec("f", "x", at(7))).unwrap(), 5);
        let stats = h.stats().unwrap();
        assert_eq!(stats.bytes, 3 * rec("f", "x", 0).weight());
    }

    pub fn last_id_is_the_newest(make: Make) {
        let h = make(unlimited());
        assert_eq!(h.last_id().unwrap(), None);
        append_all(&*h, &["a", "b", "a"]);
        assert_eq!(h.last_id().unwrap().as_deref(), Some("a"));
        h.append(&rec("z", "x", at(9))).unwrap();
        assert_eq!(h.last_id().unwrap().as_deref(), Some("z"));
    }

    /// A reference model checked against the history over a long pseudo-random run with
    /// repeating ids and all three limits in play.
    pub fn agrees_with_a_model(make: Make) {
        let limits = HistoryLimits {
            max_updates: 40,
            max_age: Duration::from_secs(60),
            max_bytes: 20 * 1024,
        };
        let h = make(limits);
        let mut model: Vec<(u64, UpdateRecord)> = Vec::new();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut clock = 0u64;
        for step in 0..300 {
            clock += next() % 4;
            let id = format!("id{}", next() % 12);
            let data = "y".repeat((next() % 900) as usize);
            let u = rec(&id, &data, at(clock));
            let seq = h.append(&u).unwrap();
            assert_eq!(seq, step + 1);
            model.push((seq, u));
            let trim_model = |model: &mut Vec<(u64, UpdateRecord)>, now_ms: u64| loop {
                let bytes: u64 = model.iter().map(|(_, u)| u.weight()).sum();
                let Some((_, oldest)) = model.first() else {
                    break;
                };
                let too_old = now_ms.saturating_sub(oldest.published_at_ms) > 60_000;
                if model.len() as u64 > 40 || bytes > 20 * 1024 || too_old {
                    model.remove(0);
                } else {
                    break;
                }
            };
            trim_model(&mut model, at(clock));
            if step % 50 == 49 {
                clock += 30;
                h.trim(UNIX_EPOCH + Duration::from_millis(at(clock)))
                    .unwrap();
                trim_model(&mut model, at(clock));
            }
            // Every id, known or not, and Earliest.
            for n in 0..13 {
                let id = format!("id{n}");
                let r = h.read_after(&Cursor::Id(id.clone()), usize::MAX).unwrap();
                match model.iter().position(|(_, u)| u.id == id) {
                    Some(p) => {
                        assert!(r.found);
                        assert_eq!(r.preceding_id.as_deref(), Some(id.as_str()));
                        let want: Vec<u64> = model[p + 1..].iter().map(|(s, _)| *s).collect();
                        let got: Vec<u64> = r.updates.iter().map(|u| u.seq).collect();
                        assert_eq!(got, want, "step {step}, {id}");
                    }
                    None => {
                        assert!(!r.found, "step {step}, {id}");
                        assert!(r.updates.is_empty());
                    }
                }
            }
            let stats = h.stats().unwrap();
            assert_eq!(stats.updates, model.len() as u64);
            assert_eq!(
                stats.bytes,
                model.iter().map(|(_, u)| u.weight()).sum::<u64>()
            );
            assert_eq!(stats.first_seq, model.first().map(|(s, _)| *s));
            assert_eq!(
                h.last_id().unwrap(),
                model.last().map(|(_, u)| u.id.clone())
            );
        }
        let r = h.read_after(&Cursor::Earliest, usize::MAX).unwrap();
        let got: Vec<(u64, UpdateRecord)> =
            r.updates.into_iter().map(|s| (s.seq, s.update)).collect();
        assert_eq!(got, model);
    }
}

/// One `#[test]` per case, for one implementation.
macro_rules! history_suite {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::cases;
            history_suite!(@tests $make;
                seqs_start_at_one_and_strictly_increase,
                a_stored_update_comes_back_intact,
                earliest_replays_all_oldest_first,
                empty_history,
                known_id_replays_what_follows,
                newest_id_replays_nothing,
                unknown_id_replays_nothing,
                trimmed_id_replays_nothing,
                duplicate_ids_resolve_to_the_earliest,
                trimming_the_first_duplicate_moves_the_index,
                trims_by_count_on_append,
                trims_by_age,
                trims_by_bytes,
                zero_updates_keeps_nothing,
                limit_and_paging,
                seq_cursor_reports_a_gap,
                append_many_is_appends_in_one,
                last_id_is_the_newest,
                agrees_with_a_model,
            );
        }
    };
    (@tests $make:expr; $($case:ident,)+) => {
        $(
            #[test]
            fn $case() {
                cases::$case($make);
            }
        )+
    };
}

history_suite!(memory_history, super::memory);
history_suite!(redb_history, super::redb);
history_suite!(redis_history, super::redis);

#[test]
fn cursor_from_last_event_id() {
    assert_eq!(Cursor::from_last_event_id("earliest"), Cursor::Earliest);
    assert_eq!(
        Cursor::from_last_event_id("urn:uuid:1"),
        Cursor::Id("urn:uuid:1".into())
    );
    assert_eq!(Cursor::from_last_event_id(""), Cursor::Id(String::new()));
}

#[test]
fn default_limits() {
    let l = HistoryLimits::default();
    assert_eq!(l.max_updates, 10_000);
    assert_eq!(l.max_age, Duration::from_secs(86_400));
    assert_eq!(l.max_bytes, 64 << 20);
}

// ---- durable only -------------------------------------------------------------------

#[test]
fn redb_reopen_keeps_updates_seq_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.redb");
    {
        let h = RedbHistory::open(&path, unlimited()).unwrap();
        append_all(&h, &["a", "b", "a", "c"]);
    }
    let h = RedbHistory::open(&path, unlimited()).unwrap();
    assert_eq!(all(&h), ["a", "b", "a", "c"]);
    let r = h.read_after(&Cursor::Id("a".into()), 100).unwrap();
    assert_eq!(ids_of(&r), ["b", "a", "c"]);
    assert_eq!(h.last_id().unwrap().as_deref(), Some("c"));
    assert_eq!(h.append(&rec("d", "x", at(9))).unwrap(), 5);
    let stats = h.stats().unwrap();
    assert_eq!(
        (stats.updates, stats.first_seq, stats.next_seq),
        (5, Some(1), 6)
    );
}

#[test]
fn redb_seq_continues_after_reopen_even_when_everything_was_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.redb");
    let limits = HistoryLimits {
        max_age: Duration::from_secs(1),
        ..unlimited()
    };
    {
        let h = RedbHistory::open(&path, limits).unwrap();
        append_all(&h, &["a", "b", "c"]);
        h.trim(UNIX_EPOCH + Duration::from_millis(at(100))).unwrap();
        assert!(all(&h).is_empty());
    }
    let h = RedbHistory::open(&path, limits).unwrap();
    assert_eq!(h.append(&rec("d", "x", at(101))).unwrap(), 4);
}

#[test]
fn redb_reopen_with_lower_limits_trims() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.redb");
    {
        let h = RedbHistory::open(&path, unlimited()).unwrap();
        append_all(&h, &["a", "b", "a", "c", "d"]);
    }
    let h = RedbHistory::open(
        &path,
        HistoryLimits {
            max_updates: 2,
            ..unlimited()
        },
    )
    .unwrap();
    assert_eq!(all(&h), ["c", "d"]);
    assert!(!h.read_after(&Cursor::Id("a".into()), 10).unwrap().found);
    assert_eq!(h.stats().unwrap().bytes, 2 * rec("c", "data 3", 0).weight());
}

#[test]
fn redb_second_open_of_the_same_file_is_refused_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.redb");
    let _h = RedbHistory::open(&path, unlimited()).unwrap();
    let err = RedbHistory::open(&path, unlimited()).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(err.source().is_some());
}

#[test]
fn redb_open_of_a_non_database_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db");
    std::fs::write(
        &path,
        b"this is not a redb file, just some text that is long enough",
    )
    .unwrap();
    let err = RedbHistory::open(&path, unlimited()).unwrap_err();
    assert!(err.to_string().contains("not-a-db"), "{err}");
    assert!(err.source().is_some());
}
