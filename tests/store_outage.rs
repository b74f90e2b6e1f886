//! PostgreSQL goes away mid-sync and comes back: readings go to the journal, are replayed in
//! order, and every minute ends up stored exactly once.

mod store_support;

use std::sync::Arc;
use std::time::Duration;

use miband::store::sink::{Durability, Sink, SinkError, SinkOptions};
use store_support::*;

const BANDS: [&str; 2] = ["C8:0F:10:AA:BB:01", "C8:0F:10:AA:BB:02"];

fn eager() -> SinkOptions {
    SinkOptions {
        backoff_min: Duration::ZERO,
        backoff_max: Duration::ZERO,
        connect_timeout: Duration::from_secs(5),
        // Order and exactly-once are under test here, not latency: on a loaded machine
        // replaying ~300 records can outlast the default 5 s budget, after which a write is
        // (correctly) journaled behind the backlog instead of committed.
        replay_budget: Duration::from_secs(600),
        ..SinkOptions::default()
    }
}

async fn assert_every_minute_once(pg: &miband::store::pgcluster::PgCluster, minutes: i64) {
    let c = pg.connect_superuser(DB).await.unwrap();
    for (i, mac) in BANDS.iter().enumerate() {
        let row = c
            .query_one(
                "SELECT count(*), count(DISTINCT a.ts), min(a.ts), max(a.ts), max(m.last_activity_ts) \
                 FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id WHERE m.mac = $1",
                &[mac],
            )
            .await
            .unwrap();
        let (n, distinct): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!((n, distinct), (minutes, minutes), "band {i}");
        assert_eq!(row.get::<_, chrono::DateTime<chrono::Utc>>(2), minute_ts(0));
        assert_eq!(
            row.get::<_, chrono::DateTime<chrono::Utc>>(3),
            minute_ts(minutes - 1)
        );
        assert_eq!(
            row.get::<_, chrono::DateTime<chrono::Utc>>(4),
            minute_ts(minutes - 1),
            "cursor of band {i}"
        );
    }
    for table in ["batteryinforecord", "steprecord", "heartraterecord"] {
        let row = c
            .query_one(
                &format!("SELECT count(*), count(DISTINCT (dev_id, ts)) FROM {table}"),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            "{table} duplicates"
        );
    }
}

#[tokio::test]
async fn outage_mid_sync_loses_and_duplicates_nothing() {
    let pg = Arc::new(cluster().await);
    let state = tempfile::tempdir().unwrap();
    let sink = Sink::open(socket_config(&pg), state.path(), eager()).unwrap();
    let stats = sink.stats();
    let batch = 120;
    let mut journaled = 0;
    for k in 0..12i64 {
        if k == 3 {
            // Stop while writing, one transaction a minute so the stop lands between and inside
            // commits: each write is either committed or journaled, never lost.
            let pg2 = Arc::clone(&pg);
            let stopper = tokio::task::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(20));
                pg2.stop().unwrap()
            });
            let mut outcomes = [0, 0];
            for i in k * batch..(k + 1) * batch {
                for mac in BANDS {
                    match sink.write(activity(mac, i, i + 1)).await.unwrap() {
                        Durability::Committed { .. } => outcomes[0] += 1,
                        Durability::Journaled { .. } => outcomes[1] += 1,
                    }
                }
            }
            stopper.await.unwrap();
            eprintln!(
                "during the stop: {} committed, {} journaled",
                outcomes[0], outcomes[1]
            );
            continue;
        }
        if k == 8 {
            assert!(!stats.snapshot().db_up);
            let expect = Some(minute_ts(8 * batch - 1));
            assert_eq!(
                sink.activity_cursor(BANDS[0].parse().unwrap())
                    .await
                    .unwrap(),
                expect
            );
            pg.start().unwrap();
        }
        for mac in BANDS {
            let d = sink
                .write(activity(mac, k * batch, (k + 1) * batch))
                .await
                .unwrap();
            for r in readings(mac, k) {
                sink.write(r).await.unwrap();
            }
            match (k, d) {
                (4..=7, Durability::Journaled { .. }) => journaled += 1,
                (4..=7, d) => panic!("batch {k} written while the database was down: {d:?}"),
                (8.., Durability::Committed { .. }) => {}
                (_, d) if k < 3 => assert!(matches!(d, Durability::Committed { .. })),
                (_, d) => panic!("batch {k}: {d:?}"),
            }
        }
        if (4..=7).contains(&k) {
            assert!(stats.snapshot().journal_backlog > 0);
        }
    }
    assert_eq!(journaled, 8);
    let s = stats.snapshot();
    assert!(s.db_up);
    assert_eq!((s.journal_backlog, s.journal_bytes), (0, 0));
    // A commit whose acknowledgement the stop cut off is journaled and replayed as "0 new": the
    // rows are there exactly once (checked below) but the counter cannot know it inserted them.
    let total = 12 * batch as u64 * 2;
    assert!(
        s.samples_stored <= total && s.samples_stored + 2 >= total,
        "{} of {total}",
        s.samples_stored
    );
    assert_eq!(
        sink.activity_cursor(BANDS[1].parse().unwrap())
            .await
            .unwrap(),
        Some(minute_ts(12 * batch - 1))
    );
    assert_eq!(
        sink.band_id(BANDS[1].parse().unwrap()).await.unwrap(),
        Some(2)
    );
    assert_every_minute_once(&pg, 12 * batch).await;
}

#[tokio::test]
async fn backlog_survives_a_restart_and_drains_without_new_writes() {
    let pg = cluster().await;
    let state = tempfile::tempdir().unwrap();
    let slow_retry = SinkOptions {
        backoff_min: Duration::from_secs(3600),
        backoff_max: Duration::from_secs(3600),
        ..eager()
    };
    pg.stop().unwrap();
    {
        let sink = Sink::open(socket_config(&pg), state.path(), slow_retry).unwrap();
        let err = sink
            .activity_cursor(BANDS[0].parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, SinkError::CursorUnknown { .. }), "{err}");
        for k in 0..5 {
            for mac in BANDS {
                let d = sink
                    .write(activity(mac, k * 60, (k + 1) * 60))
                    .await
                    .unwrap();
                assert!(matches!(d, Durability::Journaled { .. }));
            }
        }
        assert_eq!(sink.stats().snapshot().journal_backlog, 10);
        assert!(sink
            .flush()
            .await
            .unwrap_err()
            .to_string()
            .contains("unreachable"));
        sink.shutdown().await;
        let refused = sink.write(activity(BANDS[0], 0, 1)).await.unwrap_err();
        assert!(matches!(refused, SinkError::Closed));
    }
    pg.start().unwrap();
    // A new process: the backlog is found again and the replayer drains it with no new write.
    let sink = Arc::new(Sink::open(socket_config(&pg), state.path(), slow_retry).unwrap());
    assert_eq!(sink.stats().snapshot().journal_backlog, 10);
    assert_eq!(
        sink.activity_cursor(BANDS[0].parse().unwrap())
            .await
            .unwrap(),
        Some(minute_ts(299)),
        "database cursor plus journal"
    );
    let replayer = sink.spawn_replayer(Duration::from_millis(50));
    let mut waited = 0;
    while sink.stats().snapshot().journal_backlog > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 400, "backlog never drained");
    }
    replayer.abort();
    assert_every_minute_once(&pg, 300).await;
}

#[tokio::test]
async fn a_record_the_database_refuses_is_set_aside_not_blocking() {
    let pg = cluster().await;
    let state = tempfile::tempdir().unwrap();
    let sink = Sink::open(socket_config(&pg), state.path(), eager()).unwrap();
    sink.write(activity(BANDS[0], 0, 10)).await.unwrap();
    // A rule the database enforces but the collector cannot know about.
    let su = pg.connect_superuser(DB).await.unwrap();
    su.batch_execute("ALTER TABLE heartraterecord ADD CONSTRAINT plausible CHECK (bpm < 200)")
        .await
        .unwrap();
    let implausible = |i| miband::store::record::BandRecord {
        mac: BANDS[0].parse().unwrap(),
        record: miband::store::record::Record::HeartRate(miband::store::record::HeartRateReading {
            ts: minute_ts(i),
            bpm: 250,
        }),
    };
    // Written directly: an error, so the caller does not acknowledge.
    let err = sink.write(implausible(1)).await.unwrap_err();
    assert!(matches!(err, SinkError::Store(_)), "{err:?}");

    pg.stop().unwrap();
    sink.write(implausible(2)).await.unwrap();
    sink.write(activity(BANDS[0], 10, 20)).await.unwrap();
    pg.start().unwrap();
    assert_eq!(
        sink.flush().await.unwrap(),
        0,
        "the refused record does not block"
    );
    let s = sink.stats().snapshot();
    assert_eq!((s.records_rejected, s.journal_backlog), (1, 0));
    let rejected =
        std::fs::read_to_string(state.path().join("journal").join("rejected.jsonl")).unwrap();
    assert_eq!(rejected.lines().count(), 1);
    assert!(rejected.contains(r#""bpm":250"#), "{rejected}");
    let su = pg.connect_superuser(DB).await.unwrap();
    let n: i64 = su
        .query_one("SELECT count(*) FROM activityrecord", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 20);
}

#[tokio::test]
async fn a_full_journal_is_an_error_not_an_acknowledgement() {
    let state = tempfile::tempdir().unwrap();
    let nowhere = miband::store::db_config::DbConfig {
        host: state.path().join("no-server").display().to_string(),
        port: 5432,
        dbname: DB.into(),
        user: OWNER.into(),
        password: String::new(),
    };
    let opts = SinkOptions {
        journal: miband::store::journal::JournalOptions {
            max_bytes: 20_000,
            segment_bytes: 4_000,
        },
        ..eager()
    };
    let sink = Sink::open(nowhere, state.path(), opts).unwrap();
    let mut acked = 0;
    let err = loop {
        match sink
            .write(activity(BANDS[0], acked * 60, acked * 60 + 60))
            .await
        {
            Ok(Durability::Journaled { .. }) => acked += 1,
            Ok(d) => panic!("{d:?} without a database"),
            Err(e) => break e,
        }
        assert!(acked < 1000);
    };
    assert!(acked > 0);
    assert!(
        matches!(
            err,
            SinkError::Journal(miband::store::journal::JournalError::Full { .. })
        ),
        "{err:?}"
    );
    assert!(!sink.stats().snapshot().db_up);
    assert_eq!(sink.stats().snapshot().journal_backlog, acked as u64);
}

/// Waits (bounded) until the probe's figure says `up`.
async fn db_up_becomes(stats: &miband::store::sink::stats::SinkStats, up: bool, what: &str) {
    for _ in 0..300 {
        if stats.snapshot().db_up == up {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("db_up never became {up} after {what}");
}

#[tokio::test]
async fn database_up_follows_a_stopped_and_a_frozen_server_while_idle() {
    let pg = cluster().await;
    let state = tempfile::tempdir().unwrap();
    let opts = SinkOptions {
        probe_timeout: Duration::from_millis(500),
        ..eager()
    };
    let sink = Arc::new(Sink::open(socket_config(&pg), state.path(), opts).unwrap());
    let stats = sink.stats();
    sink.write(activity(BANDS[0], 0, 1)).await.unwrap();
    assert!(stats.snapshot().db_up);
    // No band writes from here on: only the probe can notice.
    let probe = sink.spawn_probe(Duration::from_millis(200));
    pg.stop().unwrap();
    db_up_becomes(&stats, false, "the server stopped").await;
    pg.start().unwrap();
    db_up_becomes(&stats, true, "the server started").await;
    // Frozen: connections stay open, nothing answers.
    pg.signal_all("STOP").unwrap();
    let frozen = async {
        db_up_becomes(&stats, false, "the server froze").await;
    };
    let outcome = tokio::time::timeout(Duration::from_secs(30), frozen).await;
    pg.signal_all("CONT").unwrap();
    outcome.expect("probe stuck on a frozen server");
    db_up_becomes(&stats, true, "the server thawed").await;
    // Once shut down the figure stays 0 (the probe ends).
    sink.shutdown().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!stats.snapshot().db_up);
    assert!(probe.is_finished());
}
