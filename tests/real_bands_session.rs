//! What real Mi Band 4/5 answer (docs/real-bands.md), through the real session against the
//! emulated band over the in-process link. The world is the arithmetic ledger: every minute's
//! sample encodes its own minute, so a minute stamped wrong, lost or delivered twice is caught.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::faults::FetchAnswer;
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::link::{Link, LinkError, WriteKind};
use miband::protocol::activity::{ActivitySample, SampleSize};
use miband::protocol::auth::AuthVariant;
use miband::protocol::device_info::mac_from_system_id;
use miband::protocol::fetch::FetchOutcome;
use miband::protocol::key::AuthKey;
use miband::protocol::time::CurrentTime;
use miband::protocol::uuids as u;
use miband::session::{FetchSummary, Session, SessionError, SessionOptions};

#[path = "support/ledger.rs"]
mod ledger;

use ledger::{assert_ledger_minutes, Ledger, KEY};

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
        miband::mac::Mac::new([0x9B, 0xA5, 0xAD, 0xDA, 0x2E, 0xC1]),
        AuthKey::from_hex(KEY).unwrap(),
    );
    o.history = Duration::hours(6);
    o.round_cap = 120;
    o.one_shot_delay = Duration::milliseconds(50);
    tweak(&mut o);
    let clock = Clock::starting_at(start_time());
    EmulatedBand::new(Band::new(o, Arc::new(Ledger), clock.now()), clock)
}

fn opts(size: SampleSize) -> SessionOptions {
    SessionOptions {
        sample_size: size,
        data_timeout: StdDuration::from_secs(2),
        reply_timeout: StdDuration::from_secs(2),
        heart_rate_timeout: StdDuration::from_millis(800),
        ..SessionOptions::default()
    }
}

type Got = BTreeMap<DateTime<Utc>, ActivitySample>;

/// One authenticated connection: fetches from `since` (band `ahead` of true time), returns the
/// summary and adds what was delivered to `got`, failing on a duplicate.
async fn fetch_once(
    b: &EmulatedBand,
    size: SampleSize,
    since: DateTime<Utc>,
    ahead: Duration,
    got: &mut Got,
) -> Result<FetchSummary, SessionError> {
    let link = b.connect().await.expect("connect");
    let mut s = Session::open(&link, opts(size)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .expect("auth");
    let clock = b.clock();
    let mut delivered = Vec::new();
    let r = s
        .fetch_history_shifted(
            since,
            4,
            ahead,
            || clock.now(),
            |batch| {
                delivered.extend(batch);
                async { Ok(()) }
            },
        )
        .await;
    for t in delivered {
        assert!(got.insert(t.ts, t.sample).is_none(), "duplicate {}", t.ts);
    }
    drop(s);
    drop(link);
    r
}

fn next_since(got: &Got, from: DateTime<Utc>) -> DateTime<Utc> {
    got.keys()
        .last()
        .map_or(from, |t| *t + Duration::minutes(1))
}

#[tokio::test]
async fn every_fetch_answer_is_an_outcome_and_nothing_is_lost() {
    use FetchAnswer::*;
    let cases = [
        (NothingNew, FetchOutcome::NoData, (0x01, 0x02)),
        (NoMoreOnStart, FetchOutcome::NoData, (0x02, 0x04)),
        (NoMoreAfterData, FetchOutcome::NoData, (0x02, 0x04)),
        (ActivityRunning, FetchOutcome::Busy, (0x01, 0x07)),
        (Error, FetchOutcome::Error, (0x01, 0x05)),
    ];
    for (answer, outcome, refusal) in cases {
        let b = band(Model::Mb4, |o| o.faults.fetch_answers = vec![answer]);
        let from = b.with_band(|b| b.oldest_held());
        let mut got = Got::new();
        let sum = fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
            .await
            .unwrap_or_else(|e| panic!("{answer:?} is not an error: {e}"));
        assert_eq!(sum.outcome, outcome, "{answer:?}");
        assert_eq!(sum.refusal, Some(refusal), "{answer:?}");
        assert!(got.is_empty(), "{answer:?}: a refused round keeps nothing");
        // The band offers the same minutes again: the next fetch gets all of them.
        let sum = fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
            .await
            .unwrap();
        assert_eq!(sum.outcome, FetchOutcome::Ok, "{answer:?}");
        assert_ledger_minutes(&got, from, Model::Mb4);
        assert_eq!(got.len(), 6 * 60, "{answer:?}");
    }
}

#[tokio::test]
async fn a_band_with_nothing_new_answers_10_01_02() {
    // The default band behaves like a real one: once caught up, "nothing to fetch".
    let b = band(Model::Mb4, |_| {});
    let from = b.with_band(|b| b.oldest_held());
    let mut got = Got::new();
    let first = fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
        .await
        .unwrap();
    assert_eq!(first.outcome, FetchOutcome::Ok);
    assert!(first.rounds >= 3, "round cap 120 over 6 h");
    let again = fetch_once(
        &b,
        SampleSize::Four,
        next_since(&got, from),
        Duration::zero(),
        &mut got,
    )
    .await
    .unwrap();
    assert_eq!(
        (again.outcome, again.refusal, again.samples),
        (FetchOutcome::NoData, Some((0x01, 0x02)), 0)
    );
}

#[tokio::test]
async fn nothing_more_after_some_rounds_is_caught_up() {
    // Rounds 1 and 2 deliver, then the band says `10 02 04`: the fetch is ok and the third
    // round's minutes come next time.
    let b2 = band(Model::Mb4, |_| {});
    let from2 = b2.with_band(|b| b.oldest_held());
    let mut got2 = Got::new();
    let link = b2.connect().await.unwrap();
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    let mut rounds = 0;
    let clock = b2.clock();
    let b2c = b2.clone();
    let sum = s
        .fetch_history(
            from2,
            4,
            || clock.now(),
            |batch| {
                rounds += 1;
                if rounds == 2 {
                    b2c.with_band(|b| {
                        b.faults_mut().fetch_answers = vec![FetchAnswer::NoMoreOnStart]
                    });
                }
                for t in batch {
                    assert!(got2.insert(t.ts, t.sample).is_none());
                }
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
    assert_eq!((sum.outcome, sum.rounds), (FetchOutcome::Ok, 2));
    assert_eq!(got2.len(), 240);
    assert_ledger_minutes(&got2, from2, Model::Mb4);
}

#[tokio::test]
async fn heart_rate_of_a_band_not_worn_is_no_reading_and_the_session_goes_on() {
    let b = band(Model::Mb4, |o| o.faults.not_worn = true);
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    let t0 = tokio::time::Instant::now();
    assert_eq!(s.heart_rate().await, Ok(None), "absent, never 0");
    assert!(
        t0.elapsed() >= StdDuration::from_millis(800),
        "bounded wait"
    );
    assert!(t0.elapsed() < StdDuration::from_secs(5), "bounded wait");
    // The link is fine afterwards: the rest of the sync works.
    assert_eq!(s.battery().await.unwrap().level_percent, 77);
    // Put on the wrist: a reading.
    b.with_band(|b| b.faults_mut().not_worn = false);
    assert_eq!(s.heart_rate().await, Ok(Some(66)));
}

#[tokio::test]
async fn system_id_is_stored_as_the_band_sends_it() {
    // The emulated band carries Gadgetbridge#1619's address; its System ID is the captured one.
    let b = band(Model::Mb4, |_| {});
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    let info = s.device_info().await.unwrap();
    assert_eq!(info.system_id.as_deref(), Some("c12edafffeada59b"));
    let raw = hex::decode(info.system_id.unwrap()).unwrap();
    assert_eq!(
        mac_from_system_id(&raw),
        Some([0x9B, 0xA5, 0xAD, 0xDA, 0x2E, 0xC1])
    );
}

#[tokio::test]
async fn an_mb5_read_as_an_mb4_is_an_error_not_garbage() {
    let b = band(Model::Mb5, |_| {});
    let from = b.with_band(|b| b.oldest_held());
    let mut got = Got::new();
    let e = fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SessionError::SampleCountMismatch {
                announced: 120,
                received: 240,
                sample_size: 4
            }
        ),
        "{e}"
    );
    assert!(got.is_empty(), "nothing stored");
    assert!(!e.is_link_failure());
    // With the size from the hardware revision, all of it.
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    let hw = s.hardware_revision().await.unwrap().unwrap();
    let model = miband::protocol::device_info::BandModel::from_hardware_revision(&hw).unwrap();
    assert_eq!(model.sample_size(), SampleSize::Eight);
    drop(s);
    drop(link);
    fetch_once(&b, SampleSize::Eight, from, Duration::zero(), &mut got)
        .await
        .unwrap();
    assert_ledger_minutes(&got, from, Model::Mb5);
}

#[tokio::test]
async fn auth_failures_come_back_in_the_framing_of_the_request() {
    // The band's own answer bytes, seen through a raw notification stream.
    for (variant, failed) in [
        (AuthVariant::New, [0x10, 0x83, 0x08]),
        (AuthVariant::Old, [0x10, 0x03, 0x08]),
    ] {
        let b = band(Model::Mb4, |_| {});
        let link = b.connect().await.unwrap();
        let mut notes = link.notifications().await.unwrap();
        let mut s = Session::open(
            &link,
            SessionOptions {
                auth_variant: variant,
                ..opts(SampleSize::Four)
            },
        )
        .await
        .unwrap();
        let e = s
            .authenticate(&AuthKey::from_hex("ffffffffffffffffffffffffffffffff").unwrap())
            .await
            .unwrap_err();
        assert_eq!(e, SessionError::WrongKey);
        use futures::StreamExt;
        let mut last = Vec::new();
        while let Ok(Some(n)) =
            tokio::time::timeout(StdDuration::from_millis(200), notes.next()).await
        {
            last = n.value;
        }
        assert_eq!(last, failed, "{variant:?}");
    }
}

#[tokio::test]
async fn the_band_refuses_what_a_real_one_refuses() {
    let b = band(Model::Mb4, |_| {});
    let link = b.connect().await.unwrap();
    let refused = |r: Result<_, LinkError>| matches!(r, Err(LinkError::Refused(_)));
    // Before authentication: steps, time writes, heart rate, fetch.
    assert!(refused(link.read(u::CHAR_STEPS).await.map(|_| ())));
    let time = CurrentTime::new(start_time().naive_utc(), 0).encode();
    assert!(refused(
        link.write(u::CHAR_CURRENT_TIME, &time, WriteKind::WithResponse)
            .await
    ));
    assert!(refused(
        link.write(
            u::CHAR_HEART_RATE_CONTROL,
            &[0x15, 0x02, 0x01],
            WriteKind::WithResponse
        )
        .await
    ));
    assert!(refused(
        link.write(u::CHAR_FETCH, &[0x02], WriteKind::WithoutResponse)
            .await
    ));
    // Battery and device information are readable without it (GB reads them after auth, but
    // janvda's README lists device info among what works without the key).
    assert!(link.read(u::CHAR_BATTERY).await.is_ok());
    // The auth characteristic takes write commands only (no write request on a real MB4).
    assert!(refused(
        link.write(
            u::CHAR_AUTH,
            &[0x82, 0x00, 0x02, 0x01, 0x00],
            WriteKind::WithResponse
        )
        .await
    ));
    // 0x2A39 is listed readable, but a real MB4 answers a read with an ATT error.
    assert!(refused(
        link.read(u::CHAR_HEART_RATE_CONTROL).await.map(|_| ())
    ));
    // Fetch control takes commands only.
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    assert!(refused(
        link.write(u::CHAR_FETCH, &[0x02], WriteKind::WithResponse)
            .await
    ));
    assert!(link.read(u::CHAR_STEPS).await.is_ok(), "after auth");
}

#[tokio::test]
async fn a_repeated_packet_is_neither_a_gap_nor_a_duplicate() {
    let b = band(Model::Mb4, |o| o.faults.repeat_packet = vec![0, 7, 31]);
    let from = b.with_band(|b| b.oldest_held());
    let mut got = Got::new();
    let sum = fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
        .await
        .unwrap();
    assert_eq!(sum.retries, 0, "a repeat is not a gap");
    assert_ledger_minutes(&got, from, Model::Mb4);
    assert_eq!(got.len(), 360);
}

/// A band whose clock is `error` off: the host reads the clock, fetches in band time with the
/// drift, then corrects the clock. Every true minute arrives once, none in the future.
async fn clock_case(error: Duration) {
    let b = band(Model::Mb4, |o| o.clock_error = error);
    let from = b.with_band(|b| b.oldest_held());
    let link = b.connect().await.unwrap();
    let mut s = Session::open(&link, opts(SampleSize::Four)).await.unwrap();
    s.authenticate(&AuthKey::from_hex(KEY).unwrap())
        .await
        .unwrap();
    let clock = b.clock();
    let t = s.band_time().await.unwrap();
    let drift = t.time.to_utc() - clock.now();
    let ahead = Duration::minutes((drift.num_seconds() as f64 / 60.0).round() as i64);
    assert_eq!(ahead, error);
    let mut got = Got::new();
    let sum = s
        .fetch_history_shifted(
            from,
            4,
            ahead,
            || clock.now(),
            |batch| {
                for t in batch {
                    assert!(got.insert(t.ts, t.sample).is_none(), "duplicate {}", t.ts);
                }
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
    assert_eq!(sum.future_dropped, 0);
    assert_ledger_minutes(&got, from, Model::Mb4);
    assert!(
        *got.keys().last().unwrap() <= clock.now(),
        "no future minute"
    );
    let c = s.sync_clock(clock.now(), 4).await.unwrap();
    assert!(c.corrected);
    drop(s);
    drop(link);
    // The next sync asks from the next minute in true time, with the clock now right: the
    // band has nothing new yet (10 01 02), and nothing is delivered twice.
    let since = next_since(&got, from);
    let r = fetch_once(&b, SampleSize::Four, since, Duration::zero(), &mut got)
        .await
        .unwrap();
    assert_eq!(r.outcome, FetchOutcome::NoData);
}

#[tokio::test]
async fn a_band_clock_two_hours_behind() {
    clock_case(-Duration::hours(2)).await;
}

#[tokio::test]
async fn a_band_clock_one_hour_ahead() {
    clock_case(Duration::hours(1)).await;
}

#[tokio::test]
async fn without_the_drift_a_wrong_clock_stamps_minutes_wrongly() {
    // The emulator labels minutes with its own clock: ignoring the drift gives other minutes'
    // contents (this is what the shift corrects, and what a test against a true-time emulator
    // could never see).
    let b = band(Model::Mb4, |o| o.clock_error = -Duration::hours(2));
    let from = b.with_band(|b| b.oldest_held());
    let mut got = Got::new();
    fetch_once(&b, SampleSize::Four, from, Duration::zero(), &mut got)
        .await
        .unwrap();
    let (ts, s) = got.iter().next().unwrap();
    assert_ne!(*s, {
        let mut w = miband::emulator::world::World::sample_at(&Ledger, *ts);
        w.extra = None;
        w
    });
}
