//! What a MagicMirror needs to show the dashboards: `config.js` entries for MMM-GrafanaEmbed
//! (rendered by `templates/mirror.js`) and the `d-solo` URL of every panel (docs/compatibility.md
//! §3).
//!
//! Three forms of the module config exist in the wild: the newer module's `id` + `name` (UID
//! and slug) or `user: N` (it derives both with our formula), and the older module's
//! `dash_id` + `dash_name`. Keys are quoted so each entry is JSON as well as JavaScript.

use super::bands::Band;
use super::uid;
use askama::Template;

/// Which MMM-GrafanaEmbed config keys to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Newer module, `id` + `name`.
    IdName,
    /// Newer module, `user: N`.
    User,
    /// Older module (ARCO's recipe), `dash_id` + `dash_name`.
    Legacy,
}

/// Where the mirror reaches Grafana, split the way the module wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Set when the URL has parts the module cannot express (it always builds
    /// `http://host:port/d-solo/...`).
    pub warning: Option<String>,
}

/// Splits Grafana's public URL into the module's `host` and `port`.
pub fn endpoint(public_url: &str) -> Endpoint {
    let uri: Option<ureq::http::Uri> = public_url.parse().ok();
    let (host, port, https, path) = match &uri {
        Some(u) => (
            u.host()
                .unwrap_or("localhost")
                .trim_matches(['[', ']'])
                .to_string(),
            u.port_u16(),
            u.scheme_str() == Some("https"),
            u.path().trim_end_matches('/').to_string(),
        ),
        None => ("localhost".into(), None, false, String::new()),
    };
    let warning = (https || !path.is_empty()).then(|| {
        format!("MMM-GrafanaEmbed always loads http://host:port/d-solo/...; it cannot reach {public_url} as configured")
    });
    Endpoint {
        host,
        port: port.unwrap_or(if https { 443 } else { 80 }),
        warning,
    }
}

/// The URL of one panel alone, as the module builds it (refresh 5m, last 7 days).
pub fn dsolo_url(public_url: &str, org_id: u32, band_id: i32, panel_id: u32) -> String {
    format!(
        "{public_url}/d-solo/{}/{}?orgId={org_id}&refresh=5m&from=now-7d&to=now&panelId={panel_id}",
        uid::dashboard_uid(band_id),
        uid::dashboard_slug(band_id)
    )
}

/// One band's entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// User id.
    pub id: i32,
    /// Dashboard UID.
    pub uid: String,
    /// Dashboard slug.
    pub slug: String,
    /// Header above the panels.
    pub header: String,
}

/// Template context of `mirror.js`.
#[derive(Debug, Template)]
#[template(path = "mirror.js")]
pub struct MirrorSnippet {
    /// Which keys.
    pub form: Form,
    /// Grafana host and port.
    pub endpoint: Endpoint,
    /// Organisation.
    pub org_id: u32,
    /// Panel ids to embed.
    pub panels: Vec<u32>,
    /// One entry per band.
    pub entries: Vec<Entry>,
}

/// The `config.js` module entries of every band, each followed by a comma.
pub fn render(
    bands: &[Band],
    form: Form,
    public_url: &str,
    org_id: u32,
    panels: &[u32],
) -> Result<String, askama::Error> {
    MirrorSnippet {
        form,
        endpoint: endpoint(public_url),
        org_id,
        panels: panels.to_vec(),
        entries: bands
            .iter()
            .map(|b| Entry {
                id: b.id,
                uid: uid::dashboard_uid(b.id),
                slug: uid::dashboard_slug(b.id),
                header: b.name.clone().unwrap_or_else(|| format!("User {}", b.id)),
            })
            .collect(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = endpoint("http://192.168.0.22:3000");
        assert_eq!(
            (e.host.as_str(), e.port, e.warning),
            ("192.168.0.22", 3000, None)
        );
        let e = endpoint("https://grafana.example.org/grafana");
        assert_eq!((e.host.as_str(), e.port), ("grafana.example.org", 443));
        assert!(e.warning.is_some());
    }

    #[test]
    fn legacy_form_has_css_units_and_the_user_name() {
        let bands = [Band {
            id: 1,
            mac: "C8:0F:10:DE:00:01".into(),
            name: Some("Alice".into()),
        }];
        let out = render(&bands, Form::Legacy, "http://localhost:3000", 1, &[11]).unwrap();
        // The module versions that read width/height set them as CSS lengths: no unit, ignored.
        assert!(out.contains("\"width\": \"450px\""), "{out}");
        assert!(out.contains("\"height\": \"200px\""), "{out}");
        // Without dash_username its header reads "unknown user".
        assert!(out.contains("\"dash_username\": \"Alice\""), "{out}");
    }

    #[test]
    fn dsolo_url_is_the_modules() {
        assert_eq!(
            dsolo_url("http://localhost:3000", 1, 1, 11),
            "http://localhost:3000/d-solo/c9b38467-5d9a-3c27-918d-cfa1bd575db2/mi-band-data-user-1?orgId=1&refresh=5m&from=now-7d&to=now&panelId=11"
        );
    }
}
