//! `--grant`: makes Grafana's database role what ARCO's docs asked for and never enforced —
//! CONNECT on the database, USAGE on the schema, SELECT on the tables (now and, through default
//! privileges, future ones), nothing else — then checks that this is really all it can do.
//!
//! Statements are built server-side with `format('%I', '%L')`, so no role name or password can
//! break out of its quotes.

use super::conf::Config;
use super::error::Error;
use super::secret::Secret;
use super::update::runtime;
use tokio_postgres::Client;

/// How `--grant` connects when not told: the local superuser over the Debian socket.
pub const DEFAULT_ADMIN: &str = "host=/var/run/postgresql user=postgres";

/// `--grant`: connects with `admin_conninfo` (libpq key=value or URL; the database defaults to
/// `DBNAME`, the port to `DBPORT`) and runs [`grant`] for `DBUSER`.
pub fn run(config: &Config, admin_conninfo: Option<&str>) -> Result<GrantReport, Error> {
    let password = super::db::password(config)?;
    let conninfo = admin_conninfo.unwrap_or(DEFAULT_ADMIN);
    let mut pg: tokio_postgres::Config = conninfo
        .parse()
        .map_err(|e| Error::Argument(format!("--admin: not a connection string ({e})")))?;
    if pg.get_dbname().is_none() {
        pg.dbname(&config.db.name);
    }
    if pg.get_ports().is_empty() {
        pg.port(config.db.port);
    }
    let target = format!(
        "{}@{}",
        pg.get_user().unwrap_or("?"),
        pg.get_dbname().unwrap_or("?")
    );
    let database = |source| Error::Database {
        target: target.clone(),
        source,
    };
    runtime()?.block_on(async {
        let (client, connection) = pg.connect(tokio_postgres::NoTls).await.map_err(database)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        grant(&client, &config.db.user, &password, &config.db.name)
            .await
            .map_err(database)
    })
}

/// What `--grant` did and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantReport {
    /// The role did not exist and was created.
    pub created: bool,
    /// Things that make the role more than read-only (empty when all is well).
    pub problems: Vec<String>,
    /// Worth knowing but not wrong.
    pub notes: Vec<String>,
}

async fn run_formatted(
    admin: &Client,
    format_sql: &str,
    params: &[&str],
) -> Result<(), tokio_postgres::Error> {
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let stmt: String = admin.query_one(format_sql, &params).await?.get(0);
    admin.batch_execute(&stmt).await
}

/// Creates the role (or sets its password) and grants read access to `database`, whose
/// tables must already exist. `admin` must be connected to `database` as a superuser or as the
/// tables' owner with CREATEROLE.
pub async fn grant(
    admin: &Client,
    role: &str,
    password: &Secret,
    database: &str,
) -> Result<GrantReport, tokio_postgres::Error> {
    let existing = admin
        .query_opt(
            "SELECT rolsuper FROM pg_roles WHERE rolname = $1::text",
            &[&role],
        )
        .await?;
    let owner: Option<String> = admin
        .query_opt(
            "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tablename = 'mibandrecord'",
            &[],
        )
        .await?
        .map(|r| r.get(0));
    if existing.as_ref().is_some_and(|r| r.get::<_, bool>(0)) || owner.as_deref() == Some(role) {
        // Never demote or strip an account that is used for something else.
        let mut report = check(admin, role, database).await?;
        report.problems.insert(
            0,
            format!(
                "{role} is a superuser or owns the tables: give Grafana a role of its own (DBUSER)"
            ),
        );
        return Ok(report);
    }
    let verb = if existing.is_some() {
        "ALTER"
    } else {
        "CREATE"
    };
    // The password never travels (so no driver or server log can show it): only its
    // SCRAM-SHA-256 verifier, which PostgreSQL stores as it is and which cannot be logged in with.
    let verifier = postgres_protocol::password::scram_sha_256(password.expose().as_bytes());
    run_formatted(
        admin,
        &format!("SELECT format('{verb} ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %L', $1::text, $2::text)"),
        &[role, &verifier],
    )
    .await?;
    run_formatted(
        admin,
        "SELECT format('GRANT CONNECT ON DATABASE %I TO %I', $1::text, $2::text)",
        &[database, role],
    )
    .await?;
    run_formatted(
        admin,
        "SELECT format('GRANT USAGE ON SCHEMA public TO %I; GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', $1::text, $1::text)",
        &[role],
    )
    .await?;
    if let Some(owner) = &owner {
        run_formatted(
            admin,
            "SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', $1::text, $2::text)",
            &[owner, role],
        )
        .await?;
    }
    let mut report = check(admin, role, database).await?;
    report.created = existing.is_none();
    if owner.is_none() {
        report
            .notes
            .push("no mibandrecord table yet: run the collector once, then --grant again".into());
    }
    Ok(report)
}

/// What `role` can do in `database` beyond reading.
pub async fn check(
    admin: &Client,
    role: &str,
    database: &str,
) -> Result<GrantReport, tokio_postgres::Error> {
    let mut report = GrantReport {
        created: false,
        problems: vec![],
        notes: vec![],
    };
    let Some(r) = admin
        .query_opt(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin,
                    has_database_privilege($1::name, $2::text, 'CONNECT'),
                    has_schema_privilege($1::name, 'public', 'CREATE')
             FROM pg_roles WHERE rolname = $1::name",
            &[&role, &database],
        )
        .await?
    else {
        report.problems.push(format!("role {role} does not exist"));
        return Ok(report);
    };
    let flags: [(usize, bool, &str); 5] = [
        (0, true, "is a superuser"),
        (1, true, "can create roles"),
        (2, true, "can create databases"),
        (3, false, "cannot log in"),
        (4, false, "cannot CONNECT to the database"),
    ];
    for (col, bad_when, text) in flags {
        if r.get::<_, bool>(col) == bad_when {
            report.problems.push(format!("{role} {text}"));
        }
    }
    if r.get::<_, bool>(5) {
        report.notes.push(format!(
            "{role} may create tables in schema public (PostgreSQL < 15 grants that to everyone)"
        ));
    }
    let tables = admin
        .query(
            "SELECT c.relname::text,
                    has_table_privilege($1::name, c.oid, 'SELECT'),
                    has_table_privilege($1::name, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             ORDER BY 1",
            &[&role],
        )
        .await?;
    for t in &tables {
        let name: String = t.get(0);
        if !t.get::<_, bool>(1) {
            report
                .problems
                .push(format!("{role} cannot read table {name}"));
        }
        if t.get::<_, bool>(2) {
            report
                .problems
                .push(format!("{role} can change table {name}"));
        }
    }
    Ok(report)
}
