//! Remote control of the bands the collector holds: the job queue every remote action goes
//! through (REST API, MQTT commands, the page), what the collector learned about each band beyond
//! its metrics (model, firmware, how the last sync ended), and the stream of events the API's
//! Server-Sent Events and MQTT republish.
//!
//! The collector's band worker is the only one that touches a band's radio: it takes the queued
//! jobs when it holds the radio (between scheduled syncs, never during one), so an action never
//! fights a sync. Everything here is in-memory and guarded by short, non-async locks, so the API
//! and MQTT never wait on a band or the database.

pub mod action;
pub mod events;
pub mod jobs;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::{broadcast, Notify};
use utoipa::ToSchema;

pub use crate::action::Action;
pub use events::Event;
pub use jobs::{Job, JobId, JobState, SubmitError};

use crate::config::Device;
use crate::mac::Mac;
use jobs::JobTable;

/// How long a job waits for an unreachable band unless the caller says otherwise.
pub const DEFAULT_JOB_DEADLINE: Duration = Duration::from_secs(300);
/// The longest deadline a caller may ask for.
pub const MAX_JOB_DEADLINE: Duration = Duration::from_secs(86_400);

/// How the last sync (or action connection) of a band ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Outcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// When it ended (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
    /// What went wrong, when it did.
    pub error: Option<String>,
}

/// What the collector learned about a band besides its metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BandInfo {
    /// "Mi Band 4" / "Mi Band 5", from the advertised name.
    pub model: Option<String>,
    /// Firmware revision.
    pub firmware: Option<String>,
    /// How the last attempt ended.
    pub last_outcome: Option<Outcome>,
}

struct Band {
    info: BandInfo,
    wake: Arc<Notify>,
}

struct Inner {
    bands: Mutex<BTreeMap<Mac, Band>>,
    jobs: Mutex<JobTable>,
    events: broadcast::Sender<Event>,
}

/// The shared control state; cheap to clone.
#[derive(Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data: a panic elsewhere leaves it usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Control {
    /// Control over these bands.
    pub fn new(devices: &[Device]) -> Control {
        let bands = devices
            .iter()
            .map(|d| {
                (
                    d.mac,
                    Band {
                        info: BandInfo::default(),
                        wake: Arc::new(Notify::new()),
                    },
                )
            })
            .collect();
        let (events, _) = broadcast::channel(256);
        Control {
            inner: Arc::new(Inner {
                jobs: Mutex::new(JobTable::new(devices.iter().map(|d| d.mac))),
                bands: Mutex::new(bands),
                events,
            }),
        }
    }

    /// Queues an action; the band's worker is woken. `deadline` is how long the job may wait.
    pub fn submit(&self, mac: Mac, action: Action, deadline: Duration) -> Result<Job, SubmitError> {
        let now = SystemTime::now();
        let job = lock(&self.inner.jobs).submit(mac, action, now, now + deadline)?;
        if let Some(b) = lock(&self.inner.bands).get(&mac) {
            b.wake.notify_one();
        }
        self.publish(Event::Job(job.clone()));
        Ok(job)
    }

    /// One job.
    pub fn job(&self, id: JobId) -> Option<Job> {
        lock(&self.inner.jobs).get(id).cloned()
    }

    /// Every remembered job, newest first.
    pub fn jobs(&self) -> Vec<Job> {
        lock(&self.inner.jobs).all().into_iter().cloned().collect()
    }

    /// Whether this band is configured.
    pub fn has_band(&self, mac: Mac) -> bool {
        lock(&self.inner.bands).contains_key(&mac)
    }

    /// What is known about a band.
    pub fn info(&self, mac: Mac) -> BandInfo {
        lock(&self.inner.bands)
            .get(&mac)
            .map(|b| b.info.clone())
            .unwrap_or_default()
    }

    /// Changes what is known about a band and tells subscribers.
    pub fn update_info(&self, mac: Mac, change: impl FnOnce(&mut BandInfo)) {
        if let Some(b) = lock(&self.inner.bands).get_mut(&mac) {
            change(&mut b.info);
        }
        self.band_changed(mac);
    }

    /// The band's state changed (a sync step, up/down): subscribers re-read it.
    pub fn band_changed(&self, mac: Mac) {
        self.publish(Event::Band { mac });
    }

    /// Subscribes to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Sends an event to every subscriber (none listening is fine).
    pub fn publish(&self, event: Event) {
        let _ = self.inner.events.send(event);
    }

    // --- the band worker's side ---

    /// What the band's worker waits on besides its schedule.
    pub fn wake_handle(&self, mac: Mac) -> Arc<Notify> {
        lock(&self.inner.bands)
            .get(&mac)
            .map(|b| Arc::clone(&b.wake))
            .unwrap_or_else(|| Arc::new(Notify::new()))
    }

    /// Whether the band has queued jobs.
    pub fn has_queued(&self, mac: Mac) -> bool {
        !lock(&self.inner.jobs).queued(mac).is_empty()
    }

    /// How many jobs wait for the band.
    pub fn queued_count(&self, mac: Mac) -> usize {
        lock(&self.inner.jobs).queued(mac).len()
    }

    /// When the band's first queued job gives up.
    pub fn next_deadline(&self, mac: Mac) -> Option<SystemTime> {
        lock(&self.inner.jobs).next_deadline(mac)
    }

    /// Fails the band's queued jobs past their deadline, with `why`.
    pub fn expire(&self, mac: Mac, why: &str) {
        let failed = lock(&self.inner.jobs).expire(mac, SystemTime::now(), why);
        for j in failed {
            self.publish(Event::Job(j));
        }
    }

    /// Takes the band's queued jobs (they become running).
    pub fn start_jobs(&self, mac: Mac) -> Vec<Job> {
        let started = lock(&self.inner.jobs).start_all(mac);
        for j in &started {
            self.publish(Event::Job(j.clone()));
        }
        started
    }

    /// Puts running jobs back in the queue (the connection failed before they ran): they wait
    /// for the next attempt, or their deadline.
    pub fn requeue(&self, jobs: Vec<Job>) {
        let mut table = lock(&self.inner.jobs);
        for j in jobs {
            table.requeue(j.id);
        }
    }

    /// Ends a job.
    pub fn finish(&self, id: JobId, outcome: Result<serde_json::Value, String>) {
        let done = lock(&self.inner.jobs).finish(id, SystemTime::now(), outcome);
        if let Some(j) = done {
            self.publish(Event::Job(j));
        }
    }

    /// Fails every open job (the collector is stopping).
    pub fn fail_all(&self, why: &str) {
        let failed = lock(&self.inner.jobs).fail_all(SystemTime::now(), why);
        for j in failed {
            self.publish(Event::Job(j));
        }
    }
}

/// The model a band's advertised name stands for (Gadgetbridge's HuamiConst: "Mi Smart Band 4",
/// "Mi Smart Band 5"); `None` for a name that is not one of them.
pub fn model_of(advertised: &str) -> Option<&'static str> {
    if advertised.contains("Band 4") {
        Some("Mi Band 4")
    } else if advertised.contains("Band 5") {
        Some("Mi Band 5")
    } else {
        None
    }
}
