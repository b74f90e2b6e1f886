//! The dashboard naming contract: file name, title, slug and UID of a band's dashboard.
//!
//! MagicMirror's MMM-GrafanaEmbed derives the UID itself in its `user: N` mode with exactly this
//! formula (UUIDv3, ARCO's namespace, name `miband-grafana_dev<N>.json`; docs/compatibility.md
//! §2.4), so changing anything here breaks every mirror already configured. ARCO's last release
//! switched to the MAC and broke them; this module exists so that cannot happen by accident.

use uuid::Uuid;

/// ARCO's namespace for dashboard and datasource UIDs.
pub const NAMESPACE: Uuid = Uuid::from_u128(0xa0a5_0c9e_6556_48a1_8bd9_dd9c_b438_4d5c);

/// Name of the provisioning files (datasource and provider) ARCO used, kept for drop-in upgrades.
pub const PROVISIONING_FILE: &str = "miband-grafana.yaml";

/// UID of the Prometheus datasource (ours; ARCO had none).
pub const PROMETHEUS_DATASOURCE_UID: &str = "miband-prometheus";

/// UID of the live overview dashboard.
pub const OVERVIEW_UID: &str = "miband-overview";

/// File name of the overview dashboard.
pub const OVERVIEW_FILE: &str = "miband-overview.json";

/// The dashboard file of band (user) `id`, as ARCO named it.
pub fn dashboard_file_name(id: i32) -> String {
    format!("miband-grafana_dev{id}.json")
}

/// The dashboard UID of band `id`: 36-character UUIDv3 of its file name.
pub fn dashboard_uid(id: i32) -> String {
    Uuid::new_v3(&NAMESPACE, dashboard_file_name(id).as_bytes())
        .hyphenated()
        .to_string()
}

/// The dashboard title of band `id`.
pub fn dashboard_title(id: i32) -> String {
    format!("Mi Band Data - User {id}")
}

/// The dashboard slug (`name` in MMM-GrafanaEmbed) of band `id`.
pub fn dashboard_slug(id: i32) -> String {
    slugify(&dashboard_title(id))
}

/// UID of the PostgreSQL datasource: ARCO's formula over the provisioning file name, so an
/// upgraded installation updates its datasource in place instead of adding a second one.
pub fn postgres_datasource_uid() -> String {
    Uuid::new_v3(&NAMESPACE, PROVISIONING_FILE.as_bytes())
        .hyphenated()
        .to_string()
}

/// Grafana's slug of a title: lower case, runs of anything but letters and digits become one
/// `-`, no `-` at either end.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Grafana's UID rule (pkg/util/shortid_generator.go): at most 40 characters, only letters,
/// digits, `-` and `_`; Grafana 12 rejects anything else.
pub fn is_valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 40
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_1_has_arcos_uid() {
        assert_eq!(dashboard_uid(1), "c9b38467-5d9a-3c27-918d-cfa1bd575db2");
    }

    #[test]
    fn names_are_pinned() {
        assert_eq!(dashboard_file_name(7), "miband-grafana_dev7.json");
        assert_eq!(dashboard_title(7), "Mi Band Data - User 7");
        assert_eq!(dashboard_slug(1), "mi-band-data-user-1");
        assert_eq!(dashboard_slug(42), "mi-band-data-user-42");
    }

    #[test]
    fn every_uid_is_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for id in 1..=500 {
            let uid = dashboard_uid(id);
            assert!(is_valid_uid(&uid), "{uid}");
            assert!(seen.insert(uid));
        }
        for uid in [
            postgres_datasource_uid().as_str(),
            PROMETHEUS_DATASOURCE_UID,
            OVERVIEW_UID,
        ] {
            assert!(is_valid_uid(uid), "{uid}");
        }
    }

    #[test]
    fn invalid_uids_are_rejected() {
        assert!(!is_valid_uid(""));
        assert!(!is_valid_uid(&"a".repeat(41)));
        assert!(!is_valid_uid("a/b"));
        assert!(!is_valid_uid("a b"));
    }

    #[test]
    fn slugify_collapses_punctuation() {
        assert_eq!(slugify("  Mi Band -- Overview! "), "mi-band-overview");
    }
}
