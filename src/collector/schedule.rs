//! When each band's jobs are due. miband-dc's four intervals (activity, battery, heart rate,
//! time check) are kept per band; a sync does every job that is due, so one connection serves
//! them all. Pure logic: time is passed in.

use std::time::Duration;

use tokio::time::Instant;

/// A job a sync can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Fetch history and read live steps.
    Activity,
    /// Read the battery.
    Battery,
    /// Measure heart rate.
    HeartRate,
    /// Check (and correct) the band clock.
    TimeCheck,
}

impl Job {
    /// Every job (what "sync now" does).
    pub const ALL: [Job; 4] = [Job::Activity, Job::Battery, Job::HeartRate, Job::TimeCheck];
}

/// The intervals, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// `activity_timeout`.
    pub activity: Duration,
    /// `battery_timeout`.
    pub battery: Duration,
    /// `heart_rate_timeout`.
    pub heart_rate: Duration,
    /// `time_check_timeout`.
    pub time_check: Duration,
}

/// Per-band due times. Everything is due at start, so a first sync does real work.
#[derive(Debug, Clone)]
pub struct Schedule {
    intervals: Intervals,
    due: [(Job, Instant); 4],
}

/// `now + d`, or a century from now if that overflows the clock.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(now)
}

impl Schedule {
    /// All jobs due at `now`.
    pub fn new(intervals: Intervals, now: Instant) -> Schedule {
        Schedule {
            intervals,
            due: [
                (Job::Activity, now),
                (Job::Battery, now),
                (Job::HeartRate, now),
                (Job::TimeCheck, now),
            ],
        }
    }

    fn interval(&self, job: Job) -> Duration {
        match job {
            Job::Activity => self.intervals.activity,
            Job::Battery => self.intervals.battery,
            Job::HeartRate => self.intervals.heart_rate,
            Job::TimeCheck => self.intervals.time_check,
        }
    }

    /// Jobs due at `now`.
    pub fn due(&self, now: Instant) -> Vec<Job> {
        self.due
            .iter()
            .filter(|(_, t)| *t <= now)
            .map(|(j, _)| *j)
            .collect()
    }

    /// When the next job is due.
    pub fn next_due(&self) -> Instant {
        self.due
            .iter()
            .map(|(_, t)| *t)
            .min()
            .unwrap_or_else(Instant::now)
    }

    /// `job` ran (successfully or deliberately skipped) at `now`.
    pub fn done(&mut self, job: Job, now: Instant) {
        // Intervals are bounded when the settings load; saturate anyway, a worker must never
        // panic on arithmetic.
        let next = later(now, self.interval(job));
        if let Some(e) = self.due.iter_mut().find(|(j, _)| *j == job) {
            e.1 = next;
        }
    }

    /// `job` could not be done now but the band is fine (a busy band refusing a fetch): it is
    /// due again at `now + wait`, the other jobs keep their times.
    pub fn retry_job_after(&mut self, job: Job, now: Instant, wait: Duration) {
        if let Some(e) = self.due.iter_mut().find(|(j, _)| *j == job) {
            e.1 = now + wait;
        }
    }

    /// Nothing could be done (band unreachable): try again no sooner than `now + wait`, without
    /// pushing any job later than it already is.
    pub fn retry_after(&mut self, now: Instant, wait: Duration) {
        for e in self.due.iter_mut() {
            e.1 = e.1.max(later(now, wait));
        }
    }
}

/// Exponential backoff for a failing band: 30 s doubling up to the activity interval, so a band
/// that is away never costs more than one attempt per interval and never stalls the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// A backoff between `min` and `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            failures: 0,
            min,
            max: max.max(min),
        }
    }

    /// The wait after one more failure.
    pub fn fail(&mut self) -> Duration {
        let d = self
            .min
            .saturating_mul(1u32 << self.failures.min(16))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        d
    }

    /// A success resets it.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv() -> Intervals {
        Intervals {
            activity: Duration::from_secs(3600),
            battery: Duration::from_secs(900),
            heart_rate: Duration::from_secs(600),
            time_check: Duration::from_secs(86400),
        }
    }

    #[test]
    fn an_interval_beyond_the_clock_never_panics() {
        let huge = Duration::from_secs(u64::MAX);
        let iv = Intervals {
            activity: huge,
            battery: huge,
            heart_rate: huge,
            time_check: huge,
        };
        let now = Instant::now();
        let mut s = Schedule::new(iv, now);
        s.done(Job::Activity, now);
        s.retry_after(now, huge);
        assert!(s.next_due() > now);
    }

    #[test]
    fn everything_due_at_start_then_each_on_its_own_interval() {
        let t0 = Instant::now();
        let mut s = Schedule::new(iv(), t0);
        assert_eq!(s.due(t0).len(), 4);
        for j in s.due(t0) {
            s.done(j, t0);
        }
        assert!(s.due(t0).is_empty());
        assert_eq!(s.next_due(), t0 + Duration::from_secs(600));
        assert_eq!(s.due(t0 + Duration::from_secs(600)), [Job::HeartRate]);
        assert_eq!(
            s.due(t0 + Duration::from_secs(900)),
            [Job::Battery, Job::HeartRate]
        );
        assert_eq!(s.due(t0 + Duration::from_secs(3600)).len(), 3);
    }

    #[test]
    fn retry_does_not_postpone_later_jobs() {
        let t0 = Instant::now();
        let mut s = Schedule::new(iv(), t0);
        s.done(Job::TimeCheck, t0);
        s.retry_after(t0, Duration::from_secs(30));
        assert_eq!(s.next_due(), t0 + Duration::from_secs(30));
        assert!(!s
            .due(t0 + Duration::from_secs(31))
            .contains(&Job::TimeCheck));
    }

    #[test]
    fn a_busy_fetch_is_retried_alone() {
        let t0 = Instant::now();
        let mut s = Schedule::new(iv(), t0);
        for j in [Job::Battery, Job::HeartRate, Job::TimeCheck] {
            s.done(j, t0);
        }
        s.retry_job_after(Job::Activity, t0, Duration::from_secs(60));
        assert_eq!(s.next_due(), t0 + Duration::from_secs(60));
        assert_eq!(s.due(t0 + Duration::from_secs(60)), [Job::Activity]);
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(30), Duration::from_secs(200));
        assert_eq!(b.fail(), Duration::from_secs(30));
        assert_eq!(b.fail(), Duration::from_secs(60));
        assert_eq!(b.fail(), Duration::from_secs(120));
        assert_eq!(b.fail(), Duration::from_secs(200));
        assert_eq!(b.fail(), Duration::from_secs(200));
        b.reset();
        assert_eq!(b.fail(), Duration::from_secs(30));
    }
}
