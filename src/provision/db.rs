//! The connection `-u` checks: as Grafana's own read-only user, exactly as Grafana will connect,
//! so a wrong password or a missing grant shows up here and not as empty panels later.

use super::conf::{Config, Database};
use super::error::Error;
use std::time::Duration;
use tokio_postgres::Client;

/// `user@host:port/dbname`, for messages.
pub fn target(db: &Database) -> String {
    format!("{}@{}:{}/{}", db.user, db.host, db.port, db.name)
}

/// The database password, from the file or the environment variable it names.
pub fn password(config: &Config) -> Result<crate::provision::secret::Secret, Error> {
    config
        .db
        .password
        .resolve()
        .map_err(|message| Error::Environment {
            path: config.path.clone(),
            message,
        })
}

/// Connects as the configured user (password from the file or the environment).
pub async fn connect(config: &Config) -> Result<Client, Error> {
    let db = &config.db;
    let password = password(config)?;
    let mut pg = tokio_postgres::Config::new();
    pg.host(&db.host)
        .port(db.port)
        .user(&db.user)
        .password(password.expose())
        .dbname(&db.name)
        .application_name("miband-grafana")
        .connect_timeout(Duration::from_secs(10));
    let (client, connection) =
        pg.connect(tokio_postgres::NoTls)
            .await
            .map_err(|source| Error::Database {
                target: target(db),
                source,
            })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Tables of the public schema the connected user could change (it should be none), plus a
/// note if it is a superuser.
pub async fn write_privileges(client: &Client) -> Result<Vec<String>, tokio_postgres::Error> {
    let superuser: bool = client
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?
        .get(0);
    if superuser {
        return Ok(vec!["it is a superuser".into()]);
    }
    let rows = client
        .query(
            "SELECT c.relname::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
             ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| format!("it can change table {}", r.get::<_, String>(0)))
        .collect())
}
