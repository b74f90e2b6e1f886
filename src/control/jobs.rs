//! The job model behind every remote action (REST API, MQTT commands, the page): an action
//! asked of one band becomes a job that is `queued` until the band's worker holds the radio for
//! it, `running` while it is on the air, and ends `done` (with a result) or `failed` (with a
//! reason). A band out of range keeps its jobs queued until their deadline; then they fail.
//!
//! Pure bookkeeping: time is passed in, nothing here touches the radio.

use std::collections::{BTreeMap, VecDeque};
use std::time::SystemTime;

use serde::Serialize;
use utoipa::ToSchema;

use crate::action::Action;
use crate::mac::Mac;

/// How many finished jobs are remembered (per collector) so their outcome can still be read.
pub const FINISHED_KEPT: usize = 256;

/// How many jobs may wait for one band; more is refused (`429`) instead of piling up.
pub const QUEUE_LIMIT: usize = 16;

/// A job's number, unique for the collector's lifetime.
pub type JobId = u64;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for the band (out of range, or the radio is busy with a sync).
    Queued,
    /// On the air.
    Running,
    /// Finished; `result` says what the band answered.
    Done,
    /// Did not happen; `error` says why.
    Failed,
}

impl JobState {
    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Job {
    /// The job's number.
    pub id: JobId,
    /// The band's MAC.
    #[schema(value_type = String)]
    pub band: Mac,
    /// What was asked.
    #[schema(schema_with = crate::api::schema::action)]
    pub action: Action,
    /// Where the job is.
    pub state: JobState,
    /// When it was asked (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub created: chrono::DateTime<chrono::Utc>,
    /// When a still-queued job gives up (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub deadline: chrono::DateTime<chrono::Utc>,
    /// When it ended (RFC 3339), once it has.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished: Option<chrono::DateTime<chrono::Utc>>,
    /// What the band answered (for `done`), e.g. `{"bpm": 72}`.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Why it failed (for `failed`).
    pub error: Option<String>,
}

/// Why a job could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No configured band has this MAC.
    #[error("no band {0} in devices.csv")]
    UnknownBand(Mac),
    /// The band's queue is full.
    #[error("band {0} already has {QUEUE_LIMIT} jobs waiting")]
    QueueFull(Mac),
}

/// Every job, and each band's queue in arrival order.
#[derive(Debug, Default)]
pub struct JobTable {
    next_id: JobId,
    jobs: BTreeMap<JobId, Job>,
    queues: BTreeMap<Mac, VecDeque<JobId>>,
    finished: VecDeque<JobId>,
}

impl JobTable {
    /// A table serving these bands.
    pub fn new(bands: impl IntoIterator<Item = Mac>) -> JobTable {
        JobTable {
            next_id: 1,
            queues: bands.into_iter().map(|m| (m, VecDeque::new())).collect(),
            ..JobTable::default()
        }
    }

    /// Whether the table serves this band.
    pub fn has_band(&self, mac: Mac) -> bool {
        self.queues.contains_key(&mac)
    }

    /// Queues `action` for `mac`.
    pub fn submit(
        &mut self,
        mac: Mac,
        action: Action,
        now: SystemTime,
        deadline: SystemTime,
    ) -> Result<Job, SubmitError> {
        let queue = self
            .queues
            .get_mut(&mac)
            .ok_or(SubmitError::UnknownBand(mac))?;
        if queue.len() >= QUEUE_LIMIT {
            return Err(SubmitError::QueueFull(mac));
        }
        let id = self.next_id;
        self.next_id += 1;
        let job = Job {
            id,
            band: mac,
            action,
            state: JobState::Queued,
            created: now.into(),
            deadline: deadline.into(),
            finished: None,
            result: None,
            error: None,
        };
        queue.push_back(id);
        self.jobs.insert(id, job.clone());
        Ok(job)
    }

    /// One job.
    pub fn get(&self, id: JobId) -> Option<&Job> {
        self.jobs.get(&id)
    }

    /// The band's jobs still waiting, oldest first.
    pub fn queued(&self, mac: Mac) -> Vec<&Job> {
        self.queues
            .get(&mac)
            .map(|q| q.iter().filter_map(|id| self.jobs.get(id)).collect())
            .unwrap_or_default()
    }

    /// Every job known, newest first.
    pub fn all(&self) -> Vec<&Job> {
        self.jobs.values().rev().collect()
    }

    /// The earliest deadline of the band's queued jobs (the worker wakes then to fail them).
    pub fn next_deadline(&self, mac: Mac) -> Option<SystemTime> {
        self.queued(mac)
            .iter()
            .map(|j| SystemTime::from(j.deadline))
            .min()
    }

    /// Fails the band's queued jobs whose deadline has passed; returns them.
    pub fn expire(&mut self, mac: Mac, now: SystemTime, why: &str) -> Vec<Job> {
        let Some(queue) = self.queues.get(&mac) else {
            return Vec::new();
        };
        let late: Vec<JobId> = queue
            .iter()
            .copied()
            .filter(|id| {
                self.jobs
                    .get(id)
                    .is_some_and(|j| SystemTime::from(j.deadline) <= now)
            })
            .collect();
        late.into_iter()
            .filter_map(|id| self.finish(id, now, Err(why.to_string())))
            .collect()
    }

    /// Takes every queued job of the band and marks it running.
    pub fn start_all(&mut self, mac: Mac) -> Vec<Job> {
        let ids: Vec<JobId> = self
            .queues
            .get_mut(&mac)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default();
        ids.into_iter()
            .filter_map(|id| {
                let job = self.jobs.get_mut(&id)?;
                job.state = JobState::Running;
                Some(job.clone())
            })
            .collect()
    }

    /// Puts a running job back at the head of its band's queue.
    pub fn requeue(&mut self, id: JobId) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        if job.state != JobState::Running {
            return;
        }
        job.state = JobState::Queued;
        if let Some(q) = self.queues.get_mut(&job.band) {
            q.push_front(id);
        }
    }

    /// Ends a job (queued or running); returns it as it now is. Only the last
    /// [`FINISHED_KEPT`] finished jobs are remembered.
    pub fn finish(
        &mut self,
        id: JobId,
        now: SystemTime,
        outcome: Result<serde_json::Value, String>,
    ) -> Option<Job> {
        let job = self.jobs.get_mut(&id)?;
        if job.state.is_final() {
            return None;
        }
        match outcome {
            Ok(v) => {
                job.state = JobState::Done;
                job.result = Some(v);
            }
            Err(e) => {
                job.state = JobState::Failed;
                job.error = Some(e);
            }
        }
        job.finished = Some(now.into());
        let out = job.clone();
        if let Some(q) = self.queues.get_mut(&out.band) {
            q.retain(|j| *j != id);
        }
        self.finished.push_back(id);
        while self.finished.len() > FINISHED_KEPT {
            if let Some(old) = self.finished.pop_front() {
                self.jobs.remove(&old);
            }
        }
        Some(out)
    }

    /// Fails everything still queued or running (the collector is stopping).
    pub fn fail_all(&mut self, now: SystemTime, why: &str) -> Vec<Job> {
        let open: Vec<JobId> = self
            .jobs
            .values()
            .filter(|j| !j.state.is_final())
            .map(|j| j.id)
            .collect();
        open.into_iter()
            .filter_map(|id| self.finish(id, now, Err(why.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn a() -> Mac {
        "AA:00:00:00:00:01".parse().unwrap()
    }

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn a_job_goes_queued_running_done() {
        let mut table = JobTable::new([a()]);
        let job = table.submit(a(), Action::HeartRate, t(0), t(60)).unwrap();
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(table.queued(a()).len(), 1);
        let running = table.start_all(a());
        assert_eq!(running[0].state, JobState::Running);
        assert!(table.queued(a()).is_empty());
        let done = table
            .finish(job.id, t(2), Ok(serde_json::json!({"ok": true})))
            .unwrap();
        assert_eq!(done.state, JobState::Done);
        assert_eq!(done.finished, Some(t(2).into()));
        // A finished job cannot be finished again.
        assert!(table.finish(job.id, t(3), Err("x".into())).is_none());
    }

    #[test]
    fn a_job_whose_band_was_not_reached_goes_back_to_the_queue() {
        let mut table = JobTable::new([a()]);
        let job = table.submit(a(), Action::HeartRate, t(0), t(60)).unwrap();
        table.start_all(a());
        table.requeue(job.id);
        assert_eq!(table.get(job.id).unwrap().state, JobState::Queued);
        assert_eq!(table.queued(a())[0].id, job.id);
    }

    #[test]
    fn unknown_bands_and_full_queues_are_refused() {
        let mut table = JobTable::new([a()]);
        let b: Mac = "BB:00:00:00:00:02".parse().unwrap();
        assert_eq!(
            table.submit(b, Action::HeartRate, t(0), t(1)),
            Err(SubmitError::UnknownBand(b))
        );
        for _ in 0..QUEUE_LIMIT {
            table.submit(a(), Action::HeartRate, t(0), t(1)).unwrap();
        }
        assert_eq!(
            table.submit(a(), Action::HeartRate, t(0), t(1)),
            Err(SubmitError::QueueFull(a()))
        );
    }

    #[test]
    fn queued_jobs_fail_at_their_deadline_only() {
        let mut table = JobTable::new([a()]);
        let early = table.submit(a(), Action::HeartRate, t(0), t(10)).unwrap();
        let late = table.submit(a(), Action::SyncNow, t(0), t(100)).unwrap();
        assert_eq!(table.next_deadline(a()), Some(t(10)));
        assert!(table.expire(a(), t(9), "away").is_empty());
        let failed = table.expire(a(), t(10), "band out of range");
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id, early.id);
        assert_eq!(failed[0].error.as_deref(), Some("band out of range"));
        assert_eq!(table.get(late.id).unwrap().state, JobState::Queued);
        assert_eq!(table.next_deadline(a()), Some(t(100)));
    }

    #[test]
    fn only_the_last_finished_jobs_are_kept() {
        let mut table = JobTable::new([a()]);
        let first = table.submit(a(), Action::HeartRate, t(0), t(1)).unwrap().id;
        table.finish(first, t(0), Ok(serde_json::Value::Null));
        for _ in 0..FINISHED_KEPT {
            let id = table.submit(a(), Action::HeartRate, t(0), t(1)).unwrap().id;
            table.finish(id, t(0), Ok(serde_json::Value::Null));
        }
        assert!(table.get(first).is_none());
        assert_eq!(table.all().len(), FINISHED_KEPT);
    }
}
