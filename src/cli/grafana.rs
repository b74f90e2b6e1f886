//! `miband grafana` and the `miband-grafana` binary (ARCO's flags `-u -s -r -e -v -q -h`; no
//! action means `-s`). Only argument handling and printing live here: the work is in
//! [`crate::provision`].

use crate::provision::conf::{self, Config};
use crate::provision::files::Outcome;
use crate::provision::paths::{defaults, Layout};
use crate::provision::reload::Provisioning;
use crate::provision::{edit, grant, panels, reset, show, update, Error};
use std::io::Write;
use std::path::PathBuf;

/// Prints a line to stdout; a closed pipe (`miband-grafana -s | head`) is not an error.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Arguments of `miband grafana` / `miband-grafana`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("action").args(["update", "show", "reset", "edit", "grant"])))]
pub struct Args {
    /// Check the database, write the datasources and one dashboard per band, make Grafana load them.
    #[arg(short, long)]
    pub update: bool,
    /// Show the provisioned files, dashboards, panel IDs and MagicMirror config (the default).
    #[arg(short, long)]
    pub show: bool,
    /// Remove everything -u wrote.
    #[arg(short, long)]
    pub reset: bool,
    /// Edit the configuration with $VISUAL/$EDITOR (else nano, vi), then validate it.
    #[arg(short, long)]
    pub edit: bool,
    /// Create or check Grafana's database role (DBUSER): CONNECT and SELECT only.
    #[arg(long)]
    pub grant: bool,
    /// With --grant: an administrator's connection (libpq key=value or postgres:// URL)
    /// [default: the local socket as user postgres, which needs running as postgres].
    #[arg(long, value_name = "CONNINFO", requires = "grant")]
    pub admin: Option<String>,
    /// More output.
    #[arg(short, long)]
    pub verbose: bool,
    /// Errors and warnings only.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Directory every system path is placed under (packaging, tests).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Configuration file, used as given [default: /etc/miband-grafana/configuration.conf under --root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Grafana's provisioning directory.
    #[arg(long, value_name = "DIR", default_value = defaults::PROVISIONING)]
    pub provisioning_dir: PathBuf,
    /// The directory the dashboard provider loads.
    #[arg(long, value_name = "DIR", default_value = defaults::DASHBOARDS)]
    pub dashboards_dir: PathBuf,
    /// With -s: also print the older MMM-GrafanaEmbed form (dash_id/dash_name).
    #[arg(long)]
    pub legacy_mirror: bool,
    /// With -s: panel IDs for the MagicMirror entries [default: 11,12,31,41].
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub panels: Vec<u32>,
    /// With -s: the collector's devices.csv, to warn where its ids and the database's User N
    /// disagree [default: /etc/miband-dc/devices.csv under --root].
    #[arg(long, value_name = "FILE", env = "MIBAND_DC_DEVICES")]
    pub devices: Option<PathBuf>,
}

/// Runs the subcommand; returns the process exit code (2 for configuration problems).
pub fn run(args: Args) -> anyhow::Result<i32> {
    crate::cli::init_logging(args.verbose, args.quiet);
    let layout = Layout::new(
        args.root.as_deref(),
        args.config.as_deref(),
        Some(&args.provisioning_dir),
        Some(&args.dashboards_dir),
    );
    let result = if args.update {
        cmd_update(&layout, args.quiet)
    } else if args.reset {
        cmd_reset(&layout, args.quiet)
    } else if args.edit {
        cmd_edit(&layout)
    } else if args.grant {
        cmd_grant(&layout, args.admin.as_deref())
    } else {
        cmd_show(&layout, &args)
    };
    Ok(result.unwrap_or_else(|e| {
        eprintln!("miband-grafana: {e}");
        e.exit_code()
    }))
}

/// The configuration, or `None` if the file does not exist (invalid files are errors).
fn optional_config(layout: &Layout) -> Result<Option<Config>, Error> {
    if layout.config_file().exists() {
        conf::load(layout.config_file()).map(Some)
    } else {
        Ok(None)
    }
}

fn cmd_update(layout: &Layout, quiet: bool) -> Result<i32, Error> {
    let config = conf::load(layout.config_file())?;
    let report = update::update(&config, layout)?;
    let say = |s: String| {
        if !quiet {
            out!("{s}");
        }
    };
    say(format!("Database checked: {}", report.target));
    if !report.write_warnings.is_empty() {
        eprintln!(
            "Warning: Grafana's database user should only read, but {}. Fix it with miband-grafana --grant.",
            report.write_warnings.join(", ")
        );
    }
    say(format!("Bands: {}", report.bands.len()));
    for b in &report.bands {
        say(format!("  {}", b.label()));
    }
    say("Files:".into());
    for (path, outcome) in &report.applied.files {
        let what = match outcome {
            Outcome::Written => "written  ",
            Outcome::Unchanged => "unchanged",
        };
        say(format!("  {what}  {}", path.display()));
    }
    for path in &report.applied.removed {
        say(format!("  removed    {}", path.display()));
    }
    for (what, message) in &report.reloaded {
        say(format!("Grafana: reloaded {}: {message}", what.as_str()));
    }
    if report.needs_reload.contains(&Provisioning::Datasources) {
        say("Grafana reads datasource files only when it starts: restart it (systemctl restart grafana-server), or set GRAFANA_URL and GRAFANA_PASSWORD so -u can use the reload API.".into());
    } else if report.needs_reload.contains(&Provisioning::Dashboards) {
        say("Grafana picks the dashboards up within 10 seconds.".into());
    } else if report.reloaded.is_empty() && report.reload_error.is_none() {
        say("Grafana: nothing changed, nothing to reload.".into());
    }
    match report.embedding {
        Some(s) if s.ready() => say("Embedding: grafana.ini allows it.".into()),
        _ => say(format!(
            "Embedding: for a MagicMirror, Grafana needs the settings in {} (grafana.ini is never changed by miband-grafana).",
            layout.embedding_file().display()
        )),
    }
    if let Some(e) = report.reload_error {
        eprintln!("miband-grafana: files written, but {e}");
        return Ok(1);
    }
    say("Done updating!".into());
    Ok(0)
}

fn cmd_show(layout: &Layout, args: &Args) -> Result<i32, Error> {
    if let Some(bad) = args.panels.iter().find(|id| panels::find(**id).is_none()) {
        return Err(Error::Argument(format!(
            "--panels: no panel {bad} (see the panel table of miband-grafana -s)"
        )));
    }
    let config = optional_config(layout)?;
    let opts = show::ShowOptions {
        legacy: args.legacy_mirror,
        panels: args.panels.clone(),
        devices: args.devices.clone(),
    };
    out!("{}", show::show(config.as_ref(), layout, &opts)?);
    Ok(0)
}

fn cmd_reset(layout: &Layout, quiet: bool) -> Result<i32, Error> {
    let config = optional_config(layout)?;
    let report = reset::reset(config.as_ref(), layout)?;
    if report.nothing {
        if !quiet {
            out!("Nothing to remove: no record of a previous -u.");
        }
        return Ok(0);
    }
    if !quiet {
        for p in &report.removed {
            out!("  removed  {}", p.display());
        }
        for p in &report.missing {
            out!("  gone     {}", p.display());
        }
        for (what, message) in &report.reloaded {
            out!("Grafana: reloaded {}: {message}", what.as_str());
        }
        out!("Grafana keeps the datasources it loaded; delete \"MiBand DB\" and \"MiBand Prometheus\" under Connections > Data sources if you no longer want them.");
    }
    if let Some(e) = report.reload_error {
        eprintln!("miband-grafana: files removed, but {e}");
        return Ok(1);
    }
    Ok(0)
}

fn cmd_edit(layout: &Layout) -> Result<i32, Error> {
    edit::edit(layout.config_file())?;
    out!(
        "{}: configuration is valid.",
        layout.config_file().display()
    );
    Ok(0)
}

fn cmd_grant(layout: &Layout, admin: Option<&str>) -> Result<i32, Error> {
    let config = conf::load(layout.config_file())?;
    let report = grant::run(&config, admin)?;
    for note in &report.notes {
        out!("Note: {note}");
    }
    if !report.problems.is_empty() {
        return Err(Error::Grant(report.problems));
    }
    out!(
        "Role {} {}: CONNECT on {}, SELECT on its tables, nothing else.",
        config.db.user,
        if report.created { "created" } else { "checked" },
        config.db.name
    );
    Ok(0)
}
