//! A private D-Bus daemon in a directory of its own (docs/testing.md §3.1). Tests and the demo
//! start one, run the emulated BlueZ on it and point clients at it with `DBUS_SYSTEM_BUS_ADDRESS`;
//! the machine's own system bus is never touched.

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
        if !daemon_available() {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(BusError::NoDaemon("not on PATH".into()));
        }
        // A small shell supervises the daemon: when our end of its stdin closes (drop, or this
        // process dying in any way, even one whose statics are never dropped) it stops the
        // daemon and removes the directory, so no dbus-daemon outlives its user.
        let script = r#"dbus-daemon --config-file="$1/bus.conf" --nofork --nopidfile --print-address=1 &
d=$!
cat >/dev/null
kill "$d" 2>/dev/null
wait "$d" 2>/dev/null
rm -rf "$1""#;
        let mut child = Command::new("sh")
            .args(["-c", script, "miband-bus"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                BusError::Start(format!("cannot run sh: {e}"))
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
            drop(child.stdin.take());
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
}

fn daemon_available() -> bool {
    Command::new("dbus-daemon")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        // Closing stdin makes the supervisor stop the daemon and clean up.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_starts_and_is_gone_after_drop() {
        let bus = PrivateBus::start().unwrap();
        assert!(bus.address().starts_with("unix:path="), "{}", bus.address());
        let sock = bus.socket_path();
        assert!(sock.exists());
        drop(bus);
        assert!(!sock.exists());
    }

    #[test]
    fn config_listens_in_its_directory() {
        let c = config(Path::new("/tmp/x"));
        assert!(c.contains("<listen>unix:path=/tmp/x/bus.sock</listen>"));
        assert!(c.contains(r#"<allow own="*"/>"#));
    }
}
