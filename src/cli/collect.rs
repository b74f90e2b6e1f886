//! `miband collect` and `miband-dc`: the collector service.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

use crate::collector::{self, radio::Radio, simulate, RunOptions};
use crate::config;
use crate::metrics::snapshot::MetricsState;

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
        return Ok(0);
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
    collector::register_bands(&metrics, &cfg.devices);

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
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = {
        let mut rx = stop_rx.clone();
        let m = metrics.clone();
        tokio::spawn(crate::metrics::server::serve(listener, m, async move {
            let _ = rx.wait_for(|s| *s).await;
        }))
    };

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
        let tx = stop_tx.clone();
        async move {
            signals.wait().await;
            tracing::info!("stopping: finishing the write in progress");
            let _ = tx.send(true);
        }
    });
    let opts = RunOptions {
        once,
        ..RunOptions::default()
    };
    let summary = collector::run(cfg, opts, sink, metrics, radio, stop_rx).await;
    let _ = stop_tx.send(true);
    replayer.abort();
    probe.abort();
    let _ = server.await;
    Ok(summary.exit_code(once))
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
