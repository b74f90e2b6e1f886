//! Renders the shared state as OpenMetrics text with prometheus-client's encoder and the names
//! from [`super::names`], and as the classic text format derived from it ([`super::format`]).
//! Nothing is pushed into live gauges: each rendering encodes a snapshot, so a band that went
//! away or went down cannot leave stale series. A rendering is kept until the state changes
//! ([`MetricsState::generation`]), so scrapes between two changes cost a copy of a pointer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::format::{self, Format};
use super::names::{self, Metric};
use super::snapshot::{BandLabels, BandSnapshot, MetricsState, StateSnapshot};

/// 1 kcal in joules (thermochemical calorie), the base unit Prometheus asks for.
pub const JOULES_PER_KCAL: u64 = 4184;

/// Renders `/metrics` bodies for one shared state.
#[derive(Debug)]
pub struct Exporter {
    state: MetricsState,
    cache: Mutex<Option<Rendered>>,
    renders: AtomicU64,
}

/// Both bodies of one state generation.
#[derive(Debug, Clone)]
struct Rendered {
    generation: u64,
    openmetrics: Bytes,
    text: Bytes,
}

impl Exporter {
    /// An exporter reading `state`.
    pub fn new(state: MetricsState) -> Self {
        Exporter {
            state,
            cache: Mutex::new(None),
            renders: AtomicU64::new(0),
        }
    }

    /// The OpenMetrics text, ending in `# EOF`, rendered now.
    pub fn render(&self) -> String {
        render_openmetrics(&self.state.snapshot())
    }

    /// The body in `format` for the current state: the kept rendering while the state is
    /// unchanged, else a new one (both formats at once).
    pub fn body(&self, format: Format) -> Bytes {
        let pick = |r: &Rendered| match format {
            Format::OpenMetrics => r.openmetrics.clone(),
            Format::Text => r.text.clone(),
        };
        let current = self.state.generation();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cache.as_ref().filter(|r| r.generation == current) {
            return pick(r);
        }
        // Rendering under the lock: concurrent scrapes of a new state wait for one rendering
        // instead of each doing their own.
        let (generation, snapshot) = self.state.versioned_snapshot();
        let openmetrics = render_openmetrics(&snapshot);
        let text = format::classic_from_openmetrics(&openmetrics);
        self.renders.fetch_add(1, Ordering::Relaxed);
        let r = Rendered {
            generation,
            openmetrics: Bytes::from(openmetrics),
            text: Bytes::from(text),
        };
        let body = pick(&r);
        *cache = Some(r);
        body
    }

    /// How many times [`Exporter::body`] rendered (for tests of the caching).
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }
}

fn render_openmetrics(snapshot: &StateSnapshot) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector {
        snapshot: snapshot.clone(),
    }));
    let mut out = String::with_capacity(8 * 1024);
    // Writing into a String cannot fail, and our collector returns no error of its own.
    if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
        out.clear();
        out.push_str("# EOF\n");
    }
    out
}

/// The prometheus-client side: encodes one [`StateSnapshot`].
#[derive(Debug)]
struct SnapshotCollector {
    snapshot: StateSnapshot,
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_snapshot(&self.snapshot, &mut encoder)
    }
}

fn encode_snapshot(s: &StateSnapshot, enc: &mut DescriptorEncoder) -> std::fmt::Result {
    let all = &s.bands;
    let up: Vec<&BandSnapshot> = all.iter().filter(|b| b.up).collect();
    gauges(
        enc,
        &names::UP,
        all.iter().map(|b| (b, Some(i64::from(b.up)))),
    )?;
    gauges(
        enc,
        &names::BATTERY_LEVEL,
        up.iter().map(|b| {
            let ratio = b
                .readings
                .battery_level_percent
                .map(|p| f64::from(p) / 100.0);
            (*b, ratio)
        }),
    )?;
    let reading = |f: fn(&BandSnapshot) -> Option<i64>| up.iter().map(move |b| (*b, f(b)));
    gauges(
        enc,
        &names::BATTERY_CHARGING,
        reading(|b| b.readings.charging.map(i64::from)),
    )?;
    gauges(
        enc,
        &names::STEPS_TODAY,
        reading(|b| b.readings.steps.map(i64::from)),
    )?;
    gauges(
        enc,
        &names::DISTANCE_TODAY,
        reading(|b| b.readings.meters.map(i64::from)),
    )?;
    gauges(
        enc,
        &names::ENERGY_TODAY,
        reading(|b| {
            let kcal = b.readings.kcal?;
            i64::try_from(u64::from(kcal) * JOULES_PER_KCAL).ok()
        }),
    )?;
    gauges(
        enc,
        &names::HEART_RATE,
        reading(|b| b.readings.heart_rate_bpm.map(i64::from)),
    )?;
    gauges(
        enc,
        &names::LAST_SYNC,
        all.iter().map(|b| {
            let seconds = b.last_sync.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
            (b, seconds.map(|d| d.as_secs_f64()))
        }),
    )?;
    counters(enc, &names::SAMPLES_STORED, all, |b| {
        b.counters.samples_stored
    })?;
    counters(enc, &names::AUTH_FAILURES, all, |b| {
        b.counters.auth_failures
    })?;
    counters(enc, &names::CONNECTION_FAILURES, all, |b| {
        b.counters.connection_failures
    })?;
    sync_durations(enc, all)?;
    global_gauge(enc, &names::DATABASE_UP, s.database_up.map(i64::from))?;
    global_gauge(
        enc,
        &names::JOURNAL_BACKLOG,
        s.journal_backlog.and_then(|n| i64::try_from(n).ok()),
    )?;
    if let Some(h) = s.journal_health {
        global_gauge(
            enc,
            &names::JOURNAL_DAMAGED_BYTES,
            i64::try_from(h.damaged_bytes).ok(),
        )?;
        global_counter(
            enc,
            &names::JOURNAL_CHECKPOINT_FAILURES,
            h.checkpoint_failures,
        )?;
        global_counter(enc, &names::JOURNAL_WRITE_FAILURES, h.write_failures)?;
    }
    build_info(enc)
}

/// HELP as prometheus-client's registry would write it (with a full stop), which the names
/// module documents; a collector bypasses the registry, so it is added here.
fn describe<'e>(
    enc: &'e mut DescriptorEncoder,
    name: &'static str,
    metric: &Metric,
    kind: MetricType,
) -> Result<MetricEncoder<'e>, std::fmt::Error> {
    enc.encode_descriptor(name, &format!("{}.", metric.help), None, kind)
}

/// One gauge family over bands; bands without a value get no series (missing is not zero), and
/// a family without any series is left out entirely.
fn gauges<'b, V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder,
    metric: &Metric,
    values: impl Iterator<Item = (&'b BandSnapshot, Option<V>)>,
) -> std::fmt::Result {
    let present: Vec<(&BandLabels, V)> =
        values.filter_map(|(b, v)| Some((&b.labels, v?))).collect();
    if present.is_empty() {
        return Ok(());
    }
    let mut family = describe(enc, metric.name, metric, MetricType::Gauge)?;
    for (labels, value) in &present {
        family.encode_family(*labels)?.encode_gauge(value)?;
    }
    Ok(())
}

fn counters(
    enc: &mut DescriptorEncoder,
    metric: &Metric,
    bands: &[BandSnapshot],
    value: fn(&BandSnapshot) -> u64,
) -> std::fmt::Result {
    if bands.is_empty() {
        return Ok(());
    }
    // prometheus-client appends `_total` to the sample itself.
    let mut family = describe(enc, metric.registered_name(), metric, MetricType::Counter)?;
    for band in bands {
        family
            .encode_family(&band.labels)?
            .encode_counter::<NoLabelSet, _, u64>(&value(band), None)?;
    }
    Ok(())
}

fn sync_durations(enc: &mut DescriptorEncoder, bands: &[BandSnapshot]) -> std::fmt::Result {
    if bands.is_empty() {
        return Ok(());
    }
    let metric = &names::SYNC_DURATION;
    let mut family = describe(enc, metric.name, metric, MetricType::Histogram)?;
    for band in bands {
        let h = &band.sync_duration;
        family
            .encode_family(&band.labels)?
            .encode_histogram::<NoLabelSet>(h.sum_seconds(), h.count(), &h.buckets(), None)?;
    }
    Ok(())
}

fn global_gauge(
    enc: &mut DescriptorEncoder,
    metric: &Metric,
    value: Option<i64>,
) -> std::fmt::Result {
    match value {
        Some(v) => describe(enc, metric.name, metric, MetricType::Gauge)?.encode_gauge(&v),
        None => Ok(()),
    }
}

fn global_counter(enc: &mut DescriptorEncoder, metric: &Metric, value: u64) -> std::fmt::Result {
    // prometheus-client appends `_total` to the sample itself.
    describe(enc, metric.registered_name(), metric, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// `miband_build_info{version="…"} 1` as a gauge, the convention of Prometheus' own
/// `prometheus_build_info`: the OpenMetrics `info` type would be just as valid for Prometheus,
/// but `promtool check metrics` (2.42) rejects it as an unknown type.
fn build_info(enc: &mut DescriptorEncoder) -> std::fmt::Result {
    let metric = &names::BUILD_INFO;
    let labels = [("version", env!("CARGO_PKG_VERSION"))];
    describe(enc, metric.name, metric, MetricType::Gauge)?
        .encode_family(&labels)?
        .encode_gauge(&1i64)
}

#[cfg(test)]
#[path = "exporter_tests.rs"]
mod tests;
