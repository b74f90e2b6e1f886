//! Running the real collector binary against a throwaway PostgreSQL with emulated bands.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use miband::store::pgcluster::{free_port, PgCluster};

/// The database owner's password; contains characters that break naive quoting.
pub const DB_PASSWORD: &str = "s3cret/&'\"pw";

/// Kills the child when the test ends, however it ends.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A throwaway cluster with a `miband` database owned by a `miband` role, and config files.
pub struct Setup {
    pub pg: PgCluster,
    pub dir: tempfile::TempDir,
    pub metrics_port: u16,
}

impl Setup {
    /// `bands` lines for devices.csv (`id | mac | token [| name]`).
    pub async fn new(bands: &[&str]) -> Setup {
        let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
        pg.create_owner_db("miband", "miband", DB_PASSWORD)
            .await
            .expect("create database");
        let dir = tempfile::tempdir().expect("tempdir");
        let metrics_port = free_port();
        let s = Setup {
            pg,
            dir,
            metrics_port,
        };
        let mut csv = String::from("# id | mac | token\n");
        for b in bands {
            csv.push_str(b);
            csv.push('\n');
        }
        std::fs::write(s.devices(), csv).unwrap();
        let settings = serde_json::json!({
            "db_name": "miband",
            "db_user": "miband",
            "db_passwd": DB_PASSWORD,
            "db_host": "127.0.0.1",
            "db_port": s.pg.port(),
            "activity_timeout": "5m",
            "battery_timeout": "5m",
            "heart_rate_timeout": "5m",
            "time_check_timeout": "1h",
            "metrics_listen": format!("127.0.0.1:{metrics_port}"),
            "state_dir": s.dir.path().join("state"),
        });
        std::fs::write(
            s.settings(),
            serde_json::to_string_pretty(&settings).unwrap(),
        )
        .unwrap();
        s
    }

    pub fn devices(&self) -> PathBuf {
        self.dir.path().join("devices.csv")
    }

    pub fn settings(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// `miband-dc -d … -c … <extra>` with stdout/stderr into `<name>.log`.
    pub fn command(&self, name: &str, extra: &[&str]) -> Command {
        let log = std::fs::File::create(self.log_path(name)).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_miband-dc"));
        c.arg("-d")
            .arg(self.devices())
            .arg("-c")
            .arg(self.settings())
            .args(extra)
            .env("RUST_LOG", "miband=debug,info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        c
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// Runs to completion; panics with the log if it takes longer than `patience`.
    pub fn run(&self, name: &str, extra: &[&str], patience: Duration) -> i32 {
        let mut child = ChildGuard(self.command(name, extra).spawn().expect("spawn miband-dc"));
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                panic!("{name} did not finish; log:\n{}", self.log(name));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn spawn(&self, name: &str, extra: &[&str]) -> ChildGuard {
        ChildGuard(self.command(name, extra).spawn().expect("spawn miband-dc"))
    }

    pub fn metrics(&self) -> Option<String> {
        let mut r = ureq::get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .call()
            .ok()?;
        r.body_mut().read_to_string().ok()
    }

    pub async fn db(&self) -> tokio_postgres::Client {
        self.pg.connect_superuser("miband").await.expect("connect")
    }
}

/// Polls `f` until it returns `Some`, failing after `patience` with `what`.
pub fn wait_until<T>(what: &str, patience: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("gave up waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The value of one sample line of /metrics whose name and labels start with `prefix`.
pub fn metric_value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Per band: (rows, distinct minutes, first, last) of activityrecord.
pub async fn activity_stats(c: &tokio_postgres::Client) -> Vec<(i32, i64, i64, i64)> {
    c.query(
        "SELECT dev_id, count(*), count(DISTINCT ts),
                ((extract(epoch FROM max(ts)) - extract(epoch FROM min(ts))) / 60)::bigint + 1
         FROM activityrecord GROUP BY dev_id ORDER BY dev_id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

/// Asserts every band's history is contiguous (no minute missing) and has no duplicate.
pub async fn assert_contiguous(c: &tokio_postgres::Client, bands: usize) {
    let stats = activity_stats(c).await;
    assert_eq!(stats.len(), bands, "{stats:?}");
    for (dev, rows, distinct, span) in stats {
        assert_eq!(rows, distinct, "band {dev}: duplicate minutes");
        assert_eq!(
            rows, span,
            "band {dev}: {rows} rows over a span of {span} minutes"
        );
        assert!(rows > 1000, "band {dev}: only {rows} minutes");
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
