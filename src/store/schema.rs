//! The database schema, as an ordered list of versioned migrations. This file is the one place
//! that says what the tables are; 0001 is miband-dc's own schema so its databases upgrade in place.

use tokio_postgres::Client;

/// One migration: a version number and idempotent SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Applied in increasing order; recorded in `miband_schema_version`.
    pub version: i32,
    /// Short description, stored alongside the version.
    pub name: &'static str,
    /// The statements (may be several, separated by `;`).
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "miband-dc schema",
        sql: include_str!("migrations/0001_miband_dc.sql"),
    },
    Migration {
        version: 2,
        name: "collector additions: MB5 extra bytes, band name, reading lookups",
        sql: include_str!("migrations/0002_collector.sql"),
    },
];

/// Errors while bringing a database to the current schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A statement failed; `version` tells which migration.
    #[error("schema migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration version.
        version: i32,
        /// Its name.
        name: &'static str,
        /// The database error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The bookkeeping table could not be read or written.
    #[error("schema version table: {0}")]
    Bookkeeping(#[source] tokio_postgres::Error),
}

/// Creates the schema if absent and applies every migration not yet recorded, each in its own
/// transaction, serialised by an advisory lock so two collectors starting at once do not race.
/// Returns the version the database is at afterwards.
pub async fn migrate(client: &mut Client) -> Result<i32, SchemaError> {
    let tx = client
        .transaction()
        .await
        .map_err(SchemaError::Bookkeeping)?;
    // Any fixed key works; it only has to be the same for every miband process.
    tx.execute("SELECT pg_advisory_xact_lock(7236150001)", &[])
        .await
        .map_err(SchemaError::Bookkeeping)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS miband_schema_version (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())",
    )
    .await
    .map_err(SchemaError::Bookkeeping)?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM miband_schema_version",
            &[],
        )
        .await
        .map_err(SchemaError::Bookkeeping)?;
    let before: i32 = row.get(0);
    let mut current = before;
    for m in MIGRATIONS.iter().filter(|m| m.version > before) {
        tx.batch_execute(m.sql)
            .await
            .map_err(|source| SchemaError::Migration {
                version: m.version,
                name: m.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO miband_schema_version (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(SchemaError::Bookkeeping)?;
        current = m.version;
    }
    tx.commit().await.map_err(SchemaError::Bookkeeping)?;
    Ok(current)
}

/// The version the newest migration brings a database to.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase_from_one() {
        for (expected, m) in (1..).zip(MIGRATIONS) {
            assert_eq!(m.version, expected, "{}", m.name);
        }
        assert_eq!(latest_version(), MIGRATIONS.len() as i32);
    }

    #[test]
    fn first_migration_has_every_miband_dc_table() {
        for t in [
            "mibandrecord",
            "mibandstaticinfo",
            "activityrecord",
            "batteryinforecord",
            "steprecord",
            "heartraterecord",
        ] {
            assert!(
                MIGRATIONS[0]
                    .sql
                    .contains(&format!("CREATE TABLE IF NOT EXISTS {t} (")),
                "{t}"
            );
        }
    }
}
