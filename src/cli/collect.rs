//! `miband collect` and `miband-dc`: the collector service.

use std::path::PathBuf;
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
    rt.block_on(serve(cfg, args.simulate.is_some(), args.once))
}

async fn serve(cfg: config::Config, simulated: bool, once: bool) -> anyhow::Result<i32> {
    // Signal handlers first, so a SIGTERM during start-up is a clean stop too.
    let signals = Signals::install()?;
    let sink = collector::open_sink(&cfg).with_context(|| {
        format!(
            "opening the journal in {}",
            cfg.settings.state_dir.display()
        )
    })?;
    let replayer = sink.spawn_replayer(std::time::Duration::from_secs(5));
    let metrics = MetricsState::new();
    collector::register_bands(&metrics, &cfg.devices);
    let control = crate::control::Control::new(&cfg.devices);
    let api = match remote_api(&cfg, &control, &metrics) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };

    let listen = cfg.settings.metrics_listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("metrics endpoint: cannot listen on {listen}"))?;
    tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = {
        let mut rx = stop_rx.clone();
        let m = metrics.clone();
        tokio::spawn(crate::metrics::server::serve_with_api(
            listener,
            m,
            Some(api),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        ))
    };
    let mqtt = cfg.settings.remote.mqtt.clone().map(|settings| {
        let rx = stop_rx.clone();
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
    let summary =
        collector::run_with_control(cfg, opts, sink, metrics, radio, control, stop_rx).await;
    let _ = stop_tx.send(true);
    replayer.abort();
    let _ = server.await;
    if let Some(m) = mqtt {
        // It publishes "offline" and disconnects, or gives up after a second.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), m).await;
    }
    Ok(if once && summary.failed > 0 { 1 } else { 0 })
}

/// The API and page over the collector's state: the token from `MIBAND_API_TOKEN` or
/// `api_token_file`, dashboard links from miband-grafana's configuration when present.
fn remote_api(
    cfg: &config::Config,
    control: &crate::control::Control,
    metrics: &MetricsState,
) -> anyhow::Result<crate::api::Api> {
    let remote = &cfg.settings.remote;
    let auth = crate::api::auth::Auth::load(
        &|k| std::env::var(k).ok(),
        remote.api_token_file.as_deref(),
    )?;
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
