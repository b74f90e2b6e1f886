//! THE panel table of the band dashboards: which ID shows what.
//!
//! MagicMirror configs embed these IDs (`panels: [11, 31]`), so they are ARCO's, with ARCO's
//! meanings; the tens digit is the row (docs/compatibility.md §2.5). Everything else about a panel
//! — type, unit, thresholds, query — is ours and may improve; the IDs and titles may not change.

use super::panel_sql as sql;
use super::zone::Zone;

/// How a panel draws its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viz {
    /// Time series drawn as bars (one per day); `stacked` piles the series up.
    Bars {
        /// Stack the series.
        stacked: bool,
    },
    /// Time series drawn as a line.
    Line,
    /// Time series of states drawn as steps.
    Steps,
    /// Big numbers.
    Stat,
    /// A gauge.
    Gauge,
    /// A pie chart of a table's rows.
    Pie,
}

impl Viz {
    /// Grafana's panel plugin id.
    pub fn panel_type(self) -> &'static str {
        match self {
            Viz::Bars { .. } | Viz::Line | Viz::Steps => "timeseries",
            Viz::Stat => "stat",
            Viz::Gauge => "gauge",
            Viz::Pie => "piechart",
        }
    }
}

/// Grafana's result format for a SQL query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Needs a `time` column, ordered by it.
    TimeSeries,
    /// Any columns.
    Table,
}

impl Format {
    /// The value of the target's `format` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TimeSeries => "time_series",
            Format::Table => "table",
        }
    }
}

/// A threshold step: from `value` (None = minus infinity) on, use `color`.
pub type Step = (Option<f64>, &'static str);

/// One panel.
#[derive(Debug, Clone, Copy)]
pub struct PanelSpec {
    /// The ID mirrors embed.
    pub id: u32,
    /// Panel title.
    pub title: &'static str,
    /// What it shows, for `-s` and the panel's description.
    pub meaning: &'static str,
    /// Panel type.
    pub viz: Viz,
    /// Grafana unit id.
    pub unit: &'static str,
    /// Fixed decimals.
    pub decimals: Option<u32>,
    /// Axis/gauge minimum.
    pub min: Option<f64>,
    /// Axis/gauge maximum.
    pub max: Option<f64>,
    /// Threshold colours.
    pub thresholds: &'static [Step],
    /// Value → text mappings.
    pub mappings: &'static [(&'static str, &'static str)],
    /// Stat/gauge/pie field selection: "" numeric fields, "/.*/" text fields too.
    pub fields: &'static str,
    /// Grid width (of 24).
    pub width: u32,
    /// Queries (refId A, B, ... in order) with `{dev_id}` placeholders.
    pub queries: &'static [(Format, &'static str)],
}

/// A row of panels; its ID is the panels' tens digit times ten.
#[derive(Debug, Clone, Copy)]
pub struct RowSpec {
    /// Row id (10, 20, ...).
    pub id: u32,
    /// Row title.
    pub title: &'static str,
    /// Its panels, left to right.
    pub panels: &'static [PanelSpec],
}

const GREEN: &[Step] = &[(None, "green")];
const BLUE: &[Step] = &[(None, "blue")];

const BASE: PanelSpec = PanelSpec {
    id: 0,
    title: "",
    meaning: "",
    viz: Viz::Stat,
    unit: "none",
    decimals: None,
    min: None,
    max: None,
    thresholds: GREEN,
    mappings: &[],
    fields: "",
    width: 12,
    queries: &[],
};

/// The dashboard, row by row.
pub const ROWS: &[RowSpec] = &[
    RowSpec {
        id: 10,
        title: "Steps",
        panels: &[
            PanelSpec {
                id: 11,
                title: "Steps per day",
                meaning: "steps of each day in the range (days without steps left out)",
                viz: Viz::Bars { stacked: false },
                unit: "suffix:steps",
                decimals: Some(0),
                min: Some(0.0),
                queries: &[(Format::TimeSeries, sql::STEPS_PER_DAY)],
                ..BASE
            },
            PanelSpec {
                id: 12,
                title: "Steps today",
                meaning: "steps so far today, against 10,000",
                viz: Viz::Gauge,
                unit: "suffix:steps",
                decimals: Some(0),
                min: Some(0.0),
                max: Some(10000.0),
                thresholds: &[
                    (None, "red"),
                    (Some(5000.0), "orange"),
                    (Some(7000.0), "yellow"),
                    (Some(8000.0), "green"),
                ],
                width: 6,
                queries: &[(Format::Table, sql::STEPS_TODAY)],
                ..BASE
            },
            PanelSpec {
                id: 13,
                title: "Best steps",
                meaning: "most steps in one day within the range",
                unit: "suffix:steps",
                decimals: Some(0),
                width: 6,
                queries: &[(Format::Table, sql::BEST_STEPS)],
                ..BASE
            },
        ],
    },
    RowSpec {
        id: 20,
        title: "Calories",
        panels: &[
            PanelSpec {
                id: 21,
                title: "Calories per day",
                meaning: "kilocalories burnt each day in the range",
                viz: Viz::Bars { stacked: false },
                unit: "suffix:kcal",
                decimals: Some(0),
                min: Some(0.0),
                thresholds: BLUE,
                queries: &[(Format::TimeSeries, sql::CALORIES_PER_DAY)],
                ..BASE
            },
            PanelSpec {
                id: 22,
                title: "Calories today",
                meaning: "kilocalories burnt so far today",
                viz: Viz::Gauge,
                unit: "suffix:kcal",
                decimals: Some(0),
                min: Some(0.0),
                max: Some(800.0),
                thresholds: BLUE,
                queries: &[(Format::Table, sql::CALORIES_TODAY)],
                ..BASE
            },
        ],
    },
    RowSpec {
        id: 30,
        title: "Heart rate",
        panels: &[
            PanelSpec {
                id: 31,
                title: "Heart rate",
                meaning: "heart rate from the per-minute history and on-demand measurements",
                viz: Viz::Line,
                unit: "suffix:bpm",
                decimals: Some(0),
                thresholds: &[(None, "red")],
                queries: &[
                    (Format::TimeSeries, sql::HEART_RATE),
                    (Format::TimeSeries, sql::HEART_RATE_MEASURED),
                ],
                ..BASE
            },
            PanelSpec {
                id: 32,
                title: "Heart rate today",
                meaning: "today's current, average, lowest and highest heart rate",
                unit: "suffix:bpm",
                decimals: Some(0),
                thresholds: &[(None, "red")],
                queries: &[(Format::Table, sql::HEART_RATE_TODAY)],
                ..BASE
            },
        ],
    },
    RowSpec {
        id: 40,
        title: "General",
        panels: &[PanelSpec {
            id: 41,
            title: "Battery",
            meaning: "latest battery level and whether the band is charging",
            unit: "percent",
            decimals: Some(0),
            thresholds: &[(None, "red"), (Some(20.0), "orange"), (Some(50.0), "green")],
            fields: "/.*/",
            queries: &[(Format::Table, sql::BATTERY)],
            ..BASE
        }],
    },
    RowSpec {
        id: 50,
        title: "Sleep",
        panels: &[
            PanelSpec {
                id: 51,
                title: "Sleep time",
                meaning: "when the band saw sleep: 0 awake, 1 light sleep, 2 deep sleep",
                viz: Viz::Steps,
                decimals: Some(0),
                min: Some(0.0),
                max: Some(2.0),
                thresholds: &[(None, "purple")],
                mappings: &[("0", "Awake"), ("1", "Light sleep"), ("2", "Deep sleep")],
                width: 8,
                queries: &[(Format::TimeSeries, sql::SLEEP_TIME)],
                ..BASE
            },
            PanelSpec {
                id: 52,
                title: "Sleep hours per day",
                meaning: "hours of deep and light sleep per night, on the day the night ends",
                viz: Viz::Bars { stacked: true },
                unit: "h",
                decimals: Some(1),
                min: Some(0.0),
                thresholds: &[(None, "purple")],
                width: 8,
                queries: &[(Format::TimeSeries, sql::SLEEP_PER_DAY)],
                ..BASE
            },
            PanelSpec {
                id: 53,
                title: "Last night sleep",
                meaning: "total, deep and light hours of the last night",
                unit: "h",
                decimals: Some(1),
                thresholds: &[(None, "purple")],
                width: 8,
                queries: &[(Format::Table, sql::LAST_NIGHT)],
                ..BASE
            },
        ],
    },
    RowSpec {
        id: 60,
        title: "Activities",
        panels: &[PanelSpec {
            id: 61,
            title: "Activities today",
            meaning: "minutes of each activity kind today",
            viz: Viz::Pie,
            unit: "m",
            decimals: Some(0),
            queries: &[(Format::Table, sql::ACTIVITIES_TODAY)],
            ..BASE
        }],
    },
];

/// Every panel, in table order.
pub fn all() -> impl Iterator<Item = &'static PanelSpec> {
    ROWS.iter().flat_map(|r| r.panels.iter())
}

/// The panel with this ID.
pub fn find(id: u32) -> Option<&'static PanelSpec> {
    all().find(|p| p.id == id)
}

/// A query with the band's id in place of `{dev_id}` and the household's zone in place of
/// `{tz}`.
pub fn sql_for(query: &str, dev_id: i32, zone: &Zone) -> String {
    query
        .replace("{dev_id}", &dev_id.to_string())
        .replace("{tz}", &zone.sql_literal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_titles_are_arcos() {
        let table: Vec<(u32, &str)> = all().map(|p| (p.id, p.title)).collect();
        assert_eq!(
            table,
            [
                (11, "Steps per day"),
                (12, "Steps today"),
                (13, "Best steps"),
                (21, "Calories per day"),
                (22, "Calories today"),
                (31, "Heart rate"),
                (32, "Heart rate today"),
                (41, "Battery"),
                (51, "Sleep time"),
                (52, "Sleep hours per day"),
                (53, "Last night sleep"),
                (61, "Activities today"),
            ]
        );
    }

    #[test]
    fn tens_digit_is_the_row() {
        for row in ROWS {
            assert_eq!(row.id % 10, 0);
            for p in row.panels {
                assert_eq!(p.id / 10 * 10, row.id, "{}", p.id);
            }
        }
    }

    #[test]
    fn panels_are_complete() {
        for p in all() {
            assert!(!p.queries.is_empty(), "{}", p.id);
            assert!((1..=24).contains(&p.width), "{}", p.id);
            assert!(!p.meaning.is_empty(), "{}", p.id);
            assert!(p.thresholds.first().is_some_and(|t| t.0.is_none()));
            for (format, q) in p.queries {
                assert!(
                    q.contains("dev_id = {dev_id}"),
                    "{}: every query is per band",
                    p.id
                );
                if *format == Format::TimeSeries {
                    assert!(q.contains("\"time\"") || q.contains("$__time"), "{}", p.id);
                }
                let sql = sql_for(q, 3, &Zone::utc());
                assert!(!sql.contains("{dev_id}") && !sql.contains("{tz}"));
            }
        }
    }

    #[test]
    fn days_are_the_households_not_utcs() {
        for id in [11, 12, 13, 21, 22, 32, 52, 61] {
            for (_, q) in find(id).unwrap().queries {
                assert!(q.contains("AT TIME ZONE {tz}"), "{id}");
                assert!(!q.contains("$__timeGroup"), "{id}");
                assert!(!q.contains("date_trunc('day', ts)"), "{id}");
            }
        }
        // Steps per day come from the per-minute history (with the live total).
        for id in [11, 12, 13] {
            let q = find(id).unwrap().queries[0].1;
            assert!(
                q.contains("FROM activityrecord") && q.contains("FROM steprecord"),
                "{id}"
            );
        }
    }

    #[test]
    fn heart_rate_excludes_no_reading() {
        for id in [31, 32] {
            for (_, q) in find(id).unwrap().queries {
                assert!(q.contains("BETWEEN 1 AND 254"), "{id}");
            }
        }
    }

    #[test]
    fn sleep_comes_from_kind_codes_not_the_clock() {
        for id in [51, 52, 53] {
            let q = find(id).unwrap().queries[0].1;
            assert!(q.contains("category & 15"), "{id}");
            assert!(!q.contains("23:00") && !q.contains("extract(hour"), "{id}");
        }
    }
}
