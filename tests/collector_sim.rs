//! The collector binary end to end with emulated bands: every table filled, re-runs add no
//! duplicates, PostgreSQL outages, kill -9 and SIGTERM lose nothing.

#[path = "support/collector.rs"]
mod support;

use std::time::Duration;

use support::{assert_contiguous, metric_value, wait_until, Setup};

const PATIENCE: Duration = Duration::from_secs(180);
const BAND_1: &str = "1 | C8:0F:10:AA:00:01 | 0123456789abcdef0123456789abcdef | Alice";

async fn count(c: &tokio_postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Rows in activityrecord; 0 until the collector has created the table.
async fn rows(c: &tokio_postgres::Client) -> i64 {
    c.query_one("SELECT count(*) FROM activityrecord", &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn once_fills_every_table_and_a_rerun_adds_no_duplicates() {
    let s = Setup::new(&[BAND_1]).await;
    let code = s.run("first", &["--simulate", "2", "--once"], PATIENCE);
    assert_eq!(code, 0, "{}", s.log("first"));
    let c = s.db().await;
    for t in [
        "mibandrecord",
        "mibandstaticinfo",
        "batteryinforecord",
        "steprecord",
        "heartraterecord",
    ] {
        assert_eq!(count(&c, t).await, 2, "{t}");
    }
    assert_contiguous(&c, 2).await;
    // The configured band keeps its MAC; the MB5 (second band) stored its extra bytes.
    let macs: Vec<String> = c
        .query("SELECT mac FROM mibandrecord ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(macs.contains(&"C8:0F:10:AA:00:01".to_string()), "{macs:?}");
    // The display name from devices.csv is what dashboards show.
    let names: Vec<Option<String>> = c
        .query("SELECT name FROM mibandrecord ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(names.contains(&Some("Alice".to_string())), "{names:?}");
    let bands = miband::provision::bands::read(&c).await.unwrap();
    assert!(
        bands.iter().any(|b| b.name.as_deref() == Some("Alice")),
        "{bands:?}"
    );
    let extra: i64 = c
        .query_one(
            "SELECT count(*) FROM activityrecord WHERE extra IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(extra > 1000, "MB5 extra bytes: {extra}");
    let hr255: i64 = c
        .query_one(
            "SELECT count(*) FROM activityrecord WHERE heart_rate = 255",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        hr255 > 0,
        "missing heart rate is stored as 255 like miband-dc"
    );
    let before = count(&c, "activityrecord").await;

    let code = s.run("second", &["--simulate", "2", "--once"], PATIENCE);
    assert_eq!(code, 0, "{}", s.log("second"));
    let after = count(&c, "activityrecord").await;
    assert!(after >= before && after - before < 30, "{before} → {after}");
    assert_contiguous(&c, 2).await;
    // Passwords and keys never reach the log.
    for name in ["first", "second"] {
        let log = s.log(name);
        assert!(!log.contains(support::DB_PASSWORD), "{log}");
        assert!(!log.contains("0123456789abcdef0123456789abcdef"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn database_outage_mid_sync_loses_and_duplicates_nothing() {
    let s = Setup::new(&[BAND_1]).await;
    s.pg.stop().unwrap();
    let _collector = s.spawn("outage", &["--simulate", "2"]);
    // Everything goes to the journal while the database is down.
    wait_until("journaled history", PATIENCE, || {
        let m = s.metrics()?;
        let backlog = metric_value(&m, "miband_journal_backlog_records")?;
        let stored = metric_value(&m, "miband_samples_stored_total{")?;
        (metric_value(&m, "miband_database_up")? == 0.0 && backlog > 0.0 && stored > 1000.0)
            .then_some(())
    });
    s.pg.start().unwrap();
    wait_until("journal replayed", PATIENCE, || {
        let m = s.metrics()?;
        (metric_value(&m, "miband_database_up")? == 1.0
            && metric_value(&m, "miband_journal_backlog_records")? == 0.0)
            .then_some(())
    });
    let c = s.db().await;
    assert_contiguous(&c, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_and_sigterm_during_ingest_lose_nothing() {
    for (round, signal) in ["KILL", "TERM"].iter().enumerate() {
        // A fresh database each time, so the victim has a whole history to ingest.
        let s = Setup::new(&[BAND_1]).await;
        let name = format!("victim{round}");
        let c = s.db().await;
        let before = rows(&c).await;
        let mut child = s.spawn(&name, &["--simulate", "2"]);
        // Wait until ingest is under way, then strike.
        let deadline = std::time::Instant::now() + PATIENCE;
        // The table appears when the collector first reaches the database.
        while rows(&c).await <= before {
            assert!(std::time::Instant::now() < deadline, "{}", s.log(&name));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pid = child.0.id().to_string();
        std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        let status = wait_until("exit", Duration::from_secs(60), || {
            child.0.try_wait().unwrap()
        });
        if *signal == "TERM" {
            assert_eq!(status.code(), Some(0), "{}", s.log(&name));
        }
        let at_kill = rows(&c).await;
        let code = s.run(
            &format!("after{round}"),
            &["--simulate", "2", "--once"],
            PATIENCE,
        );
        assert_eq!(code, 0, "{}", s.log(&format!("after{round}")));
        assert!(
            rows(&c).await > at_kill,
            "the {signal} did not interrupt an ingest"
        );
        assert_contiguous(&c, 2).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_up_failures_exit_2_naming_the_settings_file_and_key() {
    let s = Setup::new(&[BAND_1]).await;
    // The metrics port is taken.
    let taken = std::net::TcpListener::bind(("127.0.0.1", s.metrics_port)).unwrap();
    let code = s.run("port", &["--simulate", "1"], PATIENCE);
    let log = s.log("port");
    assert_eq!(code, 2, "{log}");
    let settings = s.settings().display().to_string();
    assert!(
        log.contains(&format!("{settings}: metrics_listen: cannot listen on")),
        "{log}"
    );
    drop(taken);
    // The state directory cannot be created (a file is in the way; root ignores permissions).
    let blocker = s.dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.settings()).unwrap()).unwrap();
    json["state_dir"] = serde_json::Value::from(blocker.join("state").display().to_string());
    std::fs::write(s.settings(), json.to_string()).unwrap();
    let code = s.run("state", &["--simulate", "1"], PATIENCE);
    let log = s.log("state");
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains(&format!(
            "{settings}: state_dir: cannot keep the journal in"
        )),
        "{log}"
    );
}
