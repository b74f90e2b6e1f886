//! The writer process dies (kill -9) or is asked to stop (SIGTERM) in the middle of ingesting,
//! with the database up, down, or just back: every minute it acknowledged is stored exactly once.
//!
//! The writer is this test binary itself, re-executed with `STORE_CHILD` set (the usual trick for
//! a child process without a dedicated binary). It writes batch after batch through a `Sink` and
//! prints `ACK <batch>` once a write returned `Ok`, the moment a collector would ack the band.

mod store_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use miband::store::pgcluster::PgCluster;
use miband::store::sink::{Sink, SinkError, SinkOptions};
use store_support::*;

const CHILD: &str = "STORE_CHILD";
const BANDS: [&str; 2] = ["C8:0F:10:AA:BB:01", "C8:0F:10:AA:BB:02"];
/// Minutes per batch: large enough that a kill often lands inside a transaction or an fsync.
const BATCH: i64 = 240;

/// Batch `b` belongs to band `b % 2` and covers that band's minutes `(b / 2) * BATCH ..+BATCH`.
fn batch(b: i64) -> (&'static str, i64, i64) {
    let from = (b / 2) * BATCH;
    (BANDS[(b % 2) as usize], from, from + BATCH)
}

fn opts() -> SinkOptions {
    SinkOptions {
        backoff_min: Duration::ZERO,
        backoff_max: Duration::ZERO,
        ..SinkOptions::default()
    }
}

/// The writer: batches from `STORE_FIRST` on, forever, until killed or SIGTERM'd.
fn child_main() -> ! {
    let env = |k: &str| std::env::var(k).unwrap();
    let cfg = miband::store::db_config::DbConfig {
        host: env("STORE_HOST"),
        port: env("STORE_PORT").parse().unwrap(),
        dbname: DB.into(),
        user: OWNER.into(),
        password: String::new(),
    };
    let first: i64 = env("STORE_FIRST").parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let sink = Arc::new(Sink::open(cfg, Path::new(&env("STORE_STATE")), opts()).unwrap());
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        let s = Arc::clone(&sink);
        // SIGTERM: let the write in progress finish, refuse the next one.
        tokio::spawn(async move {
            term.recv().await;
            s.shutdown().await;
        });
        println!("READY");
        for b in first.. {
            let (mac, from, to) = batch(b);
            match sink.write(activity(mac, from, to)).await {
                Ok(_) => println!("ACK {b}"),
                Err(SinkError::Closed) => {
                    println!("DONE");
                    std::process::exit(0);
                }
                Err(e) => {
                    println!("ERR {e}");
                    std::process::exit(3);
                }
            }
        }
        unreachable!()
    })
}

/// Runs the writer from batch `first`; `stop` ends it once `after` batches are acknowledged.
/// Returns every acknowledged batch and how the process ended.
fn run_child(
    test: &str,
    pg: &PgCluster,
    state: &Path,
    first: i64,
    after: usize,
    stop: impl FnOnce(&mut Child),
) -> (Vec<i64>, ExitStatus, Vec<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("STORE_HOST", pg.socket_dir())
        .env("STORE_PORT", pg.port().to_string())
        .env("STORE_STATE", state)
        .env("STORE_FIRST", first.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    let mut other = Vec::new();
    let mut stop = Some(stop);
    while let Some(Ok(line)) = lines.next() {
        match line.strip_prefix("ACK ") {
            Some(b) => acked.push(b.parse().unwrap()),
            None => other.push(line),
        }
        if acked.len() == after {
            if let Some(stop) = stop.take() {
                stop(&mut child);
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(!other.iter().any(|l| l.starts_with("ERR")), "{other:?}");
    (acked, status, other)
}

/// Minutes stored per band.
async fn stored(pg: &PgCluster) -> Vec<BTreeSet<DateTime<Utc>>> {
    let c = pg.connect_superuser(DB).await.unwrap();
    let mut out = Vec::new();
    for mac in BANDS {
        let rows = c
            .query(
                "SELECT a.ts FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id \
                 WHERE m.mac = $1",
                &[&mac],
            )
            .await
            .unwrap();
        let set: BTreeSet<_> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(set.len(), rows.len(), "a minute stored twice for {mac}");
        out.push(set);
    }
    out
}

fn minutes_of(batches: impl IntoIterator<Item = i64>) -> Vec<BTreeSet<DateTime<Utc>>> {
    let mut out = vec![BTreeSet::new(), BTreeSet::new()];
    for b in batches {
        let (_, from, to) = batch(b);
        out[(b % 2) as usize].extend((from..to).map(minute_ts));
    }
    out
}

/// After the writer is gone: replay what is journaled and read what is stored.
fn drain_and_read(pg: &PgCluster, state: &Path) -> Vec<BTreeSet<DateTime<Utc>>> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sink = Sink::open(socket_config(pg), state, opts()).unwrap();
        assert_eq!(sink.flush().await.unwrap(), 0);
        stored(pg).await
    })
}

fn kill_9(child: &mut Child) {
    child.kill().unwrap();
}

fn sigterm(child: &mut Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn kill_9_during_ingest_loses_nothing_acknowledged() {
    if std::env::var_os(CHILD).is_some() {
        child_main();
    }
    let name = "kill_9_during_ingest_loses_nothing_acknowledged";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(cluster());
    let state = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    let mut next = 0;
    // Killed while writing to PostgreSQL, while journaling (database down), and while replaying
    // the journal into the database that came back. A batch in flight at the kill is written
    // again by the next run, as a band resends what it was never acknowledged for.
    for phase in ["database up", "database down", "database back"] {
        match phase {
            "database down" => pg.stop().unwrap(),
            "database back" => pg.start().unwrap(),
            _ => {}
        }
        let (a, status, _) = run_child(name, &pg, state.path(), next, 12, kill_9);
        assert!(!status.success(), "{phase}: killed, not exited");
        assert!(a.len() >= 12, "{phase}: {a:?}");
        eprintln!(
            "{phase}: batches {}..={} acknowledged before the kill",
            next,
            a.last().unwrap()
        );
        next = a.last().unwrap() + 1;
        acked.extend(a);
    }
    let stored = drain_and_read(&pg, state.path());
    let expected = minutes_of(acked.iter().copied());
    // The batch in flight at the last kill may or may not have made it; nothing else may.
    let in_flight = minutes_of([next]);
    for band in 0..2 {
        let missing: Vec<_> = expected[band].difference(&stored[band]).collect();
        assert!(
            missing.is_empty(),
            "band {band} lost {} acked minutes",
            missing.len()
        );
        let extra: BTreeSet<_> = stored[band].difference(&expected[band]).copied().collect();
        assert!(
            extra.is_subset(&in_flight[band]),
            "band {band}: unexpected minutes"
        );
    }
}

#[test]
fn sigterm_finishes_the_current_write_and_exits_cleanly() {
    if std::env::var_os(CHILD).is_some() {
        child_main();
    }
    let name = "sigterm_finishes_the_current_write_and_exits_cleanly";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(cluster());
    let state = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    let mut next = 0;
    for phase in ["database up", "database down"] {
        if phase == "database down" {
            pg.stop().unwrap();
        }
        let (a, status, other) = run_child(name, &pg, state.path(), next, 8, sigterm);
        assert!(status.success(), "{phase}: exit status {status}");
        assert_eq!(other.last().map(String::as_str), Some("DONE"), "{phase}");
        next = a.last().unwrap() + 1;
        acked.extend(a);
    }
    pg.start().unwrap();
    // Nothing was cut short: exactly the acknowledged minutes are stored.
    assert_eq!(drain_and_read(&pg, state.path()), minutes_of(acked));
}
