//! A private PostgreSQL cluster started from the local server binaries.
//!
//! Tests use it so they never depend on a server that may or may not run on the machine and can
//! stop it to test outages; the demo uses it when no database is configured. initdb refuses to run
//! as root, so as root every server command runs as the `postgres` user through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors starting or stopping a private cluster.
#[derive(Debug, thiserror::Error)]
pub enum PgClusterError {
    /// No `initdb`/`pg_ctl` was found.
    #[error("PostgreSQL server binaries not found (looked in {0}); install the Debian package `postgresql` or set MIBAND_PG_BIN")]
    NoBinaries(String),
    /// A server command failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// What ran.
        command: String,
        /// Its stderr, or the spawn error.
        detail: String,
    },
    /// File system trouble with the cluster directory.
    #[error("cluster directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// A PostgreSQL cluster in a directory of its own, listening on a Unix socket in that directory and
/// on 127.0.0.1:`port`. Local socket connections are trusted (superuser `postgres`); TCP
/// connections need a password (scram-sha-256), as on a real installation.
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    /// Removed on drop (a throwaway cluster) or kept (the demo's).
    throwaway: bool,
}

fn find_bin_dir() -> Result<PathBuf, PgClusterError> {
    if let Ok(dir) = std::env::var("MIBAND_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let base = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(base)
        .map_err(|_| PgClusterError::NoBinaries(base.display().to_string()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| PgClusterError::NoBinaries(base.display().to_string()))
}

fn running_as_root() -> bool {
    // /proc/self/status has "Uid:\treal\teffective\t..."; no unsafe libc call needed.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Picks a TCP port that is free right now on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(55433)
}

impl PgCluster {
    /// Creates and starts a throwaway cluster in a new temporary directory, removed on drop.
    pub fn start_throwaway() -> Result<PgCluster, PgClusterError> {
        let dir =
            std::env::temp_dir().join(format!("miband-pg-{}-{}", std::process::id(), free_port()));
        let mut c = PgCluster::create(&dir, free_port())?;
        c.throwaway = true;
        c.start()?;
        Ok(c)
    }

    /// Opens the cluster in `dir`, running initdb first if the directory holds none. Not started.
    pub fn create(dir: &Path, port: u16) -> Result<PgCluster, PgClusterError> {
        let bin = find_bin_dir()?;
        let io = |source| PgClusterError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let dir = dir.canonicalize().map_err(io)?;
        let c = PgCluster {
            dir,
            port,
            bin,
            throwaway: false,
        };
        if running_as_root() {
            c.run(Command::new("chown").args(["-R", "postgres:"]).arg(&c.dir))?;
        }
        if !c.data_dir().join("PG_VERSION").exists() {
            c.run(c.server_cmd("initdb").arg("-D").arg(c.data_dir()).args([
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ]))?;
        }
        Ok(c)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn server_cmd(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, cmd: &mut Command) -> Result<(), PgClusterError> {
        let command = format!("{cmd:?}");
        let out = cmd.output().map_err(|e| PgClusterError::Command {
            command: command.clone(),
            detail: e.to_string(),
        })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(PgClusterError::Command {
                command,
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) -> Result<(), PgClusterError> {
        let opts = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.dir.display(),
            self.port
        );
        self.run(
            self.server_cmd("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"]),
        )
    }

    /// Stops the server at once (`-m immediate`: like a crash, for outage tests).
    pub fn stop(&self) -> Result<(), PgClusterError> {
        self.run(
            self.server_cmd("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "immediate", "-w", "stop"]),
        )
    }

    /// Sends `signal` (a `kill` name such as `STOP` or `CONT`) to the server and all its
    /// processes: `STOP` freezes it like a hung host (connections open, nothing answers).
    pub fn signal_all(&self, signal: &str) -> Result<(), PgClusterError> {
        let pidfile =
            std::fs::read_to_string(self.data_dir().join("postmaster.pid")).map_err(|e| {
                PgClusterError::Command {
                    command: format!("kill -{signal}"),
                    detail: e.to_string(),
                }
            })?;
        let main: u32 = pidfile
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| PgClusterError::Command {
                command: format!("kill -{signal}"),
                detail: "postmaster.pid has no pid".into(),
            })?;
        let mut pids = vec![main];
        for e in std::fs::read_dir("/proc").map_err(|e| PgClusterError::Command {
            command: format!("kill -{signal}"),
            detail: e.to_string(),
        })? {
            let Ok(e) = e else { continue };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(main) {
                if let Some(pid) = e.file_name().to_str().and_then(|p| p.parse().ok()) {
                    pids.push(pid);
                }
            }
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(|p| p.to_string()))
            .status()
            .map_err(|e| PgClusterError::Command {
                command: format!("kill -{signal}"),
                detail: e.to_string(),
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(PgClusterError::Command {
                command: format!("kill -{signal}"),
                detail: "failed".into(),
            })
        }
    }

    /// Is the server running?
    pub fn is_running(&self) -> bool {
        self.server_cmd("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("status")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Unix socket directory (usable as a libpq/tokio-postgres `host`).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// A key=value connection string for the superuser over the Unix socket.
    pub fn superuser_conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={dbname}",
            self.dir.display(),
            self.port
        )
    }

    /// Connects as superuser over the socket, driving the connection on the current runtime.
    pub async fn connect_superuser(
        &self,
        dbname: &str,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, conn) =
            tokio_postgres::connect(&self.superuser_conninfo(dbname), tokio_postgres::NoTls)
                .await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    /// Creates a login role with a password and a database it owns (as miband-dc's setup does).
    pub async fn create_owner_db(
        &self,
        dbname: &str,
        user: &str,
        password: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let su = self.connect_superuser("postgres").await?;
        let ident = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
        su.batch_execute(&format!(
            "CREATE ROLE {} LOGIN PASSWORD {}",
            ident(user),
            lit(password)
        ))
        .await?;
        su.batch_execute(&format!(
            "CREATE DATABASE {} OWNER {}",
            ident(dbname),
            ident(user)
        ))
        .await?;
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.throwaway {
            let _ = self.stop();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
