//! `miband collect` and `miband-dc`: the collector service.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::collector::{self, radio::Radio, simulate, RunOptions};
use crate::config;
use crate::metrics::snapshot::MetricsState;
use crate::shutdown::ShutdownTrigger;
use crate::store::band_id::{self, BandClaim, BandId};

/// Arguments, the historic miband-dc ones included (`-d`, `-c`, `-v`, `-q`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Bands to collect from: `id | mac | token [| name]` per line.
    #[arg(
        short = 'd',
        long = "devices",
        env = "MIBAND_DC_DEVICES",
        default_value = "/etc/miband-dc/devices.csv"
    )]
    pub devices: PathBuf,
    /// Settings (database, intervals, update mode, metrics address).
    ///
    /// Besides miband-dc's keys this reads optional ones (see the README), among them
    /// `heart_rate_measurement_interval`: minutes (0-120, 0 = off) between the band's own
    /// all-day heart-rate measurements, set on each band once after the collector connects.
    /// Without it nothing sets the interval once the phone is off, and the per-minute history
    /// carries no heart rate; absent, the bands are left as they are.
    #[arg(
        short = 'c',
        long = "settings",
        visible_alias = "config",
        env = "MIBAND_DC_SETTINGS",
        default_value = "/etc/miband-dc/settings.json"
    )]
    pub settings: PathBuf,
    /// More log output.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Only warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Validate both files, report every problem, and exit (0 valid, 2 invalid).
    #[arg(long)]
    pub check: bool,
    /// Run N emulated bands in-process instead of Bluetooth: the bands of devices.csv first,
    /// generated ones after.
    #[arg(long, value_name = "N")]
    pub simulate: Option<usize>,
    /// Sync every band once, then exit (1 if any band failed).
    #[arg(long)]
    pub once: bool,
    /// Give band User OLD the number NEW, history included, and exit (stop the collector
    /// first). NEW must be free; swap two bands through a free number.
    #[arg(long, value_name = "OLD:NEW", value_parser = parse_renumber)]
    pub renumber: Option<(BandId, BandId)>,
}

fn parse_renumber(text: &str) -> Result<(BandId, BandId), String> {
    let parse = |s: &str| {
        BandId::from_csv_id(s).ok_or_else(|| {
            format!("expected OLD:NEW, two positive numbers such as 3:1, found {text:?}")
        })
    };
    let (old, new) = text.split_once(':').ok_or_else(|| {
        format!("expected OLD:NEW, two positive numbers such as 3:1, found {text:?}")
    })?;
    Ok((parse(old)?, parse(new)?))
}

/// Runs the collector; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    super::init_logging(args.verbose, args.quiet);
    let load = if args.simulate.is_some() {
        config::load_for_simulation
    } else {
        config::load
    };
    let loaded = match load(&args.devices, &args.settings) {
        Ok(l) => l,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(2);
        }
    };
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let mut cfg = loaded.config;
    if args.check {
        println!(
            "configuration OK: {} band(s), database {} on {}:{}",
            cfg.devices.len(),
            cfg.settings.database.name,
            cfg.settings.database.host,
            cfg.settings.database.port
        );
        let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        print!("{}", rt.block_on(mapping_report(&cfg)));
        return Ok(0);
    }
    if let Some((old, new)) = args.renumber {
        let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        return rt.block_on(renumber(&cfg, old, new));
    }
    if let Some(n) = args.simulate {
        cfg.devices = simulate::simulated_devices(&cfg.devices, n);
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(serve(
        cfg,
        &args.settings,
        args.simulate.is_some(),
        args.once,
    ))
}

/// How long `--check` and `--renumber` wait for the database.
const DB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn connect(cfg: &config::Config) -> Result<tokio_postgres::Client, String> {
    let pg = collector::db_config(cfg).to_pg_config();
    let (client, conn) = tokio::time::timeout(DB_TIMEOUT, pg.connect(tokio_postgres::NoTls))
        .await
        .map_err(|_| "no answer within 10 s".to_string())?
        .map_err(|e| crate::store::error::StoreError::from_connect(e).to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// `--check`'s second half: "User N = MAC (name)" for every band of devices.csv as the
/// database numbers it (or will, at first sync), and where devices.csv and the database
/// disagree. Reads only; a database that cannot be reached is a note, not a failure.
async fn mapping_report(cfg: &config::Config) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let existing = match connect(cfg).await {
        Ok(client) => match band_id::read_mapping(&client).await {
            Ok(m) => m,
            // A database the collector never reached has no tables yet.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                Vec::new()
            }
            Err(e) => {
                let _ = writeln!(out, "database: cannot read mibandrecord ({e})");
                Vec::new()
            }
        },
        Err(e) => {
            let _ = writeln!(
                out,
                "database not reachable ({e}): numbers below are devices.csv's, which new bands get when free"
            );
            Vec::new()
        }
    };
    let claims: Vec<BandClaim> = cfg
        .devices
        .iter()
        .map(|d| BandClaim {
            mac: d.mac,
            wanted: BandId::from_csv_id(&d.id),
        })
        .collect();
    let stored: Vec<(i32, String)> = existing
        .iter()
        .map(|b| (b.id.get(), b.mac.clone()))
        .collect();
    let plan = band_id::plan(&stored, &claims);
    let _ = writeln!(out, "bands (User N of dashboards, mirror and metrics):");
    for (d, r) in cfg.devices.iter().zip(&plan) {
        let line = band_id::MappedBand {
            id: r.id,
            mac: d.mac.to_string(),
            name: Some(d.display_name().to_string()),
        }
        .line();
        let note = if r.outcome == band_id::Outcome::Kept {
            ""
        } else {
            "  (not in the database yet; numbered at its first sync)"
        };
        let _ = writeln!(out, "  {line}{note}");
    }
    for r in &plan {
        if let Some(w) = r.warning() {
            let _ = writeln!(out, "warning: {w}");
        }
    }
    out
}

/// `--renumber OLD:NEW`.
async fn renumber(cfg: &config::Config, old: BandId, new: BandId) -> anyhow::Result<i32> {
    let mut client = match connect(cfg).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("miband-dc: database: {e}");
            return Ok(1);
        }
    };
    match band_id::renumber(&mut client, old, new).await {
        Ok(()) => {
            println!("User {old} is now User {new}; its history moved with it");
            Ok(0)
        }
        Err(e) => {
            eprintln!("miband-dc: --renumber {old}:{new}: {e}");
            Ok(1)
        }
    }
}

/// A start-up failure caused by a setting: says which file and key, and exits 2 like any other
/// configuration error (systemd's `Restart=on-failure` would only repeat it).
fn setting_failed(settings: &Path, key: &str, what: impl std::fmt::Display) -> i32 {
    eprintln!("{}: {key}: {what}", settings.display());
    2
}

async fn serve(
    cfg: config::Config,
    settings: &Path,
    simulated: bool,
    once: bool,
) -> anyhow::Result<i32> {
    // Signal handlers first, so a SIGTERM during start-up is a clean stop too.
    let signals = Signals::install()?;
    let sink = match collector::open_sink(&cfg) {
        Ok(sink) => sink,
        Err(e) => {
            let dir = cfg.settings.state_dir.display();
            return Ok(setting_failed(
                settings,
                "state_dir",
                format_args!("cannot keep the journal in {dir}: {e}"),
            ));
        }
    };
    let replayer = sink.spawn_replayer(std::time::Duration::from_secs(5));
    // `miband_database_up` follows the database within seconds even when no band writes.
    let probe = sink.spawn_probe(std::time::Duration::from_secs(2));
    let metrics = MetricsState::new();
    collector::register_bands(&metrics, &sink, &cfg.devices).await;
    let control = crate::control::Control::new(&cfg.devices);
    let api = match remote_api(&cfg, &control, &metrics) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };

    let listen = cfg.settings.metrics_listen;
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            return Ok(setting_failed(
                settings,
                "metrics_listen",
                format_args!("cannot listen on {listen}: {e}"),
            ))
        }
    };
    tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
    let (trigger, shutdown) = ShutdownTrigger::new();
    let trigger = Arc::new(trigger);
    let server = {
        let mut stop = shutdown.clone();
        let m = metrics.clone();
        tokio::spawn(crate::metrics::server::serve_with_api(
            listener,
            m,
            Some(api),
            async move {
                stop.recv().await;
            },
        ))
    };
    let mqtt = cfg.settings.remote.mqtt.clone().map(|settings| {
        let rx = shutdown.clone();
        tokio::spawn(crate::mqtt::run(
            settings,
            cfg.devices.clone(),
            control.clone(),
            metrics.clone(),
            rx,
        ))
    });

    let radio: Arc<dyn Radio> = if simulated {
        let offset = *chrono::Local::now().offset();
        tracing::info!("simulating {} band(s)", cfg.devices.len());
        Arc::new(simulate::radio_for(&cfg.devices, offset))
    } else {
        let central = crate::ble::BleCentral::open(
            cfg.settings.adapter.as_deref(),
            std::time::Duration::from_secs(20),
        )
        .await?;
        tracing::info!("using Bluetooth adapter {}", central.name());
        Arc::new(collector::radio::BleRadio::new(
            central,
            std::time::Duration::from_secs(30),
        ))
    };

    tokio::spawn({
        let trigger = Arc::clone(&trigger);
        async move {
            signals.wait().await;
            tracing::info!("stopping: finishing the write in progress");
            trigger.trigger();
        }
    });
    let opts = RunOptions {
        once,
        ..RunOptions::default()
    };
    let summary =
        collector::run_with_control(cfg, opts, sink, metrics, radio, control, shutdown).await;
    trigger.trigger();
    replayer.abort();
    probe.abort();
    let _ = server.await;
    if let Some(m) = mqtt {
        // It publishes "offline" and disconnects, or gives up after a second.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), m).await;
    }
    Ok(summary.exit_code(once))
}

/// The API and page over the collector's state: the token from `MIBAND_API_TOKEN` or
/// `api_token_file`, dashboard links from miband-grafana's configuration when present.
fn remote_api(
    cfg: &config::Config,
    control: &crate::control::Control,
    metrics: &MetricsState,
) -> anyhow::Result<crate::api::Api> {
    let remote = &cfg.settings.remote;
    let auth =
        crate::api::auth::Auth::load(&|k| std::env::var(k).ok(), remote.api_token_file.as_deref())?;
    let listen = cfg.settings.metrics_listen;
    if !auth.has_token() && !listen.ip().is_loopback() {
        tracing::warn!(
            "metrics_listen {listen} is not loopback and no API token is set: the API and page answer loopback clients only"
        );
    }
    let grafana = crate::api::views::GrafanaLinks::load(&remote.grafana_configuration);
    Ok(crate::api::Api::new(
        control.clone(),
        metrics.clone(),
        auth,
        grafana,
    ))
}

/// SIGTERM and SIGINT, registered once at start.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
