//! The live overview dashboard: every band at a glance from the collector's Prometheus metrics,
//! with a `band` variable. Metric names come only from [`crate::metrics::names`].

use super::dashboard::TAG;
use super::dashboard_model::{
    flow, ref_id, DashboardView, DsRef, GridPos, PanelView, RowView, Target, VariableView,
};
use super::datasource::PROMETHEUS_TYPE;
use super::panels::{Step, Viz};
use super::uid;
use crate::metrics::names::{self, Metric};

/// The band variable's name (`$band`), matching the `name` label.
pub const BAND_VARIABLE: &str = "band";

/// A series selector: per-band metrics are filtered by the band variable.
fn sel(m: &Metric, suffix: &str) -> String {
    if m.per_band {
        format!("{}{suffix}{{name=~\"${BAND_VARIABLE}\"}}", m.name)
    } else {
        format!("{}{suffix}", m.name)
    }
}

struct Spec {
    id: u32,
    title: &'static str,
    description: &'static str,
    viz: Viz,
    unit: &'static str,
    width: u32,
    range: (Option<f64>, Option<f64>),
    thresholds: &'static [Step],
    mappings: &'static [(&'static str, &'static str)],
    /// (expr, legend)
    targets: Vec<(String, &'static str)>,
}

const GREEN: &[Step] = &[(None, "green")];
const UP_DOWN: &[Step] = &[(None, "red"), (Some(1.0), "green")];
const BY_BAND: &str = "{{name}}";

fn stat(id: u32, title: &'static str, description: &'static str, unit: &'static str) -> Spec {
    Spec {
        id,
        title,
        description,
        viz: Viz::Stat,
        unit,
        width: 6,
        range: (None, None),
        thresholds: GREEN,
        mappings: &[],
        targets: vec![],
    }
}

fn rows() -> Vec<(u32, &'static str, Vec<Spec>)> {
    let one = |m: &Metric| vec![(sel(m, ""), BY_BAND)];
    vec![
        (
            100,
            "Bands",
            vec![
                Spec {
                    thresholds: UP_DOWN,
                    mappings: &[("0", "Unreachable"), ("1", "Connected")],
                    targets: one(&names::UP),
                    ..stat(
                        1,
                        "Band reachable",
                        "Whether the collector's last connection attempt succeeded.",
                        "none",
                    )
                },
                Spec {
                    viz: Viz::Gauge,
                    range: (Some(0.0), Some(1.0)),
                    thresholds: &[(None, "red"), (Some(0.2), "orange"), (Some(0.5), "green")],
                    targets: one(&names::BATTERY_LEVEL),
                    ..stat(2, "Battery", "Battery level.", "percentunit")
                },
                Spec {
                    mappings: &[("0", "No"), ("1", "Charging")],
                    targets: one(&names::BATTERY_CHARGING),
                    ..stat(
                        3,
                        "On charger",
                        "Whether the band is on its charger.",
                        "none",
                    )
                },
                Spec {
                    thresholds: &[
                        (None, "green"),
                        (Some(3600.0), "orange"),
                        (Some(7200.0), "red"),
                    ],
                    targets: vec![(format!("time() - {}", sel(&names::LAST_SYNC, "")), BY_BAND)],
                    ..stat(
                        4,
                        "Since last sync",
                        "Time since the band's last successful sync.",
                        "s",
                    )
                },
            ],
        ),
        (
            200,
            "Today",
            vec![
                Spec {
                    width: 8,
                    targets: one(&names::STEPS_TODAY),
                    ..stat(
                        5,
                        "Steps today",
                        "Steps since local midnight.",
                        "suffix:steps",
                    )
                },
                Spec {
                    width: 8,
                    targets: one(&names::DISTANCE_TODAY),
                    ..stat(
                        6,
                        "Distance today",
                        "Distance since local midnight.",
                        "lengthm",
                    )
                },
                Spec {
                    width: 8,
                    targets: vec![(format!("{} / 4184", sel(&names::ENERGY_TODAY, "")), BY_BAND)],
                    ..stat(
                        7,
                        "Energy today",
                        "Energy burnt since local midnight (1 kcal = 4184 J).",
                        "suffix:kcal",
                    )
                },
            ],
        ),
        (
            300,
            "Heart rate",
            vec![Spec {
                viz: Viz::Line,
                width: 24,
                thresholds: &[(None, "red")],
                targets: one(&names::HEART_RATE),
                ..stat(
                    8,
                    "Heart rate",
                    "Latest heart-rate measurement of each band.",
                    "suffix:bpm",
                )
            }],
        ),
        (
            400,
            "Collector",
            vec![
                Spec {
                    viz: Viz::Line,
                    width: 12,
                    targets: vec![(
                        format!(
                            "rate({}[$__rate_interval]) * 60",
                            sel(&names::SAMPLES_STORED, "")
                        ),
                        BY_BAND,
                    )],
                    ..stat(
                        9,
                        "Samples stored per minute",
                        "Per-minute history samples stored.",
                        "short",
                    )
                },
                Spec {
                    viz: Viz::Line,
                    width: 12,
                    targets: vec![
                        (
                            format!("increase({}[1h])", sel(&names::AUTH_FAILURES, "")),
                            "{{name}} authentication",
                        ),
                        (
                            format!("increase({}[1h])", sel(&names::CONNECTION_FAILURES, "")),
                            "{{name}} connection",
                        ),
                    ],
                    ..stat(
                        10,
                        "Failures per hour",
                        "Authentication and connection failures in the last hour.",
                        "short",
                    )
                },
                Spec {
                    viz: Viz::Line,
                    width: 12,
                    targets: vec![(
                        format!(
                    "histogram_quantile(0.9, sum by (le, name) (rate({}[$__rate_interval])))",
                    sel(&names::SYNC_DURATION, "_bucket")
                ),
                        BY_BAND,
                    )],
                    ..stat(
                        11,
                        "Sync duration (90th percentile)",
                        "How long complete band syncs take.",
                        "s",
                    )
                },
                Spec {
                    thresholds: UP_DOWN,
                    mappings: &[("0", "Down: journaling"), ("1", "Up")],
                    targets: vec![(sel(&names::DATABASE_UP, ""), "PostgreSQL")],
                    ..stat(
                        12,
                        "Database",
                        "Whether PostgreSQL answers (probed every 2 s and on every write).",
                        "none",
                    )
                },
                Spec {
                    thresholds: &[(None, "green"), (Some(1.0), "orange")],
                    targets: vec![(sel(&names::JOURNAL_BACKLOG, ""), "Backlog")],
                    ..stat(
                        13,
                        "Journal backlog",
                        "Records waiting in the local journal for PostgreSQL.",
                        "short",
                    )
                },
                Spec {
                    thresholds: &[(None, "green"), (Some(1.0), "red")],
                    targets: vec![
                        (sel(&names::JOURNAL_DAMAGED_BYTES, ""), "Damaged bytes"),
                        (
                            sel(&names::JOURNAL_CHECKPOINT_FAILURES, ""),
                            "Checkpoint failures",
                        ),
                        (
                            sel(&names::JOURNAL_WRITE_FAILURES, ""),
                            "Refused readings",
                        ),
                    ],
                    ..stat(
                        14,
                        "Journal trouble",
                        "Since the collector started: damaged journal bytes quarantined, checkpoint saves that failed, and readings neither PostgreSQL nor the journal could take (not acknowledged: the band keeps them). All 0 when healthy.",
                        "short",
                    )
                },
            ],
        ),
    ]
}

fn view(s: Spec, ds: &DsRef) -> PanelView {
    let instant = matches!(s.viz, Viz::Stat | Viz::Gauge);
    PanelView {
        id: s.id,
        title: s.title.into(),
        description: s.description.into(),
        viz: s.viz,
        grid: GridPos {
            x: 0,
            y: 0,
            w: s.width,
            h: 0,
        },
        datasource: ds.clone(),
        targets: s
            .targets
            .into_iter()
            .enumerate()
            .map(|(i, (expr, legend))| Target::Prom {
                ref_id: ref_id(i),
                expr,
                legend: legend.into(),
                instant,
            })
            .collect(),
        unit: s.unit.into(),
        decimals: None,
        min: s.range.0,
        max: s.range.1,
        thresholds: s.thresholds.to_vec(),
        mappings: s
            .mappings
            .iter()
            .map(|(v, t)| (v.to_string(), t.to_string()))
            .collect(),
        fields: String::new(),
        interval: None,
    }
}

/// The overview's model.
pub fn model() -> DashboardView {
    let ds = DsRef {
        kind: PROMETHEUS_TYPE,
        uid: uid::PROMETHEUS_DATASOURCE_UID.into(),
    };
    let rows = rows()
        .into_iter()
        .map(|(id, title, specs)| {
            (
                RowView {
                    id,
                    title: title.into(),
                    grid: GridPos {
                        x: 0,
                        y: 0,
                        w: 24,
                        h: 1,
                    },
                },
                specs.into_iter().map(|s| view(s, &ds)).collect(),
            )
        })
        .collect();
    DashboardView {
        uid: uid::OVERVIEW_UID.into(),
        title: "Mi Band Overview".into(),
        description: "Live values of every band from the collector's Prometheus endpoint. Provisioned by miband-grafana -u: edits here are overwritten.".into(),
        tags: vec![TAG.into()],
        from: "now-6h".into(),
        refresh: "1m".into(),
        variables: vec![VariableView {
            name: BAND_VARIABLE.into(),
            label: "Band".into(),
            datasource: ds,
            query: format!("label_values({}, name)", names::UP.name),
        }],
        items: flow(rows, 6),
    }
}

/// The overview dashboard JSON.
pub fn render() -> Result<String, askama::Error> {
    askama::Template::render(&model())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::dashboard_model::Item;

    #[test]
    fn every_metric_but_build_info_is_shown() {
        let exprs: Vec<String> = model()
            .items
            .into_iter()
            .filter_map(|i| match i {
                Item::Panel(p) => Some(p.targets),
                Item::Row(_) => None,
            })
            .flatten()
            .map(|t| match t {
                Target::Prom { expr, .. } => expr,
                Target::Sql { .. } => panic!("overview is Prometheus only"),
            })
            .collect();
        for m in names::ALL
            .iter()
            .filter(|m| m.name != names::BUILD_INFO.name)
        {
            assert!(
                exprs.iter().any(|e| e.contains(m.name)),
                "{} not shown",
                m.name
            );
        }
        for e in &exprs {
            assert!(
                !e.contains("{name=~") || e.contains("{name=~\"$band\"}"),
                "{e}"
            );
        }
    }
}
