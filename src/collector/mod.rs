//! The collector service: every configured band on its own schedule, a bounded number at once,
//! history into PostgreSQL (or the journal while it is away), live values on /metrics.

pub mod radio;
pub mod schedule;
pub mod simulate;
pub mod sync;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::{Config, Device};
use crate::control::{Control, Job as ControlJob, Outcome};
use crate::mac::Mac;
use crate::metrics::snapshot::{BandLabels, BandSnapshot, MetricsState};
use crate::shutdown::Shutdown;
use crate::store::band_id::{BandClaim, BandId};
use crate::store::db_config::DbConfig;
use crate::store::sink::{Sink, SinkOptions};
use radio::{ConnectError, Radio};
use schedule::{Backoff, Intervals, Job, Schedule};
use sync::{sync_band, SyncContext, SyncError};

/// How the collector runs, beyond the configuration files.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Sync every band once (all jobs), then exit.
    pub once: bool,
    /// Longest a connection attempt may take.
    pub connect_timeout: Duration,
    /// Longest one sync may take before it is abandoned.
    pub sync_timeout: Duration,
    /// How long SIGTERM waits for syncs to reach a clean point.
    pub shutdown_grace: Duration,
    /// First retry delay for a failing band (and for a fetch the band refused as busy).
    pub backoff_min: Duration,
    /// How long a one-shot heart-rate measurement is waited for before it counts as "no
    /// reading" (a real reading takes about 25 s; a band not worn never answers).
    pub heart_rate_wait: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            once: false,
            connect_timeout: Duration::from_secs(60),
            sync_timeout: Duration::from_secs(900),
            shutdown_grace: Duration::from_secs(20),
            backoff_min: Duration::from_secs(30),
            heart_rate_wait: crate::session::SessionOptions::default().heart_rate_timeout,
        }
    }
}

/// Outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Bands synced fully.
    pub synced: usize,
    /// Bands that failed.
    pub failed: usize,
    /// Band workers that panicked (a bug): the run was stopped (see [`RunSummary::exit_code`]).
    pub crashed: usize,
}

impl RunSummary {
    /// The process's exit status: non-zero after a crashed worker, so systemd
    /// (`Restart=on-failure`) starts a fresh process instead of one silently missing a band; 1
    /// with `--once` when a band failed; else 0.
    pub fn exit_code(&self, once: bool) -> i32 {
        if self.crashed > 0 || (once && self.failed > 0) {
            1
        } else {
            0
        }
    }
}

/// Everything a band worker shares.
struct Shared {
    config: Config,
    opts: RunOptions,
    sink: Arc<Sink>,
    metrics: MetricsState,
    radio: Arc<dyn Radio>,
    slots: Semaphore,
    control: Control,
}

/// The database settings of a configuration.
pub fn db_config(config: &Config) -> DbConfig {
    let d = &config.settings.database;
    DbConfig {
        host: d.host.clone(),
        port: d.port,
        dbname: d.name.clone(),
        user: d.user.clone(),
        password: d.password.expose().to_string(),
    }
}

/// The storage for a configuration.
pub fn open_sink(config: &Config) -> Result<Arc<Sink>, crate::store::sink::SinkError> {
    Ok(Arc::new(Sink::open(
        db_config(config),
        &config.settings.state_dir,
        SinkOptions::default(),
    )?))
}

/// Registers every band: with the storage, which numbers them by the rule of
/// [`crate::store::band_id`] (logging "User N = MAC (name)" for each, and a warning where
/// devices.csv and the database disagree), and with the metrics state, whose `id` label is that
/// same User N. While the database is unreachable the label is devices.csv's id, which is the
/// User N the band will get unless the database already knows it otherwise.
pub async fn register_bands(metrics: &MetricsState, sink: &Sink, devices: &[Device]) {
    let claims = devices
        .iter()
        .map(|d| BandClaim {
            mac: d.mac,
            wanted: BandId::from_csv_id(&d.id),
        })
        .collect();
    let names = devices
        .iter()
        .map(|d| (d.mac, d.display_name().to_string()))
        .collect();
    sink.set_claims(claims, names).await;
    let ids: HashMap<Mac, BandId> = match sink.register_claims().await {
        Ok(Some(regs)) => regs.into_iter().map(|r| (r.mac, r.id)).collect(),
        Ok(None) => {
            tracing::warn!(
                "database unreachable: bands are numbered by their devices.csv ids until it answers"
            );
            HashMap::new()
        }
        Err(e) => {
            tracing::warn!("registering the bands: {e}");
            HashMap::new()
        }
    };
    for d in devices {
        let mut labels = BandLabels::from_device(d);
        if let Some(id) = ids.get(&d.mac) {
            labels.id = id.to_string();
        }
        metrics.add_band(labels);
    }
}

/// Runs until `shutdown` is signalled (or, with `once`, until every band was tried).
pub async fn run(
    config: Config,
    opts: RunOptions,
    sink: Arc<Sink>,
    metrics: MetricsState,
    radio: Arc<dyn Radio>,
    shutdown: Shutdown,
) -> RunSummary {
    let control = Control::new(&config.devices);
    run_with_control(config, opts, sink, metrics, radio, control, shutdown).await
}

/// [`run`], taking remote actions from `control` (the API and MQTT queue them there).
pub async fn run_with_control(
    config: Config,
    opts: RunOptions,
    sink: Arc<Sink>,
    metrics: MetricsState,
    radio: Arc<dyn Radio>,
    control: Control,
    mut shutdown: Shutdown,
) -> RunSummary {
    let slots = config.settings.max_concurrent_bands.max(1);
    let shared = Arc::new(Shared {
        opts,
        sink,
        metrics,
        radio,
        slots: Semaphore::new(slots),
        config,
        control,
    });
    let stats_task = tokio::spawn(mirror_sink_stats(shared.clone()));
    let mut workers = tokio::task::JoinSet::new();
    for device in shared.config.devices.clone() {
        workers.spawn(band_worker(shared.clone(), device, shutdown.clone()));
    }
    let mut summary = RunSummary::default();
    let mut stop_now = false;
    loop {
        tokio::select! {
            r = workers.join_next() => match r {
                Some(Ok(true)) => summary.synced += 1,
                Some(Ok(false)) => summary.failed += 1,
                Some(Err(e)) => {
                    tracing::error!("band worker crashed: {e}; stopping so the service restarts");
                    summary.failed += 1;
                    summary.crashed += 1;
                    stop_now = true;
                }
                None => break,
            },
            () = shutdown.recv(), if !stop_now => stop_now = true,
        }
        if stop_now {
            // SIGTERM, or a crashed worker (the others are then not signalled: they are given
            // the grace period, then abandoned).
            let grace = shared.opts.shutdown_grace;
            let drain = async { while workers.join_next().await.is_some() {} };
            if tokio::time::timeout(grace, drain).await.is_err() {
                tracing::warn!(
                    "syncs did not stop within {} s; abandoning them",
                    grace.as_secs()
                );
                workers.abort_all();
            }
            break;
        }
    }
    shared
        .control
        .fail_all("the collector stopped before the job ran");
    // Waits for a write in progress; afterwards nothing more is written.
    shared.sink.shutdown().await;
    stats_task.abort();
    summary
}

/// Copies the storage figures into the metrics state once a second, so a scrape never touches
/// the storage itself.
async fn mirror_sink_stats(shared: Arc<Shared>) {
    let stats = shared.sink.stats();
    let mut iv = tokio::time::interval(Duration::from_secs(1));
    loop {
        iv.tick().await;
        let s = stats.snapshot();
        shared.metrics.set_database_up(s.db_up);
        shared.metrics.set_journal_backlog(s.journal_backlog);
        shared
            .metrics
            .set_journal_health(crate::metrics::JournalHealth {
                damaged_bytes: s.journal_damaged_bytes,
                checkpoint_failures: s.checkpoint_failures,
                write_failures: s.journal_write_failures,
            });
    }
}

/// One band's life: wait until something is due, take a slot, connect, sync, disconnect,
/// back off on failure. Returns whether the last sync succeeded (for `--once`).
async fn band_worker(shared: Arc<Shared>, device: Device, mut shutdown: Shutdown) -> bool {
    let s = &shared.config.settings;
    let intervals = Intervals {
        activity: s.activity_timeout,
        battery: s.battery_timeout,
        heart_rate: s.heart_rate_timeout,
        time_check: s.time_check_timeout,
    };
    let mut schedule = Schedule::new(intervals, Instant::now());
    let mut backoff = Backoff::new(shared.opts.backoff_min, s.activity_timeout);
    // A band that refuses the fetch (busy, error) is fine otherwise: only the fetch is retried,
    // sooner than its interval but never more often than this backoff allows.
    let mut fetch_backoff = Backoff::new(shared.opts.backoff_min, s.activity_timeout);
    let mut static_info_stored = false;
    let mac = device.mac;
    let control = &shared.control;
    let wake = control.wake_handle(mac);
    // Queued actions are tried at once, but after a failed attempt no sooner than the backoff
    // says (a band that is away costs one connection attempt per backoff step, not a loop).
    let mut actions_not_before = Instant::now();
    let mut hr_interval_set = false;
    loop {
        if shutdown.is_shutdown() {
            return false;
        }
        let now = Instant::now();
        let mut wake_at = schedule.next_due();
        if control.has_queued(mac) {
            wake_at = wake_at.min(actions_not_before.max(now));
        }
        if let Some(deadline) = control.next_deadline(mac) {
            wake_at = wake_at.min(instant_of(deadline));
        }
        tokio::select! {
            _ = tokio::time::sleep_until(wake_at) => {}
            _ = wake.notified() => {}
            _ = shutdown.recv() => return false,
        }
        control.expire(mac, "the band was not reached before the job's deadline");
        let now = Instant::now();
        let actions_ready = control.has_queued(mac) && now >= actions_not_before;
        if schedule.due(now).is_empty() && !actions_ready {
            continue;
        }
        // Waiting for a slot (another band holds it) ends on SIGTERM too.
        let _slot = tokio::select! {
            slot = shared.slots.acquire() => match slot {
                Ok(slot) => slot,
                Err(_) => return false,
            },
            _ = shutdown.recv() => return false,
        };
        let actions = if actions_ready {
            control.start_jobs(mac)
        } else {
            Vec::new()
        };
        let mut jobs = schedule.due(Instant::now());
        if actions
            .iter()
            .any(|j| crate::control::action::is_sync(&j.action))
        {
            jobs = Job::ALL.to_vec();
        }
        tracing::debug!(band = %device.mac, jobs = ?jobs, "connecting");
        let fresh = Fresh {
            static_info: !static_info_stored,
            hr_interval: !hr_interval_set,
        };
        let result = attempt(&shared, &device, &jobs, actions, fresh, &shutdown).await;
        let ok = match result {
            Ok(report) => {
                static_info_stored |= report.static_info;
                hr_interval_set |= report.hr_interval_set;
                let now = Instant::now();
                for j in &report.done {
                    schedule.done(*j, now);
                }
                backoff.reset();
                match report.fetch {
                    Some(o) if o.retry_soon() => {
                        let wait = fetch_backoff.fail();
                        tracing::info!(band = %device.mac, result = o.as_str(), "history fetch retried in {} s", wait.as_secs());
                        schedule.retry_job_after(Job::Activity, now, wait);
                    }
                    Some(_) => fetch_backoff.reset(),
                    None => {}
                }
                actions_not_before = now;
                if !jobs.is_empty() {
                    tracing::info!(band = %device.mac, samples = report.samples, jobs = ?report.done, "sync done");
                }
                control.update_info(mac, |i| i.last_outcome = Some(outcome(None)));
                true
            }
            Err(msg) => {
                let wait = backoff.fail();
                match failure_note(shared.opts.once, shutdown.is_shutdown(), wait) {
                    Some(FailureNote::Retry(note)) => {
                        tracing::warn!(band = %device.mac, "{msg}{note}")
                    }
                    Some(FailureNote::Final) => tracing::warn!(band = %device.mac, "{msg}"),
                    None => tracing::info!(band = %device.mac, "sync interrupted: stopping"),
                }
                schedule.retry_after(Instant::now(), wait);
                actions_not_before = Instant::now() + wait;
                control.update_info(mac, |i| {
                    i.last_outcome = Some(outcome(Some(msg.to_string())))
                });
                false
            }
        };
        if shared.opts.once || shutdown.is_shutdown() {
            return ok;
        }
    }
}

fn outcome(error: Option<String>) -> Outcome {
    Outcome {
        ok: error.is_none(),
        at: chrono::Utc::now(),
        error,
    }
}

/// The tokio instant of a wall-clock time (now, if it has passed).
fn instant_of(t: std::time::SystemTime) -> Instant {
    let ahead = t
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Instant::now() + ahead
}

/// What a failed sync's log line says about what happens next.
#[derive(Debug, PartialEq, Eq)]
enum FailureNote {
    /// The band is tried again after the wait (the text to append).
    Retry(String),
    /// `--once`: there is no next time.
    Final,
}

/// `None` when the failure is the collector stopping (SIGTERM): that is no band's fault and
/// nothing will be retried.
fn failure_note(once: bool, stopping: bool, wait: Duration) -> Option<FailureNote> {
    if stopping {
        None
    } else if once {
        Some(FailureNote::Final)
    } else {
        Some(FailureNote::Retry(format!(
            "; retrying in {} s",
            wait.as_secs()
        )))
    }
}

/// What has not been done on a band since the collector started.
#[derive(Debug, Clone, Copy)]
struct Fresh {
    /// Static device info not stored yet.
    static_info: bool,
    /// The heart-rate interval not set yet.
    hr_interval: bool,
}

/// Why one connect-and-sync of a band failed. The message is the log line.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    /// No link.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The connect did not finish within `connect_timeout`.
    #[error("band {mac}: no connection within {secs} s")]
    ConnectTimeout {
        /// The band.
        mac: Mac,
        /// The timeout.
        secs: u64,
    },
    /// Connected, but the sync failed or was stopped.
    #[error("band {mac}: {source}")]
    Sync {
        /// The band.
        mac: Mac,
        /// Why.
        source: SyncError,
    },
}

/// Connects and syncs. Remote actions (`actions`, already marked running) run first, each in
/// its own authenticated session; then the scheduled `jobs`, if any. A connection failure puts
/// the actions back in the queue, where they wait for the next attempt or their deadline.
async fn attempt(
    shared: &Shared,
    device: &Device,
    jobs: &[Job],
    actions: Vec<ControlJob>,
    fresh: Fresh,
    shutdown: &Shutdown,
) -> Result<sync::SyncReport, AttemptError> {
    let mac = device.mac;
    let control = &shared.control;
    let mut stop = shutdown.clone();
    // A scan or connect in progress ends on SIGTERM instead of running to its timeout.
    let connect = tokio::select! {
        r = tokio::time::timeout(shared.opts.connect_timeout, shared.radio.connect(mac)) => r,
        _ = stop.recv() => {
            control.requeue(actions);
            return Err(AttemptError::Sync { mac, source: SyncError::Stopping });
        }
    };
    let link = match connect {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            shared
                .metrics
                .update_band(mac, BandSnapshot::connection_failed);
            control.requeue(actions);
            control.band_changed(mac);
            return Err(e.into());
        }
        Err(_) => {
            shared
                .metrics
                .update_band(mac, BandSnapshot::connection_failed);
            control.requeue(actions);
            control.band_changed(mac);
            return Err(AttemptError::ConnectTimeout {
                mac,
                secs: shared.opts.connect_timeout.as_secs(),
            });
        }
    };
    let name = link.device_name().await;
    if let Some(model) = name.as_deref().and_then(crate::control::model_of) {
        control.update_info(mac, |i| i.model = Some(model.to_string()));
    }
    let mut syncs = Vec::new();
    for job in actions {
        if crate::control::action::is_sync(&job.action) {
            syncs.push(job);
            continue;
        }
        let opts = crate::session::SessionOptions {
            sample_size: crate::protocol::activity::SampleSize::for_band_name(
                name.as_deref().unwrap_or(""),
            ),
            ..Default::default()
        };
        let run = crate::control::action::execute(link.as_ref(), &device.key, opts, &job.action);
        let result = tokio::select! {
            r = tokio::time::timeout(shared.opts.sync_timeout, run) => {
                r.unwrap_or_else(|_| Err("the band did not finish in time".into()))
            }
            _ = stop.recv() => Err("the collector is stopping".into()),
        };
        if let (crate::control::Action::HeartRate, Ok(v)) = (&job.action, &result) {
            if let Some(bpm) = v.get("bpm").and_then(|b| b.as_u64()) {
                let bpm = bpm.min(u64::from(u8::MAX)) as u8;
                shared
                    .metrics
                    .update_band(mac, |b| b.readings.heart_rate_bpm = Some(bpm));
                control.publish(crate::control::Event::HeartRate {
                    mac,
                    bpm: bpm.into(),
                });
            }
        }
        if result.is_ok() {
            // The band answered and took the key: it is up, even without a sync.
            shared.metrics.update_band(mac, |b| b.mark_up());
        }
        control.finish(job.id, result);
    }
    if jobs.is_empty() {
        let _ = link.disconnect().await;
        control.band_changed(mac);
        return Ok(sync::SyncReport::default());
    }
    let ctx = SyncContext {
        device,
        sink: &shared.sink,
        metrics: &shared.metrics,
        mode: shared.config.settings.update_mode,
        shutdown,
        want_static_info: fresh.static_info,
        hr_interval: shared
            .config
            .settings
            .heart_rate_measurement_interval
            .filter(|_| fresh.hr_interval)
            .and_then(|m| crate::action::HrInterval::new(m).ok()),
        heart_rate_wait: shared.opts.heart_rate_wait,
    };
    let result = tokio::select! {
        r = tokio::time::timeout(shared.opts.sync_timeout, sync_band(&ctx, link.as_ref(), jobs)) => match r {
            Ok(r) => r,
            Err(_) => Err(SyncError::Session(crate::session::SessionError::Timeout("the whole sync"))),
        },
        // SIGTERM: the sync future is dropped at its next await; a storage write in progress
        // runs on in its own task and the final `Sink::shutdown` waits for it.
        _ = stop.recv() => Err(SyncError::Stopping),
    };
    let _ = link.disconnect().await;
    if let Err(SyncError::Session(e)) = &result {
        if e.is_link_failure() {
            shared
                .metrics
                .update_band(mac, BandSnapshot::connection_failed);
        }
    }
    let result = result.map_err(|source| AttemptError::Sync { mac, source });
    if let Ok(r) = &result {
        if let Some(fw) = &r.firmware {
            control.update_info(mac, |i| i.firmware = Some(fw.clone()));
        }
    }
    for job in syncs {
        let outcome = match &result {
            Ok(r) => Ok(serde_json::json!({ "samples": r.samples, "jobs": r.done.len() })),
            Err(e) => Err(e.to_string()),
        };
        control.finish(job.id, outcome);
    }
    control.band_changed(mac);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_running_collector_promises_a_retry() {
        let wait = Duration::from_secs(30);
        assert_eq!(
            failure_note(false, false, wait),
            Some(FailureNote::Retry("; retrying in 30 s".into()))
        );
        assert_eq!(failure_note(true, false, wait), Some(FailureNote::Final));
        assert_eq!(failure_note(false, true, wait), None);
        assert_eq!(failure_note(true, true, wait), None);
    }
}
