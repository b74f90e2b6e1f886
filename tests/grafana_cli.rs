//! `miband-grafana` as users run it: the real binary, `--root` in a temporary directory, a real
//! PostgreSQL for `-u`, and a stand-in Grafana that records the reload calls it receives.

mod support;

use miband::store::pgcluster::{free_port, PgCluster};
use miband::store::schema;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use support::{config_text, NASTY_NAME, NASTY_PASSWORD};

/// The outcome of one run.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `--root root` plus `args` and extra environment.
fn grafana(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_miband-grafana"))
        .arg("--root")
        .arg(root)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("VISUAL")
        .output()
        .unwrap();
    let o = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    // Whatever happens, the database password never shows.
    let fragment = NASTY_PASSWORD.lines().next().unwrap();
    // The tail has no character any quoting escapes, so it also shows a password logged in
    // Debug form (`"p'a\"s..."`) or as an SQL literal.
    let tail = "/w&r$d{{x}}";
    assert!(fragment.contains(tail));
    for o in [&o.stdout, &o.stderr] {
        assert!(
            !o.contains(fragment) && !o.contains(tail),
            "password leaked:\n{o}"
        );
    }
    o
}

fn config_path(root: &Path) -> PathBuf {
    root.join("etc/miband-grafana/configuration.conf")
}

fn write_config(root: &Path, text: &str) {
    let p = config_path(root);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every regular file under `root` with its modification time.
fn files(root: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(
                    e.path().strip_prefix(root).unwrap().to_path_buf(),
                    m.modified().unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn configuration_errors_exit_2_with_file_and_line() {
    let t = tempfile::tempdir().unwrap();
    let o = grafana(t.path(), &["-u"], &[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("configuration.conf: cannot read the configuration"),
        "{}",
        o.stderr
    );

    write_config(
        t.path(),
        &config_text("").replace("DBPORT=5432", "DBPORT=big\nCOLOUR=red"),
    );
    let o = grafana(t.path(), &["-u"], &[]);
    assert_eq!(o.code, 2);
    let conf = config_path(t.path()).display().to_string();
    assert!(
        o.stderr
            .contains(&format!("{conf}:6: DBPORT: expected a TCP port")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("{conf}:7: unknown key COLOUR")),
        "{}",
        o.stderr
    );

    write_config(t.path(), &config_text(""));
    assert_eq!(grafana(t.path(), &["-s", "--panels", "11,99"], &[]).code, 2);
    assert_eq!(grafana(t.path(), &["-u", "-r"], &[]).code, 2);
    assert_eq!(grafana(t.path(), &["--admin", "x"], &[]).code, 2);
}

#[test]
fn show_before_anything_is_provisioned() {
    let t = tempfile::tempdir().unwrap();
    let o = grafana(t.path(), &[], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("Nothing provisioned yet"));
    assert!(o.stdout.contains("  11  Steps per day"));
    assert!(o.stdout.contains("  61  Activities today"));
    let o = grafana(t.path(), &["-r"], &[]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("Nothing to remove"));
}

fn editor_script(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!("#!/bin/sh\ncat > \"$1\" <<'EOF'\n{content}EOF\n"),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

#[test]
fn edit_creates_then_validates_the_file() {
    let t = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    // An editor that saves without changes: the default file is valid, and private.
    let o = grafana(t.path(), &["-e"], &[("EDITOR", "true")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mode = std::fs::metadata(config_path(t.path()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let good = editor_script(tools.path(), "good", &config_text(""));
    assert_eq!(grafana(t.path(), &["-e"], &[("EDITOR", &good)]).code, 0);
    let bad = editor_script(tools.path(), "bad", "DBNAME=x\nDBPORT=0\n");
    let o = grafana(t.path(), &["-e"], &[("EDITOR", &bad)]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("configuration.conf:2: DBPORT"),
        "{}",
        o.stderr
    );
    let o = grafana(t.path(), &["-e"], &[("EDITOR", "false")]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("editor: false failed"), "{}", o.stderr);
}

#[test]
fn a_database_that_is_down_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    write_config(
        t.path(),
        &config_text("").replace(
            "DBHOST=localhost\nDBPORT=5432",
            &format!("DBHOST=127.0.0.1\nDBPORT={port}"),
        ),
    );
    let o = grafana(t.path(), &["-u"], &[]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains(&format!("database grafana@127.0.0.1:{port}/miband")),
        "{}",
        o.stderr
    );
    assert!(files(t.path()).len() == 1, "nothing written");
}

/// A stand-in for Grafana's admin API: records `METHOD path authorization` of each request and
/// answers 200, or 401 when the credentials are not admin:adminpw.
fn fake_grafana() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 2048];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&req).to_string();
            let line = text.lines().next().unwrap_or("").to_string();
            let auth = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("authorization: ")
                        .or(l.strip_prefix("Authorization: "))
                })
                .unwrap_or("-")
                .to_string();
            let ok = auth == "Basic YWRtaW46YWRtaW5wdw=="; // admin:adminpw
            log.lock().unwrap().push(format!("{line} {auth}"));
            let (status, body) = if ok {
                ("200 OK", r#"{"message":"config reloaded"}"#)
            } else {
                ("401 Unauthorized", r#"{"message":"Unauthorized"}"#)
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

#[test]
fn update_twice_show_and_reset_against_a_real_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = PgCluster::start_throwaway().expect("start PostgreSQL");
    rt.block_on(async {
        pg.create_owner_db("miband", "miband", "owner")
            .await
            .unwrap();
        let mut c = pg.connect_superuser("miband").await.unwrap();
        schema::migrate(&mut c).await.unwrap();
        c.execute(
            "INSERT INTO mibandrecord (mac) VALUES ('C8:0F:10:00:00:01'), ('C8:0F:10:00:00:02')",
            &[],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO mibandstaticinfo (dev_id, name) VALUES (2, $1)",
            &[&NASTY_NAME],
        )
        .await
        .unwrap();
    });
    let (grafana_url, requests) = fake_grafana();
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    write_config(
        root,
        &config_text(&format!(
            "GRAFANA_URL={grafana_url}\nGRAFANA_USER=admin\nGRAFANA_PASSWORD_ENV=GF_PW\nGRAFANA_PUBLIC_URL=http://192.168.0.22:3000\n"
        ))
        .replace("DBHOST=localhost\nDBPORT=5432", &format!("DBHOST=127.0.0.1\nDBPORT={}", pg.port())),
    );
    let admin = format!("host={} user=postgres", pg.socket_dir().display());
    let env = [("GF_PW", "adminpw")];

    // Every log level on, the database driver's included: still no password.
    let o = grafana(
        root,
        &["--grant", "-v", "--admin", &admin],
        &[("GF_PW", "adminpw"), ("RUST_LOG", "trace")],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("tokio_postgres"), "driver logged nothing");
    assert!(o.stdout.contains("Role grafana created"), "{}", o.stdout);

    let o = grafana(root, &["-u"], &env);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("Bands: 2"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("written    /var/lib/grafana/dashboards/miband-grafana_dev2.json"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("Grafana: reloaded datasources"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("Done updating!"));
    assert!(
        o.stderr.is_empty(),
        "a --grant role gets no warning: {}",
        o.stderr
    );
    assert_eq!(
        *requests.lock().unwrap(),
        [
            "POST /api/admin/provisioning/datasources/reload HTTP/1.1 Basic YWRtaW46YWRtaW5wdw==",
            "POST /api/admin/provisioning/dashboards/reload HTTP/1.1 Basic YWRtaW46YWRtaW5wdw==",
        ]
    );
    let ds = root.join("etc/grafana/provisioning/datasources/miband-grafana.yaml");
    assert_eq!(
        std::fs::metadata(&ds).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let first = files(root);
    assert_eq!(first.len(), 8, "{first:?}");

    // Second run: nothing changes, nothing is touched, Grafana is left alone.
    let o = grafana(root, &["-u"], &env);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stdout.contains("written"), "{}", o.stdout);
    assert!(
        o.stdout.contains("nothing changed, nothing to reload"),
        "{}",
        o.stdout
    );
    assert_eq!(files(root), first);
    assert_eq!(requests.lock().unwrap().len(), 2);

    let o = grafana(root, &["-s", "--legacy-mirror"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for needle in [
        "/etc/grafana/provisioning/datasources/miband-grafana.yaml",
        "UID:   c9b38467-5d9a-3c27-918d-cfa1bd575db2",
        "Name:  mi-band-data-user-1",
        "Title: Mi Band Data - User 2",
        "  11  Steps per day",
        "\"id\": \"c9b38467-5d9a-3c27-918d-cfa1bd575db2\"",
        "\"user\": 2,",
        "\"dash_name\": \"mi-band-data-user-2\"",
        "\"host\": \"192.168.0.22\"",
        "http://192.168.0.22:3000/d-solo/c9b38467-5d9a-3c27-918d-cfa1bd575db2/mi-band-data-user-1?orgId=1&refresh=5m&from=now-7d&to=now&panelId=61",
    ] {
        assert!(o.stdout.contains(needle), "{needle} missing from:\n{}", o.stdout);
    }

    // A band that is gone loses its dashboard.
    rt.block_on(async {
        let c = pg.connect_superuser("miband").await.unwrap();
        c.batch_execute("DELETE FROM mibandstaticinfo; DELETE FROM mibandrecord WHERE id = 2")
            .await
            .unwrap();
    });
    let o = grafana(root, &["-u"], &env);
    assert!(
        o.stdout
            .contains("removed    /var/lib/grafana/dashboards/miband-grafana_dev2.json"),
        "{}",
        o.stdout
    );

    // Wrong Grafana password: files are written, the failure is reported, exit 1.
    rt.block_on(async {
        let c = pg.connect_superuser("miband").await.unwrap();
        c.batch_execute("INSERT INTO mibandrecord (mac) VALUES ('C8:0F:10:00:00:03')")
            .await
            .unwrap();
    });
    let o = grafana(root, &["-u"], &[("GF_PW", "wrong")]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("refused admin (HTTP 401)"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("wrong"));

    let o = grafana(root, &["-r"], &env);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o
        .stdout
        .contains("removed  /var/lib/grafana/dashboards/miband-grafana_dev3.json"));
    let left: Vec<PathBuf> = files(root).into_keys().collect();
    assert_eq!(
        left,
        [PathBuf::from("etc/miband-grafana/configuration.conf")]
    );
    assert!(
        !root.join("var/lib/grafana").exists(),
        "directories -u created are gone too"
    );
    assert!(requests
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .contains("dashboards/reload"));
}

#[test]
fn the_miband_subcommand_is_the_same_tool() {
    let t = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_miband"))
        .args(["grafana", "--root"])
        .arg(t.path())
        .arg("--show")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("  41  Battery"));
}
