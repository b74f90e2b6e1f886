//! The `miband-dc` binary, unmodified, with the btleplug backend, against the emulated BlueZ on a
//! private bus: it discovers an MB4 and an MB5, authenticates, stores their history in
//! PostgreSQL and shows their values on /metrics; a third band with the wrong key is a clear log
//! line and an auth-failure count, and does not disturb the others.

#[path = "support/collector.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::Person;
use miband::protocol::key::AuthKey;
use support::{assert_contiguous, metric_value};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const ALICE: &str = "C8:0F:10:BB:00:01";
const BOB: &str = "C8:0F:10:BB:00:02";
const EVE: &str = "C8:0F:10:BB:00:03";

fn band(model: Model, last: u8, tweak: impl FnOnce(&mut BandOptions)) -> EmulatedBand {
    let mac = miband::mac::Mac::new([0xC8, 0x0F, 0x10, 0xBB, 0x00, last]);
    let mut o = BandOptions::new(model, mac, AuthKey::from_hex(KEY).unwrap());
    o.history = chrono::Duration::days(1);
    o.tz_quarters = 0;
    tweak(&mut o);
    let person = Person::new(u64::from(last)).with_sample_size(model.sample_size());
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, Arc::new(person), clock.now()), clock)
}

async fn metrics_until(s: &support::Setup, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let m = s.metrics().unwrap_or_default();
        if ok(&m) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what}; metrics:\n{m}\nlog:\n{}",
            s.log("dc")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn per_band(m: &str, metric: &str, mac: &str) -> Option<f64> {
    metric_value(m, &format!("{metric}{{mac=\"{mac}\""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn miband_dc_over_btleplug_discovers_authenticates_and_stores() {
    let s = support::Setup::new(&[
        &format!("1 | {ALICE} | {KEY} | Alice"),
        &format!("2 | {BOB} | {KEY} | Bob"),
        // Eve's band holds KEY; the configured key is wrong.
        &format!("3 | {EVE} | ffffffffffffffffffffffffffffffff | Eve"),
    ])
    .await;
    let bus = PrivateBus::start().unwrap();
    let bands = vec![
        band(Model::Mb4, 1, |_| {}),
        band(Model::Mb5, 2, |_| {}),
        band(Model::Mb4, 3, |_| {}),
    ];
    let emu = Emulator::start(bus.address(), EmulatorConfig::new(bands))
        .await
        .unwrap();
    let mut cmd = s.command("dc", &[]);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let _dc = support::ChildGuard(cmd.spawn().expect("spawn miband-dc"));

    let stored = "miband_samples_stored_total";
    let m = metrics_until(
        &s,
        "history of both good bands and Eve's auth failure",
        |m| {
            per_band(m, stored, ALICE).unwrap_or(0.0) >= 1440.0
                && per_band(m, stored, BOB).unwrap_or(0.0) >= 1440.0
                && per_band(m, "miband_auth_failures_total", EVE).unwrap_or(0.0) >= 1.0
        },
    )
    .await;
    for mac in [ALICE, BOB] {
        let level = per_band(&m, "miband_battery_level_ratio", mac)
            .unwrap_or_else(|| panic!("no battery for {mac}:\n{m}\nlog:\n{}", s.log("dc")));
        assert!((0.0..=1.0).contains(&level), "{mac}: {level}");
        assert!(per_band(&m, "miband_steps_today", mac).is_some(), "{m}");
        assert_eq!(
            per_band(&m, "miband_auth_failures_total", mac),
            Some(0.0),
            "{m}"
        );
    }
    assert_eq!(per_band(&m, stored, EVE).unwrap_or(0.0), 0.0);

    let c = s.db().await;
    assert_contiguous(&c, 2).await;
    // Told apart by their advertised names: the MB5's samples carry 4 extra bytes, the MB4's none.
    let with_extra = |mac: &'static str| {
        let c = &c;
        async move {
            let n: i64 = c
                .query_one(
                    "SELECT count(a.extra) FROM activityrecord a \
                     JOIN mibandrecord m ON m.id = a.dev_id WHERE m.mac = $1",
                    &[&mac],
                )
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    assert!(with_extra(BOB).await >= 1440, "the MB5's 8-byte samples");
    assert_eq!(with_extra(ALICE).await, 0, "the MB4's 4-byte samples");
    let log = s.log("dc");
    assert!(
        log.contains(&format!(
            "band {EVE}: authentication failed: wrong auth key"
        )),
        "{log}"
    );
    assert!(
        !log.contains(KEY) && !log.contains("ffffffffffffffff"),
        "a key reached the log"
    );
    drop(emu);
}

/// Runs `miband-dc --once` against the bus; returns its exit code.
async fn once(s: &support::Setup, name: &str, bus: &PrivateBus) -> Option<i32> {
    let mut cmd = s.command(name, &["--once"]);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let mut child = support::ChildGuard(cmd.spawn().expect("spawn miband-dc"));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            return st.code();
        }
        assert!(
            Instant::now() < deadline,
            "{name} hangs; log:\n{}",
            s.log(name)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn band_lost_mid_fetch_then_away_then_back_resumes_without_loss_or_duplicates() {
    let s = support::Setup::new(&[&format!("1 | {ALICE} | {KEY} | Alice")]).await;
    let bus = PrivateBus::start().unwrap();
    let b = band(Model::Mb4, 1, |o| {
        o.round_cap = 500;
        // Round 1 (packets 0–124) is stored; the link drops in the middle of round 2.
        o.faults.drop_link_at_packet = vec![180];
    });
    let emu = Emulator::start(bus.address(), EmulatorConfig::new(vec![b.clone()]))
        .await
        .unwrap();
    let c = s.db().await;
    let rows = || async {
        let n: i64 = c
            .query_one("SELECT count(*) FROM activityrecord", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or(0);
        n
    };

    assert_ne!(once(&s, "drop", &bus).await, Some(0), "{}", s.log("drop"));
    let partial = rows().await;
    assert!(
        (500..1440).contains(&partial),
        "stored before the drop: {partial}"
    );

    b.set_present(false);
    assert_ne!(once(&s, "away", &bus).await, Some(0), "{}", s.log("away"));
    let away = s.log("away");
    assert!(
        away.contains(ALICE) && away.contains("le-connection-abort-by-local"),
        "{away}"
    );
    assert_eq!(rows().await, partial);

    b.set_present(true);
    assert_eq!(once(&s, "back", &bus).await, Some(0), "{}", s.log("back"));
    assert_contiguous(&c, 1).await;
    assert!(rows().await >= 1440);
    drop(emu);
}

/// SIGTERM while one band is being scanned for (it is out of range, so the scan would run to its
/// timeout) and the other waits for the only slot: both stop at once, so nothing is left for the
/// shutdown grace to abandon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_scan_in_progress_and_a_band_waiting_for_a_slot() {
    let s = support::Setup::new(&[
        &format!("1 | {ALICE} | {KEY} | Alice"),
        &format!("2 | {BOB} | {KEY} | Bob"),
    ])
    .await;
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.settings()).unwrap()).unwrap();
    settings["max_concurrent_bands"] = 1.into();
    std::fs::write(s.settings(), settings.to_string()).unwrap();
    let bus = PrivateBus::start().unwrap();
    let (alice, bob) = (band(Model::Mb4, 1, |_| {}), band(Model::Mb5, 2, |_| {}));
    alice.set_present(false);
    bob.set_present(false);
    let emu = Emulator::start(bus.address(), EmulatorConfig::new(vec![alice, bob]))
        .await
        .unwrap();
    let mut cmd = s.command("dc", &[]);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", bus.address());
    let mut child = support::ChildGuard(cmd.spawn().expect("spawn miband-dc"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !s.log("dc").contains("connecting") {
        assert!(
            Instant::now() < deadline,
            "never connected; log:\n{}",
            s.log("dc")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let code = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st.code();
        }
        assert!(
            Instant::now() < deadline,
            "still running; log:\n{}",
            s.log("dc")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = s.log("dc");
    assert_eq!(code, Some(0), "{log}");
    assert!(
        !log.contains("did not stop within"),
        "a task did not hear SIGTERM:\n{log}"
    );
    assert!(
        !log.contains("not found within"),
        "the scan ran out instead:\n{log}"
    );
    drop(emu);
}
