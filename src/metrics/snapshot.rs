//! The latest known state of every band, shared between the collector (which writes it after each
//! sync step) and the exporter (which renders it at scrape time). A scrape only copies this under
//! a read lock held for microseconds, so it never waits on BLE or PostgreSQL; writers must not
//! hold the lock across an `.await` (the API takes closures, which cannot await).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use prometheus_client::encoding::EncodeLabelSet;

use super::sync_histogram::SyncDurations;
use crate::config::Device;
use crate::mac::Mac;

/// Labels of every per-band series, in the order of [`super::names::BAND_LABELS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, EncodeLabelSet)]
pub struct BandLabels {
    /// Bluetooth address (upper case in the label).
    pub mac: Mac,
    /// The id from `devices.csv`.
    pub id: String,
    /// The display name (falls back to the id, so the label is never empty).
    pub name: String,
}

impl BandLabels {
    /// The labels of a configured band.
    pub fn from_device(device: &Device) -> Self {
        BandLabels {
            mac: device.mac,
            id: device.id.clone(),
            name: device.display_name().to_string(),
        }
    }
}

/// Values read from the band. Exported only while the band is up: a band that is gone must not
/// keep showing the last numbers it gave. `None` is "not read yet", never zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readings {
    /// Battery level, 0–100 (exported as a 0–1 ratio).
    pub battery_level_percent: Option<u8>,
    /// Whether the band is on its charger.
    pub charging: Option<bool>,
    /// Steps since local midnight.
    pub steps: Option<u32>,
    /// Distance since local midnight, in meters.
    pub meters: Option<u32>,
    /// Energy since local midnight, in kcal as the band reports it (exported in joules).
    pub kcal: Option<u32>,
    /// Latest heart-rate measurement.
    pub heart_rate_bpm: Option<u8>,
}

/// Counts since the collector started; they stay valid while a band is down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BandCounters {
    /// Per-minute history samples stored (database or journal).
    pub samples_stored: u64,
    /// Authentication failures.
    pub auth_failures: u64,
    /// Failed connection attempts.
    pub connection_failures: u64,
}

/// Everything the exporter knows about one band.
#[derive(Debug, Clone, PartialEq)]
pub struct BandSnapshot {
    /// Series labels.
    pub labels: BandLabels,
    /// Whether the last connection attempt succeeded.
    pub up: bool,
    /// Latest readings (exported only while `up`).
    pub readings: Readings,
    /// When the last complete sync ended. Exported even while down: it stays true, and
    /// `time() - miband_last_sync_timestamp_seconds` is how one alerts on a silent band.
    pub last_sync: Option<SystemTime>,
    /// Counters.
    pub counters: BandCounters,
    /// Sync durations.
    pub sync_duration: SyncDurations,
}

impl BandSnapshot {
    /// A band not yet reached: down, nothing read.
    pub fn new(labels: BandLabels) -> Self {
        BandSnapshot {
            labels,
            up: false,
            readings: Readings::default(),
            last_sync: None,
            counters: BandCounters::default(),
            sync_duration: SyncDurations::default(),
        }
    }

    /// The band answered.
    pub fn mark_up(&mut self) {
        self.up = true;
    }

    /// The band is unreachable: its readings are dropped so they cannot come back as if fresh.
    pub fn mark_down(&mut self) {
        self.up = false;
        self.readings = Readings::default();
    }

    /// A connection attempt failed.
    pub fn connection_failed(&mut self) {
        self.counters.connection_failures += 1;
        self.mark_down();
    }

    /// The band refused the key.
    pub fn auth_failed(&mut self) {
        self.counters.auth_failures += 1;
        self.mark_down();
    }

    /// A complete sync ended at `at` after `took`.
    pub fn sync_finished(&mut self, at: SystemTime, took: Duration) {
        self.last_sync = Some(at);
        self.sync_duration.observe(took);
    }
}

/// A consistent copy of the whole state, taken at scrape time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateSnapshot {
    /// Bands ordered by MAC (stable output order).
    pub bands: Vec<BandSnapshot>,
    /// Whether PostgreSQL accepted the last write; `None` before the first attempt.
    pub database_up: Option<bool>,
    /// Records waiting in the journal; `None` while unknown.
    pub journal_backlog: Option<u64>,
    /// Journal health; `None` while unknown.
    pub journal_health: Option<JournalHealth>,
}

/// What the journal went through (see `store::sink::stats` for each figure's meaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalHealth {
    /// Damaged bytes found at start and quarantined.
    pub damaged_bytes: u64,
    /// Checkpoint saves that failed (counter).
    pub checkpoint_failures: u64,
    /// Readings refused by both the database and the journal (counter).
    pub write_failures: u64,
}

#[derive(Debug, Default)]
struct Inner {
    bands: BTreeMap<Mac, BandSnapshot>,
    database_up: Option<bool>,
    journal_backlog: Option<u64>,
    journal_health: Option<JournalHealth>,
}

/// The shared state; cheap to clone (all clones see the same data).
#[derive(Debug, Clone, Default)]
pub struct MetricsState {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    data: RwLock<Inner>,
    /// Bumped (under the write lock) by every change, so the exporter renders once per change
    /// of state rather than once per scrape.
    generation: AtomicU64,
}

/// A write access that marks the state changed when it ends.
struct Changing<'a> {
    guard: std::sync::RwLockWriteGuard<'a, Inner>,
    generation: &'a AtomicU64,
}

impl std::ops::Deref for Changing<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.guard
    }
}

impl std::ops::DerefMut for Changing<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.guard
    }
}

impl Drop for Changing<'_> {
    fn drop(&mut self) {
        // Still under the lock: a reader that sees the new number sees the new data.
        self.generation.fetch_add(1, Ordering::Release);
    }
}

impl MetricsState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a band (down until it answers); a band already present keeps its state but takes
    /// the new labels (a renamed band).
    pub fn add_band(&self, labels: BandLabels) {
        let mut inner = self.write();
        match inner.bands.get_mut(&labels.mac) {
            Some(band) => band.labels = labels,
            None => {
                inner.bands.insert(labels.mac, BandSnapshot::new(labels));
            }
        }
    }

    /// Forgets a band removed from the configuration: its series disappear.
    pub fn remove_band(&self, mac: Mac) {
        self.write().bands.remove(&mac);
    }

    /// Changes one band; returns `false` when no band has this MAC.
    pub fn update_band(&self, mac: Mac, change: impl FnOnce(&mut BandSnapshot)) -> bool {
        match self.write().bands.get_mut(&mac) {
            Some(band) => {
                change(band);
                true
            }
            None => false,
        }
    }

    /// Records whether the last database write succeeded (a repeat of the same value is no
    /// change: the collector mirrors it every second).
    pub fn set_database_up(&self, up: bool) {
        if self.read().database_up != Some(up) {
            self.write().database_up = Some(up);
        }
    }

    /// Records the journal's length (a repeat is no change).
    pub fn set_journal_backlog(&self, records: u64) {
        if self.read().journal_backlog != Some(records) {
            self.write().journal_backlog = Some(records);
        }
    }

    /// A number that changes whenever the state does (a cheap check before rendering again).
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// [`MetricsState::snapshot`] with the [`MetricsState::generation`] it is a copy of.
    pub fn versioned_snapshot(&self) -> (u64, StateSnapshot) {
        let inner = self.read();
        (self.generation(), Self::copy(&inner))
    }

    /// Records the journal's health figures.
    pub fn set_journal_health(&self, health: JournalHealth) {
        self.write().journal_health = Some(health);
    }

    /// A copy of everything, for one scrape.
    pub fn snapshot(&self) -> StateSnapshot {
        Self::copy(&self.read())
    }

    fn copy(inner: &Inner) -> StateSnapshot {
        StateSnapshot {
            bands: inner.bands.values().cloned().collect(),
            database_up: inner.database_up,
            journal_backlog: inner.journal_backlog,
            journal_health: inner.journal_health,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner
            .data
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A panic elsewhere while holding the lock must not take the endpoint down with it: the
    /// data is plain values, still consistent enough to show.
    fn write(&self) -> Changing<'_> {
        Changing {
            guard: self
                .inner
                .data
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            generation: &self.inner.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(mac: &str) -> Mac {
        mac.parse().unwrap()
    }

    fn labels(mac: &str) -> BandLabels {
        BandLabels {
            mac: m(mac),
            id: "1".into(),
            name: "Alice".into(),
        }
    }

    #[test]
    fn going_down_drops_readings_but_keeps_counters_and_last_sync() {
        let state = MetricsState::new();
        state.add_band(labels("AA:00:00:00:00:01"));
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert!(state.update_band(m("AA:00:00:00:00:01"), |b| {
            b.mark_up();
            b.readings.steps = Some(1234);
            b.counters.samples_stored += 60;
            b.sync_finished(at, Duration::from_secs(3));
        }));
        state.update_band(m("AA:00:00:00:00:01"), BandSnapshot::connection_failed);
        let s = state.snapshot();
        let band = &s.bands[0];
        assert!(!band.up);
        assert_eq!(band.readings, Readings::default());
        assert_eq!(band.counters.samples_stored, 60);
        assert_eq!(band.counters.connection_failures, 1);
        assert_eq!(band.last_sync, Some(at));
        assert!(!state.update_band(m("FF:00:00:00:00:00"), BandSnapshot::mark_up));
    }

    #[test]
    fn every_change_and_only_a_change_moves_the_generation() {
        let state = MetricsState::new();
        let g0 = state.generation();
        state.add_band(labels("AA:00:00:00:00:01"));
        let g1 = state.generation();
        assert!(g1 > g0);
        state.update_band(m("AA:00:00:00:00:01"), |b| b.readings.steps = Some(1));
        let g2 = state.generation();
        assert!(g2 > g1);
        state.set_database_up(true);
        state.set_journal_backlog(0);
        let g3 = state.generation();
        assert!(g3 > g2);
        // The collector repeats these every second; repeats are no change.
        state.set_database_up(true);
        state.set_journal_backlog(0);
        assert_eq!(state.generation(), g3);
        let (g, snap) = state.versioned_snapshot();
        assert_eq!(g, g3);
        assert_eq!(snap.bands[0].readings.steps, Some(1));
    }

    #[test]
    fn bands_are_ordered_by_mac_and_can_be_renamed_or_removed() {
        let state = MetricsState::new();
        state.add_band(labels("BB:00:00:00:00:02"));
        state.add_band(labels("AA:00:00:00:00:01"));
        state.update_band(m("AA:00:00:00:00:01"), |b| b.counters.auth_failures = 2);
        let mut renamed = labels("AA:00:00:00:00:01");
        renamed.name = "Bob".into();
        state.add_band(renamed);
        let s = state.snapshot();
        let macs: Vec<String> = s.bands.iter().map(|b| b.labels.mac.to_string()).collect();
        assert_eq!(macs, ["AA:00:00:00:00:01", "BB:00:00:00:00:02"]);
        assert_eq!(s.bands[0].labels.name, "Bob");
        assert_eq!(s.bands[0].counters.auth_failures, 2);
        state.remove_band(m("AA:00:00:00:00:01"));
        assert_eq!(state.snapshot().bands.len(), 1);
    }
}
