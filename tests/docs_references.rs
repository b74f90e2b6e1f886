//! The repository stands on its own: code, tests and scripts cite the project's documents as
//! `docs/NAME.md §N.M`, every cited document and section exists, and nothing points at a path
//! outside the repository (the one exception, Grafana's JSON schemas beside the checkout, is
//! optional and skipped visibly; see docs/testing.md §6).

use std::path::{Path, PathBuf};

const ROOTS: &[&str] = &[
    "src",
    "tests",
    "benches",
    "fuzz",
    "scripts",
    ".ci",
    "packaging",
];
/// Names of documents that live (or lived) outside `docs/`; a bare mention is a stale citation.
const DOC_NAMES: &[&str] = &[
    "protocol",
    "testing",
    "compatibility",
    "architecture",
    "real-bands",
    "arco-compat",
    "ecosystem",
    "data-and-automation",
];
/// Files allowed to name `../shared`: the optional Grafana schema lookup.
const SHARED_ALLOWED: &[&str] = &["tests/support/mod.rs", "tests/grafana_golden.rs"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n == "target" || n == "corpus")
            {
                continue;
            }
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The `§` sections `doc` has: "## 4. Title" gives "4", "### 4.2 Title" gives "4.2".
fn sections(doc: &str) -> Vec<String> {
    doc.lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|n| n.trim_end_matches('.').to_string())
        .collect()
}

/// Every `NAME.md` citation in `text`: (byte offset, name, whether it says `docs/`, section).
fn citations(text: &str) -> Vec<(usize, String, bool, Option<String>)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(".md") {
        let before = &text[..at];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |i| i + 1);
        let name = &before[start..];
        if !DOC_NAMES.contains(&name) {
            continue;
        }
        let in_docs = before[..start].ends_with("docs/");
        let after = &text[at + 3..];
        let section = after
            .strip_prefix(" §")
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect::<String>()
                    .trim_end_matches('.')
                    .to_string()
            })
            .filter(|s| !s.is_empty());
        found.push((at, name.to_string(), in_docs, section));
    }
    found
}

#[test]
fn citations_point_at_docs_and_nothing_points_outside() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for r in ROOTS {
        files(&root.join(r), &mut all);
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in all {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // binary
        };
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let line_of = |at: usize| text[..at].lines().count().max(1);
        for bad in ["/work/", "../shared"] {
            if rel == "tests/docs_references.rs" || SHARED_ALLOWED.contains(&rel.as_str()) {
                continue;
            }
            if let Some(at) = text.find(bad) {
                problems.push(format!(
                    "{rel}:{}: path outside the repository",
                    line_of(at)
                ));
            }
        }
        if rel == "tests/docs_references.rs" {
            continue;
        }
        for (at, name, in_docs, section) in citations(&text) {
            checked += 1;
            let line = line_of(at);
            if !in_docs {
                problems.push(format!("{rel}:{line}: cite {name}.md as docs/<file>.md"));
                continue;
            }
            let Ok(doc) = std::fs::read_to_string(root.join("docs").join(format!("{name}.md")))
            else {
                problems.push(format!("{rel}:{line}: docs/{name}.md does not exist"));
                continue;
            };
            if let Some(s) = section {
                if !sections(&doc).contains(&s) {
                    problems.push(format!("{rel}:{line}: docs/{name}.md has no §{s}"));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} citations found: is the scan broken?"
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_scanner_sees_what_it_must() {
    let c = citations("see docs/protocol.md §4.2 and protocol.md §3, docs/testing.md");
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].1, "protocol");
    assert!(c[0].2);
    assert_eq!(c[0].3.as_deref(), Some("4.2"));
    assert!(!c[1].2);
    assert_eq!(c[1].3.as_deref(), Some("3"));
    assert_eq!(c[2].3, None);
    let doc = "# T\n## 1. GATT layout\n### 1.2 Characteristics\n## 7. Failures\n";
    assert_eq!(sections(doc), ["1", "1.2", "7"]);
}
