//! The bands to provision: one row of `mibandrecord` each (its `id` is the "User N" of
//! dashboards and mirrors), named by its latest `mibandstaticinfo` row if it has one.

use serde::{Deserialize, Serialize};

/// One band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    /// `mibandrecord.id`.
    pub id: i32,
    /// Its MAC address.
    pub mac: String,
    /// Its name, when miband-dc stored one.
    pub name: Option<String>,
}

impl Band {
    /// "User 3 (C8:0F:10:00:00:03, "Mi Smart Band 4")", for humans.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!(
                "User {} ({}, {})",
                self.id,
                self.mac,
                super::escape::json_literal(n)
            ),
            None => format!("User {} ({})", self.id, self.mac),
        }
    }
}

/// Reads every band, ordered by id.
///
/// The display name from devices.csv (`mibandrecord.name`, which the collector's second migration
/// adds) wins over the device name the band reports; a database miband-dc made and our collector
/// never touched has no such column, so it is looked for first.
pub async fn read(client: &tokio_postgres::Client) -> Result<Vec<Band>, tokio_postgres::Error> {
    let has_name: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_name = 'mibandrecord' AND column_name = 'name'
               AND table_schema = current_schema())",
            &[],
        )
        .await?
        .get(0);
    let name = if has_name {
        "COALESCE(NULLIF(r.name, ''), NULLIF(s.name, ''))"
    } else {
        "NULLIF(s.name, '')"
    };
    let rows = client
        .query(
            &format!(
                "SELECT r.id, r.mac, {name}
             FROM mibandrecord r
             LEFT JOIN LATERAL (
               SELECT name FROM mibandstaticinfo WHERE dev_id = r.id ORDER BY id DESC LIMIT 1
             ) s ON true
             ORDER BY r.id"
            ),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Band {
            id: r.get(0),
            mac: r.get(1),
            name: r.get(2),
        })
        .collect())
}
