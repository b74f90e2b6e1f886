//! One sync of one band: everything that is due, over one connection, in the order the band
//! likes (auth first, history last), each reading stored durably before the band hears an ack.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use chrono::{DateTime, Duration, Utc};

use super::schedule::Job;
use crate::action::{BandSetting, HrInterval};
use crate::config::{Device, UpdateMode};
use crate::link::Link;
use crate::mac::Mac;
use crate::metrics::snapshot::MetricsState;
use crate::protocol::datetime::quarters_from_offset_seconds;
use crate::protocol::device_info::BandModel;
use crate::protocol::fetch::{status_meaning, FetchOutcome};
use crate::session::{FetchSummary, Session, SessionError, SessionOptions, SinkStop};
use crate::shutdown::Shutdown;
use crate::store::record::{
    BandRecord, BatteryReading, HeartRateReading, Record, StaticInfo, StepsReading, TimeCheck,
};
use crate::store::sink::{Sink, SinkError};

/// How far back a band never synced before is asked for (it answers from its oldest minute).
pub const FIRST_FETCH_WINDOW: Duration = Duration::days(30);

/// What a sync needs besides the link.
pub struct SyncContext<'a> {
    /// The band.
    pub device: &'a Device,
    /// Storage.
    pub sink: &'a Arc<Sink>,
    /// Live values for /metrics.
    pub metrics: &'a MetricsState,
    /// `all` or `charging`.
    pub mode: UpdateMode,
    /// SIGTERM: stop after the write in progress.
    pub shutdown: &'a Shutdown,
    /// Whether static device info should be (re)read.
    pub want_static_info: bool,
    /// Longest wait for a one-shot heart-rate reading.
    pub heart_rate_wait: std::time::Duration,
    /// The all-day heart-rate interval to set (`heart_rate_measurement_interval`), when it has
    /// not been set on this band since the collector started. The band offers no way to read
    /// it back, so once per band and process is "when it differs".
    pub hr_interval: Option<HrInterval>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Jobs done (or deliberately skipped, e.g. not charging in `charging` mode).
    pub done: Vec<Job>,
    /// New history minutes stored.
    pub samples: u64,
    /// Whether static info was stored.
    pub static_info: bool,
    /// How the history fetch ended, if one was made. Busy and error leave [`Job::Activity`] out
    /// of `done`: the worker retries it with a backoff, not at the next regular interval.
    pub fetch: Option<FetchOutcome>,
    /// Whether the heart-rate measurement went unanswered (band not worn).
    pub heart_rate_missing: bool,
    /// The firmware revision, when static info was read.
    pub firmware: Option<String>,
    /// Whether the heart-rate interval was set.
    pub hr_interval_set: bool,
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The band session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Storage failed: nothing more is acknowledged to the band.
    #[error("storage: {0}")]
    Store(#[from] SinkError),
    /// SIGTERM arrived.
    #[error("stopping")]
    Stopping,
}

/// The host's current UTC offset in quarter-hours (DST included), which the band clock gets.
pub fn local_tz_quarters() -> i8 {
    quarters_from_offset_seconds(chrono::Local::now().offset().local_minus_utc())
}

/// Stores one record without letting cancellation cut it short: the write runs in its own task,
/// so SIGTERM (which drops the sync future) still lets it finish.
async fn store(sink: &Arc<Sink>, mac: Mac, record: Record) -> Result<(), SinkError> {
    let sink = Arc::clone(sink);
    let rec = BandRecord { mac, record };
    match tokio::spawn(async move { sink.write(rec).await }).await {
        Ok(r) => r.map(|_| ()),
        Err(_) => Err(SinkError::Closed),
    }
}

/// Runs the due `jobs` on a connected band.
pub async fn sync_band(
    ctx: &SyncContext<'_>,
    link: &dyn Link,
    jobs: &[Job],
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mac = ctx.device.mac;
    let name = link.device_name().await;
    let opts = SessionOptions {
        heart_rate_timeout: ctx.heart_rate_wait,
        ..SessionOptions::default()
    };
    let mut s = Session::open(link, opts).await?;
    if let Err(e) = s.authenticate(&ctx.device.key).await {
        if e.is_auth_failure() {
            ctx.metrics.update_band(mac, |b| b.auth_failed());
        }
        return Err(e.into());
    }
    ctx.metrics.update_band(mac, |b| b.mark_up());
    let mut report = SyncReport::default();
    if let Some(i) = ctx.hr_interval {
        crate::action::configure(&mut s, &BandSetting::HeartRateInterval(i)).await?;
        tracing::info!(
            band = %mac,
            minutes = i.minutes(),
            "all-day heart-rate interval set"
        );
        report.hr_interval_set = true;
    }

    // The model decides the sample size: from the hardware revision (read every sync, it is
    // one small read), the advertised name only as a fallback (docs/real-bands.md).
    let hw = s.hardware_revision().await?;
    let model = hw
        .as_deref()
        .and_then(BandModel::from_hardware_revision)
        .or_else(|| name.as_deref().and_then(BandModel::from_name));
    match model {
        Some(m) => s.set_sample_size(m.sample_size()),
        None => tracing::warn!(
            band = %mac,
            hardware_revision = hw.as_deref().unwrap_or("?"),
            "unknown band model; assuming 4-byte history samples (Mi Band 4)"
        ),
    }

    if ctx.want_static_info {
        let info = s.device_info().await?;
        tracing::info!(
            band = %mac,
            model = model.map_or("unknown", BandModel::name),
            hardware = info.hardware_revision.as_deref().unwrap_or("?"),
            firmware = info.software_revision.as_deref().unwrap_or("?"),
            "band identified"
        );
        report.firmware = info.software_revision.clone();
        let rec = StaticInfo {
            // GAP's device name; the model's name when the link does not know it.
            name: name.clone().or_else(|| model.map(|m| m.name().to_string())),
            sw_version: info.software_revision,
            hw_version: info.hardware_revision,
            serial_number: info.serial_number,
            appearance: None,
            system_id: info.system_id,
            pnp_id: info.pnp_id.map(|p| p.to_string()),
            pcon_params: None,
        };
        store(ctx.sink, mac, Record::StaticInfo(rec)).await?;
        let name = ctx.device.name.clone();
        store(ctx.sink, mac, Record::BandName { name }).await?;
        report.static_info = true;
    }

    let battery = s.battery().await?;
    ctx.metrics.update_band(mac, |b| {
        b.readings.battery_level_percent = Some(battery.level_percent);
        b.readings.charging = Some(battery.charging);
    });
    if jobs.contains(&Job::Battery) {
        let r = BatteryReading {
            ts: Utc::now(),
            level: battery.level_percent,
            charging: battery.charging,
        };
        store(ctx.sink, mac, Record::Battery(r)).await?;
        report.done.push(Job::Battery);
    }
    if ctx.mode == UpdateMode::Charging && !battery.charging {
        // miband-dc's charging mode: only bands on the charger are synced. The other jobs count
        // as done so the band is looked at again only at the next battery interval.
        tracing::debug!(band = %mac, "not charging; skipped in charging mode");
        report
            .done
            .extend([Job::Activity, Job::HeartRate, Job::TimeCheck]);
        return Ok(finish(ctx, report, started));
    }

    let tz = local_tz_quarters();
    // The band stamps history with its own clock, so the clock is read on every sync (one small
    // read). A fetch asks in band time and moves the stamps back by the drift; the clock is
    // corrected only after the fetch, so no minute is ever stamped by two different clocks
    // (docs/real-bands.md §4).
    let band_clock = s.band_time().await?;
    let drift = band_clock.time.to_utc() - Utc::now();
    let tolerance = s.options().clock_tolerance;
    let shift = if drift.abs() > tolerance {
        Duration::minutes((drift.num_seconds() as f64 / 60.0).round() as i64)
    } else {
        Duration::zero()
    };

    if jobs.contains(&Job::Activity) {
        let steps = s.steps().await?;
        ctx.metrics.update_band(mac, |b| {
            b.readings.steps = Some(steps.steps);
            b.readings.meters = steps.meters;
            b.readings.kcal = steps.calories;
        });
        let r = StepsReading {
            ts: Utc::now(),
            steps: steps.steps,
            meters: steps.meters.unwrap_or(0),
            calories: steps.calories.unwrap_or(0),
        };
        store(ctx.sink, mac, Record::Steps(r)).await?;
        let sum = fetch(ctx, &mut s, tz, shift).await?;
        report.samples = sum.samples;
        report.fetch = Some(sum.outcome);
        if !sum.outcome.retry_soon() {
            report.done.push(Job::Activity);
        }
    }

    let needs_setting = drift.abs() > tolerance || band_clock.time.tz_quarters != tz;
    if jobs.contains(&Job::TimeCheck) || needs_setting {
        let c = s.sync_clock(Utc::now(), tz).await?;
        let r = time_check(Utc::now(), c.drift);
        if c.corrected {
            // The very value stored in ts_drift, so the log and the database agree on the sign.
            tracing::info!(
                band = %mac,
                drift_seconds = r.drift_seconds,
                "band clock corrected: {}",
                drift_words(r.drift_seconds)
            );
        }
        if jobs.contains(&Job::TimeCheck) {
            store(ctx.sink, mac, Record::TimeCheck(r)).await?;
            report.done.push(Job::TimeCheck);
        }
    }

    if jobs.contains(&Job::HeartRate) && ctx.mode == UpdateMode::All {
        match s.heart_rate().await? {
            Some(bpm) => {
                let bpm = bpm.min(u8::MAX as u16) as u8;
                ctx.metrics
                    .update_band(mac, |b| b.readings.heart_rate_bpm = Some(bpm));
                let r = HeartRateReading {
                    ts: Utc::now(),
                    bpm,
                };
                store(ctx.sink, mac, Record::HeartRate(r)).await?;
            }
            None => {
                ctx.metrics
                    .update_band(mac, |b| b.counters.heart_rate_no_reading += 1);
                report.heart_rate_missing = true;
                tracing::info!(
                    band = %mac,
                    "no heart-rate reading: the band did not answer the measurement (not worn, or on the charger); nothing stored"
                );
            }
        }
        report.done.push(Job::HeartRate);
    }
    Ok(finish(ctx, report, started))
}

fn finish(ctx: &SyncContext<'_>, report: SyncReport, started: Instant) -> SyncReport {
    ctx.metrics.update_band(ctx.device.mac, |b| {
        b.sync_finished(SystemTime::now(), started.elapsed())
    });
    report
}

/// Fetches history from the stored cursor on; each round is stored before it is acknowledged.
/// `shift` is how far the band clock is ahead (whole minutes; zero within the tolerance).
async fn fetch(
    ctx: &SyncContext<'_>,
    s: &mut Session<'_>,
    tz: i8,
    shift: Duration,
) -> Result<FetchSummary, SyncError> {
    let mac = ctx.device.mac;
    let since: DateTime<Utc> = match ctx.sink.activity_cursor(mac).await {
        Ok(Some(last)) => last + Duration::minutes(1),
        Ok(None) => Utc::now() - FIRST_FETCH_WINDOW,
        // The database is down and nothing is journaled: start from the window; whatever is
        // stored already is skipped on replay (unique (dev_id, ts)).
        Err(SinkError::CursorUnknown { .. }) => Utc::now() - FIRST_FETCH_WINDOW,
        Err(e) => return Err(e.into()),
    };
    let summary = s
        .fetch_history_shifted(since, tz, shift, Utc::now, |batch| {
            let n = batch.len() as u64;
            async move {
                store(ctx.sink, mac, Record::Activity { samples: batch })
                    .await
                    .map_err(SinkStop::failed)?;
                ctx.metrics
                    .update_band(mac, |b| b.counters.samples_stored += n);
                if ctx.shutdown.is_shutdown() {
                    // Durable, but not acknowledged: the band sends it again next time and the
                    // cursor skips what is stored.
                    return Err(SinkStop::Stopping);
                }
                Ok(())
            }
        })
        .await;
    let sum = match summary {
        Ok(sum) => sum,
        Err(SessionError::Sink(SinkStop::Stopping)) => return Err(SyncError::Stopping),
        Err(e) => return Err(e.into()),
    };
    ctx.metrics
        .update_band(mac, |b| b.counters.fetch_ended(sum.outcome));
    log_fetch(mac, &sum, shift);
    Ok(sum)
}

/// The fetch's outcome in words: what the band answered and what happens next.
fn log_fetch(mac: Mac, sum: &FetchSummary, shift: Duration) {
    let answer = match sum.refusal {
        Some((cmd, code)) => format!(
            "the band answered 10 {cmd:02x} {code:02x}: {}",
            status_meaning(cmd, code)
        ),
        None => "the band had nothing from the last stored minute on".to_string(),
    };
    if sum.future_dropped > 0 {
        tracing::warn!(
            band = %mac,
            dropped = sum.future_dropped,
            "history minutes stamped in the future were not stored (band clock jumped during the sync)"
        );
    }
    if !shift.is_zero() {
        tracing::info!(
            band = %mac,
            band_ahead_minutes = shift.num_minutes(),
            "band clock is off; history stamps moved back by the drift"
        );
    }
    match sum.outcome {
        FetchOutcome::Ok => tracing::debug!(band = %mac, samples = sum.samples, "history fetched"),
        FetchOutcome::NoData => tracing::info!(
            band = %mac,
            "no new history yet ({answer}); next fetch at the regular interval"
        ),
        FetchOutcome::Busy | FetchOutcome::Error => tracing::warn!(
            band = %mac,
            samples = sum.samples,
            "history fetch not finished ({answer}); the other jobs went on, the fetch is retried with a backoff"
        ),
    }
}

/// The record of a clock check: `ts_drift` is our clock minus the band's (positive: the band is
/// behind), while the session measures the band's minus ours.
fn time_check(ts: chrono::DateTime<Utc>, band_minus_true: chrono::Duration) -> TimeCheck {
    TimeCheck {
        ts,
        drift_seconds: (-band_minus_true.num_seconds()).clamp(i32::MIN as i64, i32::MAX as i64)
            as i32,
    }
}

/// `ts_drift` in words for the log.
fn drift_words(drift_seconds: i32) -> String {
    match drift_seconds {
        0 => "it was on time (zone corrected)".to_string(),
        n if n > 0 => format!("it was {n} s behind"),
        n => format!("it was {} s ahead", n.unsigned_abs()),
    }
}

#[cfg(test)]
mod drift_tests {
    use super::*;

    #[test]
    fn the_logged_drift_is_the_stored_one_with_its_sign() {
        let ts = Utc::now();
        // The band shows 42 s less than the true time: it is behind.
        let r = time_check(ts, chrono::Duration::seconds(-42));
        assert_eq!(r.drift_seconds, 42);
        assert_eq!(drift_words(r.drift_seconds), "it was 42 s behind");
        let r = time_check(ts, chrono::Duration::seconds(90));
        assert_eq!(r.drift_seconds, -90);
        assert_eq!(drift_words(r.drift_seconds), "it was 90 s ahead");
    }
}
