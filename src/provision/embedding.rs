//! Embedding panels in a mirror needs `[security] allow_embedding` and anonymous access in
//! grafana.ini (docs/compatibility.md §3). ARCO replaced the whole grafana.ini to get them; we only
//! read it, say what is missing, and write the needed lines to a separate file
//! (`templates/embedding.txt`) for the admin to merge.

use askama::Template;

/// Template context of `embedding.txt`.
#[derive(Debug, Template)]
#[template(path = "embedding.txt")]
pub struct EmbeddingFile {
    /// Where Grafana's settings live.
    pub grafana_ini: String,
}

/// What grafana.ini already allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddingStatus {
    /// `[security] allow_embedding = true`.
    pub allow_embedding: bool,
    /// `[auth.anonymous] enabled = true`.
    pub anonymous: bool,
}

impl EmbeddingStatus {
    /// Both are set.
    pub fn ready(self) -> bool {
        self.allow_embedding && self.anonymous
    }
}

/// Reads the two settings from grafana.ini text (Grafana's defaults are both off).
pub fn check(ini: &str) -> EmbeddingStatus {
    let mut status = EmbeddingStatus {
        allow_embedding: false,
        anonymous: false,
    };
    let mut section = String::new();
    for line in ini.lines().map(str::trim) {
        if line.starts_with([';', '#']) || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let on = matches!(
            value.trim().trim_matches('"').to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on"
        );
        match (section.as_str(), key.trim()) {
            ("security", "allow_embedding") => status.allow_embedding = on,
            ("auth.anonymous", "enabled") => status.anonymous = on,
            _ => {}
        }
    }
    status
}

/// The lines to merge into grafana.ini.
pub fn render(grafana_ini: &std::path::Path) -> Result<String, askama::Error> {
    EmbeddingFile {
        grafana_ini: grafana_ini.display().to_string(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_settings() {
        let s = check("[security]\n;allow_embedding = true\n[auth.anonymous]\nenabled = true\n");
        assert_eq!(
            s,
            EmbeddingStatus {
                allow_embedding: false,
                anonymous: true
            }
        );
        assert!(
            check("[security]\nallow_embedding = true\n[auth.anonymous]\nenabled=true").ready()
        );
        assert!(!check("allow_embedding = true\n").ready());
    }

    #[test]
    fn our_own_snippet_is_ready() {
        let text = render(std::path::Path::new("/etc/grafana/grafana.ini")).unwrap();
        assert!(check(&text).ready());
    }
}
