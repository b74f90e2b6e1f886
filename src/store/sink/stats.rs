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
    journal_damaged_regions: AtomicU64,
    journal_damaged_bytes: AtomicU64,
    checkpoint_failures: AtomicU64,
    journal_write_failures: AtomicU64,
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
    /// Damaged ranges the journal skipped (moved to `journal/quarantine/`) when opened.
    pub journal_damaged_regions: u64,
    /// Bytes in those ranges.
    pub journal_damaged_bytes: u64,
    /// Times the replay checkpoint could not be saved (replay goes on regardless) (counter).
    pub checkpoint_failures: u64,
    /// Appends the journal refused (disk full, I/O error, bound reached); each was an error to
    /// the caller, so the band was not acknowledged and keeps its data (counter).
    pub journal_write_failures: u64,
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
            journal_damaged_regions: r(&self.journal_damaged_regions),
            journal_damaged_bytes: r(&self.journal_damaged_bytes),
            checkpoint_failures: r(&self.checkpoint_failures),
            journal_write_failures: r(&self.journal_write_failures),
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

    pub(crate) fn set_damage(&self, d: crate::store::journal::Damage) {
        self.journal_damaged_regions
            .store(d.regions, Ordering::Relaxed);
        self.journal_damaged_bytes.store(d.bytes, Ordering::Relaxed);
    }

    pub(crate) fn add_checkpoint_failure(&self) {
        self.checkpoint_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_journal_write_failure(&self) {
        self.journal_write_failures.fetch_add(1, Ordering::Relaxed);
    }
}
