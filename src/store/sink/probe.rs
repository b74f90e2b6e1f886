//! The idle probe: a cheap query on a connection of its own, so `miband_database_up` follows
//! the database within seconds even when no band is writing, and even while a write is stuck on
//! a frozen server holding the sink's lock (which is why it does not share the sink's
//! connection).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

use super::Sink;
use crate::store::db_config::DbConfig;

impl Sink {
    /// Every `period`, checks that PostgreSQL answers `SELECT 1` within the probe timeout and
    /// sets the `db_up` figure accordingly. Ends after [`Sink::shutdown`].
    pub fn spawn_probe(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let db = self.db.clone();
        let stats = Arc::clone(&self.stats);
        let closed = Arc::clone(&self.closed);
        let timeout = self.opts.probe_timeout;
        tokio::spawn(async move {
            let mut client = None;
            loop {
                tokio::time::sleep(period).await;
                if closed.load(Ordering::SeqCst) {
                    return;
                }
                let up = probe(&db, &mut client, timeout).await;
                if !closed.load(Ordering::SeqCst) {
                    stats.set_db_up(up);
                }
            }
        })
    }
}

/// One probe; drops the connection when it fails so the next one starts afresh.
async fn probe(db: &DbConfig, client: &mut Option<Client>, timeout: Duration) -> bool {
    if client.as_ref().is_none_or(|c| c.is_closed()) {
        *client = None;
        let Ok(Ok((c, conn))) =
            tokio::time::timeout(timeout, db.to_pg_config().connect(NoTls)).await
        else {
            return false;
        };
        tokio::spawn(async move {
            let _ = conn.await;
        });
        *client = Some(c);
    }
    let Some(c) = client.as_ref() else {
        return false;
    };
    let ok = matches!(
        tokio::time::timeout(timeout, c.simple_query("SELECT 1")).await,
        Ok(Ok(_))
    );
    if !ok {
        *client = None;
    }
    ok
}
