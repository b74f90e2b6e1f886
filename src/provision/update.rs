//! `-u`: check the database as Grafana's user, read the bands, write every file that changed,
//! remove what a previous run wrote and this one does not, and make Grafana load the result.

use super::bands::{self, Band};
use super::conf::Config;
use super::db;
use super::embedding::{self, EmbeddingStatus};
use super::error::Error;
use super::files::{self, Outcome};
use super::manifest::{self, Manifest};
use super::paths::Layout;
use super::plan::{plan, PlannedFile};
use super::reload::{self, Provisioning, ReloadError};
use std::path::{Path, PathBuf};

/// What writing the planned files did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Each planned file (system path) and whether it was written.
    pub files: Vec<(PathBuf, Outcome)>,
    /// Files of an earlier run no longer planned, now removed (system paths).
    pub removed: Vec<PathBuf>,
}

impl Applied {
    fn changed(&self, path: &Path) -> bool {
        self.files
            .iter()
            .any(|(p, o)| p == path && *o == Outcome::Written)
    }
}

/// Everything `-u` did, for the report.
#[derive(Debug)]
pub struct UpdateReport {
    /// `user@host:port/db`.
    pub target: String,
    /// Ways the user is more than read-only.
    pub write_warnings: Vec<String>,
    /// The bands found.
    pub bands: Vec<Band>,
    /// Files.
    pub applied: Applied,
    /// Reloads done and Grafana's answers.
    pub reloaded: Vec<(Provisioning, String)>,
    /// A reload that failed.
    pub reload_error: Option<ReloadError>,
    /// What needs reloading when no GRAFANA_URL is configured.
    pub needs_reload: Vec<Provisioning>,
    /// grafana.ini's embedding settings, if grafana.ini was found.
    pub embedding: Option<EmbeddingStatus>,
}

/// A runtime for the database calls of a command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("tokio runtime"))
}

/// Runs `-u`.
pub fn update(config: &Config, layout: &Layout) -> Result<UpdateReport, Error> {
    let target = db::target(&config.db);
    let database = |source| Error::Database {
        target: target.clone(),
        source,
    };
    tracing::debug!(%target, "connecting as Grafana's database user");
    let (bands, write_warnings) = runtime()?.block_on(async {
        let client = db::connect(config).await?;
        let warnings = db::write_privileges(&client).await.map_err(database)?;
        let bands = bands::read(&client).await.map_err(database)?;
        Ok::<_, Error>((bands, warnings))
    })?;
    let planned = plan(config, layout, &bands)?;
    let applied = apply(layout, &planned, &bands)?;
    let mut wanted = Vec::new();
    if applied.changed(&layout.datasource_file()) {
        wanted.push(Provisioning::Datasources);
    }
    let dashboards_changed = applied.files.iter().any(|(p, o)| {
        *o == Outcome::Written
            && (p.starts_with(layout.dashboards_dir()) || *p == layout.provider_file())
    });
    if dashboards_changed || !applied.removed.is_empty() {
        wanted.push(Provisioning::Dashboards);
    }
    let (reloaded, reload_error, needs_reload) = match &config.admin {
        Some(_) => {
            let (done, err) = reload_all(config, &wanted);
            (done, err, vec![])
        }
        None => (vec![], None, wanted),
    };
    Ok(UpdateReport {
        target,
        write_warnings,
        bands,
        applied,
        reloaded,
        reload_error,
        needs_reload,
        embedding: embedding_status(layout),
    })
}

/// grafana.ini's embedding settings, `None` when there is no grafana.ini.
pub fn embedding_status(layout: &Layout) -> Option<EmbeddingStatus> {
    std::fs::read_to_string(layout.host(&layout.grafana_ini()))
        .ok()
        .map(|t| embedding::check(&t))
}

/// Reloads `what` in order, stopping at the first failure.
pub fn reload_all(
    config: &Config,
    what: &[Provisioning],
) -> (Vec<(Provisioning, String)>, Option<ReloadError>) {
    let mut done = Vec::new();
    let Some(admin) = &config.admin else {
        return (done, None);
    };
    let password = match admin.password.resolve() {
        Ok(p) => p,
        Err(detail) => {
            return (
                done,
                Some(ReloadError::Credentials {
                    url: admin.url.clone(),
                    detail,
                }),
            )
        }
    };
    for w in what {
        match reload::reload(admin, &password, *w) {
            Ok(message) => done.push((*w, message)),
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

/// Reads the manifest, if there is one.
pub fn load_manifest(layout: &Layout) -> Result<Option<Manifest>, Error> {
    let path = layout.host(&layout.manifest_file());
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text)
            .map(Some)
            .map_err(|source| Error::Manifest { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Writes `planned`, removes files only an earlier run wrote, and records the result.
pub fn apply(layout: &Layout, planned: &[PlannedFile], bands: &[Band]) -> Result<Applied, Error> {
    let old = load_manifest(layout)?.unwrap_or_default();
    let gid = files::group_id(layout.root(), "grafana");
    let mut created = Vec::new();
    let mut applied = Applied::default();
    for f in planned {
        let host = layout.host(&f.path);
        let outcome = files::write_atomic(
            &host,
            f.contents.as_bytes(),
            f.mode,
            gid.filter(|_| f.secret),
            &mut created,
        )
        .map_err(Error::io(&host))?;
        tracing::debug!(path = %host.display(), ?outcome, "provisioning file");
        applied.files.push((f.path.clone(), outcome));
    }
    for stale in old
        .files
        .iter()
        .filter(|p| !planned.iter().any(|f| &f.path == *p))
    {
        let host = layout.host(stale);
        if files::remove(&host).map_err(Error::io(&host))? {
            applied.removed.push(stale.clone());
        }
    }
    let mut created_dirs = old.created_dirs;
    for d in created {
        let d = layout.system(&d);
        if !created_dirs.contains(&d) {
            created_dirs.push(d);
        }
    }
    let manifest = Manifest {
        version: manifest::VERSION,
        files: planned.iter().map(|f| f.path.clone()).collect(),
        created_dirs,
        bands: bands.to_vec(),
    };
    let path = layout.host(&layout.manifest_file());
    let mut created = Vec::new();
    files::write_atomic(
        &path,
        manifest.to_json().as_bytes(),
        0o644,
        None,
        &mut created,
    )
    .map_err(Error::io(&path))?;
    if !created.is_empty() {
        // The state directory itself: record it too so -r can remove it.
        let mut m = manifest;
        m.created_dirs
            .extend(created.iter().map(|d| layout.system(d)));
        files::write_atomic(&path, m.to_json().as_bytes(), 0o644, None, &mut Vec::new())
            .map_err(Error::io(&path))?;
    }
    Ok(applied)
}
