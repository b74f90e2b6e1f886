//! README "Dashboards and panel IDs" lists every panel exactly as `provision::panels` defines
//! them (the IDs MagicMirror configs embed), so the table cannot drift from the dashboards.

use miband::provision::panels;

fn table() -> String {
    let mut out = String::from("| panel ID | title | shows | unit |\n|---|---|---|---|\n");
    for p in panels::all() {
        out.push_str(&format!(
            "| {} | {} | {} | `{}` |\n",
            p.id, p.title, p.meaning, p.unit
        ));
    }
    out
}

#[test]
fn readme_lists_every_panel() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = table();
    assert!(
        readme.contains(&table),
        "README.md must contain this table under \"Dashboards and panel IDs\":\n\n{table}"
    );
}

/// The shipped MagicMirror example names user 1's dashboard by the UID formula, and only panels
/// that exist.
#[test]
fn magicmirror_example_matches_the_contracts() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/magicmirror-config.js"
    ))
    .expect("config/magicmirror-config.js");
    let uid = miband::provision::uid::dashboard_uid(1);
    assert_eq!(example.matches(&uid).count(), 2, "{uid}");
    assert!(example.contains(&miband::provision::uid::dashboard_slug(1)));
    let ids: Vec<u32> = panels::all().map(|p| p.id).collect();
    for line in example
        .lines()
        .filter(|l| l.trim_start().starts_with("panels:"))
    {
        let list = line.split(['[', ']']).nth(1).expect("a list");
        for id in list.split(',') {
            let id: u32 = id.trim().parse().expect("a panel id");
            assert!(ids.contains(&id), "panel {id} does not exist");
        }
    }
}
