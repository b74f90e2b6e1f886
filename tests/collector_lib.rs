//! The collector's scheduling through its library API, with emulated bands built here: a band
//! that fails does not stall the others, and `update_mode: charging` syncs only bands on the
//! charger and never measures heart rate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use miband::collector::radio::SimRadio;
use miband::collector::{open_sink, register_bands, run, RunOptions, RunSummary};
use miband::config::{Config, Database, Device, Secret, Settings, UpdateMode};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::world::{BatteryState, DayTotals, World};
use miband::mac::Mac;
use miband::metrics::snapshot::MetricsState;
use miband::protocol::activity::ActivitySample;
use miband::protocol::key::AuthKey;
use miband::shutdown::ShutdownTrigger;
use miband::store::pgcluster::PgCluster;

/// A wearer whose battery is (or is not) on the charger.
struct OnCharger(bool);

impl World for OnCharger {
    fn sample_at(&self, m: DateTime<Utc>) -> ActivitySample {
        ActivitySample {
            kind: if self.0 { 6 } else { 1 },
            intensity: 5,
            steps: (m.timestamp() / 60 % 50) as u8,
            heart_rate: (!self.0).then_some(70),
            extra: None,
        }
    }
    fn battery_at(&self, _t: DateTime<Utc>) -> BatteryState {
        BatteryState {
            level_percent: 60,
            charging: self.0,
            last_charge: None,
            last_charge_level_percent: None,
            last_off: None,
        }
    }
    fn totals_at(&self, _t: DateTime<Utc>) -> DayTotals {
        DayTotals {
            steps: 100,
            meters: 70,
            calories: 5,
        }
    }
    fn heart_rate_at(&self, _t: DateTime<Utc>) -> Option<u8> {
        Some(70)
    }
}

fn key(n: u8) -> AuthKey {
    AuthKey::from_bytes([n; 16])
}

fn device(n: u8) -> Device {
    Device {
        id: n.to_string(),
        mac: Mac::new([0xC8, 0x0F, 0x10, 0, 0, n]),
        key: key(n),
        name: None,
    }
}

fn emulated(n: u8, band_key: AuthKey, charging: bool) -> EmulatedBand {
    let mut o = BandOptions::new(Model::Mb4, Mac::new([0xC8, 0x0F, 0x10, 0, 0, n]), band_key);
    o.history = chrono::Duration::hours(12);
    o.one_shot_delay = chrono::Duration::milliseconds(100);
    let clock = Clock::system();
    EmulatedBand::new(
        Band::new(o, Arc::new(OnCharger(charging)), clock.now()),
        clock,
    )
}

fn config(
    pg: &PgCluster,
    devices: Vec<Device>,
    mode: UpdateMode,
    state: &std::path::Path,
) -> Config {
    let hour = Duration::from_secs(3600);
    Config {
        devices,
        settings: Settings {
            database: Database {
                name: "miband".into(),
                user: "miband".into(),
                password: Secret::new("pw"),
                host: "127.0.0.1".into(),
                port: pg.port(),
            },
            activity_timeout: hour,
            battery_timeout: hour,
            heart_rate_timeout: hour,
            time_check_timeout: hour,
            update_mode: mode,
            metrics_listen: "127.0.0.1:0".parse().unwrap(),
            adapter: None,
            max_concurrent_bands: 1,
            state_dir: state.to_path_buf(),
            remote: Default::default(),
            heart_rate_measurement_interval: None,
        },
    }
}

async fn count(c: &tokio_postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// Runs the collector once over `bands` (a throwaway database, one band at a time); returns
/// the cluster (to inspect), the summary and the metrics.
async fn run_once(
    devices: Vec<Device>,
    bands: HashMap<Mac, EmulatedBand>,
    mode: UpdateMode,
) -> (PgCluster, RunSummary, MetricsState) {
    run_once_with(devices, bands, mode, None).await
}

/// [`run_once`] with `heart_rate_measurement_interval` set.
async fn run_once_with(
    devices: Vec<Device>,
    bands: HashMap<Mac, EmulatedBand>,
    mode: UpdateMode,
    hr_interval: Option<u8>,
) -> (PgCluster, RunSummary, MetricsState) {
    let pg = PgCluster::start_throwaway().unwrap();
    pg.create_owner_db("miband", "miband", "pw").await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cfg = config(&pg, devices, mode, state.path());
    cfg.settings.heart_rate_measurement_interval = hr_interval;
    let sink = open_sink(&cfg).unwrap();
    let metrics = MetricsState::new();
    register_bands(&metrics, &sink, &cfg.devices).await;
    let (_trigger, shutdown) = ShutdownTrigger::new();
    let opts = RunOptions {
        once: true,
        ..RunOptions::default()
    };
    let radio = Arc::new(SimRadio::new(bands));
    let summary = tokio::time::timeout(
        Duration::from_secs(120),
        run(cfg, opts, sink, metrics.clone(), radio, shutdown),
    )
    .await
    .expect("the run finished");
    (pg, summary, metrics)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_band_does_not_stall_the_others() {
    // Band 1 is away, band 2 holds another key, band 3 is fine; one slot, so they queue.
    let away = emulated(1, key(1), false);
    away.set_present(false);
    let bands = HashMap::from([
        (device(1).mac, away),
        (device(2).mac, emulated(2, key(99), false)),
        (device(3).mac, emulated(3, key(3), false)),
    ]);
    let devices = vec![device(1), device(2), device(3)];
    let (pg, summary, metrics) = run_once(devices, bands, UpdateMode::All).await;
    assert_eq!((summary.synced, summary.failed), (1, 2));
    let snap = metrics.snapshot();
    let by_id = |id: &str| snap.bands.iter().find(|b| b.labels.id == id).unwrap();
    assert!(!by_id("1").up);
    assert_eq!(by_id("1").counters.connection_failures, 1);
    assert!(!by_id("2").up);
    assert_eq!(by_id("2").counters.auth_failures, 1);
    assert!(by_id("3").up);
    assert!(by_id("3").counters.samples_stored >= 700);
    let c = pg.connect_superuser("miband").await.unwrap();
    assert_eq!(
        count(&c, "SELECT count(DISTINCT dev_id) FROM activityrecord").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn charging_mode_syncs_only_bands_on_the_charger() {
    let bands = HashMap::from([
        (device(1).mac, emulated(1, key(1), true)),
        (device(2).mac, emulated(2, key(2), false)),
    ]);
    let devices = vec![device(1), device(2)];
    let (pg, summary, _) = run_once(devices, bands, UpdateMode::Charging).await;
    assert_eq!(summary.failed, 0);
    let c = pg.connect_superuser("miband").await.unwrap();
    let on_charger = "(SELECT id FROM mibandrecord WHERE mac = 'C8:0F:10:00:00:01')";
    let off = "(SELECT id FROM mibandrecord WHERE mac = 'C8:0F:10:00:00:02')";
    assert!(
        count(
            &c,
            &format!("SELECT count(*) FROM activityrecord WHERE dev_id = {on_charger}")
        )
        .await
            > 700
    );
    assert_eq!(
        count(
            &c,
            &format!("SELECT count(*) FROM activityrecord WHERE dev_id = {off}")
        )
        .await,
        0
    );
    // Both batteries were read (that is how charging is known); no heart rate in this mode.
    assert_eq!(count(&c, "SELECT count(*) FROM batteryinforecord").await, 2);
    assert_eq!(count(&c, "SELECT count(*) FROM heartraterecord").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_heart_rate_interval_setting_reaches_the_band_and_its_history() {
    let band = emulated(4, key(4), false);
    let untouched = emulated(5, key(5), false);
    let bands = HashMap::from([(device(4).mac, band.clone())]);
    let (_pg, summary, _) = run_once_with(vec![device(4)], bands, UpdateMode::All, Some(10)).await;
    assert_eq!((summary.synced, summary.failed), (1, 0));
    assert_eq!(band.with_band(|b| b.hr_interval_minutes()), 10);
    // From now on the band measures every 10 minutes: 6 of the next 60 minutes carry a rate.
    let start = chrono::DurationRound::duration_trunc(Utc::now(), chrono::Duration::minutes(1))
        .unwrap()
        + chrono::Duration::minutes(1);
    let with_hr = |b: &EmulatedBand| {
        b.with_band(|b| b.history(start, 60))
            .iter()
            .filter(|s| s.heart_rate.is_some())
            .count()
    };
    assert_eq!(with_hr(&band), 6);
    assert_eq!(
        with_hr(&untouched),
        60,
        "a band left as it is keeps every minute"
    );

    // Without the setting the collector leaves the band's interval alone.
    let other = emulated(6, key(6), false);
    let bands = HashMap::from([(device(6).mac, other.clone())]);
    let (_pg, summary, _) = run_once(vec![device(6)], bands, UpdateMode::All).await;
    assert_eq!(summary.failed, 0);
    assert_eq!(
        other.with_band(|b| b.actions().last_hr_command().map(|c| c.encode()[0])),
        Some(0x15)
    );
    assert_eq!(other.with_band(|b| b.hr_interval_minutes()), 0);
}

/// A radio whose connect panics for one band (a bug in a worker), emulated bands otherwise.
struct PanicsFor(Mac, SimRadio);

#[async_trait::async_trait]
impl miband::collector::radio::Radio for PanicsFor {
    async fn connect(
        &self,
        mac: Mac,
    ) -> Result<Box<dyn miband::link::Link>, miband::collector::radio::ConnectError> {
        assert_ne!(mac, self.0, "a bug in the band worker");
        self.1.connect(mac).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_band_worker_stops_the_service_with_a_failure_status() {
    let pg = PgCluster::start_throwaway().unwrap();
    pg.create_owner_db("miband", "miband", "pw").await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let cfg = config(
        &pg,
        vec![device(1), device(2)],
        UpdateMode::All,
        state.path(),
    );
    let sink = open_sink(&cfg).unwrap();
    let metrics = MetricsState::new();
    register_bands(&metrics, &sink, &cfg.devices).await;
    let (_trigger, rx) = ShutdownTrigger::new();
    // Not --once: without the crash this run would go on for ever.
    let opts = RunOptions {
        once: false,
        shutdown_grace: Duration::from_secs(2),
        ..RunOptions::default()
    };
    let bands = HashMap::from([(device(2).mac, emulated(2, key(2), false))]);
    let radio = Arc::new(PanicsFor(device(1).mac, SimRadio::new(bands)));
    let summary = tokio::time::timeout(
        Duration::from_secs(120),
        run(cfg, opts, sink, metrics, radio, rx),
    )
    .await
    .expect("a crashed worker ends the run");
    assert_eq!(summary.crashed, 1, "{summary:?}");
    assert_ne!(summary.exit_code(false), 0);
    assert_ne!(summary.exit_code(true), 0);
    assert_eq!(RunSummary::default().exit_code(false), 0);
}
