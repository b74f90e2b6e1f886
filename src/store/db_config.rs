//! Where the history database is and who we are there.
//!
//! Its own type (rather than a connection string) so the password never travels through a string
//! that might be logged: `Debug` redacts it and nothing here formats it.

use std::fmt;
use std::time::Duration;

/// Connection settings for the history database (miband-dc's `db_*` settings).
#[derive(Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// Host name, IP address, or a directory holding the server's Unix socket (starts with `/`).
    pub host: String,
    /// TCP port (also names the Unix socket file, `.s.PGSQL.<port>`).
    pub port: u16,
    /// Database name (`db_name`).
    pub dbname: String,
    /// Login role; should own the database so migrations can run (`db_user`).
    pub user: String,
    /// Password (`db_passwd`); empty for none (e.g. trusted socket connections).
    pub password: String,
}

impl DbConfig {
    /// The tokio-postgres configuration. Keepalives make a silently vanished server show up as a
    /// lost connection; the caller bounds connection attempts with its own timeout.
    pub fn to_pg_config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.host)
            .port(self.port)
            .dbname(&self.dbname)
            .user(&self.user)
            .application_name("miband")
            // No NOTICE ("relation … already exists, skipping") from the idempotent schema
            // statements at every start; warnings and errors still come through.
            .options("-c client_min_messages=warning")
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if !self.password.is_empty() {
            c.password(self.password.as_bytes());
        }
        c
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("user", &self.user)
            .field(
                "password",
                &if self.password.is_empty() {
                    "<none>"
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(password: &str) -> DbConfig {
        DbConfig {
            host: "/run/postgresql".into(),
            port: 5432,
            dbname: "miband".into(),
            user: "miband".into(),
            password: password.into(),
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let text = format!("{:?} {:#?}", cfg("hunter2-s3cret"), cfg("hunter2-s3cret"));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"));
        assert!(format!("{:?}", cfg("")).contains("<none>"));
    }

    #[test]
    fn socket_directory_becomes_a_unix_host() {
        let pg = cfg("x").to_pg_config();
        assert!(matches!(
            pg.get_hosts(),
            [tokio_postgres::config::Host::Unix(p)] if p == std::path::Path::new("/run/postgresql")
        ));
        let mut tcp = cfg("x");
        tcp.host = "127.0.0.1".into();
        assert!(matches!(
            tcp.to_pg_config().get_hosts(),
            [tokio_postgres::config::Host::Tcp(h)] if h == "127.0.0.1"
        ));
    }
}
