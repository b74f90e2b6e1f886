//! `miband export`: history and readings out of PostgreSQL as CSV or JSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::import::ConfigArgs;
use crate::export::{self, Format, Query, Table, Zone};
use crate::store::postgres::Store;

/// Arguments of `miband export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to export.
    #[arg(long, value_enum, default_value = "activity")]
    pub table: Table,
    /// Output format: CSV with a header line, or one JSON object a line.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Only this band: its id ("User N"), MAC or display name.
    #[arg(long)]
    pub band: Option<String>,
    /// From this time on (inclusive): 2024-05-01, "2024-05-01 13:00" or RFC 3339.
    #[arg(long)]
    pub from: Option<String>,
    /// Up to this time (exclusive), same forms as --from.
    #[arg(long)]
    pub to: Option<String>,
    /// Write and read times in the machine's local time zone instead of UTC.
    #[arg(long)]
    pub local: bool,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The collector's configuration (the database).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Runs `miband export`; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    super::init_logging(false, true);
    let zone = if args.local { Zone::Local } else { Zone::Utc };
    let mut times = [None, None];
    for (slot, (flag, text)) in times
        .iter_mut()
        .zip([("from", &args.from), ("to", &args.to)])
    {
        if let Some(t) = text {
            match export::parse_time(t, zone) {
                Ok(v) => *slot = Some(v),
                Err(e) => {
                    eprintln!("miband export: --{flag}: {e}");
                    return Ok(2);
                }
            }
        }
    }
    let cfg = match args.config.load() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let query = Query {
        table: args.table,
        band: args.band.clone(),
        from: times[0],
        to: times[1],
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let n = rt.block_on(async {
        let store = Store::connect(&crate::collector::db_config(&cfg), Duration::from_secs(30))
            .await
            .context("connecting to the database of settings.json")?;
        export::export(store.client(), &query, args.format, zone, &mut out)
            .await
            .map_err(anyhow::Error::from)
    })?;
    if args.output.is_some() {
        eprintln!("{n} rows written");
    }
    Ok(0)
}
