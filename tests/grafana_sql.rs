//! Every SQL query of the rendered band dashboards, with Grafana's macros expanded as Grafana
//! expands them, run as Grafana's read-only role on a real PostgreSQL holding emulated history;
//! and that role, made by `--grant`, cannot change anything.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use miband::provision::grant;
use miband::provision::panels::{self, Format};
use miband::provision::secret::Secret;
use miband::provision::sqlmacros::{expand, QueryContext};
use miband::provision::zone::Zone;
use miband::store::pgcluster::PgCluster;
use miband::store::schema;
use std::time::Duration;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

const OWNER_PASSWORD: &str = "owner-secret";

async fn connect(pg: &PgCluster, user: &str, password: &str) -> Client {
    let (client, conn) = tokio_postgres::Config::new()
        .host("127.0.0.1")
        .port(pg.port())
        .user(user)
        .password(password)
        .dbname("miband")
        .connect(NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect as {user}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// A few days of plausible history up to the end of today (UTC) for bands 1 and 2: per-minute activity with
/// nights of light (9) and deep (11) sleep in several raw encodings, a charging hour (6) with
/// no heart rate (255), a not-worn spell (3), heart rates of 0 and 255 now and then; steps
/// and calories as running day totals; battery every hour; a few on-demand measurements.
const LIVE_HISTORY: &str = "
INSERT INTO mibandrecord (mac) VALUES ('C8:0F:10:00:00:01'), ('C8:0F:10:00:00:02'), ('C8:0F:10:00:00:03');
INSERT INTO mibandstaticinfo (dev_id, name) VALUES (1, 'Mi Smart Band 4');
INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate)
SELECT d, t,
  CASE
    WHEN h < 7 AND m % 7 = 0 THEN 0
    WHEN h < 7 AND m % 11 = 0 THEN 90
    WHEN h < 7 AND m % 90 < 25 THEN 11
    WHEN h < 7 THEN 16 * (m % 3) + 9
    WHEN h = 19 THEN 6
    WHEN h = 13 AND m % 60 < 20 THEN 3
    WHEN h = 18 AND m % 60 < 30 THEN 2
    ELSE 1
  END,
  CASE WHEN h < 7 THEN m % 5 ELSE 10 + m % 90 END,
  CASE WHEN h < 7 OR h = 19 OR h = 13 THEN 0 ELSE m % 120 END,
  CASE
    WHEN h = 19 OR m % 13 = 0 THEN 255
    WHEN m % 17 = 0 THEN 0
    WHEN h < 7 THEN 52 + m % 8
    ELSE 65 + m % 60
  END
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '4 days', date_trunc('day', now(), 'UTC') + interval '1439 minutes', interval '1 minute') t,
  LATERAL (SELECT extract(hour FROM t AT TIME ZONE 'UTC')::int AS h, (extract(epoch FROM t) / 60)::bigint AS m) x,
  generate_series(1, 2) d;
INSERT INTO steprecord (dev_id, ts, steps, meters, calories)
SELECT d, t, s, s * 7 / 10, s / 25
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '4 days', date_trunc('day', now(), 'UTC') + interval '1 day', interval '15 minutes') t,
  LATERAL (SELECT (extract(epoch FROM t - date_trunc('day', t)) / 60 * 8)::int AS s) x,
  generate_series(1, 2) d;
INSERT INTO batteryinforecord (dev_id, ts, level, status)
SELECT d, t, 100 - (extract(epoch FROM t - date_trunc('day', t)) / 1200)::int,
  CASE WHEN extract(hour FROM t) = 19 THEN 1 ELSE 0 END
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '4 days', date_trunc('day', now(), 'UTC') + interval '1 day', interval '1 hour') t, generate_series(1, 2) d;
INSERT INTO heartraterecord (dev_id, ts, bpm)
SELECT d, t, CASE WHEN extract(hour FROM t) = 3 THEN 0 ELSE 60 + (extract(hour FROM t))::int END
FROM generate_series(date_trunc('day', now(), 'UTC') - interval '4 days', date_trunc('day', now(), 'UTC') + interval '1 day', interval '3 hours') t, generate_series(1, 2) d;
";

/// Band 3: one night in 2024 that starts before and ends after ARCO's fixed 23:00-09:00
/// window, with a 20-minute awakening, raw kinds 0 and 90 (carried forward) and 121 (= 9 in
/// the low nibble), then a nap in the afternoon. Deep 60 min; light 150 + 415 min + 30 min nap.
const FIXED_NIGHT: &str = "
INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate)
SELECT 3, t,
  CASE
    WHEN t = '2024-03-01 23:45Z' THEN 0
    WHEN t = '2024-03-01 23:46Z' THEN 90
    WHEN t >= '2024-03-01 22:30Z' AND t < '2024-03-01 23:30Z' THEN 11
    WHEN t >= '2024-03-01 23:30Z' AND t < '2024-03-02 02:00Z' THEN 9
    WHEN t >= '2024-03-02 02:00Z' AND t < '2024-03-02 02:20Z' THEN 1
    WHEN t >= '2024-03-02 02:20Z' AND t < '2024-03-02 09:15Z' THEN 121
    WHEN t >= '2024-03-02 15:00Z' AND t < '2024-03-02 15:30Z' THEN 9
    ELSE 1
  END, 20, 0, 70
FROM generate_series('2024-03-01 20:00Z'::timestamptz, '2024-03-02 18:00Z', interval '1 minute') t;
";

/// Runs one expanded query; returns column names and rows as text.
async fn run(client: &Client, sql: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    for m in client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"))
    {
        if let SimpleQueryMessage::Row(r) = m {
            if columns.is_empty() {
                columns = r.columns().iter().map(|c| c.name().to_string()).collect();
            }
            rows.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
        }
    }
    (columns, rows)
}

fn ctx(from: DateTime<Utc>, to: DateTime<Utc>) -> QueryContext {
    QueryContext {
        from,
        to,
        interval: Duration::from_secs(600),
    }
}

fn num(v: &Option<String>) -> f64 {
    v.as_deref().unwrap().parse().unwrap()
}

async fn every_query_returns_rows(grafana: &Client) {
    // The end of the seeded day: "today" panels then see a whole day whenever the test runs.
    let (_, day) = run(
        grafana,
        "SELECT extract(epoch FROM date_trunc('day', now(), 'UTC'))::bigint",
    )
    .await;
    let start: i64 = day[0][0].as_deref().unwrap().parse().unwrap();
    let end = DateTime::from_timestamp(start + 1439 * 60, 0).unwrap();
    let live = ctx(end - chrono::Duration::days(7), end);
    for p in panels::all() {
        for (format, sql) in p.queries {
            let expanded = expand(&panels::sql_for(sql, 1, &Zone::utc()), &live).unwrap();
            let (columns, rows) = run(grafana, &expanded).await;
            assert!(
                !rows.is_empty(),
                "panel {} returned no rows:\n{expanded}",
                p.id
            );
            assert!(
                rows[0].iter().all(Option::is_some),
                "panel {}: {:?}",
                p.id,
                rows[0]
            );
            if *format == Format::TimeSeries {
                assert_eq!(columns[0], "time", "panel {}", p.id);
            }
            match p.id {
                31 | 32 => {
                    for r in &rows {
                        for v in r.iter().skip(usize::from(*format == Format::TimeSeries)) {
                            let hr = num(v);
                            assert!((1.0..=254.0).contains(&hr), "panel {}: {hr}", p.id);
                        }
                    }
                }
                52 => {
                    for r in &rows {
                        assert!(num(&r[1]) + num(&r[2]) <= 24.0, "{r:?}");
                    }
                }
                _ => {}
            }
            // A band without history gives no rows or nulls, never an error.
            let empty = expand(&panels::sql_for(sql, 99, &Zone::utc()), &live).unwrap();
            run(grafana, &empty).await;
        }
    }
}

async fn sleep_follows_kind_codes(grafana: &Client) {
    let at = |d, h, m| Utc.with_ymd_and_hms(2024, 3, d, h, m, 0).unwrap();
    let q = |id: u32| panels::sql_for(panels::find(id).unwrap().queries[0].1, 3, &Zone::utc());
    let range = ctx(at(1, 12, 0), at(3, 0, 0));
    let (_, rows) = run(grafana, &expand(&q(52), &range).unwrap()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0][0]
        .as_deref()
        .unwrap()
        .starts_with("2024-03-02 00:00:00"));
    assert_eq!((num(&rows[0][1]), num(&rows[0][2])), (1.0, 9.92));
    let evening = ctx(at(2, 12, 0), at(2, 18, 0));
    let (columns, rows) = run(grafana, &expand(&q(53), &evening).unwrap()).await;
    assert_eq!(columns, ["Total", "Deep", "Light"]);
    assert_eq!(rows.len(), 1);
    let got: Vec<f64> = rows[0].iter().map(num).collect();
    assert_eq!(got, [10.42, 1.0, 9.42], "the night, not the nap");
    let (_, rows) = run(grafana, &expand(&q(51), &range).unwrap()).await;
    assert_eq!(rows.iter().filter(|r| num(&r[1]) == 2.0).count(), 60);
    assert_eq!(rows.iter().filter(|r| num(&r[1]) == 1.0).count(), 595);
    let (_, rows) = run(grafana, &expand(&q(61), &evening).unwrap()).await;
    let minutes = |kind: &str| {
        rows.iter()
            .find(|r| r[0].as_deref() == Some(kind))
            .map(|r| num(&r[1]))
    };
    assert_eq!(minutes("Light sleep"), Some(565.0));
    assert_eq!(minutes("Activity"), Some(516.0));
    assert_eq!(minutes("Deep sleep"), None);
}

/// Bands 4 and 5: one step every minute across a daylight-saving change, far from UTC on both
/// sides. Los Angeles (band 4): 2024-03-09 and 03-10 local, the second 23 hours long (clocks
/// forward at 02:00). Auckland (band 5): 2024-04-06 and 04-07 local, the second 25 hours long
/// (clocks back at 03:00), plus a live total of 2000 read on 04-07, fresher than its history.
const DST_DAYS: &str = "
INSERT INTO mibandrecord (id, mac) VALUES (4, 'C8:0F:10:00:00:04'), (5, 'C8:0F:10:00:00:05');
INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate)
SELECT 4, t, 1, 20, 1, 70
FROM generate_series('2024-03-09 08:00Z'::timestamptz, '2024-03-11 06:59Z', interval '1 minute') t;
INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate)
SELECT 5, t, 1, 20, 1, 70
FROM generate_series('2024-04-05 11:00Z'::timestamptz, '2024-04-07 11:59Z', interval '1 minute') t;
INSERT INTO steprecord (dev_id, ts, steps, meters, calories)
VALUES (5, '2024-04-07 10:00Z', 2000, 1400, 80), (5, '2024-04-06 10:00Z', 900, 600, 40);
";

/// Per-day panels group by the household's day, across DST changes, from the per-minute history.
async fn days_are_the_households(grafana: &Client) {
    let q = |id: u32, dev: i32, zone: &str| {
        panels::sql_for(
            panels::find(id).unwrap().queries[0].1,
            dev,
            &Zone::parse(zone).unwrap(),
        )
    };
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let la = "America/Los_Angeles";
    // 2024-03-09 00:00 PST .. 2024-03-10 23:59 PDT.
    let range = ctx(at("2024-03-09T08:00:00Z"), at("2024-03-11T06:59:00Z"));
    let (_, rows) = run(grafana, &expand(&q(11, 4, la), &range).unwrap()).await;
    let got: Vec<(&str, f64)> = rows
        .iter()
        .map(|r| (r[0].as_deref().unwrap(), num(&r[1])))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-03-09 08:00:00+00", 1440.0),
            ("2024-03-10 08:00:00+00", 1380.0)
        ],
        "Los Angeles days, the second 23 h"
    );
    let (_, rows) = run(grafana, &expand(&q(13, 4, la), &range).unwrap()).await;
    assert_eq!(num(&rows[0][0]), 1440.0);
    // Grouped by UTC days instead, the same minutes would split 960 / 1440 / 420.
    let (_, rows) = run(grafana, &expand(&q(11, 4, "UTC"), &range).unwrap()).await;
    assert_eq!(rows.len(), 3, "{rows:?}");

    let nz = "Pacific/Auckland";
    // 2024-04-06 00:00 NZDT .. 2024-04-07 23:59 NZST.
    let range = ctx(at("2024-04-05T11:00:00Z"), at("2024-04-07T11:59:00Z"));
    let (_, rows) = run(grafana, &expand(&q(11, 5, nz), &range).unwrap()).await;
    let got: Vec<(&str, f64)> = rows
        .iter()
        .map(|r| (r[0].as_deref().unwrap(), num(&r[1])))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-04-05 11:00:00+00", 1440.0),
            ("2024-04-06 11:00:00+00", 2000.0)
        ],
        "Auckland days; the 25-hour day's history (1500) loses to the fresher live total"
    );
    let (_, rows) = run(grafana, &expand(&q(12, 5, nz), &range).unwrap()).await;
    assert_eq!(num(&rows[0][0]), 2000.0, "steps today");
    let (_, rows) = run(grafana, &expand(&q(13, 5, nz), &range).unwrap()).await;
    assert_eq!(num(&rows[0][0]), 2000.0, "best steps");
    // The 25-hour day counts all its minutes when the live total is lower.
    let before_live = ctx(at("2024-04-05T11:00:00Z"), at("2024-04-07T09:59:00Z"));
    let (_, rows) = run(grafana, &expand(&q(12, 5, nz), &before_live).unwrap()).await;
    assert_eq!(
        num(&rows[0][0]),
        1380.0,
        "history up to 09:59Z of a day that began 11:00Z"
    );
    let (_, rows) = run(grafana, &expand(&q(21, 5, nz), &range).unwrap()).await;
    let got: Vec<(&str, f64)> = rows
        .iter()
        .map(|r| (r[0].as_deref().unwrap(), num(&r[1])))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-04-05 11:00:00+00", 40.0),
            ("2024-04-06 11:00:00+00", 80.0)
        ]
    );
}

async fn role_cannot_write(grafana: &Client) {
    for sql in [
        "INSERT INTO mibandrecord (mac) VALUES ('00:00:00:00:00:00')",
        "INSERT INTO activityrecord (dev_id, ts, category, intensity, steps, heart_rate) VALUES (1, now(), 1, 1, 1, 1)",
        "UPDATE mibandrecord SET ts_drift = 1",
        "UPDATE activityrecord SET steps = 0",
        "DELETE FROM steprecord",
        "DELETE FROM heartraterecord",
        "TRUNCATE batteryinforecord",
        "CREATE TABLE public.x (i int)",
    ] {
        let err = grafana.batch_execute(sql).await.unwrap_err();
        let code = err.code().map(|c| c.code().to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn dashboards_queries_run_as_the_read_only_role() {
    let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
    pg.create_owner_db("miband", "miband", OWNER_PASSWORD)
        .await
        .unwrap();
    let mut owner = connect(&pg, "miband", OWNER_PASSWORD).await;
    schema::migrate(&mut owner).await.unwrap();
    owner.batch_execute(LIVE_HISTORY).await.unwrap();
    owner.batch_execute(FIXED_NIGHT).await.unwrap();
    owner.batch_execute(DST_DAYS).await.unwrap();

    let admin = pg.connect_superuser("miband").await.unwrap();
    let password = Secret::new(support::NASTY_PASSWORD);
    let first = grant::grant(&admin, "grafana", &password, "miband")
        .await
        .unwrap();
    assert!(first.created);
    assert!(first.problems.is_empty(), "{:?}", first.problems);
    let again = grant::grant(&admin, "grafana", &password, "miband")
        .await
        .unwrap();
    assert!(!again.created && again.problems.is_empty(), "{again:?}");

    let grafana = connect(&pg, "grafana", support::NASTY_PASSWORD).await;
    // Day boundaries in the seeded data and the queries are then the same.
    grafana.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
    every_query_returns_rows(&grafana).await;
    sleep_follows_kind_codes(&grafana).await;
    days_are_the_households(&grafana).await;
    role_cannot_write(&grafana).await;

    // Tables the collector adds later are readable too (default privileges).
    owner
        .batch_execute("CREATE TABLE later (i int); INSERT INTO later VALUES (1)")
        .await
        .unwrap();
    assert_eq!(run(&grafana, "SELECT i FROM later").await.1.len(), 1);

    // The check is not a rubber stamp: a write grant is reported.
    owner
        .batch_execute("GRANT INSERT ON steprecord TO grafana")
        .await
        .unwrap();
    let report = grant::check(&admin, "grafana", "miband").await.unwrap();
    assert_eq!(report.problems, ["grafana can change table steprecord"]);
    // And the owner itself is never demoted into Grafana's role.
    let owner_report = grant::grant(&admin, "miband", &password, "miband")
        .await
        .unwrap();
    assert!(owner_report.problems[0].contains("owns the tables"));
}

#[path = "support/collector.rs"]
mod collector;

/// The same queries on history the real collector stored from emulated bands (MB4 and MB5),
/// read through the role `--grant` creates.
#[tokio::test(flavor = "multi_thread")]
async fn dashboards_queries_return_rows_on_collected_history() {
    let s =
        collector::Setup::new(&["1 | C8:0F:10:AA:00:01 | 0123456789abcdef0123456789abcdef"]).await;
    let code = s.run(
        "collect",
        &["--simulate", "2", "--once"],
        Duration::from_secs(180),
    );
    assert_eq!(code, 0, "{}", s.log("collect"));
    let admin = s.pg.connect_superuser("miband").await.unwrap();
    grant::grant(
        &admin,
        "grafana",
        &Secret::new(support::NASTY_PASSWORD),
        "miband",
    )
    .await
    .unwrap();
    let grafana = connect(&s.pg, "grafana", support::NASTY_PASSWORD).await;
    let now = Utc::now();
    let range = ctx(now - chrono::Duration::days(7), now);
    for dev in [1, 2] {
        for p in panels::all() {
            for (_, sql) in p.queries {
                let expanded =
                    expand(&panels::sql_for(sql, dev, &Zone::machine()), &range).unwrap();
                let (_, rows) = run(&grafana, &expanded).await;
                assert!(
                    !rows.is_empty(),
                    "band {dev}, panel {} returned no rows on collected history:\n{expanded}",
                    p.id
                );
            }
        }
    }
}
