//! What every band-side command shares: which adapter, which band and its key, connecting and
//! authenticating through the collector's session code, and the exit-code contract
//! (0 ok, 1 band problem, 2 usage). The key comes from `MIBAND_AUTH_KEY`, `--key` or
//! devices.csv, and is never printed.

use std::path::PathBuf;
use std::time::Duration;

use crate::ble::{BleCentral, BtleLink};
use crate::config as devices;
use crate::link::Link;
use crate::mac::Mac;
use crate::protocol::activity::SampleSize;
use crate::protocol::key::AuthKey;
use crate::session::{Session, SessionError, SessionOptions};

/// A failed command, by exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or configuration: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The band, the adapter or the link failed: exit 1.
    #[error("{0}")]
    Band(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Band(_) => 1,
        }
    }
}

/// Reports a command's result on stderr and turns it into the exit code.
pub fn exit_code(prog: &str, r: Result<(), CliError>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{prog}: {e}");
            e.code()
        }
    }
}

/// Runs a command's future on a fresh runtime.
pub fn block_on<F: std::future::Future<Output = Result<(), CliError>>>(
    f: F,
) -> Result<(), CliError> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Band(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(f)
}

/// The adapter options.
#[derive(Debug, Clone, clap::Args)]
pub struct RadioArgs {
    /// Bluetooth adapter to use (e.g. hci0) [default: the first one].
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Seconds to look for the band before giving up.
    #[arg(long = "timeout", value_name = "SECONDS", default_value_t = 20)]
    pub timeout_secs: u64,
}

impl RadioArgs {
    /// Opens the adapter.
    pub async fn open(&self) -> Result<BleCentral, CliError> {
        BleCentral::open(self.adapter.as_deref(), Duration::from_secs(10))
            .await
            .map_err(|e| CliError::Band(e.to_string()))
    }
}

/// Which band, and its key.
#[derive(Debug, Clone, clap::Args)]
pub struct BandArgs {
    /// The band's address (AA:BB:CC:DD:EE:FF), or with --devices the band to pick from the file.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// The auth key (32 hex digits). Prefer the environment variable: arguments are visible to
    /// every user of the machine in `ps`.
    #[arg(
        long,
        value_name = "KEY",
        env = "MIBAND_AUTH_KEY",
        hide_env_values = true
    )]
    pub key: Option<String>,
    /// A devices.csv (`id | mac | token [| name]`) to take the band and key from.
    #[arg(long, value_name = "FILE")]
    pub devices: Option<PathBuf>,
    /// With --devices: the id of the band to use.
    #[arg(long, value_name = "N", requires = "devices")]
    pub id: Option<String>,
    /// Adapter and timeout.
    #[command(flatten)]
    pub radio: RadioArgs,
}

/// A resolved band: address and key.
pub struct Target {
    /// Address.
    pub mac: Mac,
    /// Key.
    pub key: AuthKey,
}

impl BandArgs {
    /// Resolves the band and its key; usage errors name the fix and never the key.
    pub fn resolve(&self) -> Result<Target, CliError> {
        let usage = |m: String| CliError::Usage(m);
        let cli_key = match &self.key {
            Some(k) => Some(AuthKey::from_hex(k).map_err(|e| {
                usage(format!(
                    "the auth key from --key or MIBAND_AUTH_KEY is not usable: {e}"
                ))
            })?),
            None => None,
        };
        let cli_mac = match &self.mac {
            Some(m) => Some(devices::parse_mac(m.trim()).map_err(usage)?),
            None => None,
        };
        if let Some(path) = &self.devices {
            let text = std::fs::read_to_string(path)
                .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
            let parsed = devices::parse_devices_text(path, &text, true);
            if let Some(first) = parsed.errors.first() {
                return Err(usage(first.to_string()));
            }
            let found = parsed
                .devices
                .into_iter()
                .find(|d| match (&self.id, &cli_mac) {
                    (Some(id), _) => &d.id == id,
                    (None, Some(mac)) => d.mac == *mac,
                    (None, None) => false,
                });
            return match (found, &self.id, &cli_mac) {
                (Some(d), _, _) => Ok(Target {
                    mac: d.mac,
                    key: cli_key.unwrap_or(d.key),
                }),
                (None, Some(id), _) => {
                    Err(usage(format!("{}: no band with id {id:?}", path.display())))
                }
                (None, None, Some(mac)) => Err(usage(format!(
                    "{}: no band with address {mac}",
                    path.display()
                ))),
                (None, None, None) => Err(usage(
                    "with --devices, say which band: --id N (or --mac MAC)".into(),
                )),
            };
        }
        match (cli_mac, cli_key) {
            (Some(mac), Some(key)) => Ok(Target { mac, key }),
            (None, _) => Err(usage(
                "which band? give --mac MAC (key in MIBAND_AUTH_KEY or --key), or --devices FILE --id N; `miband scan` lists the bands nearby".into(),
            )),
            (Some(_), None) => Err(usage(
                "no auth key: set MIBAND_AUTH_KEY (or pass --key, or use --devices FILE --id N)".into(),
            )),
        }
    }
}

/// Connects to the target, refusing a band another program on this machine holds.
pub async fn connect(args: &BandArgs, t: &Target) -> Result<BtleLink, CliError> {
    let central = args.radio.open().await?;
    if central.held_elsewhere(t.mac).await {
        return Err(CliError::Band(format!(
            "the band {} is connected to another program (is miband-dc running? stop it, or wait until it lets go)",
            t.mac
        )));
    }
    central
        .connect(t.mac, Duration::from_secs(args.radio.timeout_secs))
        .await
        .map_err(|e| CliError::Band(e.to_string()))
}

/// Opens a session and authenticates; a wrong key is said in words.
pub async fn session<'a>(link: &'a dyn Link, t: &Target) -> Result<Session<'a>, CliError> {
    let name = link.device_name().await;
    let opts = SessionOptions {
        sample_size: SampleSize::for_band_name(name.as_deref().unwrap_or("")),
        ..SessionOptions::default()
    };
    let mut s = Session::open(link, opts).await.map_err(band_error)?;
    match s.authenticate(&t.key).await {
        Ok(()) => Ok(s),
        Err(SessionError::WrongKey) => Err(CliError::Band(format!(
            "the band {} refused the auth key: it is not this band's key (the band answered 10 03 08). The key changes every time the band is paired again; get the current one from Mi Fit/Zepp Life or huami-token.",
            t.mac
        ))),
        Err(e) => Err(band_error(e)),
    }
}

/// A session failure as exit 1.
pub fn band_error(e: SessionError) -> CliError {
    CliError::Band(e.to_string())
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
