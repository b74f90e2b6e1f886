//! The distribution of sync durations per band, kept as plain numbers inside the band's snapshot
//! (so a scrape copies it with the rest) rather than as a live prometheus-client histogram.

use std::time::Duration;

/// Upper bounds in seconds. A battery read takes a few seconds; a day of activity history a
/// minute or more; anything past ten minutes lands in `+Inf`.
pub const BUCKETS: [f64; 10] = [1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// Observations of one band's sync durations since the collector started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncDurations {
    /// Non-cumulative count per bucket of [`BUCKETS`], then `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

impl SyncDurations {
    /// Records one sync.
    pub fn observe(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&upper| seconds <= upper)
            .unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum_seconds += seconds;
        self.count += 1;
    }

    /// Total seconds observed.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_seconds
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `(upper bound, non-cumulative count)` pairs ending with `+Inf`, the form
    /// prometheus-client's histogram encoder takes.
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        BUCKETS
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.counts)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_observations_into_buckets() {
        let mut h = SyncDurations::default();
        h.observe(Duration::from_millis(500));
        h.observe(Duration::from_secs(1));
        h.observe(Duration::from_secs(45));
        h.observe(Duration::from_secs(3600));
        assert_eq!(h.count(), 4);
        assert_eq!(h.sum_seconds(), 3646.5);
        let b = h.buckets();
        assert_eq!(b.len(), 11);
        assert_eq!(b[0], (1.0, 2));
        assert_eq!(b[6], (60.0, 1));
        assert_eq!(b[10], (f64::INFINITY, 1));
        assert_eq!(b.iter().map(|(_, c)| c).sum::<u64>(), 4);
    }
}
