//! The render model of a Grafana dashboard, which `templates/dashboard.json` (and its panel
//! partial `templates/panel.json`) turn into Grafana's JSON model (docs/compatibility.md §4.3).
//! Band dashboards ([`super::dashboard`]) and the overview ([`super::overview`]) both fill it in.

use super::panels::{Step, Viz};
use askama::Template;

/// The JSON `schemaVersion` we emit: Grafana 10.3 to 11.x write 39 and every later Grafana
/// migrates it on load, so the files work from 10.3 (needed for the datasource type id) on.
pub const SCHEMA_VERSION: u32 = 39;

/// A datasource reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsRef {
    /// Plugin type id.
    pub kind: &'static str,
    /// Datasource UID.
    pub uid: String,
}

/// A panel's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Raw SQL with Grafana macros.
    Sql {
        /// `A`, `B`, ...
        ref_id: String,
        /// `time_series` or `table`.
        format: &'static str,
        /// The query.
        sql: String,
    },
    /// PromQL with dashboard variables.
    Prom {
        /// `A`, `B`, ...
        ref_id: String,
        /// The expression.
        expr: String,
        /// Legend (`{{label}}` placeholders).
        legend: String,
        /// Instant query (for stats) rather than a range.
        instant: bool,
    },
}

/// Panel position on Grafana's 24-column grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridPos {
    /// Column.
    pub x: u32,
    /// Row (in 30 px units).
    pub y: u32,
    /// Width in columns.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// One visualisation.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelView {
    /// Panel id.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Description (hover text).
    pub description: String,
    /// How it draws.
    pub viz: Viz,
    /// Position.
    pub grid: GridPos,
    /// Datasource of all targets.
    pub datasource: DsRef,
    /// Queries.
    pub targets: Vec<Target>,
    /// Unit id.
    pub unit: String,
    /// Fixed decimals.
    pub decimals: Option<u32>,
    /// Minimum.
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
    /// Threshold steps; the first has no value.
    pub thresholds: Vec<Step>,
    /// Value → text.
    pub mappings: Vec<(String, String)>,
    /// Reduce field selection.
    pub fields: String,
    /// Lower bound of `$__interval`.
    pub interval: Option<&'static str>,
}

impl PanelView {
    /// Colour mode: series get palette colours, single values their threshold colour.
    pub fn color_mode(&self) -> &'static str {
        match self.viz {
            Viz::Stat | Viz::Gauge => "thresholds",
            _ => "palette-classic",
        }
    }
}

/// A row header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView {
    /// Row id.
    pub id: u32,
    /// Title.
    pub title: String,
    /// Position (full width, height 1).
    pub grid: GridPos,
}

/// What the dashboard's `panels` list holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An expanded row header; its panels follow it.
    Row(RowView),
    /// A panel.
    Panel(Box<PanelView>),
}

/// A query variable (Prometheus `label_values`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableView {
    /// Name used as `$name`.
    pub name: String,
    /// Label shown.
    pub label: String,
    /// Where it queries.
    pub datasource: DsRef,
    /// The variable query.
    pub query: String,
}

/// A whole dashboard.
#[derive(Debug, Clone, PartialEq, Template)]
#[template(path = "dashboard.json")]
pub struct DashboardView {
    /// UID.
    pub uid: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags (the first links the miband dashboards together).
    pub tags: Vec<String>,
    /// Default range start, e.g. `now-7d`.
    pub from: String,
    /// Auto refresh.
    pub refresh: String,
    /// Variables.
    pub variables: Vec<VariableView>,
    /// Rows and panels in order.
    pub items: Vec<Item>,
}

/// Flows panels left to right in rows of 24 columns, `height` units tall, each row headed by
/// a row item; returns the items and the next free `y`.
pub fn flow(rows: Vec<(RowView, Vec<PanelView>)>, height: u32) -> Vec<Item> {
    let mut items = Vec::new();
    let mut y = 0;
    for (mut row, panels) in rows {
        row.grid = GridPos {
            x: 0,
            y,
            w: 24,
            h: 1,
        };
        items.push(Item::Row(row));
        y += 1;
        let mut x = 0;
        for mut p in panels {
            if x + p.grid.w > 24 {
                x = 0;
                y += height;
            }
            p.grid = GridPos {
                x,
                y,
                w: p.grid.w,
                h: height,
            };
            x += p.grid.w;
            items.push(Item::Panel(Box::new(p)));
        }
        y += height;
    }
    items
}

/// Letters for target refIds.
pub fn ref_id(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}
