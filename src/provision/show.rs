//! `-s`: what is provisioned (from the manifest, no database needed), each dashboard's title,
//! slug, UID and URL, the panel-ID table, and ready-to-paste MagicMirror config with the
//! `d-solo` URL of every panel. Rendered by `templates/show.txt`. No secret is ever shown.

use super::conf::Config;
use super::error::Error;
use super::mirror::{self, Form};
use super::panels;
use super::paths::Layout;
use super::uid;
use super::update::{embedding_status, load_manifest};
use crate::store::band_id;
use askama::Template;

/// Options of `-s`.
#[derive(Debug, Clone, Default)]
pub struct ShowOptions {
    /// Also print the older module's `dash_id`/`dash_name` form.
    pub legacy: bool,
    /// Panels for the mirror entries (empty: 11, 12, 31, 41).
    pub panels: Vec<u32>,
    /// The collector's devices.csv (host path); `None`: the default one under the root.
    pub devices: Option<std::path::PathBuf>,
}

/// Where devices.csv's ids and the dashboards' User N disagree (see
/// [`crate::store::band_id::disagreements`]); nothing when devices.csv cannot be read.
fn mapping_warnings(
    layout: &Layout,
    opts: &ShowOptions,
    bands: &[super::bands::Band],
) -> Vec<String> {
    let path = opts
        .devices
        .clone()
        .unwrap_or_else(|| layout.host(std::path::Path::new("/etc/miband-dc/devices.csv")));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let parsed = crate::config::parse_devices_text(&path, &text, false);
    let devices: Vec<(crate::mac::Mac, String)> = parsed
        .devices
        .iter()
        .map(|d| (d.mac, d.id.clone()))
        .collect();
    let mapping: Vec<band_id::MappedBand> = bands
        .iter()
        .filter_map(|b| {
            Some(band_id::MappedBand {
                id: band_id::BandId::new(b.id)?,
                mac: b.mac.clone(),
                name: b.name.clone(),
            })
        })
        .collect();
    band_id::disagreements(&devices, &mapping)
}

/// One dashboard.
#[derive(Debug)]
pub struct DashboardLine {
    /// "User 1 (MAC, name)".
    pub label: String,
    /// Title.
    pub title: String,
    /// Slug (`name` for the mirror).
    pub slug: String,
    /// UID.
    pub uid: String,
    /// Where to open it.
    pub url: String,
    /// `d-solo` URL of every panel: (id, title, url).
    pub panel_urls: Vec<(u32, &'static str, String)>,
}

/// Template context of `show.txt`.
#[derive(Debug, Template)]
#[template(path = "show.txt")]
pub struct ShowReport {
    /// A note about missing configuration.
    pub config_note: Option<String>,
    /// Nothing provisioned yet.
    pub nothing: bool,
    /// (system path, present on disk).
    pub files: Vec<(String, bool)>,
    /// Per band.
    pub dashboards: Vec<DashboardLine>,
    /// The overview's URL.
    pub overview_url: String,
    /// (id, title, meaning).
    pub panels: Vec<(u32, String, &'static str)>,
    /// Panel ids the mirror entries embed.
    pub mirror_panels: String,
    /// `id`/`name` entries.
    pub mirror_id_name: String,
    /// `user: N` entries.
    pub mirror_user: String,
    /// `dash_id`/`dash_name` entries, if asked for.
    pub mirror_legacy: Option<String>,
    /// The mirror cannot express the configured URL.
    pub mirror_warning: Option<String>,
    /// Where devices.csv and the database number bands differently.
    pub mapping_warnings: Vec<String>,
    /// Embedding status line.
    pub embedding: String,
    /// Where the embedding settings were written.
    pub embedding_file: String,
}

/// Panels a mirror shows unless told otherwise: steps, steps today, heart rate, battery.
pub const DEFAULT_MIRROR_PANELS: [u32; 4] = [11, 12, 31, 41];

/// Builds the `-s` report. `config` is `None` when there is no configuration file yet.
pub fn show(config: Option<&Config>, layout: &Layout, opts: &ShowOptions) -> Result<String, Error> {
    let manifest = load_manifest(layout)?;
    let (public_url, org_id) = config.map_or(("http://localhost:3000", 1), |c| {
        (c.public_url.as_str(), c.org_id)
    });
    let config_note = config.is_none().then(|| {
        format!(
            "No configuration at {}: URLs assume {public_url} and organisation 1.",
            layout.config_file().display()
        )
    });
    let bands = manifest
        .as_ref()
        .map(|m| m.bands.clone())
        .unwrap_or_default();
    let files = manifest
        .as_ref()
        .map(|m| {
            m.files
                .iter()
                .map(|p| (p.display().to_string(), layout.host(p).exists()))
                .collect()
        })
        .unwrap_or_default();
    let dashboards = bands
        .iter()
        .map(|b| DashboardLine {
            label: b.label(),
            title: uid::dashboard_title(b.id),
            slug: uid::dashboard_slug(b.id),
            uid: uid::dashboard_uid(b.id),
            url: format!(
                "{public_url}/d/{}/{}?orgId={org_id}",
                uid::dashboard_uid(b.id),
                uid::dashboard_slug(b.id)
            ),
            panel_urls: panels::all()
                .map(|p| {
                    (
                        p.id,
                        p.title,
                        mirror::dsolo_url(public_url, org_id, b.id, p.id),
                    )
                })
                .collect(),
        })
        .collect();
    let mirror_panels: Vec<u32> = if opts.panels.is_empty() {
        DEFAULT_MIRROR_PANELS.to_vec()
    } else {
        opts.panels.clone()
    };
    let snippet = |form| {
        mirror::render(&bands, form, public_url, org_id, &mirror_panels)
            .map(|s| s.trim_start().to_string())
            .map_err(Error::render("the MagicMirror entries"))
    };
    let mapping_warnings = mapping_warnings(layout, opts, &bands);
    let embedding = match embedding_status(layout) {
        None => format!("{} not found", layout.grafana_ini().display()),
        Some(s) if s.ready() => format!("{} allows it", layout.grafana_ini().display()),
        Some(_) => format!("{} does not allow it yet", layout.grafana_ini().display()),
    };
    ShowReport {
        config_note,
        nothing: manifest.is_none(),
        files,
        dashboards,
        overview_url: format!(
            "{public_url}/d/{}/{}?orgId={org_id}",
            uid::OVERVIEW_UID,
            uid::slugify("Mi Band Overview")
        ),
        panels: panels::all()
            .map(|p| (p.id, format!("{:<20}", p.title), p.meaning))
            .collect(),
        mirror_panels: mirror_panels
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        mirror_id_name: snippet(Form::IdName)?,
        mirror_user: snippet(Form::User)?,
        mirror_legacy: if opts.legacy {
            Some(snippet(Form::Legacy)?)
        } else {
            None
        },
        mirror_warning: mirror::endpoint(public_url).warning,
        mapping_warnings,
        embedding,
        embedding_file: layout.embedding_file().display().to_string(),
    }
    .render()
    .map(|s| s.trim().to_string())
    .map_err(Error::render("the report"))
}
