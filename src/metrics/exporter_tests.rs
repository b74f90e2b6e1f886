//! Exact renderings of sample snapshots.

use std::time::{Duration, SystemTime};

use super::*;

fn labels(n: u8, name: &str) -> BandLabels {
    BandLabels {
        mac: format!("C8:0F:10:00:00:0{n}").parse().unwrap(),
        id: n.to_string(),
        name: name.into(),
    }
}

/// The sample lines of one band's sync-duration histogram; its observations land in bucket
/// `first_hit` (an index into the bounds) and above.
fn histogram(labels: &str, sum: &str, count: u64, first_hit: usize) -> String {
    let name = "miband_sync_duration_seconds";
    let mut out = format!("{name}_sum{labels} {sum}\n{name}_count{labels} {count}\n");
    let inner = &labels[1..labels.len() - 1];
    let bounds = [
        "1.0", "2.5", "5.0", "10.0", "20.0", "30.0", "60.0", "120.0", "300.0", "600.0", "+Inf",
    ];
    for (i, le) in bounds.iter().enumerate() {
        let cumulative = if i >= first_hit { count } else { 0 };
        out.push_str(&format!(
            "{name}_bucket{{le=\"{le}\",{inner}}} {cumulative}\n"
        ));
    }
    out
}

/// Band 1 fully synced, band 2 down after having been up.
fn sample() -> MetricsState {
    let state = MetricsState::new();
    state.add_band(labels(1, "Alice"));
    state.add_band(labels(2, "Bob \"the\" band"));
    state.update_band("C8:0F:10:00:00:01".parse().unwrap(), |b| {
        b.mark_up();
        b.readings.battery_level_percent = Some(87);
        b.readings.charging = Some(false);
        b.readings.steps = Some(4321);
        b.readings.meters = Some(3050);
        b.readings.kcal = Some(150);
        b.readings.heart_rate_bpm = Some(72);
        b.counters.samples_stored = 1440;
        b.sync_finished(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            Duration::from_millis(7500),
        );
    });
    state.update_band("C8:0F:10:00:00:02".parse().unwrap(), |b| {
        b.mark_up();
        b.readings.steps = Some(99);
        b.auth_failed();
        b.connection_failed();
    });
    state.set_database_up(true);
    state.set_journal_backlog(0);
    state.set_journal_health(crate::metrics::JournalHealth {
        damaged_bytes: 227,
        checkpoint_failures: 2,
        write_failures: 1,
    });
    state
}

#[test]
fn renders_exact_openmetrics() {
    let text = Exporter::new(sample()).render();
    let band1 = r#"{mac="C8:0F:10:00:00:01",id="1",name="Alice"}"#;
    let band2 = r#"{mac="C8:0F:10:00:00:02",id="2",name="Bob \"the\" band"}"#;
    let mut expected = format!(
        "# HELP miband_up 1 if the band's last connection attempt succeeded, 0 if the band is unreachable.
# TYPE miband_up gauge
miband_up{band1} 1
miband_up{band2} 0
# HELP miband_battery_level_ratio Battery level as a ratio from 0 to 1.
# TYPE miband_battery_level_ratio gauge
miband_battery_level_ratio{band1} 0.87
# HELP miband_battery_charging 1 while the band is on its charger.
# TYPE miband_battery_charging gauge
miband_battery_charging{band1} 0
# HELP miband_steps_today Steps counted by the band since local midnight.
# TYPE miband_steps_today gauge
miband_steps_today{band1} 4321
# HELP miband_distance_today_meters Distance walked since local midnight, in meters.
# TYPE miband_distance_today_meters gauge
miband_distance_today_meters{band1} 3050
# HELP miband_energy_today_joules Energy burnt since local midnight, in joules (band reports kcal; 1 kcal = 4184 J).
# TYPE miband_energy_today_joules gauge
miband_energy_today_joules{band1} 627600
# HELP miband_heart_rate_bpm Latest heart-rate measurement in beats per minute.
# TYPE miband_heart_rate_bpm gauge
miband_heart_rate_bpm{band1} 72
# HELP miband_last_sync_timestamp_seconds Unix time of the band's last successful sync.
# TYPE miband_last_sync_timestamp_seconds gauge
miband_last_sync_timestamp_seconds{band1} 1700000000.0
# HELP miband_samples_stored Per-minute history samples stored (database or journal) since the collector started.
# TYPE miband_samples_stored counter
miband_samples_stored_total{band1} 1440
miband_samples_stored_total{band2} 0
# HELP miband_auth_failures Authentication failures (wrong or refused key).
# TYPE miband_auth_failures counter
miband_auth_failures_total{band1} 0
miband_auth_failures_total{band2} 1
# HELP miband_connection_failures Failed connection attempts (band not found, link dropped).
# TYPE miband_connection_failures counter
miband_connection_failures_total{band1} 0
miband_connection_failures_total{band2} 1
# HELP miband_sync_duration_seconds Duration of complete band syncs.
# TYPE miband_sync_duration_seconds histogram
"
    );
    expected.push_str(&histogram(band1, "7.5", 1, 3));
    expected.push_str(&histogram(band2, "0.0", 0, usize::MAX));
    expected.push_str(&format!(
        "# HELP miband_database_up 1 if PostgreSQL answers (probed every 2 s and on every write), 0 while it does not and writes go to the journal.
# TYPE miband_database_up gauge
miband_database_up 1
# HELP miband_journal_backlog_records Records waiting in the local journal for PostgreSQL.
# TYPE miband_journal_backlog_records gauge
miband_journal_backlog_records 0
# HELP miband_journal_damaged_bytes Damaged journal bytes found at start, moved to journal/quarantine/ (records in them are lost; all others kept).
# TYPE miband_journal_damaged_bytes gauge
miband_journal_damaged_bytes 227
# HELP miband_journal_checkpoint_failures Times the journal's replay checkpoint could not be saved (replay goes on; a restart repeats some records).
# TYPE miband_journal_checkpoint_failures counter
miband_journal_checkpoint_failures_total 2
# HELP miband_journal_write_failures Readings neither PostgreSQL nor the journal could take (disk full, journal bound): not acknowledged, the band keeps them.
# TYPE miband_journal_write_failures counter
miband_journal_write_failures_total 1
# HELP miband_build_info Version of the collector.
# TYPE miband_build_info gauge
miband_build_info{{version=\"{}\"}} 1
# EOF
",
        env!("CARGO_PKG_VERSION")
    ));
    assert_eq!(text, expected);
}

/// The series names of a rendering, with their label sets, minus metadata.
fn samples(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit_once(' ').map_or(l, |(series, _)| series))
        .collect()
}

#[test]
fn a_band_that_is_down_shows_only_up_0_and_what_stays_true() {
    let state = MetricsState::new();
    state.add_band(labels(1, "Alice"));
    state.update_band("C8:0F:10:00:00:01".parse().unwrap(), |b| {
        b.mark_up();
        b.readings.battery_level_percent = Some(50);
        b.readings.heart_rate_bpm = Some(60);
        b.sync_finished(SystemTime::UNIX_EPOCH, Duration::from_secs(1));
        b.mark_down();
    });
    let text = Exporter::new(state).render();
    let names: std::collections::BTreeSet<&str> = samples(&text)
        .into_iter()
        .map(|s| s.split('{').next().unwrap_or(s))
        .collect();
    let expected: std::collections::BTreeSet<&str> = [
        "miband_up",
        "miband_last_sync_timestamp_seconds",
        "miband_samples_stored_total",
        "miband_auth_failures_total",
        "miband_connection_failures_total",
        "miband_sync_duration_seconds_sum",
        "miband_sync_duration_seconds_count",
        "miband_sync_duration_seconds_bucket",
        "miband_build_info",
    ]
    .into();
    assert_eq!(names, expected, "{text}");
    assert!(text.contains("miband_up{mac=\"C8:0F:10:00:00:01\",id=\"1\",name=\"Alice\"} 0\n"));
}

#[test]
fn missing_values_are_absent_not_zero() {
    let state = MetricsState::new();
    state.add_band(labels(1, "Alice"));
    state.update_band("C8:0F:10:00:00:01".parse().unwrap(), |b| {
        b.mark_up();
        b.readings.battery_level_percent = Some(0);
    });
    let text = Exporter::new(state).render();
    assert!(text.contains(
        "miband_battery_level_ratio{mac=\"C8:0F:10:00:00:01\",id=\"1\",name=\"Alice\"} 0.0\n"
    ));
    for absent in [
        "miband_steps_today",
        "miband_heart_rate_bpm",
        "miband_energy_today_joules",
        "miband_battery_charging",
        "miband_last_sync_timestamp_seconds",
        "miband_database_up",
        "miband_journal_backlog_records",
    ] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
}

#[test]
fn no_bands_yet_still_renders_valid_openmetrics() {
    let text = Exporter::new(MetricsState::new()).render();
    assert_eq!(
        text,
        format!(
            "# HELP miband_build_info Version of the collector.\n# TYPE miband_build_info gauge\nmiband_build_info{{version=\"{}\"}} 1\n# EOF\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn every_named_metric_is_rendered_for_a_full_snapshot() {
    let text = Exporter::new(sample()).render();
    for metric in names::ALL {
        let family = match metric.kind {
            names::Kind::Counter => metric.registered_name(),
            _ => metric.name,
        };
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{} missing",
            metric.name
        );
        assert!(
            text.contains(&format!("\n{}", metric.name)),
            "{} has no sample",
            metric.name
        );
    }
}

#[test]
fn renders_once_per_change_of_state_not_per_scrape() {
    let state = sample();
    let exporter = Exporter::new(state.clone());
    let first = exporter.body(Format::OpenMetrics);
    for _ in 0..100 {
        assert_eq!(exporter.body(Format::OpenMetrics), first);
        exporter.body(Format::Text);
    }
    assert_eq!(exporter.renders(), 1);
    assert_eq!(first, exporter.render().as_bytes());
    // The collector's once-a-second mirror of unchanged storage figures is no change.
    state.set_database_up(true);
    exporter.body(Format::Text);
    let renders = exporter.renders();
    state.set_database_up(true);
    exporter.body(Format::Text);
    assert_eq!(exporter.renders(), renders);
    // A real change shows at the next scrape.
    state.update_band("C8:0F:10:00:00:01".parse().unwrap(), |b| {
        b.readings.steps = Some(4242)
    });
    let text = exporter.body(Format::Text);
    assert_eq!(exporter.renders(), renders + 1);
    let text = std::str::from_utf8(&text).unwrap();
    assert!(text.contains("} 4242\n"), "{text}");
    assert!(!text.contains("# EOF"));
    assert!(text.contains("# TYPE miband_samples_stored_total counter\n"));
}
