//! README "Metrics" lists every metric exactly as `metrics::names` defines it: the table is
//! generated here and must appear verbatim, so a renamed or added metric cannot go undocumented.

use miband::metrics::names::{Kind, ALL};

fn table() -> String {
    let mut out = String::from("| metric | type | labels | meaning |\n|---|---|---|---|\n");
    for m in ALL {
        let kind = match m.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
            Kind::Info => "gauge (info)",
        };
        let mut labels = if m.per_band {
            "`mac`, `id`, `name`".to_string()
        } else if m.kind == Kind::Info {
            "`version`".to_string()
        } else {
            String::new()
        };
        for l in m.extra_labels {
            labels.push_str(&format!(", `{l}`"));
        }
        out.push_str(&format!(
            "| `{}` | {kind} | {labels} | {} |\n",
            m.name, m.help
        ));
    }
    out
}

#[test]
fn readme_lists_every_metric() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = table();
    assert!(
        readme.contains(&table),
        "README.md must contain this table under \"Metrics\":\n\n{table}"
    );
}
