//! One dashboard per band, from the panel table ([`super::panels`]) and the naming contract
//! ([`super::uid`]), rendered by `templates/dashboard.json`.

use super::bands::Band;
use super::dashboard_model::{
    flow, ref_id, DashboardView, DsRef, GridPos, PanelView, RowView, Target,
};
use super::datasource::POSTGRES_TYPE;
use super::panels::{self, PanelSpec};
use super::uid;
use super::zone::Zone;

/// Tag shared by every dashboard we provision (the dashboards link each other through it).
pub const TAG: &str = "miband";

fn panel_view(spec: &PanelSpec, band: &Band, zone: &Zone, ds: &DsRef) -> PanelView {
    PanelView {
        id: spec.id,
        title: spec.title.to_string(),
        description: format!("Panel {}: {}.", spec.id, spec.meaning),
        viz: spec.viz,
        grid: GridPos {
            x: 0,
            y: 0,
            w: spec.width,
            h: 0,
        },
        datasource: ds.clone(),
        targets: spec
            .queries
            .iter()
            .enumerate()
            .map(|(i, (format, sql))| Target::Sql {
                ref_id: ref_id(i),
                format: format.as_str(),
                sql: panels::sql_for(sql, band.id, zone),
            })
            .collect(),
        unit: spec.unit.to_string(),
        decimals: spec.decimals,
        min: spec.min,
        max: spec.max,
        thresholds: spec.thresholds.to_vec(),
        mappings: spec
            .mappings
            .iter()
            .map(|(v, t)| (v.to_string(), t.to_string()))
            .collect(),
        fields: spec.fields.to_string(),
        // The history has one row a minute; finer intervals only repeat it.
        interval: Some("1m"),
    }
}

/// The dashboard model of one band; days start at midnight in `zone`.
pub fn model(band: &Band, zone: &Zone) -> DashboardView {
    let ds = DsRef {
        kind: POSTGRES_TYPE,
        uid: uid::postgres_datasource_uid(),
    };
    let rows = panels::ROWS
        .iter()
        .map(|row| {
            (
                RowView {
                    id: row.id,
                    title: row.title.to_string(),
                    grid: GridPos {
                        x: 0,
                        y: 0,
                        w: 24,
                        h: 1,
                    },
                },
                row.panels
                    .iter()
                    .map(|p| panel_view(p, band, zone, &ds))
                    .collect(),
            )
        })
        .collect();
    let name = band
        .name
        .as_deref()
        .map(|n| format!(" \u{201c}{n}\u{201d}"))
        .unwrap_or_default();
    DashboardView {
        uid: uid::dashboard_uid(band.id),
        title: uid::dashboard_title(band.id),
        description: format!(
            "Mi Band {}{name}, user {} of the miband-dc database. Provisioned by miband-grafana -u: edits here are overwritten.",
            band.mac, band.id
        ),
        tags: vec![TAG.into()],
        from: "now-7d".into(),
        refresh: "5m".into(),
        variables: vec![],
        items: flow(rows, 8),
    }
}

/// The dashboard JSON of one band.
pub fn render(band: &Band, zone: &Zone) -> Result<String, askama::Error> {
    askama::Template::render(&model(band, zone))
}
