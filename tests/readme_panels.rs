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
