//! Every file `miband-grafana -u` renders, against golden copies in tests/golden/ (set
//! UPDATE_GOLDEN=1 to rewrite them), parsed back, and checked against Grafana's own JSON
//! schemas when they are available (docs/testing.md §6) — with band names and passwords full of
//! quotes, backslashes, `/`, `&`, newlines, `{{` and `$`.

mod support;

use miband::provision::conf::{self, Config};
use miband::provision::mirror::{self, Form};
use miband::provision::paths::Layout;
use miband::provision::plan::plan;
use miband::provision::{datasource, panels, uid};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use support::{
    bands, config_text, grafana_literal, schema, schema_dir, skipped, NASTY_NAME, NASTY_PASSWORD,
};

const ENV_VAR: &str = "MIBAND_GRAFANA_DBPASSWORD";

fn config() -> Config {
    conf::parse(
        &config_text(""),
        Path::new("/etc/miband-grafana/configuration.conf"),
    )
    .unwrap()
}

fn env_config() -> Config {
    let text = format!(
        "DBNAME=miband\nDBUSER=grafana\nDBPASSWORD_ENV={ENV_VAR}\nDBHOST=::1\nDBPORT=5433\nGRAFANA_FOLDER='Mi \"Band\" $x'\nPROMETHEUS_URL=http://prometheus:9090/\n"
    );
    conf::parse(&text, Path::new("x.conf")).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden copy (run with UPDATE_GOLDEN=1 and review the diff)"
    );
}

/// (file name, contents) of everything -u would write.
fn rendered(config: &Config) -> Vec<(String, String)> {
    plan(config, &Layout::new(None, None, None, None), &bands())
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.path.file_name().unwrap().to_string_lossy().into_owned(),
                f.contents,
            )
        })
        .collect()
}

fn dashboards(config: &Config) -> Vec<(String, Value)> {
    rendered(config)
        .into_iter()
        .filter(|(n, _)| n.ends_with(".json"))
        .map(|(n, c)| {
            let v = serde_json::from_str(&c).unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, v)
        })
        .collect()
}

#[test]
fn every_rendered_file_matches_its_golden_copy() {
    let files = rendered(&config());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "miband-grafana.yaml",
            "miband-grafana.yaml",
            "miband-grafana_dev1.json",
            "miband-grafana_dev2.json",
            "miband-grafana_dev17.json",
            "miband-overview.json",
            "grafana-embedding.ini"
        ]
    );
    golden("datasources.yaml", &files[0].1);
    golden("dashboards.yaml", &files[1].1);
    for (name, contents) in &files[2..] {
        golden(name, contents);
    }
    let env = rendered(&env_config());
    golden("datasources-env.yaml", &env[0].1);
    golden("dashboards-folder.yaml", &env[1].1);
    for (form, name) in [
        (Form::IdName, "mirror-id-name.js"),
        (Form::User, "mirror-user.js"),
        (Form::Legacy, "mirror-legacy.js"),
    ] {
        let js = mirror::render(
            &bands(),
            form,
            "http://192.168.0.22:3000",
            1,
            &[11, 12, 31, 41],
        )
        .unwrap();
        golden(name, &js);
    }
}

fn yaml(text: &str) -> serde_json::Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn datasource_yaml_parses_and_carries_the_password_literally() {
    let files = rendered(&config());
    let doc = yaml(&files[0].1);
    let ds = doc["datasources"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    let pg = &ds[0];
    assert_eq!(pg["type"], datasource::POSTGRES_TYPE);
    assert_eq!(pg["name"], "MiBand DB");
    assert_eq!(pg["uid"], uid::postgres_datasource_uid());
    assert_eq!(pg["url"], "localhost:5432");
    assert_eq!(pg["jsonData"]["database"], "miband");
    assert!(pg.get("password").is_none() && pg.get("database").is_none());
    let password = pg["secureJsonData"]["password"].as_str().unwrap();
    // What Grafana makes of it after its own `$` interpolation is exactly the password.
    assert_eq!(grafana_literal(password).as_deref(), Some(NASTY_PASSWORD));
    let prom = &ds[1];
    assert_eq!(prom["type"], "prometheus");
    assert_eq!(prom["url"], "http://localhost:9090");
    for d in ds {
        assert!(uid::is_valid_uid(d["uid"].as_str().unwrap()));
    }
}

#[test]
fn env_password_leaves_no_password_in_the_file() {
    let files = rendered(&env_config());
    let doc = yaml(&files[0].1);
    let pg = &doc["datasources"][0];
    assert_eq!(
        pg["secureJsonData"]["password"],
        format!("$__env{{{ENV_VAR}}}")
    );
    assert_eq!(pg["url"], "[::1]:5433");
    assert_eq!(doc["datasources"][1]["url"], "http://prometheus:9090");
    let provider = yaml(&files[1].1);
    let folder = provider["providers"][0]["folder"].as_str().unwrap();
    assert_eq!(grafana_literal(folder).as_deref(), Some("Mi \"Band\" $x"));
}

#[test]
fn provider_yaml_points_at_the_dashboards() {
    let files = rendered(&config());
    let doc = yaml(&files[1].1);
    let p = &doc["providers"][0];
    assert_eq!(p["type"], "file");
    assert_eq!(p["disableDeletion"], false);
    assert_eq!(p["options"]["path"], "/var/lib/grafana/dashboards");
}

/// Validates `instance` against `schema`'s definition `def`.
fn validate(schema: &Value, def: &str, instance: &Value, what: &str) {
    let mut s = schema.clone();
    s["$ref"] = Value::String(format!("#/definitions/{def}"));
    let validator = jsonschema::validator_for(&s).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn dashboards_validate_against_grafanas_schemas() {
    let Some(dir) = schema_dir() else {
        skipped(
            "dashboards were not validated against Grafana's JSON schemas: no \
             ../shared/schemas/grafana beside the checkout and MIBAND_GRAFANA_SCHEMAS unset",
        );
        return;
    };
    let dashboard_schema = schema(&dir, "dashboard.jsonschema.json");
    let validator = jsonschema::validator_for(&dashboard_schema).unwrap();
    let panel_schemas: Vec<(&str, Value)> = ["timeseries", "stat", "gauge", "piechart"]
        .into_iter()
        .map(|t| (t, schema(&dir, &format!("{t}.jsonschema.json"))))
        .collect();
    // The schema is strict enough to catch a stray field.
    let (_, mut broken) = dashboards(&config()).remove(0);
    broken["panels"][1]["gridPos"]["w"] = Value::from(25);
    assert!(!validator.is_valid(&broken));
    for config in [config(), env_config()] {
        for (name, d) in dashboards(&config) {
            let errors: Vec<String> = validator
                .iter_errors(&d)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
            for p in d["panels"].as_array().unwrap() {
                let ty = p["type"].as_str().unwrap();
                if ty == "row" {
                    continue;
                }
                let (_, s) = panel_schemas.iter().find(|(t, _)| *t == ty).unwrap();
                let what = format!("{name} panel {}", p["id"]);
                validate(s, "Options", &p["options"], &what);
                if s["definitions"].get("FieldConfig").is_some() {
                    validate(
                        s,
                        "FieldConfig",
                        &p["fieldConfig"]["defaults"]["custom"],
                        &what,
                    );
                }
            }
        }
    }
}

#[test]
fn band_dashboards_keep_the_contract() {
    let pg_uid = uid::postgres_datasource_uid();
    for (name, d) in dashboards(&config()) {
        let uid_str = d["uid"].as_str().unwrap();
        assert!(uid::is_valid_uid(uid_str), "{name}");
        let panels_json = d["panels"].as_array().unwrap();
        let mut ids = HashSet::new();
        for p in panels_json {
            assert!(
                ids.insert(p["id"].as_u64().unwrap()),
                "{name}: duplicate id"
            );
            let g = &p["gridPos"];
            assert!(
                g["x"].as_u64().unwrap() + g["w"].as_u64().unwrap() <= 24,
                "{name}"
            );
        }
        if name == "miband-overview.json" {
            assert_eq!(uid_str, uid::OVERVIEW_UID);
            assert_eq!(d["templating"]["list"][0]["name"], "band");
            for p in panels_json.iter().filter(|p| p["type"] != "row") {
                assert_eq!(p["datasource"]["uid"], uid::PROMETHEUS_DATASOURCE_UID);
            }
            continue;
        }
        let band = bands()
            .into_iter()
            .find(|b| uid::dashboard_file_name(b.id) == name)
            .unwrap();
        assert_eq!(d["title"], format!("Mi Band Data - User {}", band.id));
        assert_eq!(uid_str, uid::dashboard_uid(band.id));
        if band.id == 1 {
            assert_eq!(uid_str, "c9b38467-5d9a-3c27-918d-cfa1bd575db2");
        }
        if band.id == 2 {
            assert!(d["description"].as_str().unwrap().contains(NASTY_NAME));
        }
        let by_id = |id: u64| panels_json.iter().find(|p| p["id"] == id).unwrap();
        for spec in panels::all() {
            let p = by_id(u64::from(spec.id));
            assert_eq!(p["title"], spec.title);
            assert_eq!(p["datasource"]["uid"], pg_uid.as_str());
            for t in p["targets"].as_array().unwrap() {
                let sql = t["rawSql"].as_str().unwrap();
                assert!(
                    sql.contains(&format!("dev_id = {}", band.id)),
                    "{name} {}",
                    spec.id
                );
                assert_eq!(t["datasource"]["uid"], pg_uid.as_str());
            }
        }
        assert_eq!(by_id(31)["fieldConfig"]["defaults"]["unit"], "suffix:bpm");
        assert_eq!(by_id(21)["fieldConfig"]["defaults"]["unit"], "suffix:kcal");
        assert_eq!(by_id(41)["fieldConfig"]["defaults"]["unit"], "percent");
        assert_eq!(by_id(52)["fieldConfig"]["defaults"]["unit"], "h");
        for (id, ty) in [
            (11, "timeseries"),
            (12, "gauge"),
            (41, "stat"),
            (61, "piechart"),
        ] {
            assert_eq!(by_id(id)["type"], ty);
        }
    }
}

#[test]
fn mirror_entries_are_valid_javascript_objects() {
    for form in [Form::IdName, Form::User, Form::Legacy] {
        let js = mirror::render(&bands(), form, "http://localhost:3000", 1, &[11, 31]).unwrap();
        // Each entry is JSON followed by a comma, ready for `modules: [ ... ]`.
        let array = format!("[{}]", js.trim().trim_end_matches(','));
        let entries: Vec<Value> =
            serde_json::from_str(&array).unwrap_or_else(|e| panic!("{form:?}: {e}\n{js}"));
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1]["header"], NASTY_NAME);
        assert_eq!(entries[2]["header"], "User 17");
        let c = &entries[0]["config"];
        assert_eq!(c["panels"], serde_json::json!([11, 31]));
        match form {
            Form::IdName => {
                assert_eq!(c["id"], "c9b38467-5d9a-3c27-918d-cfa1bd575db2");
                assert_eq!(c["name"], "mi-band-data-user-1");
            }
            Form::User => assert_eq!(c["user"], 1),
            Form::Legacy => {
                assert_eq!(c["dash_id"], "c9b38467-5d9a-3c27-918d-cfa1bd575db2");
                assert_eq!(c["dash_name"], "mi-band-data-user-1");
            }
        }
    }
}
