//! Live figures of the history writer, for the metrics endpoint to read at scrape time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters and gauges updated by [`super::Sink`]; cheap to read from any task.
#[derive(Debug, Default)]
pub struct SinkStats {
    db_up: AtomicBool,
    journal_backlog: AtomicU64,
    journal_bytes: AtomicU64,
    samples_stored: AtomicU64,
    records_journaled: AtomicU64,
    records_rejected: AtomicU64,
}

/// A consistent-enough copy of [`SinkStats`] (each field read atomically).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkSnapshot {
    /// Is a database connection established right now?
    pub db_up: bool,
    /// Journaled records not yet in the database.
    pub journal_backlog: u64,
    /// Bytes the journal files take.
    pub journal_bytes: u64,
    /// Activity minutes newly inserted into `activityrecord` since start (counter).
    pub samples_stored: u64,
    /// Records written to the journal since start (counter).
    pub records_journaled: u64,
    /// Journaled records the database refused on replay, set aside in `rejected.jsonl` (counter).
    pub records_rejected: u64,
}

impl SinkStats {
    /// Reads every field.
    pub fn snapshot(&self) -> SinkSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SinkSnapshot {
            db_up: self.db_up.load(Ordering::Relaxed),
            journal_backlog: r(&self.journal_backlog),
            journal_bytes: r(&self.journal_bytes),
            samples_stored: r(&self.samples_stored),
            records_journaled: r(&self.records_journaled),
            records_rejected: r(&self.records_rejected),
        }
    }

    pub(crate) fn set_db_up(&self, up: bool) {
        self.db_up.store(up, Ordering::Relaxed);
    }

    pub(crate) fn set_journal(&self, backlog: u64, bytes: u64) {
        self.journal_backlog.store(backlog, Ordering::Relaxed);
        self.journal_bytes.store(bytes, Ordering::Relaxed);
    }

    pub(crate) fn add_samples_stored(&self, n: u64) {
        self.samples_stored.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_journaled(&self) {
        self.records_journaled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_rejected(&self) {
        self.records_rejected.fetch_add(1, Ordering::Relaxed);
    }
}
