//! A private D-Bus daemon in a directory of its own (testing.md: "An emulated BlueZ on a private
//! D-Bus bus"). Tests and the demo start one, run the emulated BlueZ on it and point clients at it
//! with `DBUS_SYSTEM_BUS_ADDRESS`; the machine's own system bus is never touched.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Why a private bus could not be started.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The daemon binary is missing.
    #[error("`dbus-daemon` not found ({0}); install the Debian package `dbus-daemon`")]
    NoDaemon(String),
    /// The daemon started but did not come up.
    #[error("dbus-daemon did not start: {0}")]
    Start(String),
    /// File system trouble with the bus directory.
    #[error("bus directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// A running private bus; the daemon is killed and its directory removed on drop.
#[derive(Debug)]
pub struct PrivateBus {
    dir: PathBuf,
    child: Child,
    address: String,
}

/// The bus configuration: a session-type bus on a Unix socket in `dir` that lets anyone own any
/// name (the emulator owns `org.bluez`) and allows eavesdropping so `dbus-monitor` can watch.
fn config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

fn fresh_dir() -> Result<PathBuf, BusError> {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "miband-bus-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).map_err(|source| BusError::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

impl PrivateBus {
    /// Starts `dbus-daemon` on a socket in a new temporary directory and waits until it listens.
    pub fn start() -> Result<PrivateBus, BusError> {
        let dir = fresh_dir()?;
        let conf = dir.join("bus.conf");
        let io = |source| BusError::Io {
            path: dir.clone(),
            source,
        };
        std::fs::write(&conf, config(&dir)).map_err(io)?;
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                BusError::NoDaemon(e.to_string())
            })?;
        // The daemon prints its address once it listens; read it on a helper thread so a daemon
        // that neither prints nor exits cannot block us forever.
        let stdout = child.stdout.take();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                let _ = BufReader::new(out).read_line(&mut line);
            }
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        let address = line.trim().to_string();
        if address.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = std::fs::remove_dir_all(&dir);
            return Err(BusError::Start(if err.trim().is_empty() {
                "no address printed within 10 s".into()
            } else {
                err.trim().to_string()
            }));
        }
        Ok(PrivateBus {
            dir,
            child,
            address,
        })
    }

    /// The address to give clients (`DBUS_SYSTEM_BUS_ADDRESS`) and the emulator.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The socket file.
    pub fn socket_path(&self) -> PathBuf {
        self.dir.join("bus.sock")
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_in_its_directory() {
        let c = config(Path::new("/tmp/x"));
        assert!(c.contains("<listen>unix:path=/tmp/x/bus.sock</listen>"));
        assert!(c.contains(r#"<allow own="*"/>"#));
    }
}
