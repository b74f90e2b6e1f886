//! The real session logic against the emulated band over the in-process link: auth, info, clock,
//! heart rate and multi-round history fetches with faults. The world here is arithmetic — every
//! minute's sample encodes its own timestamp — so a sample stamped with the wrong minute, lost or
//! delivered twice is caught exactly.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::faults::Faults;
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::protocol::activity::{ActivitySample, TimedSample};
use miband::protocol::auth::AuthVariant;
use miband::protocol::key::AuthKey;
use miband::session::{Session, SessionError, SessionOptions};

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{assert_ledger_minutes as assert_complete, Ledger, KEY};

fn start_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, 10)
        .unwrap()
        .and_hms_opt(12, 0, 30)
        .unwrap()
        .and_utc()
}

fn band(model: Model, tweak: impl FnOnce(&mut BandOptions)) -> EmulatedBand {
    let mut o = BandOptions::new(
        model,
        miband::mac::Mac::new([0xC8, 0x0F, 0x10, 0x00, 0x00, 0x01]),
        AuthKey::from_hex(KEY).unwrap(),
    );
    o.history = Duration::days(7);
    tweak(&mut o);
    let clock = Clock::starting_at(start_time());
    EmulatedBand::new(Band::new(o, Arc::new(Ledger), clock.now()), clock)
}

fn opts(model: Model) -> SessionOptions {
    SessionOptions {
        sample_size: model.sample_size(),
        data_timeout: StdDuration::from_secs(2),
        reply_timeout: StdDuration::from_secs(2),
        ..SessionOptions::default()
    }
}

/// Fetches until caught up, reconnecting after each failure, the way the collector does.
/// Returns every delivered sample keyed by time, failing on any duplicate.
async fn fetch_all(
    b: &EmulatedBand,
    model: Model,
    since: DateTime<Utc>,
    max_conn: u32,
) -> (BTreeMap<DateTime<Utc>, ActivitySample>, u32) {
    let key = AuthKey::from_hex(KEY).unwrap();
    let mut got: BTreeMap<DateTime<Utc>, ActivitySample> = BTreeMap::new();
    let mut cursor = since;
    let mut failures = 0;
    for _ in 0..max_conn {
        let link = b.connect().await.expect("connect");
        let mut s = Session::open(&link, opts(model)).await.unwrap();
        s.authenticate(&key).await.expect("auth");
        let clock = b.clock();
        let mut delivered: Vec<TimedSample> = Vec::new();
        let r = s
            .fetch_history(
                cursor,
                4,
                || clock.now(),
                |batch| {
                    delivered.extend(batch);
                    async { Ok(()) }
                },
            )
            .await;
        for t in delivered {
            assert!(
                got.insert(t.ts, t.sample).is_none(),
                "duplicate sample at {}",
                t.ts
            );
            cursor = t.ts + Duration::minutes(1);
        }
        match r {
            Ok(_) => return (got, failures),
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
        drop(link);
    }
    panic!("not caught up after {max_conn} connections");
}

#[tokio::test]
async fn auth_ok_with_both_variants_and_device_info() {
    let b = band(Model::Mb4, |_| {});
    for v in [AuthVariant::Old, AuthVariant::New] {
        let link = b.connect().await.unwrap();
        let mut s = Session::open(
            &link,
            SessionOptions {
                auth_variant: v,
                ..opts(Model::Mb4)
            },
        )
        .await
        .unwrap();
        s.authenticate(&AuthKey::from_hex(KEY).unwrap())
            .await
            .unwrap();
        let info = s.device_info().await.unwrap();
        assert_eq!(info.software_revision.as_deref(), Some("V1.0.9.66"));
        assert_eq!(info.pnp_id.unwrap().to_string(), "v0157p0024d0101");
        assert_eq!(info.serial_number.as_deref(), Some("c80f10000001"));
        let bat = s.battery().await.unwrap();
        assert_eq!(bat.level_percent, 77);
        let st = s.steps().await.unwrap();
        assert_eq!(
            (st.steps, st.meters, st.calories),
            (4321, Some(3000), Some(150))
        );
        drop(s);
        drop(link);
    }
}

#[tokio::test]
async fn wrong_key_and_refused_auth() {
    let b = band(Model::Mb4, |_| {});
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
    let e = s
        .authenticate(&AuthKey::from_hex("ffffffffffffffffffffffffffffffff").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e, SessionError::WrongKey);
    assert!(e.is_auth_failure());
    assert!(!e.to_string().contains("ffff"));
    // Not authenticated: the band refuses to serve history.
    let r = s
        .fetch_history(start_time() - Duration::hours(1), 4, Utc::now, |_| async {
            Ok(())
        })
        .await;
    assert_eq!(r.unwrap_err(), SessionError::FetchRefused { code: 4 });
    drop(s);
    drop(link);

    let b = band(Model::Mb4, |o| o.faults.refuse_auth = true);
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
    let e = s
        .authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e, SessionError::AuthRefused { code: 4 });
}

#[tokio::test]
async fn seven_days_in_several_rounds_at_several_mtus() {
    for mtu in [23, 64, 185, 247] {
        let b = band(Model::Mb4, |o| {
            o.mtu = mtu;
            o.round_cap = 1500;
        });
        let from = b.with_band(|b| b.oldest_held());
        let (got, failures) = fetch_all(&b, Model::Mb4, start_time() - Duration::days(30), 1).await;
        assert_eq!(failures, 0);
        assert_complete(&got, from, Model::Mb4);
        assert!(got.len() >= 7 * 1440, "mtu {mtu}: {} samples", got.len());
        // Caught up: the last sample is the last complete minute.
        let last = *got.keys().last().unwrap();
        assert!(b.clock().now() - last < Duration::minutes(2));
        // A second fetch from the cursor finds nothing new (or the minute that just completed).
        let (again, _) = fetch_all(&b, Model::Mb4, last + Duration::minutes(1), 1).await;
        assert!(again.len() <= 1, "{}", again.len());
    }
}

#[tokio::test]
async fn mb5_eight_byte_history() {
    let b = band(Model::Mb5, |o| o.round_cap = 2000);
    let from = b.with_band(|b| b.oldest_held());
    let (got, _) = fetch_all(&b, Model::Mb5, from, 1).await;
    assert_complete(&got, from, Model::Mb5);
    assert!(got.values().all(|s| s.extra.is_some()));
}

#[tokio::test]
async fn link_dropped_at_many_points_resumes_without_loss_or_duplicates() {
    // 7 days at MTU 23 is 2520 packets; drop the link at a spread of them, including the first
    // packet, round boundaries and the last packet.
    let drops: Vec<u64> = vec![0, 1, 17, 249, 250, 251, 700, 1333, 2000, 2519];
    let b = band(Model::Mb4, |o| {
        o.round_cap = 1000;
        o.faults = Faults {
            drop_link_at_packet: drops.clone(),
            ..Faults::default()
        };
    });
    let from = b.with_band(|b| b.oldest_held());
    let (got, failures) = fetch_all(&b, Model::Mb4, from, 40).await;
    assert!(failures >= 5, "only {failures} drops hit");
    assert_complete(&got, from, Model::Mb4);
}

#[tokio::test]
async fn counter_gap_and_corruption_retry_the_round() {
    let b = band(Model::Mb4, |o| {
        o.round_cap = 1000;
        o.faults = Faults {
            skip_packet: vec![5, 400],
            corrupt_packet: vec![900],
            ..Faults::default()
        };
    });
    let from = b.with_band(|b| b.oldest_held());
    let (got, failures) = fetch_all(&b, Model::Mb4, from, 1).await;
    assert_eq!(failures, 0, "retries happen inside the session");
    assert_complete(&got, from, Model::Mb4);
}

#[tokio::test]
async fn stalled_band_times_out_and_the_round_is_retried() {
    let b = band(Model::Mb4, |o| {
        o.history = Duration::hours(6);
        o.faults.stall_at_packet = vec![10];
    });
    let from = b.with_band(|b| b.oldest_held());
    let (got, _) = fetch_all(&b, Model::Mb4, from, 3).await;
    assert_complete(&got, from, Model::Mb4);
}

#[tokio::test]
async fn clock_drift_is_corrected() {
    let b = band(Model::Mb4, |o| {
        o.clock_error = Duration::minutes(-17);
        o.tz_quarters = 0;
    });
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(Model::Mb4)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    let now = b.clock().now();
    let c = s.sync_clock(now, 4).await.unwrap();
    assert!(c.corrected);
    assert!(
        (c.drift + Duration::minutes(17)).num_seconds().abs() <= 2,
        "{:?}",
        c.drift
    );
    let t = s.band_time().await.unwrap();
    assert_eq!(t.time.tz_quarters, 4);
    assert!((t.time.to_utc() - b.clock().now()).num_seconds().abs() <= 2);
    let again = s.sync_clock(b.clock().now(), 4).await.unwrap();
    assert!(!again.corrected);
}

#[tokio::test]
async fn one_shot_heart_rate() {
    let b = band(Model::Mb5, |o| {
        o.one_shot_delay = Duration::milliseconds(300)
    });
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(Model::Mb5)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    assert_eq!(s.heart_rate().await.unwrap(), Some(66));
}
