//! Resident memory of the collector with 1 and 10 emulated bands, after every band finished its
//! first full sync (several days of history each) and the process settled.
//! `cargo bench --bench collector_rss`; under `cargo test` it only says how to run it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use miband::store::pgcluster::{free_port, PgCluster};

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn measure(rt: &tokio::runtime::Runtime, bands: usize) -> (u64, u64, Duration) {
    let pg = PgCluster::start_throwaway().expect("PostgreSQL");
    rt.block_on(pg.create_owner_db("miband", "miband", "bench"))
        .expect("database");
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    std::fs::write(
        dir.path().join("devices.csv"),
        "1 | C8:0F:10:AA:00:01 | 0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    let settings = serde_json::json!({
        "db_name": "miband", "db_user": "miband", "db_passwd": "bench",
        "db_host": "127.0.0.1", "db_port": pg.port(),
        "metrics_listen": format!("127.0.0.1:{port}"),
        "max_concurrent_bands": 4,
        "state_dir": dir.path().join("state"),
    });
    std::fs::write(dir.path().join("settings.json"), settings.to_string()).unwrap();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_miband-dc"))
        .arg("-d")
        .arg(dir.path().join("devices.csv"))
        .arg("-c")
        .arg(dir.path().join("settings.json"))
        .args(["--simulate", &bands.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn miband-dc");
    let started = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(child.id()).unwrap_or(0));
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        if log.matches("sync done").count() >= bands {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no first syncs:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let synced = started.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let settled = rss_kib(child.id()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    (settled, peak.max(settled), synced)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("collector_rss: run with `cargo bench --bench collector_rss`");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!("| emulated bands | RSS after first sync | peak RSS | first sync of all bands |");
    println!("|---|---|---|---|");
    for bands in [1, 10] {
        let (settled, peak, took) = measure(&rt, bands);
        println!(
            "| {bands} | {:.1} MiB | {:.1} MiB | {:.1} s |",
            settled as f64 / 1024.0,
            peak as f64 / 1024.0,
            took.as_secs_f64()
        );
    }
}
