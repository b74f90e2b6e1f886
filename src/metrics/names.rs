//! Every metric name the collector exports, in one place. Dashboards, the README and the
//! exporter all take names from here; `tests` pins them so a rename is a deliberate act.
//!
//! Names follow Prometheus' naming rules: `miband_` prefix, base units (meters, joules, seconds,
//! ratio), `_total` on counters (prometheus-client adds the suffix on the sample line itself, so
//! counters are registered under their base name, see [`Metric::registered_name`]).

/// What kind of series a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A monotonically increasing count; exposed with `_total`.
    Counter,
    /// A histogram (`_bucket`, `_sum`, `_count`).
    Histogram,
    /// An `_info` metric whose labels carry the data and whose value is 1. The exporter writes
    /// it with OpenMetrics type `gauge` under its full name, as Prometheus' own
    /// `prometheus_build_info` is: promtool 2.42 rejects the `info` type as unknown.
    Info,
}

/// One exported metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The full name as it appears in PromQL (with `_total` for counters, `_info` for info).
    pub name: &'static str,
    /// HELP text (prometheus-client appends a full stop).
    pub help: &'static str,
    /// Series type.
    pub kind: Kind,
    /// Whether it carries the per-band labels `mac`, `id`, `name`.
    pub per_band: bool,
}

impl Metric {
    /// The name to register with prometheus-client, which appends `_total`/`_info` itself.
    pub fn registered_name(&self) -> &'static str {
        match self.kind {
            Kind::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
            Kind::Info => self.name.strip_suffix("_info").unwrap_or(self.name),
            _ => self.name,
        }
    }
}

macro_rules! metric {
    ($id:ident, $name:literal, $kind:ident, $per_band:literal, $help:literal) => {
        #[doc = $help]
        pub const $id: Metric = Metric {
            name: $name,
            help: $help,
            kind: Kind::$kind,
            per_band: $per_band,
        };
    };
}

metric!(
    UP,
    "miband_up",
    Gauge,
    true,
    "1 if the band's last connection attempt succeeded, 0 if the band is unreachable"
);
metric!(
    BATTERY_LEVEL,
    "miband_battery_level_ratio",
    Gauge,
    true,
    "Battery level as a ratio from 0 to 1"
);
metric!(
    BATTERY_CHARGING,
    "miband_battery_charging",
    Gauge,
    true,
    "1 while the band is on its charger"
);
metric!(
    STEPS_TODAY,
    "miband_steps_today",
    Gauge,
    true,
    "Steps counted by the band since local midnight"
);
metric!(
    DISTANCE_TODAY,
    "miband_distance_today_meters",
    Gauge,
    true,
    "Distance walked since local midnight, in meters"
);
metric!(
    ENERGY_TODAY,
    "miband_energy_today_joules",
    Gauge,
    true,
    "Energy burnt since local midnight, in joules (band reports kcal; 1 kcal = 4184 J)"
);
metric!(
    HEART_RATE,
    "miband_heart_rate_bpm",
    Gauge,
    true,
    "Latest heart-rate measurement in beats per minute"
);
metric!(
    LAST_SYNC,
    "miband_last_sync_timestamp_seconds",
    Gauge,
    true,
    "Unix time of the band's last successful sync"
);
metric!(
    SAMPLES_STORED,
    "miband_samples_stored_total",
    Counter,
    true,
    "Per-minute history samples stored (database or journal) since the collector started"
);
metric!(
    AUTH_FAILURES,
    "miband_auth_failures_total",
    Counter,
    true,
    "Authentication failures (wrong or refused key)"
);
metric!(
    CONNECTION_FAILURES,
    "miband_connection_failures_total",
    Counter,
    true,
    "Failed connection attempts (band not found, link dropped)"
);
metric!(
    SYNC_DURATION,
    "miband_sync_duration_seconds",
    Histogram,
    true,
    "Duration of complete band syncs"
);
metric!(
    DATABASE_UP,
    "miband_database_up",
    Gauge,
    false,
    "1 if PostgreSQL answers (probed every 2 s and on every write), 0 while it does not and writes go to the journal"
);
metric!(
    JOURNAL_BACKLOG,
    "miband_journal_backlog_records",
    Gauge,
    false,
    "Records waiting in the local journal for PostgreSQL"
);
metric!(
    JOURNAL_DAMAGED_BYTES,
    "miband_journal_damaged_bytes",
    Gauge,
    false,
    "Damaged journal bytes found at start, moved to journal/quarantine/ (records in them are lost; all others kept)"
);
metric!(
    JOURNAL_CHECKPOINT_FAILURES,
    "miband_journal_checkpoint_failures_total",
    Counter,
    false,
    "Times the journal's replay checkpoint could not be saved (replay goes on; a restart repeats some records)"
);
metric!(
    JOURNAL_WRITE_FAILURES,
    "miband_journal_write_failures_total",
    Counter,
    false,
    "Readings neither PostgreSQL nor the journal could take (disk full, journal bound): not acknowledged, the band keeps them"
);
metric!(
    BUILD_INFO,
    "miband_build_info",
    Info,
    false,
    "Version of the collector"
);

/// All metrics, in the order they are exported and documented.
pub const ALL: &[Metric] = &[
    UP,
    BATTERY_LEVEL,
    BATTERY_CHARGING,
    STEPS_TODAY,
    DISTANCE_TODAY,
    ENERGY_TODAY,
    HEART_RATE,
    LAST_SYNC,
    SAMPLES_STORED,
    AUTH_FAILURES,
    CONNECTION_FAILURES,
    SYNC_DURATION,
    DATABASE_UP,
    JOURNAL_BACKLOG,
    JOURNAL_DAMAGED_BYTES,
    JOURNAL_CHECKPOINT_FAILURES,
    JOURNAL_WRITE_FAILURES,
    BUILD_INFO,
];

/// Per-band label names, in order.
pub const BAND_LABELS: [&str; 3] = ["mac", "id", "name"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_pinned() {
        let names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "miband_up",
                "miband_battery_level_ratio",
                "miband_battery_charging",
                "miband_steps_today",
                "miband_distance_today_meters",
                "miband_energy_today_joules",
                "miband_heart_rate_bpm",
                "miband_last_sync_timestamp_seconds",
                "miband_samples_stored_total",
                "miband_auth_failures_total",
                "miband_connection_failures_total",
                "miband_sync_duration_seconds",
                "miband_database_up",
                "miband_journal_backlog_records",
                "miband_journal_damaged_bytes",
                "miband_journal_checkpoint_failures_total",
                "miband_journal_write_failures_total",
                "miband_build_info",
            ]
        );
    }

    #[test]
    fn names_follow_prometheus_rules() {
        for m in ALL {
            assert!(m.name.starts_with("miband_"), "{}", m.name);
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                m.name
            );
            assert_eq!(
                m.kind == Kind::Counter,
                m.name.ends_with("_total"),
                "{}",
                m.name
            );
            assert_eq!(
                m.kind == Kind::Info,
                m.name.ends_with("_info"),
                "{}",
                m.name
            );
            for bad in ["_kcal", "_calories", "_percent", "_minutes", "_hours"] {
                assert!(!m.name.contains(bad), "{} uses a non-base unit", m.name);
            }
        }
    }

    #[test]
    fn registered_names_drop_the_suffix_prometheus_client_adds() {
        assert_eq!(SAMPLES_STORED.registered_name(), "miband_samples_stored");
        assert_eq!(BUILD_INFO.registered_name(), "miband_build");
        assert_eq!(UP.registered_name(), "miband_up");
    }
}
