//! The broken-configuration corpus: each `tests/config_corpus/NN-name/` holds a `devices.csv`
//! and a `settings.json` (a missing file is itself the case) and `expected.txt`, the exact error
//! text `miband collect --check` prints for them. Also: the shipped example files load cleanly,
//! warnings read as documented, and no message ever contains a key or a password.
//!
//! After a deliberate change of wording, regenerate with `UPDATE_CORPUS=1 cargo test --test
//! config_corpus` and review the diff.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use miband::config::{load, load_with_env, ConfigErrors, UpdateMode};

/// The only environment the corpus sees, so results do not depend on the machine.
fn test_env(name: &str) -> Option<String> {
    (name == "MIBAND_TEST_PASSWORD").then(|| "pw-SECRET-env".to_string())
}

fn corpus_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config_corpus");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("corpus directory")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The error text with the case directory stripped, so messages read `devices.csv:3: ...`.
fn errors_of(dir: &Path) -> String {
    let result = load_with_env(
        &dir.join("devices.csv"),
        &dir.join("settings.json"),
        &test_env,
    );
    let errors: ConfigErrors = match result {
        Ok(_) => panic!("{} loaded without errors", dir.display()),
        Err(e) => e,
    };
    assert!(!errors.problems.is_empty());
    errors
        .to_string()
        .replace(&format!("{}/", dir.display()), "")
}

/// Values that must never be echoed: every `token` column and every JSON string on a password line.
fn secrets_in(dir: &Path) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Ok(bytes) = fs::read(dir.join("devices.csv")) {
        for line in String::from_utf8_lossy(&bytes).lines() {
            // Any long word after the id, also inside a column that swallowed the token
            // because a `|` is missing.
            for column in line.split('|').skip(1) {
                for word in column.split_whitespace() {
                    if word.len() >= 16 && word.chars().all(|c| c.is_ascii_alphanumeric()) {
                        secrets.push(word.to_string());
                    }
                }
            }
        }
    }
    secrets.push("SECRET".to_string());
    secrets.push("123456".to_string());
    secrets
}

#[test]
fn every_broken_config_gives_its_exact_message() {
    let dirs = corpus_dirs();
    assert!(dirs.len() >= 25, "the corpus has only {} cases", dirs.len());
    let update = std::env::var_os("UPDATE_CORPUS").is_some();
    let mut mismatches = Vec::new();
    for dir in &dirs {
        let actual = errors_of(dir);
        let expected_path = dir.join("expected.txt");
        if update {
            fs::write(&expected_path, format!("{actual}\n")).expect("write expected.txt");
            continue;
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        if actual != expected.trim_end_matches('\n') {
            mismatches.push(format!(
                "{}:\n--- expected\n{}\n--- actual\n{actual}\n",
                dir.display(),
                expected.trim_end()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn no_message_contains_a_key_or_password() {
    for dir in corpus_dirs() {
        let text = errors_of(&dir);
        for secret in secrets_in(&dir) {
            assert!(
                !text.contains(&secret),
                "{} echoes a secret: {text}",
                dir.display()
            );
        }
    }
}

#[test]
fn the_shipped_examples_load_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let loaded = load(&root.join("devices.csv"), &root.join("settings.json")).expect("examples");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let devices = &loaded.config.devices;
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].id, "1");
    assert_eq!(devices[0].mac.to_string(), "C8:0F:10:00:00:01");
    assert_eq!(devices[0].name.as_deref(), Some("Alice"));
    assert_eq!(devices[1].mac.to_string(), "C8:0F:10:00:00:02");
    assert_eq!(devices[1].name, None);
    assert_eq!(devices[1].key.expose()[0], 0xff);
    let s = &loaded.config.settings;
    assert_eq!(s.database.name, "miband");
    assert_eq!(s.database.password.expose(), "change-me");
    assert_eq!(s.database.port, 5432);
    assert_eq!(s.activity_timeout, Duration::from_secs(3600));
    assert_eq!(s.battery_timeout, Duration::from_secs(900));
    assert_eq!(s.heart_rate_timeout, Duration::from_secs(600));
    assert_eq!(s.time_check_timeout, Duration::from_secs(86_400));
    assert_eq!(s.update_mode, UpdateMode::All);
    assert_eq!(s.metrics_listen.to_string(), "127.0.0.1:10024");
    assert_eq!(s.max_concurrent_bands, 4);
    let debug = format!("{loaded:?}");
    assert!(!debug.contains("change-me"), "{debug}");
    assert!(!debug.contains("00112233"), "{debug}");
}

#[test]
fn defaults_aliases_and_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devices = dir.path().join("devices.csv");
    let settings = dir.path().join("settings.json");
    fs::write(
        &devices,
        "1 | AA:BB:CC:DD:EE:01 | 8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c\n\
         1 | AA:BB:CC:DD:EE:02 | 8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c\n",
    )
    .unwrap();
    fs::write(
        &settings,
        r#"{
  "db_name": "miband", "db_user": "miband",
  "db_password": "pw-SECRET-alias",
  "db_host": "/run/postgresql", "db_port": "5433",
  "update_mode": "always",
  "db_pasword": "pw-SECRET-typo",
  "colour": "blue"
}"#,
    )
    .unwrap();
    let loaded = load_with_env(&devices, &settings, &test_env).expect("loads");
    let warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| {
            w.to_string()
                .replace(&format!("{}/", dir.path().display()), "")
        })
        .collect();
    assert_eq!(
        warnings,
        [
            "devices.csv:2: id: \"1\" is also the id of line 1; metrics and logs will not tell these bands apart by id",
            "settings.json:3: db_password: read as \"db_passwd\", the key miband-dc reads; rename it",
            "settings.json:5: update_mode: \"always\" is read as \"all\"; write \"all\"",
            "settings.json:6: unknown key \"db_pasword\" ignored (did you mean \"db_passwd\"?)",
            "settings.json:7: unknown key \"colour\" ignored",
        ]
    );
    let s = &loaded.config.settings;
    assert_eq!(s.database.password.expose(), "pw-SECRET-alias");
    assert_eq!(s.database.port, 5433);
    assert_eq!(s.update_mode, UpdateMode::All);
    assert_eq!(s.activity_timeout, Duration::from_secs(3600));
    assert_eq!(s.battery_timeout, Duration::from_secs(900));
    assert_eq!(s.heart_rate_timeout, Duration::from_secs(600));
    assert_eq!(s.time_check_timeout, Duration::from_secs(86_400));
    assert_eq!(s.metrics_listen.to_string(), "127.0.0.1:10024");
    assert_eq!(s.adapter, None);
    assert_eq!(s.max_concurrent_bands, 4);
    assert_eq!(s.state_dir, Path::new("/var/lib/miband-dc"));
}

#[test]
fn password_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devices = dir.path().join("devices.csv");
    let settings = dir.path().join("settings.json");
    fs::write(
        &devices,
        "a | AA:BB:CC:DD:EE:01 | 0x8fa9b42eb8ba7d1d3ddb2f0c2b4a1e6c\n",
    )
    .unwrap();
    fs::write(
        &settings,
        r#"{"db_name": "m", "db_user": "u", "db_password_env": "MIBAND_TEST_PASSWORD",
            "db_host": "h", "db_port": 1, "update_mode": "charging", "adapter": "hci1",
            "max_concurrent_bands": 16, "state_dir": "/tmp/x", "metrics_listen": "[::1]:9",
            "heart_rate_timeout": "5m", "time_check_timeout": "1 week"}"#,
    )
    .unwrap();
    let loaded = load_with_env(&devices, &settings, &test_env).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let s = &loaded.config.settings;
    assert_eq!(s.database.password.expose(), "pw-SECRET-env");
    assert_eq!(s.update_mode, UpdateMode::Charging);
    assert_eq!(s.adapter.as_deref(), Some("hci1"));
    assert_eq!(s.max_concurrent_bands, 16);
    assert_eq!(s.metrics_listen.to_string(), "[::1]:9");
    assert_eq!(s.heart_rate_timeout, Duration::from_secs(300));
    assert_eq!(s.time_check_timeout, Duration::from_secs(604_800));
}

#[test]
fn config_errors_exit_with_2() {
    assert_eq!(ConfigErrors::EXIT_CODE, 2);
}
