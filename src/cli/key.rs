//! `miband key --from-mifit-db FILE`: devices.csv lines from the Mi Fit / Zepp Life database.
//! The key is printed to stdout only (or written into the devices file with `--append`); no log
//! line or error message carries it.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::config::{self, NewBand};
use crate::import::mifit::{self, FoundKey};

/// Arguments of `miband key`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app's database: `origin_db_<id>` copied from
    /// /data/data/com.xiaomi.hm.health/databases/ (Zepp Life / Mi Fit; Zepp: com.huami.watch.hmwatchmanager).
    #[arg(long = "from-mifit-db", value_name = "FILE")]
    pub from_mifit_db: PathBuf,
    /// The band's Bluetooth address, when the database holds none (or to pick one of several bands).
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// A display name for the 4th column.
    #[arg(long)]
    pub name: Option<String>,
    /// Add the lines to this devices.csv (comments kept; a band already there is refused)
    /// instead of printing them.
    #[arg(long, value_name = "DEVICES_CSV")]
    pub append: Option<PathBuf>,
}

/// Runs `miband key`; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<i32> {
    let mac = match args
        .mac
        .as_deref()
        .map(|t| config::parse_mac(t).map(|m| m.to_string()))
        .transpose()
    {
        Ok(m) => m,
        Err(e) => {
            eprintln!("miband key: --{e}");
            return Ok(2);
        }
    };
    let found = mifit::read_keys(&args.from_mifit_db)
        .with_context(|| format!("reading {}", args.from_mifit_db.display()))?;
    let bands: Vec<NewBand> = choose(&found, mac.as_deref())?
        .into_iter()
        .map(|(mac, key)| {
            let mac = mac
                .parse()
                .context("a band address in the Mi Fit database")?;
            Ok(NewBand {
                mac,
                key,
                name: args.name.clone(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    match &args.append {
        None => {
            let lines = config::append_devices("", &bands)?;
            print!("{lines}");
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let new_text = config::append_devices(&text, &bands)
                .with_context(|| format!("{}", path.display()))?;
            write_keeping_permissions(path, &new_text)?;
            for b in &bands {
                eprintln!("added {} to {}", b.mac, path.display());
            }
        }
    }
    Ok(0)
}

/// Which keys to output, with their MACs.
fn choose(
    found: &[FoundKey],
    mac: Option<&str>,
) -> anyhow::Result<Vec<(String, crate::config::AuthKey)>> {
    match mac {
        Some(m) => {
            if let Some(f) = found.iter().find(|f| f.mac.as_deref() == Some(m)) {
                return Ok(vec![(m.to_string(), f.key.clone())]);
            }
            let without: Vec<&FoundKey> = found.iter().filter(|f| f.mac.is_none()).collect();
            match without.as_slice() {
                [one] => Ok(vec![(m.to_string(), one.key.clone())]),
                [] => bail!(
                    "no band {m} in the database (it has {})",
                    found
                        .iter()
                        .filter_map(|f| f.mac.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                many => bail!(
                    "{} keys without a MAC in the database (rows {}); cannot tell which is {m}",
                    many.len(),
                    many.iter()
                        .map(|f| f.row.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        None => {
            if let Some(f) = found.iter().find(|f| f.mac.is_none()) {
                bail!(
                    "DEVICE row {} has a key but no column holding a MAC: give the band's address with --mac",
                    f.row
                );
            }
            Ok(found
                .iter()
                .filter_map(|f| Some((f.mac.clone()?, f.key.clone())))
                .collect())
        }
    }
}

/// Replaces the file through a temporary sibling (never half-written), keeping its mode: a
/// devices.csv holds keys and is usually 0640.
fn write_keeping_permissions(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let perms = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions();
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".miband-new");
    let tmp = path.with_file_name(name);
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        // Created private, so the keys are never readable by others even for a moment.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::set_permissions(&tmp, perms)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
