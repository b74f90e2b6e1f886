//! `miband import gadgetbridge FILE`: a Gadgetbridge database's Mi Band 4/5 history into the
//! collector's PostgreSQL. The file is checked completely before the database is touched, and
//! everything is written in one transaction, so a failure leaves the database as it was.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config;
use crate::import::gadgetbridge::{GadgetbridgeDb, GbDevice};
use crate::import::pipeline::{self, BandSummary, Target};
use crate::mac::Mac;
use crate::store::band_id::{BandClaim, BandId};
use crate::store::postgres::Store;

/// Arguments of `miband import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the data comes from.
    #[command(subcommand)]
    pub source: Source,
}

/// Sources `miband import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum Source {
    /// A Gadgetbridge database (the file "Export DB" writes, or Gadgetbridge.db from auto-export).
    Gadgetbridge(GadgetbridgeArgs),
}

/// The collector's files: the database to write to and the bands to match.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Bands (`id | mac | token [| name]`), as for `miband collect`.
    #[arg(
        short = 'd',
        long = "devices",
        env = "MIBAND_DC_DEVICES",
        default_value = "/etc/miband-dc/devices.csv"
    )]
    pub devices: PathBuf,
    /// Settings (the database), as for `miband collect`.
    #[arg(
        short = 'c',
        long = "settings",
        visible_alias = "config",
        env = "MIBAND_DC_SETTINGS",
        default_value = "/etc/miband-dc/settings.json"
    )]
    pub settings: PathBuf,
}

impl ConfigArgs {
    /// Loads both files; prints every problem and gives exit code 2 when they are invalid.
    pub fn load(&self) -> Result<config::Config, i32> {
        match config::load(&self.devices, &self.settings) {
            Ok(l) => {
                for w in &l.warnings {
                    tracing::warn!("{w}");
                }
                Ok(l.config)
            }
            Err(errors) => {
                eprintln!("{errors}");
                Err(2)
            }
        }
    }
}

/// Arguments of `miband import gadgetbridge`.
#[derive(Debug, clap::Args)]
pub struct GadgetbridgeArgs {
    /// The Gadgetbridge database file.
    pub file: PathBuf,
    /// The collector's configuration.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Import this band (whether or not it is in devices.csv) instead of every band of
    /// devices.csv found in the file.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// More log output.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Only warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `miband import`; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    match args.source {
        Source::Gadgetbridge(a) => gadgetbridge(a),
    }
}

fn gadgetbridge(args: GadgetbridgeArgs) -> anyhow::Result<i32> {
    super::init_logging(args.verbose, args.quiet);
    let cfg = match args.config.load() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let only = match args
        .mac
        .as_deref()
        .map(|t| config::parse_mac(t).map(|m| m.to_string()))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => {
            eprintln!("miband import: --{e}");
            return Ok(2);
        }
    };
    // Everything about the file is checked before the database is touched.
    let db = GadgetbridgeDb::open(&args.file)?;
    let devices = db.devices()?;
    let selected = select_bands(&devices, &cfg, only.as_deref())?;
    // Counting costs a pass over the file: only for a bar someone sees.
    let mut total = 0;
    if interactive() {
        for d in &selected {
            total += db.count_activity(d.id)? + db.count_battery(d.id)?;
        }
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let summaries = rt.block_on(write(db, selected, &cfg, total))?;
    for s in &summaries {
        println!(
            "{} (band {}): {} minutes imported, {} already present, {} rejected; \
             {} battery readings imported, {} already present, {} rejected",
            s.mac,
            s.dev_id,
            s.minutes_imported,
            s.minutes_present,
            s.minutes_rejected,
            s.battery_imported,
            s.battery_present,
            s.battery_rejected
        );
    }
    Ok(0)
}

/// The Mi Band 4/5 devices of the file to import: those of devices.csv, or the one `--mac`
/// names. Says on stderr why each other device is left out.
fn select_bands(
    devices: &[GbDevice],
    cfg: &config::Config,
    only: Option<&str>,
) -> anyhow::Result<Vec<GbDevice>> {
    let configured: Vec<String> = cfg.devices.iter().map(|d| d.mac.to_string()).collect();
    let mut out = Vec::new();
    for d in devices {
        let wanted = match only {
            Some(m) => d.mac == m,
            None => configured.contains(&d.mac),
        };
        match (d.model, wanted) {
            (Some(_), true) => out.push(d.clone()),
            (None, true) => bail!(
                "{} in the Gadgetbridge database is a {} ({}), not a Mi Band 4/5",
                d.mac,
                d.type_label,
                d.name
            ),
            (Some(_), false) => eprintln!(
                "skipping {} ({}): not in devices.csv; import it with --mac {}",
                d.mac, d.name, d.mac
            ),
            (None, false) => {
                tracing::info!("skipping {} ({}): a {}", d.mac, d.name, d.type_label)
            }
        }
    }
    if out.is_empty() {
        let found: Vec<String> = devices
            .iter()
            .map(|d| format!("{} ({})", d.mac, d.type_label))
            .collect();
        match only {
            Some(m) => bail!(
                "no device {m} in the Gadgetbridge database (it has: {})",
                found.join(", ")
            ),
            None => bail!(
                "none of the bands of devices.csv is in the Gadgetbridge database (it has: {})",
                if found.is_empty() {
                    "no devices".to_string()
                } else {
                    found.join(", ")
                }
            ),
        }
    }
    Ok(out)
}

/// Registers the bands and runs the import with a progress bar.
async fn write(
    db: GadgetbridgeDb,
    bands: Vec<GbDevice>,
    cfg: &config::Config,
    total: u64,
) -> anyhow::Result<Vec<BandSummary>> {
    let mut store = Store::connect(&crate::collector::db_config(cfg), Duration::from_secs(30))
        .await
        .context("connecting to the database of settings.json")?;
    // Bands are numbered by the collector's rule: every band of devices.csv claims its id in
    // file order (so an imported band never takes a number another line is waiting for), then
    // a --mac band not in the file gets a free one.
    let mut claims: Vec<BandClaim> = cfg
        .devices
        .iter()
        .map(|d| BandClaim {
            mac: d.mac,
            wanted: BandId::from_csv_id(&d.id),
        })
        .collect();
    // Selected bands are those of devices.csv or --mac: their identifiers are MACs.
    let macs: Vec<Mac> = bands
        .iter()
        .map(|b| b.mac.parse().context("a selected band without a MAC"))
        .collect::<anyhow::Result<_>>()?;
    for &mac in &macs {
        if !claims.iter().any(|c| c.mac == mac) {
            claims.push(BandClaim { mac, wanted: None });
        }
    }
    let registered = store.register_bands(&claims).await?;
    for r in &registered {
        if let Some(w) = r.warning() {
            tracing::warn!("{w}");
        }
    }
    let mut summaries = Vec::new();
    for (b, mac) in bands.iter().zip(&macs) {
        let dev_id = registered
            .iter()
            .find(|r| r.mac == *mac)
            .map(|r| r.id.get())
            .context("band registration lost a band")?;
        summaries.push(Target {
            source_id: b.id,
            dev_id,
            mac: b.mac.clone(),
        });
    }
    let bar = progress_bar(total);
    let done = pipeline::run(&mut store, db, &summaries, &|n| bar.inc(n))
        .await
        .context("nothing was imported")?;
    bar.finish_and_clear();
    for (mac, list) in done.iter().map(|s| (&s.mac, &s.problems)) {
        for p in list.iter().take(5) {
            tracing::warn!("{mac}: row not imported: {p}");
        }
        if list.len() > 5 {
            tracing::warn!("{mac}: {} more rows not imported", list.len() - 5);
        }
    }
    Ok(done)
}

/// A bar on stderr when a person is watching; hidden in scripts, pipes and logs.
fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if interactive() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)")
        {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Is a person watching (stdout and stderr both terminals)?
fn interactive() -> bool {
    std::io::stderr().is_terminal() && std::io::stdout().is_terminal()
}
