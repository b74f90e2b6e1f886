//! The collector binary numbers bands as devices.csv does ("User N"), shows one mapping in
//! `--check`, the start-up log and the metrics `id` label, and writes logs a person can read.

#[path = "support/collector.rs"]
mod support;

use std::time::Duration;

use support::{wait_until, Setup};

const PATIENCE: Duration = Duration::from_secs(180);
const BOB: &str = "2 | C8:0F:10:DE:00:02 | 0123456789abcdef0123456789abcdef | Bob";
const ALICE: &str = "1 | C8:0F:10:DE:00:01 | 00112233445566778899aabbccddeeff | Alice";

async fn ids(c: &tokio_postgres::Client) -> Vec<(i32, String)> {
    c.query("SELECT id, mac FROM mibandrecord ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Bob's line first (the demo's Bob used to sync first and become User 1): Alice is User 1
/// everywhere, the generated third band User 3, and the log is plain, quiet text.
#[tokio::test(flavor = "multi_thread")]
async fn user_n_is_the_devices_csv_id_in_database_log_and_metrics() {
    let s = Setup::new(&[BOB, ALICE]).await;
    let mut cmd = s.command("run", &["--simulate", "3", "-v"]);
    cmd.env_remove("RUST_LOG");
    let _collector = support::ChildGuard(cmd.spawn().unwrap());
    let metrics = wait_until("bands on /metrics with their ids", PATIENCE, || {
        let m = s.metrics()?;
        m.contains("miband_up{mac=\"C2:00:5E:00:00:03\"")
            .then_some(m)
    });
    for want in [
        "miband_up{mac=\"C8:0F:10:DE:00:01\",id=\"1\",name=\"Alice\"}",
        "miband_up{mac=\"C8:0F:10:DE:00:02\",id=\"2\",name=\"Bob\"}",
        "miband_up{mac=\"C2:00:5E:00:00:03\",id=\"3\",name=\"Simulated band 3\"}",
    ] {
        assert!(metrics.contains(want), "{want} in\n{metrics}");
    }
    let c = s.db().await;
    assert_eq!(
        ids(&c).await,
        [
            (1, "C8:0F:10:DE:00:01".into()),
            (2, "C8:0F:10:DE:00:02".into()),
            (3, "C2:00:5E:00:00:03".into())
        ]
    );
    wait_until("a sync done", PATIENCE, || {
        s.log("run").contains("sync done").then_some(())
    });
    let log = s.log("run");
    assert!(
        log.contains("User 1 = C8:0F:10:DE:00:01 (Alice)"),
        "start-up mapping:\n{log}"
    );
    assert!(log.contains("User 3 = C2:00:5E:00:00:03 (Simulated band 3)"));
    // Not a terminal: no colour codes. -v: our debug lines, not the driver's statements.
    assert!(!log.contains('\u{1b}'), "ANSI codes in\n{log}");
    assert!(log.contains("DEBUG"), "-v shows our debug lines:\n{log}");
    assert!(!log.contains("tokio_postgres"), "driver chatter in\n{log}");
    assert!(!log.contains("already exists"), "NOTICE in\n{log}");

    // The same mapping from --check, and a second start has no NOTICE either.
    let code = s.run("check", &["--check"], PATIENCE);
    assert_eq!(code, 0, "{}", s.log("check"));
    let check = s.log("check");
    assert!(
        check.contains("User 1 = C8:0F:10:DE:00:01 (Alice)")
            && check.contains("User 2 = C8:0F:10:DE:00:02 (Bob)"),
        "{check}"
    );
    assert!(!check.contains("warning"), "{check}");
}

/// A database numbered by miband-dc (Bob first): --check names the disagreement and how to fix
/// it, --renumber fixes it keeping history, and a restart logs no NOTICE.
#[tokio::test(flavor = "multi_thread")]
async fn check_warns_on_a_disagreement_and_renumber_fixes_it() {
    let s = Setup::new(&[ALICE, BOB]).await;
    let c = s.db().await;
    // What ARCO's miband-dc left: Bob User 1, Alice User 2. The collector makes the schema.
    let code = s.run("schema", &["--simulate", "0", "--once"], PATIENCE);
    assert_eq!(code, 0, "{}", s.log("schema"));
    c.batch_execute(
        "INSERT INTO mibandrecord (mac, ts_drift) VALUES ('C8:0F:10:DE:00:02', 0), ('c8:0f:10:de:00:01', 0)",
    )
    .await
    .unwrap();
    assert_eq!(s.run("check", &["--check"], PATIENCE), 0);
    let check = s.log("check");
    assert!(
        check.contains("User 2 = C8:0F:10:DE:00:01 (Alice)"),
        "{check}"
    );
    assert!(
        check.contains("warning: band C8:0F:10:DE:00:01: devices.csv asks for User 1, but the database has it as User 2"),
        "{check}"
    );
    assert!(check.contains("--renumber"), "{check}");

    // A second start against the same schema: the driver (at info, as RUST_LOG asks) would
    // show PostgreSQL's NOTICE "relation … already exists, skipping" were they sent.
    assert_eq!(
        s.run("schema2", &["--simulate", "0", "--once"], PATIENCE),
        0
    );
    let again = s.log("schema2");
    assert!(!again.contains("already exists"), "{again}");

    for (step, arg) in ["1:3", "2:1", "3:2"].iter().enumerate() {
        let name = format!("renumber{step}");
        assert_eq!(
            s.run(&name, &["--renumber", arg], PATIENCE),
            0,
            "{}",
            s.log(&name)
        );
    }
    assert_eq!(
        ids(&c).await,
        [
            (1, "c8:0f:10:de:00:01".into()),
            (2, "C8:0F:10:DE:00:02".into())
        ]
    );
    assert_eq!(s.run("check2", &["--check"], PATIENCE), 0);
    assert!(!s.log("check2").contains("warning"), "{}", s.log("check2"));
    assert_ne!(s.run("taken", &["--renumber", "1:2"], PATIENCE), 0);
    assert!(
        s.log("taken").contains("already band"),
        "{}",
        s.log("taken")
    );
}

/// SIGTERM mid-sync: no "retrying" warning per band.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_does_not_promise_retries() {
    let s = Setup::new(&[ALICE]).await;
    let child = s.spawn("term", &["--simulate", "3"]);
    let c = s.db().await;
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let n: i64 = c
            .query_one("SELECT count(*) FROM activityrecord", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or(0);
        if n > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", s.log("term"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    let mut child = child;
    let status = wait_until("exit", Duration::from_secs(60), || {
        child.0.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0), "{}", s.log("term"));
    let log = s.log("term");
    assert!(!log.contains("retrying"), "{log}");
}
