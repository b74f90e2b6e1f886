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

/// Reads every band, ordered by id: the store's User N ↔ MAC ↔ name mapping
/// ([`crate::store::band_id::read_mapping`], the one query for it), in provisioning's shape.
///
/// The display name from devices.csv (`mibandrecord.name`, which the collector's second migration
/// adds) wins over the device name the band reports; a database miband-dc made and our collector
/// never touched has no such column, and the mapping query copes with that.
pub async fn read(client: &tokio_postgres::Client) -> Result<Vec<Band>, tokio_postgres::Error> {
    Ok(crate::store::band_id::read_mapping(client)
        .await?
        .into_iter()
        .map(|b| Band {
            id: b.id.get(),
            mac: b.mac,
            name: b.name,
        })
        .collect())
}
