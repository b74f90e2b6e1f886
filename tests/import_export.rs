//! `miband key`, `miband import gadgetbridge` and `miband export` as users run them: SQLite files
//! built with the apps' real schemas, the real binaries, a throwaway PostgreSQL. Every imported
//! row is checked against its source row.

#[path = "support/collector.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use support::{assert_contiguous, Setup};

const KEY_A: &str = "8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c";
const KEY_B: &str = "0123456789ABCDEF0123456789abcdef";
const MB5: &str = "C8:0F:10:AA:00:05";
const MB4: &str = "C8:0F:10:AA:00:04";
const UNLISTED: &str = "C8:0F:10:AA:00:99";

fn miband(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_miband"))
        .args(args)
        .env("RUST_LOG", "debug")
        .output()
        .expect("run miband")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Mi Fit / Zepp Life

/// A Mi Fit `origin_db` DEVICE table. Only AUTHKEY is documented publicly
/// (docs/compatibility.md); the other columns are an assumption, which is why the importer
/// discovers them instead of relying on their names.
fn mifit_db(dir: &Path, name: &str, with_mac: bool, rows: &[(&str, Option<&str>)]) -> PathBuf {
    let p = dir.join(name);
    let c = Connection::open(&p).unwrap();
    let mac_col = if with_mac { ",\"IDENTIFIER\" TEXT" } else { "" };
    c.execute_batch(&format!(
        "CREATE TABLE android_metadata (locale TEXT);
         CREATE TABLE \"DEVICE\" (\"_id\" INTEGER PRIMARY KEY AUTOINCREMENT,\"TYPE\" INTEGER,
           \"SOURCE\" INTEGER,\"DEVICE_ID\" TEXT{mac_col},\"AUTHKEY\" TEXT,\"SN\" TEXT);"
    ))
    .unwrap();
    for (i, (mac, key)) in rows.iter().enumerate() {
        if with_mac {
            c.execute(
                "INSERT INTO DEVICE (TYPE, SOURCE, DEVICE_ID, IDENTIFIER, AUTHKEY, SN) \
                 VALUES (1, 7, ?1, ?2, ?3, 'SN')",
                rusqlite::params![format!("{}", 5_000_000 + i), mac, key],
            )
            .unwrap();
        } else {
            c.execute(
                "INSERT INTO DEVICE (TYPE, SOURCE, DEVICE_ID, AUTHKEY, SN) VALUES (1, 7, ?1, ?2, 'SN')",
                rusqlite::params![format!("{}", 5_000_000 + i), key],
            )
            .unwrap();
        }
    }
    p
}

#[test]
fn key_prints_devices_lines_and_only_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let with_0x = format!("0x{KEY_B}");
    let db = mifit_db(
        dir.path(),
        "origin_db_329774917",
        true,
        &[
            (MB5, Some(KEY_A)),
            // A band seen but never paired: no key, skipped.
            ("C8:0F:10:AA:00:07", None),
            (&MB4.to_ascii_lowercase(), Some(&with_0x)),
        ],
    );
    let out = miband(&["key", "--from-mifit-db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "1 | {MB5} | {KEY_A}\n2 | {MB4} | {}\n",
            KEY_B.to_ascii_lowercase()
        )
    );
    assert!(!text(&out.stderr).to_ascii_lowercase().contains(&KEY_A[..8]));

    // --mac picks one band; --name fills the 4th column.
    let out = miband(&[
        "key",
        "--from-mifit-db",
        db.to_str().unwrap(),
        "--mac",
        MB4,
        "--name",
        "Grandma",
    ]);
    assert_eq!(
        text(&out.stdout),
        format!("1 | {MB4} | {} | Grandma\n", KEY_B.to_ascii_lowercase())
    );

    // No MAC in the table: --mac is required, and then used.
    let db = mifit_db(dir.path(), "origin_db", false, &[("", Some(KEY_A))]);
    let out = miband(&["key", "--from-mifit-db", db.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("--mac"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let out = miband(&["key", "--from-mifit-db", db.to_str().unwrap(), "--mac", MB5]);
    assert_eq!(text(&out.stdout), format!("1 | {MB5} | {KEY_A}\n"));
}

#[test]
fn key_refuses_bad_keys_and_foreign_files_without_echoing_them() {
    let dir = tempfile::tempdir().unwrap();
    let short = &KEY_A[..31];
    let db = mifit_db(dir.path(), "short", true, &[(MB5, Some(short))]);
    let out = miband(&["key", "--from-mifit-db", db.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(err.contains("32 hex digits"), "{err}");
    assert!(!err.contains(&short[..8]) && out.stdout.is_empty(), "{err}");

    let nothex = format!("{}zz", &KEY_A[..30]);
    let db = mifit_db(dir.path(), "nothex", true, &[(MB5, Some(&nothex))]);
    let out = miband(&["key", "--from-mifit-db", db.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(
        err.contains("non-hex") && !err.contains(&nothex[..8]),
        "{err}"
    );

    // A Gadgetbridge file has a DEVICE table but no AUTHKEY.
    let gb = gadgetbridge_db(dir.path(), "Gadgetbridge", Schema::Current, &[]);
    let out = miband(&["key", "--from-mifit-db", gb.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("no AUTHKEY column"),
        "{}",
        text(&out.stderr)
    );

    let csv = dir.path().join("devices.csv");
    std::fs::write(&csv, "1 | AA:BB:CC:DD:EE:FF | x\n").unwrap();
    let out = miband(&["key", "--from-mifit-db", csv.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("not an SQLite database"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn key_append_keeps_comments_and_refuses_a_band_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = mifit_db(dir.path(), "origin_db_1", true, &[(MB4, Some(KEY_B))]);
    let csv = dir.path().join("devices.csv");
    let before = format!("# bands of the house\n3 | {MB5} | {KEY_A} | Alice # kitchen\n");
    std::fs::write(&csv, &before).unwrap();
    let args = [
        "key",
        "--from-mifit-db",
        db.to_str().unwrap(),
        "--append",
        csv.to_str().unwrap(),
    ];
    let out = miband(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        out.stdout.is_empty(),
        "the key went to the file, not the terminal"
    );
    assert!(!text(&out.stderr)
        .to_ascii_lowercase()
        .contains(&KEY_B[..8].to_ascii_lowercase()));
    let after = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        after,
        format!("{before}4 | {MB4} | {}\n", KEY_B.to_ascii_lowercase())
    );
    // The collector reads it back.
    let settings = dir.path().join("settings.json");
    std::fs::write(
        &settings,
        r#"{"db_name":"m","db_user":"m","db_passwd":"p","db_host":"localhost","db_port":5432}"#,
    )
    .unwrap();
    let check = miband(&[
        "collect",
        "-d",
        csv.to_str().unwrap(),
        "-c",
        settings.to_str().unwrap(),
        "--check",
    ]);
    assert!(
        text(&check.stdout).contains("2 band(s)"),
        "{}",
        text(&check.stderr)
    );

    let again = miband(&args);
    assert_ne!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("already in the file (line 3)"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), after);
}

// ---------------------------------------------------------------------------------------------
// Gadgetbridge

/// Which generation of Gadgetbridge's schema.
#[derive(Clone, Copy, PartialEq)]
enum Schema {
    /// As of 2024 (DDL verbatim from a `sqlite3 .dump`, docs/compatibility.md).
    Current,
    /// Before schema update 62: DEVICE has only the numeric TYPE.
    BeforeTypeName,
}

/// A device row: (_id, name, MAC, TYPE, TYPE_NAME).
type Dev<'a> = (i64, &'a str, &'a str, i64, &'a str);

fn gadgetbridge_db(dir: &Path, name: &str, schema: Schema, devices: &[Dev<'_>]) -> PathBuf {
    let p = dir.join(name);
    let c = Connection::open(&p).unwrap();
    let device = match schema {
        Schema::Current => "CREATE TABLE IF NOT EXISTS \"DEVICE\" (\"_id\" INTEGER PRIMARY KEY ,\"NAME\" TEXT NOT NULL ,\"MANUFACTURER\" TEXT NOT NULL ,\"IDENTIFIER\" TEXT NOT NULL UNIQUE ,\"TYPE\" INTEGER NOT NULL ,\"TYPE_NAME\" TEXT NOT NULL ,\"MODEL\" TEXT,\"ALIAS\" TEXT,\"PARENT_FOLDER\" TEXT);",
        Schema::BeforeTypeName => "CREATE TABLE IF NOT EXISTS \"DEVICE\" (\"_id\" INTEGER PRIMARY KEY ,\"NAME\" TEXT NOT NULL ,\"MANUFACTURER\" TEXT NOT NULL ,\"IDENTIFIER\" TEXT NOT NULL UNIQUE ,\"TYPE\" INTEGER NOT NULL ,\"MODEL\" TEXT,\"ALIAS\" TEXT);",
    };
    c.execute_batch(&format!(
        "CREATE TABLE android_metadata (locale TEXT);
         INSERT INTO android_metadata VALUES ('en_US');
         CREATE TABLE IF NOT EXISTS \"USER\" (\"_id\" INTEGER PRIMARY KEY ,\"NAME\" TEXT NOT NULL ,\"BIRTHDAY\" INTEGER NOT NULL ,\"GENDER\" INTEGER NOT NULL );
         INSERT INTO USER VALUES(1,'gadgetbridge-user',0,2);
         {device}
         CREATE TABLE IF NOT EXISTS \"MI_BAND_ACTIVITY_SAMPLE\" (\"TIMESTAMP\" INTEGER  NOT NULL ,\"DEVICE_ID\" INTEGER  NOT NULL ,\"USER_ID\" INTEGER NOT NULL ,\"RAW_INTENSITY\" INTEGER NOT NULL ,\"STEPS\" INTEGER NOT NULL ,\"RAW_KIND\" INTEGER NOT NULL ,\"HEART_RATE\" INTEGER NOT NULL ,PRIMARY KEY (\"TIMESTAMP\" ,\"DEVICE_ID\" ) ON CONFLICT REPLACE) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS \"HUAMI_STRESS_SAMPLE\" (\"TIMESTAMP\" INTEGER  NOT NULL ,\"DEVICE_ID\" INTEGER  NOT NULL ,\"USER_ID\" INTEGER NOT NULL ,\"TYPE_NUM\" INTEGER NOT NULL ,\"STRESS\" INTEGER NOT NULL ,PRIMARY KEY (\"TIMESTAMP\" ,\"DEVICE_ID\" ) ON CONFLICT REPLACE) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS \"BATTERY_LEVEL\" (\"TIMESTAMP\" INTEGER  NOT NULL ,\"DEVICE_ID\" INTEGER  NOT NULL ,\"LEVEL\" INTEGER NOT NULL ,\"BATTERY_INDEX\" INTEGER  NOT NULL ,PRIMARY KEY (\"TIMESTAMP\" ,\"DEVICE_ID\" ,\"BATTERY_INDEX\" ) ON CONFLICT REPLACE) WITHOUT ROWID;
         CREATE TABLE notifications (id INTEGER PRIMARY KEY, body TEXT);"
    ))
    .unwrap();
    for (id, name, mac, ty, ty_name) in devices {
        match schema {
            Schema::Current => c.execute(
                "INSERT INTO DEVICE VALUES (?1, ?2, 'Xiaomi', ?3, ?4, ?5, NULL, NULL, NULL)",
                rusqlite::params![id, name, mac, ty, ty_name],
            ),
            Schema::BeforeTypeName => c.execute(
                "INSERT INTO DEVICE VALUES (?1, ?2, 'Xiaomi', ?3, ?4, NULL, NULL)",
                rusqlite::params![id, name, mac, ty],
            ),
        }
        .unwrap();
    }
    p
}

/// A MI_BAND_ACTIVITY_SAMPLE row: (TIMESTAMP s, RAW_INTENSITY, STEPS, RAW_KIND, HEART_RATE).
type Row = (i64, i64, i64, i64, i64);

/// `n` minutes ending at `last` (seconds), with the raw kinds and heart rates Mi Bands send
/// (255 = no reading; 0 also none).
fn minutes(last: i64, n: i64, salt: i64) -> Vec<Row> {
    const KINDS: [i64; 9] = [1, 3, 9, 11, 80, 96, 112, 6, 0x5a];
    (0..n)
        .map(|i| {
            let ts = last - 60 * (n - 1 - i);
            let hr = match (i + salt) % 5 {
                0 => 255,
                1 => 0,
                k => 55 + k * 10 + salt,
            };
            (
                ts,
                (i * 7 + salt) % 256,
                (i + salt) % 120,
                KINDS[(i % 9) as usize],
                hr,
            )
        })
        .collect()
}

fn add_samples(db: &Path, device_id: i64, rows: &[Row]) {
    let mut c = Connection::open(db).unwrap();
    let tx = c.transaction().unwrap();
    {
        let mut st = tx
            .prepare("INSERT INTO MI_BAND_ACTIVITY_SAMPLE VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)")
            .unwrap();
        for (ts, intensity, steps, kind, hr) in rows {
            st.execute(rusqlite::params![ts, device_id, intensity, steps, kind, hr])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn add_battery(db: &Path, device_id: i64, rows: &[(i64, i64, i64)]) {
    let c = Connection::open(db).unwrap();
    for (ts, level, index) in rows {
        c.execute(
            "INSERT INTO BATTERY_LEVEL VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![ts, device_id, level, index],
        )
        .unwrap();
    }
}

/// Minute-aligned "now" minus `minutes`.
fn minutes_ago(minutes: i64) -> i64 {
    let now = Utc::now().timestamp();
    now - now % 60 - 60 * minutes
}

fn import(s: &Setup, file: &Path, extra: &[&str]) -> Output {
    let (devices, settings) = (s.devices(), s.settings());
    let mut args = vec![
        "import",
        "gadgetbridge",
        file.to_str().unwrap(),
        "-d",
        devices.to_str().unwrap(),
        "-c",
        settings.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_miband"))
        .args(&args)
        .output()
        .unwrap();
    o
}

async fn dev_id(c: &tokio_postgres::Client, mac: &str) -> i32 {
    c.query_one("SELECT id FROM mibandrecord WHERE mac = $1", &[&mac])
        .await
        .unwrap()
        .get(0)
}

/// Every stored minute of the band: (ts s, category, intensity, steps, heart_rate, extra).
async fn stored(c: &tokio_postgres::Client, dev: i32) -> Vec<(i64, i64, i64, i64, i64, bool)> {
    c.query(
        "SELECT extract(epoch FROM ts)::bigint, category::bigint, intensity::bigint, \
         steps::bigint, heart_rate::bigint, extra IS NULL FROM activityrecord \
         WHERE dev_id = $1 ORDER BY ts",
        &[&dev],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect()
}

/// What the collector would have stored for a source row: the raw bytes, 255 for no reading.
fn expected(rows: &[Row]) -> Vec<(i64, i64, i64, i64, i64, bool)> {
    rows.iter()
        .map(|&(ts, intensity, steps, kind, hr)| {
            let hr = if hr == 0 { 255 } else { hr };
            (ts, kind, intensity, steps, hr, true)
        })
        .collect()
}

async fn table_snapshot(c: &tokio_postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    for t in [
        "mibandrecord",
        "activityrecord",
        "batteryinforecord",
        "steprecord",
        "heartraterecord",
    ] {
        let rows = c
            .query(&format!("SELECT t::text FROM {t} t ORDER BY 1"), &[])
            .await
            .unwrap();
        out.extend(
            rows.iter()
                .map(|r| format!("{t}: {}", r.get::<_, String>(0))),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn gadgetbridge_history_is_imported_row_for_row_once() {
    let s = Setup::new(&[
        &format!("1 | {MB5} | {KEY_A} | Alice"),
        &format!("2 | {MB4} | {KEY_B}"),
    ])
    .await;
    let dir = s.dir.path();
    let gb = gadgetbridge_db(
        dir,
        "Gadgetbridge",
        Schema::Current,
        &[
            (1, "Mi Smart Band 5", MB5, 0, "MIBAND5"),
            // Converted from an old database: TYPE_NAME left empty, the numeric TYPE tells.
            (2, "Mi Smart Band 4", &MB4.to_ascii_lowercase(), 16, ""),
            (3, "Hybrid HR", "00:00:00:00:00:00", 0, "FOSSILQHYBRID"),
            (4, "Mi Smart Band 5", UNLISTED, 0, "MIBAND5"),
        ],
    );
    // MB5: four days ending two hours ago; MB4: older, a day.
    let mb5_rows = minutes(minutes_ago(120), 4 * 1440, 1);
    let mb4_rows = minutes(minutes_ago(10 * 1440), 1440, 2);
    add_samples(&gb, 1, &mb5_rows);
    add_samples(&gb, 2, &mb4_rows);
    add_samples(&gb, 4, &minutes(minutes_ago(60), 30, 3));
    let battery = [
        (minutes_ago(300), 80, 0),
        (minutes_ago(200), 75, 0),
        (minutes_ago(200), 50, 1),
    ];
    add_battery(&gb, 1, &battery);
    {
        // HUAMI_* time samples are in milliseconds; not imported.
        let c = Connection::open(&gb).unwrap();
        c.execute(
            "INSERT INTO HUAMI_STRESS_SAMPLE VALUES (?1, 1, 1, 1, 40)",
            [minutes_ago(100) * 1000],
        )
        .unwrap();
    }

    // The collector already stored the MB5's first 100 minutes, with different values.
    let c = s.db().await;
    let cfg = miband::config::load(&s.devices(), &s.settings())
        .unwrap()
        .config;
    let mut store = miband::store::postgres::Store::connect(
        &miband::collector::db_config(&cfg),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let pre_id = store.band_id(MB5.parse().unwrap()).await.unwrap();
    let collected: Vec<_> = mb5_rows[..100]
        .iter()
        .map(|r| miband::protocol::activity::TimedSample {
            ts: Utc.timestamp_opt(r.0, 0).unwrap(),
            sample: miband::protocol::activity::ActivitySample {
                kind: 1,
                intensity: 2,
                steps: 3,
                heart_rate: Some(99),
                extra: Some([1, 2, 3, 4]),
            },
        })
        .collect();
    store.ingest_activity(pre_id, &collected).await.unwrap();

    let out = import(&s, &gb, &[]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "{MB5} (band {pre_id}): {} minutes imported, 100 already present, 0 rejected; \
             2 battery readings imported, 0 already present, 0 rejected",
            mb5_rows.len() - 100
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{MB4} (band ")), "{stdout}");
    assert!(!stdout.contains(UNLISTED), "{stdout}");
    assert!(stderr.contains(&format!("skipping {UNLISTED}")), "{stderr}");
    assert!(!stderr.contains(KEY_A), "{stderr}");

    // Every row, against its source; what the collector stored first is kept as it was.
    let mb5 = dev_id(&c, MB5).await;
    let mut want = expected(&mb5_rows);
    for (w, got) in want.iter_mut().zip(&collected) {
        *w = (got.ts.timestamp(), 1, 2, 3, 99, false);
    }
    assert_eq!(stored(&c, mb5).await, want);
    // A band new to the database is numbered as devices.csv says (the collector's rule).
    let mb4 = dev_id(&c, MB4).await;
    assert_eq!(mb4, 2);
    assert_eq!(stored(&c, mb4).await, expected(&mb4_rows));
    let levels: Vec<(i64, i16, i16)> = c
        .query(
            "SELECT extract(epoch FROM ts)::bigint, level, status FROM batteryinforecord \
             WHERE dev_id = $1 ORDER BY ts",
            &[&mb5],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(levels, [(battery[0].0, 80, 0), (battery[1].0, 75, 0)]);

    // The collector continues after the newest minute, whichever source wrote it.
    let cursor: Option<DateTime<Utc>> = c
        .query_one(
            "SELECT last_activity_ts FROM mibandrecord WHERE id = $1",
            &[&mb5],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cursor.unwrap().timestamp(), mb5_rows.last().unwrap().0);

    // Twice: nothing added.
    let before = table_snapshot(&c).await;
    let again = import(&s, &gb, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains(&format!(
            "{MB5} (band {mb5}): 0 minutes imported, {} already present, 0 rejected; 0 battery readings imported, 2 already present",
            mb5_rows.len()
        )),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(table_snapshot(&c).await, before);

    // The band's own collector run picks up two hours later: no gap, no overlap.
    let code = s.run(
        "collect",
        &["--simulate", "1", "--once"],
        Duration::from_secs(180),
    );
    assert_eq!(code, 0, "{}", s.log("collect"));
    c.execute("DELETE FROM activityrecord WHERE dev_id <> $1", &[&mb5])
        .await
        .unwrap();
    assert_contiguous(&c, 1).await;
    let first: i64 = c
        .query_one(
            "SELECT extract(epoch FROM min(ts))::bigint FROM activityrecord WHERE dev_id = $1",
            &[&mb5],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        first, mb5_rows[0].0,
        "the collector fetched from before the import's cursor"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn old_schema_mac_option_and_export() {
    let s = Setup::new(&[&format!("1 | {MB5} | {KEY_A}")]).await;
    let dir = s.dir.path();
    let gb = gadgetbridge_db(
        dir,
        "Gadgetbridge_20200101-120000",
        Schema::BeforeTypeName,
        &[
            (7, "Mi Smart Band 4", MB4, 16, ""),
            (8, "Mi Band 3", UNLISTED, 14, ""),
        ],
    );
    let rows = minutes(1_600_000_020, 500, 4);
    add_samples(&gb, 7, &rows);
    // Not in devices.csv: nothing to import without --mac.
    let out = import(&s, &gb, &[]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("none of the bands of devices.csv"),
        "{}",
        text(&out.stderr)
    );
    let out = import(&s, &gb, &["--mac", &MB4.to_ascii_lowercase()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out2 = import(&s, &gb, &["--mac", UNLISTED]);
    assert!(
        text(&out2.stderr).contains("not a Mi Band 4/5"),
        "{}",
        text(&out2.stderr)
    );

    let c = s.db().await;
    // Not in devices.csv: a free id, never the one devices.csv keeps for its band.
    let mb4 = dev_id(&c, MB4).await;
    assert_eq!((dev_id(&c, MB5).await, mb4), (1, 2));
    assert_eq!(stored(&c, mb4).await, expected(&rows));

    // Export: every minute, heart rate absent where the band had none.
    let (devices, settings) = (s.devices(), s.settings());
    let export = |extra: &[&str]| {
        let mut args = vec![
            "export",
            "-d",
            devices.to_str().unwrap(),
            "-c",
            settings.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = miband(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    let csv = export(&["--band", MB4]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("band,mac,ts,category,intensity,steps,heart_rate,extra")
    );
    let got: Vec<&str> = lines.collect();
    assert_eq!(got.len(), rows.len());
    for (line, &(ts, intensity, steps, kind, hr)) in got.iter().zip(&rows) {
        let ts = Utc
            .timestamp_opt(ts, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let hr = if hr == 0 || hr == 255 {
            String::new()
        } else {
            hr.to_string()
        };
        assert_eq!(
            *line,
            format!("{mb4},{MB4},{ts},{kind},{intensity},{steps},{hr},")
        );
    }
    // A window, as JSON lines, by band id.
    let from = Utc.timestamp_opt(rows[10].0, 0).unwrap().to_rfc3339();
    let to = Utc.timestamp_opt(rows[20].0, 0).unwrap().to_rfc3339();
    let jsonl = export(&[
        "--band",
        &mb4.to_string(),
        "--format",
        "jsonl",
        "--from",
        &from,
        "--to",
        &to,
    ]);
    let objs: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 10);
    assert_eq!(objs[0]["category"], rows[10].3);
    assert_eq!(objs[0]["mac"], MB4);
    // Local timestamps carry their offset and name the same instant.
    let local = export(&["--band", MB4, "--local", "--table", "activity"]);
    let ts = local.lines().nth(1).unwrap().split(',').nth(2).unwrap();
    assert_eq!(
        DateTime::parse_from_rfc3339(ts).unwrap().timestamp(),
        rows[0].0
    );
    let battery = export(&["--table", "battery"]);
    assert_eq!(battery, "band,mac,ts,level,charging\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_or_foreign_files_change_nothing() {
    let s = Setup::new(&[&format!("1 | {MB5} | {KEY_A}")]).await;
    let dir = s.dir.path();
    // Something stored already.
    let first = gadgetbridge_db(
        dir,
        "first",
        Schema::Current,
        &[(1, "Mi Smart Band 5", MB5, 0, "MIBAND5")],
    );
    add_samples(&first, 1, &minutes(minutes_ago(60), 50, 5));
    assert_eq!(import(&s, &first, &[]).status.code(), Some(0));
    let c = s.db().await;
    let before = table_snapshot(&c).await;

    // A damaged copy: a page in the middle of the sample table overwritten.
    let damaged = gadgetbridge_db(
        dir,
        "damaged",
        Schema::Current,
        &[(1, "Mi Smart Band 5", MB5, 0, "MIBAND5")],
    );
    add_samples(&damaged, 1, &minutes(minutes_ago(5000), 4000, 6));
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    let mid = (bytes.len() / page / 2) * page;
    bytes[mid..mid + page].fill(0xA5);
    std::fs::write(&damaged, &bytes).unwrap();
    // A truncated one, a Mi Fit database, and a text file.
    let truncated = dir.join("truncated");
    let whole = std::fs::read(&first).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    let mifit = mifit_db(dir, "origin_db_1", true, &[(MB5, Some(KEY_A))]);
    let textfile = dir.join("export.csv");
    std::fs::write(&textfile, "timestamp,steps\n1,2\n").unwrap();

    for (file, says) in [
        (&damaged, "damaged SQLite database"),
        (&truncated, "damaged SQLite database"),
        (&mifit, "not a Gadgetbridge database"),
        (&textfile, "not an SQLite database"),
    ] {
        let out = import(&s, file, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", file.display());
        assert!(err.contains(says), "{}: {err}", file.display());
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(table_snapshot(&c).await, before, "{}", file.display());
    }
}
