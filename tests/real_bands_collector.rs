//! What real bands answer, through the collector's library API (scheduling, backoff, metrics,
//! PostgreSQL): a refused fetch or an unanswered heart-rate measurement is an outcome, the sync
//! succeeds, no connection failure is counted, and the band is not reconnected before its next
//! due job (connections are counted). Band clocks that are off never give duplicate, future or
//! missing minutes. docs/real-bands.md says where each behaviour comes from.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use miband::collector::radio::{ConnectError, Radio, SimRadio};
use miband::collector::{open_sink, register_bands, run, RunOptions, RunSummary};
use miband::config::{Config, Database, Device, Secret, Settings, UpdateMode};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::faults::FetchAnswer;
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::Person;
use miband::link::Link;
use miband::mac::Mac;
use miband::metrics::snapshot::{BandSnapshot, MetricsState};
use miband::protocol::fetch::FetchOutcome;
use miband::protocol::key::AuthKey;
use miband::shutdown::ShutdownTrigger;
use miband::store::pgcluster::PgCluster;

fn key(n: u8) -> AuthKey {
    AuthKey::from_bytes([n; 16])
}

fn mac(n: u8) -> Mac {
    Mac::new([0xC8, 0x0F, 0x10, 0, 0x0A, n])
}

fn device(n: u8) -> Device {
    Device {
        id: n.to_string(),
        mac: mac(n),
        key: key(n),
        name: None,
    }
}

fn emulated(n: u8, model: Model, tweak: impl FnOnce(&mut BandOptions)) -> EmulatedBand {
    let mut o = BandOptions::new(
        model,
        miband::mac::Mac::new([0xC8, 0x0F, 0x10, 0, 0x0A, n]),
        key(n),
    );
    o.history = chrono::Duration::hours(12);
    o.round_cap = 400;
    o.tz_quarters = miband::collector::sync::local_tz_quarters();
    o.one_shot_delay = chrono::Duration::milliseconds(100);
    tweak(&mut o);
    let person = Person::new(u64::from(n)).with_sample_size(model.sample_size());
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, Arc::new(person), clock.now()), clock)
}

/// Counts connections per band, so a test can show there was no reconnect.
struct CountingRadio {
    inner: SimRadio,
    connects: HashMap<Mac, AtomicU32>,
}

impl CountingRadio {
    fn connects(&self, mac: Mac) -> u32 {
        self.connects[&mac].load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Radio for CountingRadio {
    async fn connect(&self, mac: Mac) -> Result<Box<dyn Link>, ConnectError> {
        if let Some(c) = self.connects.get(&mac) {
            c.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.connect(mac).await
    }
}

fn config(pg: &PgCluster, devices: Vec<Device>, state: &std::path::Path) -> Config {
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
            update_mode: UpdateMode::All,
            metrics_listen: "127.0.0.1:0".parse().unwrap(),
            adapter: None,
            max_concurrent_bands: 2,
            heart_rate_measurement_interval: None,
            remote: Default::default(),
            state_dir: state.to_path_buf(),
        },
    }
}

struct World {
    pg: PgCluster,
    _state: tempfile::TempDir,
    cfg: Config,
}

async fn world(devices: Vec<Device>) -> World {
    let pg = PgCluster::start_throwaway().unwrap();
    pg.create_owner_db("miband", "miband", "pw").await.unwrap();
    let state = tempfile::tempdir().unwrap();
    let cfg = config(&pg, devices, state.path());
    World {
        pg,
        _state: state,
        cfg,
    }
}

/// Runs the collector (not `--once`) for `for_how_long`, then stops it.
async fn run_for(
    w: &World,
    radio: Arc<dyn Radio>,
    metrics: &MetricsState,
    opts: RunOptions,
    for_how_long: Duration,
) -> RunSummary {
    let sink = open_sink(&w.cfg).unwrap();
    register_bands(metrics, &sink, &w.cfg.devices).await;
    let (trigger, shutdown) = ShutdownTrigger::new();
    let task = tokio::spawn(run(
        w.cfg.clone(),
        opts,
        sink,
        metrics.clone(),
        radio,
        shutdown,
    ));
    tokio::time::sleep(for_how_long).await;
    trigger.trigger();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("stopped")
        .unwrap()
}

async fn once(w: &World, radio: Arc<dyn Radio>, metrics: &MetricsState) -> RunSummary {
    let sink = open_sink(&w.cfg).unwrap();
    register_bands(metrics, &sink, &w.cfg.devices).await;
    let (_trigger, shutdown) = ShutdownTrigger::new();
    let opts = RunOptions {
        once: true,
        ..RunOptions::default()
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        run(w.cfg.clone(), opts, sink, metrics.clone(), radio, shutdown),
    )
    .await
    .expect("the run finished")
}

async fn count(c: &tokio_postgres::Client, sql: &str, mac: Mac) -> i64 {
    c.query_one(sql, &[&mac.to_string()]).await.unwrap().get(0)
}

const ACTIVITY_ROWS: &str = "SELECT count(*) FROM activityrecord a JOIN mibandrecord m \
                             ON m.id = a.dev_id WHERE m.mac = $1";
const HEART_ROWS: &str = "SELECT count(*) FROM heartraterecord h JOIN mibandrecord m \
                          ON m.id = h.dev_id WHERE m.mac = $1";
const BATTERY_ROWS: &str = "SELECT count(*) FROM batteryinforecord b JOIN mibandrecord m \
                            ON m.id = b.dev_id WHERE m.mac = $1";

fn snap(metrics: &MetricsState, mac: Mac) -> BandSnapshot {
    metrics
        .snapshot()
        .bands
        .into_iter()
        .find(|b| b.labels.mac == mac)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_fetches_and_silent_heart_rate_are_outcomes_not_failures() {
    use FetchAnswer::*;
    // 1 nothing new (history already empty), 2 busy always, 3 `10 02 04` after the data,
    // 4 fetch error, 5 not worn, 6 `10 02 04` in reply to the start.
    let bands = [
        (
            1,
            emulated(1, Model::Mb4, |o| o.history = chrono::Duration::zero()),
        ),
        (
            2,
            emulated(2, Model::Mb5, |o| {
                o.faults.fetch_answer_always = Some(ActivityRunning)
            }),
        ),
        (
            3,
            emulated(3, Model::Mb4, |o| {
                o.faults.fetch_answers = vec![NoMoreAfterData]
            }),
        ),
        (
            4,
            emulated(4, Model::Mb4, |o| o.faults.fetch_answers = vec![Error]),
        ),
        (5, emulated(5, Model::Mb5, |o| o.faults.not_worn = true)),
        (
            6,
            emulated(6, Model::Mb4, |o| {
                o.faults.fetch_answers = vec![NoMoreOnStart]
            }),
        ),
    ];
    let devices: Vec<Device> = bands.iter().map(|(n, _)| device(*n)).collect();
    let w = world(devices).await;
    let radio = Arc::new(CountingRadio {
        inner: SimRadio::new(bands.iter().map(|(n, b)| (mac(*n), b.clone())).collect()),
        connects: bands
            .iter()
            .map(|(n, _)| (mac(*n), AtomicU32::new(0)))
            .collect(),
    });
    let metrics = MetricsState::new();
    let opts = RunOptions {
        backoff_min: Duration::from_secs(2),
        heart_rate_wait: Duration::from_secs(3),
        ..RunOptions::default()
    };
    // 9 s: the busy band's fetch is retried at +2 s, +4 s (after the first sync); everything
    // else is next due in an hour.
    run_for(&w, radio.clone(), &metrics, opts, Duration::from_secs(9)).await;
    let c = w.pg.connect_superuser("miband").await.unwrap();

    for (n, _) in &bands {
        let m = mac(*n);
        let s = snap(&metrics, m);
        assert_eq!(s.counters.connection_failures, 0, "band {n}");
        assert_eq!(s.counters.auth_failures, 0, "band {n}");
        assert!(s.last_sync.is_some(), "band {n}: the sync succeeded");
        assert_eq!(count(&c, BATTERY_ROWS, m).await, 1, "band {n}: one sync");
        if *n != 2 && *n != 4 {
            assert_eq!(
                radio.connects(m),
                1,
                "band {n}: no reconnect before its next job"
            );
        }
    }
    let fetches = |n: u8, o: FetchOutcome| snap(&metrics, mac(n)).counters.fetches(o);
    assert_eq!(fetches(1, FetchOutcome::NoData), 1);
    assert_eq!(count(&c, ACTIVITY_ROWS, mac(1)).await, 0);
    // Busy: retried with a growing backoff, every time a successful sync of the fetch alone.
    let busy = radio.connects(mac(2));
    assert!((2..=4).contains(&busy), "busy band connected {busy} times");
    assert_eq!(fetches(2, FetchOutcome::Busy), u64::from(busy));
    assert_eq!(count(&c, ACTIVITY_ROWS, mac(2)).await, 0);
    assert_eq!(
        count(&c, HEART_ROWS, mac(2)).await,
        1,
        "heart rate measured once"
    );
    // `10 02 04` after data: that round was dropped, not stored half.
    assert_eq!(fetches(3, FetchOutcome::NoData), 1);
    assert_eq!(count(&c, ACTIVITY_ROWS, mac(3)).await, 0);
    // A fetch error is retried after the backoff (the fault fired once): then stored.
    assert_eq!(fetches(4, FetchOutcome::Error), 1);
    assert_eq!(radio.connects(mac(4)), 2);
    assert_eq!(fetches(4, FetchOutcome::Ok), 1);
    assert!(count(&c, ACTIVITY_ROWS, mac(4)).await >= 700);
    assert_eq!(fetches(6, FetchOutcome::NoData), 1);
    // Not worn: history stored, no heart-rate row (absent, never 0), counted separately.
    assert!(count(&c, ACTIVITY_ROWS, mac(5)).await >= 700);
    assert_eq!(fetches(5, FetchOutcome::Ok), 1);
    assert_eq!(count(&c, HEART_ROWS, mac(5)).await, 0);
    assert_eq!(snap(&metrics, mac(5)).counters.heart_rate_no_reading, 1);
    assert_eq!(snap(&metrics, mac(5)).readings.heart_rate_bpm, None);
    assert_eq!(snap(&metrics, mac(1)).counters.heart_rate_no_reading, 0);
}

/// Per band: (rows, distinct minutes, span in minutes, last minute) of activityrecord.
async fn minutes(c: &tokio_postgres::Client, mac: Mac) -> (i64, i64, i64, DateTime<Utc>) {
    let mac = mac.to_string();
    let r = c
        .query_one(
            "SELECT count(*), count(DISTINCT a.ts),
                    ((extract(epoch FROM max(a.ts)) - extract(epoch FROM min(a.ts))) / 60)::bigint + 1,
                    max(a.ts)
             FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id WHERE m.mac = $1",
            &[&mac],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

#[tokio::test(flavor = "multi_thread")]
async fn band_clocks_off_or_rezoned_give_every_minute_once() {
    // 1: 2 h behind, 2: 1 h ahead, 3: right, its zone changes between two syncs (DST).
    let bands = [
        (
            1,
            emulated(1, Model::Mb4, |o| {
                o.clock_error = -chrono::Duration::hours(2)
            }),
        ),
        (
            2,
            emulated(2, Model::Mb5, |o| {
                o.clock_error = chrono::Duration::hours(1)
            }),
        ),
        (3, emulated(3, Model::Mb4, |_| {})),
    ];
    let devices: Vec<Device> = bands.iter().map(|(n, _)| device(*n)).collect();
    let w = world(devices).await;
    let sim = SimRadio::new(bands.iter().map(|(n, b)| (mac(*n), b.clone())).collect());
    let metrics = MetricsState::new();
    let held: Vec<DateTime<Utc>> = bands
        .iter()
        .map(|(_, b)| b.with_band(|b| b.oldest_held()))
        .collect();
    let s = once(&w, Arc::new(sim.clone()), &metrics).await;
    assert_eq!((s.synced, s.failed), (3, 0));
    let c = w.pg.connect_superuser("miband").await.unwrap();
    for ((n, b), held) in bands.iter().zip(&held) {
        let m = mac(*n);
        let (rows, distinct, span, last) = minutes(&c, m).await;
        assert_eq!(rows, distinct, "band {n}: duplicate minutes");
        assert_eq!(rows, span, "band {n}: missing minutes");
        assert!(last <= Utc::now(), "band {n}: a future minute {last}");
        assert!(rows >= 12 * 60 - 2, "band {n}: only {rows} minutes");
        // Every stored minute holds that minute's sample, not one of another hour.
        let first: DateTime<Utc> = c
            .query_one(
                "SELECT min(a.ts) FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id \
                 WHERE m.mac = $1",
                &[&m.to_string()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(first, *held, "band {n}: first minute");
        let rows = c
            .query(
                "SELECT a.ts, a.category, a.intensity, a.steps FROM activityrecord a \
                 JOIN mibandrecord m ON m.id = a.dev_id WHERE m.mac = $1 ORDER BY a.ts",
                &[&m.to_string()],
            )
            .await
            .unwrap();
        let mut differing = 0;
        for r in &rows {
            let ts: DateTime<Utc> = r.get(0);
            let want = b.with_band(|b| b.history(ts, 1))[0];
            let got: (i16, i16, i16) = (r.get(1), r.get(2), r.get(3));
            if got
                != (
                    i16::from(want.kind),
                    i16::from(want.intensity),
                    i16::from(want.steps),
                )
            {
                differing += 1;
            }
        }
        assert_eq!(
            differing, 0,
            "band {n}: minutes holding another minute's sample"
        );
        // The clock was set.
        let off = b.with_band(|b| b.band_now(Utc::now()) - Utc::now());
        assert!(off.num_seconds().abs() <= 2, "band {n}: clock still {off}");
        assert_eq!(snap(&metrics, m).counters.connection_failures, 0);
    }
    // DST between syncs: band 3's clock is an hour on in local time (zone +1 h), same instant.
    let b3 = &bands[2].1;
    b3.with_band(|b| {
        let now = Utc::now();
        let tz = miband::collector::sync::local_tz_quarters() + 4;
        let local = now.naive_utc() + chrono::Duration::minutes(i64::from(tz) * 15);
        b.write(
            now,
            miband::protocol::uuids::CHAR_CURRENT_TIME,
            &miband::protocol::time::CurrentTime::new(local, tz).encode(),
        )
        .unwrap();
    });
    // The clock of the bands moves on by a couple of minutes of history.
    tokio::time::sleep(Duration::from_secs(61)).await;
    let s = once(&w, Arc::new(sim), &metrics).await;
    assert_eq!((s.synced, s.failed), (3, 0));
    for (n, _) in &bands {
        let (rows, distinct, span, last) = minutes(&c, mac(*n)).await;
        assert_eq!(
            rows, distinct,
            "band {n}: duplicate minutes after the second sync"
        );
        assert_eq!(
            rows, span,
            "band {n}: missing minutes after the second sync"
        );
        assert!(last <= Utc::now());
    }
    let zone = b3.with_band(|b| {
        miband::protocol::time::CurrentTime::decode(
            &b.read(Utc::now(), miband::protocol::uuids::CHAR_CURRENT_TIME)
                .unwrap(),
        )
        .unwrap()
        .time
        .tz_quarters
    });
    assert_eq!(
        zone,
        miband::collector::sync::local_tz_quarters(),
        "zone reset"
    );
}
