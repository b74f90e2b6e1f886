//! The real BLE path end to end: our btleplug backend (BleCentral + BtleLink) and the session,
//! unmodified, against the emulated BlueZ on a private dbus-daemon. (BlueZ's own bluetoothctl
//! against it: tests/bluez_cli.rs.)
//!
//! libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` once per process, so every test in this binary shares
//! one bus and one emulated BlueZ (started by the first test that needs it); each test uses bands
//! of its own, so tests do not disturb each other.

#[path = "support/ledger.rs"]
mod bluez_common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration as StdDuration, Instant};

use bluez_common::{assert_complete, band, opts, KEY};
use chrono::{DateTime, Duration, Utc};
use miband::ble::{BleCentral, BleError};
use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
use miband::emulator::link::EmulatedBand;
use miband::emulator::model::Model;
use miband::link::{Link, LinkError, WriteKind};
use miband::protocol::activity::{ActivitySample, TimedSample};
use miband::protocol::key::AuthKey;
use miband::protocol::uuids as u;
use miband::session::{Session, SessionError};

const E2E_MB4: &str = "C8:0F:10:00:01:04";
const E2E_MB5: &str = "C8:0F:10:00:01:05";
const WRONG_KEY_BAND: &str = "C8:0F:10:00:02:01";
const RIGHT_KEY_BAND: &str = "C8:0F:10:00:02:02";
const VANISHING: &str = "C8:0F:10:00:03:01";
const DROPPING: &str = "C8:0F:10:00:03:02";
const ERR_BAND: &str = "C8:0F:10:00:05:01";
const OTHER_KEY: &str = "fedcba9876543210fedcba9876543210";

struct Fixture {
    // The bus lives as long as the test binary (its supervisor stops it when the process ends).
    _bus: PrivateBus,
    emu: Emulator,
    // Keeps the emulator's tasks alive for the whole test binary.
    _rt: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let bus = PrivateBus::start().expect("private dbus-daemon");
        // Before any libdbus system-bus connection in this process (it caches the address).
        std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let bands = vec![
            band(Model::Mb4, E2E_MB4, KEY, |o| {
                o.round_cap = 250;
                o.clock_error = Duration::minutes(-10);
            }),
            band(Model::Mb5, E2E_MB5, KEY, |o| o.round_cap = 250),
            band(Model::Mb4, WRONG_KEY_BAND, OTHER_KEY, |_| {}),
            band(Model::Mb5, RIGHT_KEY_BAND, KEY, |o| {
                o.history = Duration::hours(2)
            }),
            band(Model::Mb4, VANISHING, KEY, |o| o.round_cap = 200),
            band(Model::Mb5, DROPPING, KEY, |o| {
                o.round_cap = 300;
                o.faults.drop_link_at_packet = vec![40, 333, 500];
            }),
            band(Model::Mb4, ERR_BAND, KEY, |_| {}),
        ];
        let mut config = EmulatorConfig::new(bands);
        config.advertise_interval = StdDuration::from_millis(200);
        // Tests may call this from inside their own runtime: start on a plain thread.
        let address = bus.address().to_string();
        let emu = std::thread::scope(|sc| {
            sc.spawn(|| rt.block_on(Emulator::start(&address, config)))
                .join()
                .unwrap()
        })
        .expect("emulated BlueZ");
        Fixture {
            _bus: bus,
            emu,
            _rt: rt,
        }
    })
}

fn emulated(mac: &str) -> EmulatedBand {
    fixture()
        .emu
        .band(mac.parse().unwrap())
        .expect("band in fixture")
        .clone()
}

async fn central() -> BleCentral {
    fixture();
    BleCentral::open(Some("hci0"), StdDuration::from_secs(10))
        .await
        .expect("adapter hci0")
}

/// Fetches with reconnects until caught up; fails on any duplicate. Returns the samples and how
/// many connections failed. `on_batch` runs after each delivered round (n = rounds so far).
async fn fetch_all(
    central: &BleCentral,
    address: &str,
    model: Model,
    max_conn: u32,
    on_batch: impl Fn(u32) + Send + Sync,
) -> (BTreeMap<DateTime<Utc>, ActivitySample>, u32) {
    let b = emulated(address);
    let key = AuthKey::from_hex(KEY).unwrap();
    let mut got = BTreeMap::new();
    let mut cursor = b.with_band(|b| b.oldest_held());
    let mut failures = 0;
    let rounds = AtomicU32::new(0);
    for _ in 0..max_conn {
        let link = match central
            .connect(address.parse().unwrap(), StdDuration::from_secs(5))
            .await
        {
            Ok(l) => l,
            Err(e) => {
                assert!(
                    matches!(e, BleError::Connect { .. } | BleError::NotFound { .. }),
                    "{e}"
                );
                failures += 1;
                tokio::time::sleep(StdDuration::from_millis(500)).await;
                continue;
            }
        };
        let mut s = Session::open(&link, opts(model)).await.unwrap();
        let mut delivered: Vec<TimedSample> = Vec::new();
        let r = match s.authenticate(&key).await {
            Ok(()) => {
                s.fetch_history(cursor, 4, Utc::now, |batch| {
                    delivered.extend(batch);
                    on_batch(rounds.fetch_add(1, Ordering::SeqCst) + 1);
                    async { Ok(()) }
                })
                .await
            }
            Err(e) => Err(e),
        };
        for t in delivered {
            assert!(
                got.insert(t.ts, t.sample).is_none(),
                "duplicate sample at {}",
                t.ts
            );
            cursor = t.ts + Duration::minutes(1);
        }
        drop(s);
        match r {
            Ok(_) => {
                let _ = link.disconnect().await;
                return (got, failures);
            }
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        SessionError::Link(_)
                            | SessionError::Timeout(_)
                            | SessionError::RoundFailed { .. }
                    ),
                    "{e}"
                );
                failures += 1;
            }
        }
    }
    panic!("not caught up after {max_conn} connections");
}

async fn full_session(central: &BleCentral, address: &str, model: Model) {
    let b = emulated(address);
    let link = central
        .connect(address.parse().unwrap(), StdDuration::from_secs(10))
        .await
        .expect("connect");
    assert_eq!(link.device_name().await.as_deref(), Some(model.name()));
    let mut s = Session::open(&link, opts(model)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .expect("auth");
    let info = s.device_info().await.unwrap();
    assert_eq!(
        info.software_revision.as_deref(),
        Some(model.software_revision())
    );
    assert_eq!(
        info.hardware_revision.as_deref(),
        Some(model.hardware_revision())
    );
    assert_eq!(info.pnp_id.unwrap().to_string(), "v0157p0024d0101");
    let serial = address.replace(':', "").to_ascii_lowercase();
    assert_eq!(info.serial_number.as_deref(), Some(serial.as_str()));
    assert_eq!(s.battery().await.unwrap().level_percent, 77);
    let st = s.steps().await.unwrap();
    assert_eq!(
        (st.steps, st.meters, st.calories),
        (4321, Some(3000), Some(150))
    );
    assert_eq!(s.heart_rate().await.unwrap(), Some(66));
    let c = s.sync_clock(Utc::now(), 4).await.unwrap();
    let band_offset = b.with_band(|b| b.band_now(Utc::now()) - Utc::now());
    assert!(
        band_offset.num_seconds().abs() <= 2,
        "clock not set: {band_offset}"
    );
    if model == Model::Mb4 {
        assert!(c.corrected && (c.drift + Duration::minutes(10)).num_seconds().abs() <= 2);
    }
    let from = b.with_band(|b| b.oldest_held());
    let mut got = BTreeMap::new();
    let summary = s
        .fetch_history(from, 4, Utc::now, |batch| {
            for t in batch {
                assert!(got.insert(t.ts, t.sample).is_none(), "duplicate {}", t.ts);
            }
            async { Ok(()) }
        })
        .await
        .expect("history");
    assert!(summary.rounds >= 3, "{} rounds", summary.rounds);
    assert_complete(&got, from, model);
    drop(s);
    link.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bands_mb4_and_mb5_end_to_end() {
    let c = central().await;
    assert_eq!(c.name(), "hci0");
    tokio::join!(
        full_session(&c, E2E_MB4, Model::Mb4),
        full_session(&c, E2E_MB5, Model::Mb5)
    );
    assert!(!emulated(E2E_MB4).is_connected());
    assert!(!emulated(E2E_MB5).is_connected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_fails_clearly_and_the_other_band_is_unaffected() {
    let c = central().await;
    let wrong = async {
        let link = c
            .connect(WRONG_KEY_BAND.parse().unwrap(), StdDuration::from_secs(10))
            .await
            .unwrap();
        let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
        let e = s
            .authenticate(&AuthKey::from_hex(KEY).unwrap())
            .await
            .unwrap_err();
        assert_eq!(e, SessionError::WrongKey);
        assert!(e.is_auth_failure());
        let text = e.to_string();
        assert!(text.contains("wrong auth key"), "{text}");
        assert!(!text.contains(KEY) && !text.contains(OTHER_KEY), "{text}");
        drop(s);
        link.disconnect().await.unwrap();
    };
    let right = async {
        let (got, failures) = fetch_all(&c, RIGHT_KEY_BAND, Model::Mb5, 1, |_| {}).await;
        assert_eq!(failures, 0);
        let from = emulated(RIGHT_KEY_BAND).with_band(|b| b.options().history);
        assert!(got.len() as i64 >= from.num_minutes() - 1, "{}", got.len());
    };
    tokio::join!(wrong, right);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn band_out_of_range_mid_fetch_comes_back_and_resumes() {
    let c = central().await;
    let b = emulated(VANISHING);
    let from = b.with_band(|b| b.oldest_held());
    let gone = Arc::new(AtomicU32::new(0));
    let (bb, g) = (b.clone(), gone.clone());
    // After the second round reached the sink (before its ack), the band walks away; it comes
    // back two seconds later.
    let (got, failures) = fetch_all(&c, VANISHING, Model::Mb4, 20, move |n| {
        if n == 2 && g.fetch_add(1, Ordering::SeqCst) == 0 {
            bb.set_present(false);
            let back = bb.clone();
            std::thread::spawn(move || {
                std::thread::sleep(StdDuration::from_secs(2));
                back.set_present(true);
            });
        }
    })
    .await;
    assert_eq!(gone.load(Ordering::SeqCst), 1);
    assert!(
        failures >= 2,
        "failures {failures}: the vanished band was not noticed"
    );
    assert_complete(&got, from, Model::Mb4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_drops_mid_round_resume_without_loss_or_duplicates() {
    let c = central().await;
    let from = emulated(DROPPING).with_band(|b| b.oldest_held());
    let (got, failures) = fetch_all(&c, DROPPING, Model::Mb5, 12, |_| {}).await;
    assert!(failures >= 3, "only {failures} drops hit");
    assert_complete(&got, from, Model::Mb5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluez_errors_reach_the_session_as_link_errors() {
    let c = central().await;
    let b = emulated(ERR_BAND);
    let link = c
        .connect(ERR_BAND.parse().unwrap(), StdDuration::from_secs(10))
        .await
        .unwrap();
    // The fetch characteristic has no "read" flag: the band answers Read Not Permitted.
    let e = link.read(u::CHAR_FETCH).await.unwrap_err();
    assert_eq!(e, LinkError::Refused("Read not permitted".into()));
    // A write request to a characteristic without "write": Write Not Permitted.
    let e = link
        .write(u::CHAR_FETCH, &[3], WriteKind::WithResponse)
        .await
        .unwrap_err();
    assert_eq!(e, LinkError::Refused("Write not permitted".into()));
    let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    // The band walks away: the session hears of it at once, later calls say so.
    b.set_present(false);
    let t = Instant::now();
    let e = s.heart_rate().await.unwrap_err();
    assert!(
        matches!(e, SessionError::Link(LinkError::Disconnected)),
        "{e}"
    );
    assert!(
        t.elapsed() < StdDuration::from_secs(3),
        "noticed after {:?}",
        t.elapsed()
    );
    assert_eq!(
        link.read(u::CHAR_BATTERY).await.unwrap_err(),
        LinkError::Disconnected
    );
    assert_eq!(
        link.disconnect().await.unwrap_err(),
        LinkError::Disconnected
    );
    drop(s);
    // Out of range: connecting fails with BlueZ's words, within the timeout.
    let e = c
        .connect(ERR_BAND.parse().unwrap(), StdDuration::from_secs(3))
        .await
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("le-connection-abort-by-local"),
        "{e}"
    );
    b.set_present(true);
    let link = c
        .connect(ERR_BAND.parse().unwrap(), StdDuration::from_secs(5))
        .await
        .unwrap();
    let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    assert_eq!(s.battery().await.unwrap().level_percent, 77);
    drop(s);
    link.disconnect().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_adapter_is_a_clear_error() {
    fixture();
    let t = Instant::now();
    let e = BleCentral::open(Some("hci7"), StdDuration::from_secs(5))
        .await
        .err()
        .expect("no hci7");
    assert_eq!(e, BleError::NoAdapter(Some("hci7".into())));
    assert_eq!(e.to_string(), "no Bluetooth adapter named hci7");
    assert!(t.elapsed() < StdDuration::from_secs(5));
}
