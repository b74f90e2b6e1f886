//! The unmodified `miband-dc` (btleplug backend) against the emulated BlueZ, with bands that
//! answer as real ones do (docs/real-bands.md): one busy with a workout (`10 01 07`), one not
//! worn (silent heart rate), one with nothing new (`10 01 02`), one plain MB5 on the real MB4
//! GATT flags. Every sync succeeds, `miband_connection_failures_total` stays 0, and the bands are
//! connected exactly as often as their jobs are due (the emulator counts connections).

#[path = "support/collector.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::faults::FetchAnswer;
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::Person;
use miband::protocol::key::AuthKey;
use support::metric_value;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const BUSY: &str = "C8:0F:10:CC:00:01";
const UNWORN: &str = "C8:0F:10:CC:00:02";
const NOTHING: &str = "C8:0F:10:CC:00:03";
const PLAIN: &str = "C8:0F:10:CC:00:04";

fn band(model: Model, last: u8, tweak: impl FnOnce(&mut BandOptions)) -> EmulatedBand {
    let mac = [0xC8, 0x0F, 0x10, 0xCC, 0x00, last];
    let mut o = BandOptions::new(
        model,
        miband::mac::Mac::new(mac),
        AuthKey::from_hex(KEY).unwrap(),
    );
    o.history = chrono::Duration::hours(6);
    o.tz_quarters = miband::collector::sync::local_tz_quarters();
    tweak(&mut o);
    let person = Person::new(u64::from(last)).with_sample_size(model.sample_size());
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, Arc::new(person), clock.now()), clock)
}

fn per_band(m: &str, metric: &str, mac: &str) -> Option<f64> {
    metric_value(m, &format!("{metric}{{mac=\"{mac}\""))
}

fn fetches(m: &str, mac: &str, result: &str) -> f64 {
    m.lines()
        .find(|l| {
            l.starts_with("miband_history_fetch_total{")
                && l.contains(&format!("mac=\"{mac}\""))
                && l.contains(&format!("result=\"{result}\""))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miband_dc_handles_real_band_answers_without_failures_or_reconnects() {
    let s = support::Setup::new(&[
        &format!("1 | {BUSY} | {KEY} | Busy"),
        &format!("2 | {UNWORN} | {KEY} | Unworn"),
        &format!("3 | {NOTHING} | {KEY} | Nothing"),
        &format!("4 | {PLAIN} | {KEY} | Plain"),
    ])
    .await;
    let bus = PrivateBus::start().unwrap();
    let bands = vec![
        band(Model::Mb4, 1, |o| {
            o.faults.fetch_answer_always = Some(FetchAnswer::ActivityRunning)
        }),
        band(Model::Mb5, 2, |o| o.faults.not_worn = true),
        band(Model::Mb4, 3, |o| o.history = chrono::Duration::zero()),
        band(Model::Mb5, 4, |_| {}),
    ];
    let emu = Emulator::start(bus.address(), EmulatorConfig::new(bands.clone()))
        .await
        .unwrap();
    let mut cmd = s.command("dc", &[]);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let started = Instant::now();
    let _dc = support::ChildGuard(cmd.spawn().expect("spawn miband-dc"));

    // The heart-rate wait of the unworn band is 40 s; then every band has synced once.
    let deadline = Instant::now() + Duration::from_secs(150);
    let m = loop {
        let m = s.metrics().unwrap_or_default();
        let ready = fetches(&m, BUSY, "busy") >= 1.0
            && per_band(&m, "miband_heart_rate_no_reading_total", UNWORN).unwrap_or(0.0) >= 1.0
            && fetches(&m, NOTHING, "no_data") >= 1.0
            && fetches(&m, PLAIN, "ok") >= 1.0
            && per_band(&m, "miband_last_sync_timestamp_seconds", UNWORN).is_some();
        if ready {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "gave up; metrics:\n{m}\nlog:\n{}",
            s.log("dc")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let elapsed = started.elapsed();
    for mac in [BUSY, UNWORN, NOTHING, PLAIN] {
        assert_eq!(
            per_band(&m, "miband_connection_failures_total", mac),
            Some(0.0),
            "{mac}\n{m}\nlog:\n{}",
            s.log("dc")
        );
        assert_eq!(per_band(&m, "miband_auth_failures_total", mac), Some(0.0));
        assert!(
            per_band(&m, "miband_last_sync_timestamp_seconds", mac).is_some(),
            "{mac}: a successful sync\n{m}"
        );
        assert_eq!(per_band(&m, "miband_up", mac), Some(1.0), "{mac}");
    }
    // Everything but the busy band's fetch is next due in 5 minutes: one connection each.
    for (b, mac) in bands.iter().zip([BUSY, UNWORN, NOTHING, PLAIN]).skip(1) {
        assert_eq!(b.connections(), 1, "{mac} reconnected");
    }
    // The busy band: its fetch alone is retried 30 s, 60 s, … apart.
    let busy = bands[0].connections();
    let bound = 1 + elapsed.as_secs() / 30;
    assert!(
        (1..=bound).contains(&u64::from(busy)),
        "busy band: {busy} connections in {elapsed:?}"
    );
    assert_eq!(fetches(&m, BUSY, "busy"), f64::from(busy));
    // No heart-rate value for the band not worn (absent, not 0).
    assert_eq!(per_band(&m, "miband_heart_rate_bpm", UNWORN), None, "{m}");
    assert!(per_band(&m, "miband_samples_stored_total", PLAIN).unwrap_or(0.0) >= 359.0);
    let log = s.log("dc");
    for words in [
        "an activity (workout) is running on the band",
        "no heart-rate reading",
        "nothing to fetch",
    ] {
        assert!(log.contains(words), "log lacks {words:?}:\n{log}");
    }
    let c = s.db().await;
    let hr: i64 = c
        .query_one(
            "SELECT count(*) FROM heartraterecord h JOIN mibandrecord m ON m.id = h.dev_id \
             WHERE m.mac = $1",
            &[&UNWORN],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        hr, 0,
        "nothing stored for a measurement that did not happen"
    );
    drop(emu);
}
