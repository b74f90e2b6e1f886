//! The collector's one door to storage: a reading goes to PostgreSQL when it can and to the
//! local journal when it cannot, and [`Sink::write`] returns only once it is durable either way,
//! so the caller may then acknowledge the band.
//!
//! Order is kept per journal: while anything is journaled, new readings are journaled behind it
//! and the backlog is replayed first, oldest first, once the database is back. Replay is
//! idempotent (see [`super::postgres`]), so a crash between a commit and the journal checkpoint
//! costs nothing but a repeat. Writes are serialised by one lock; a write's future may be dropped
//! (e.g. at shutdown), in which case nothing was acknowledged and nothing is half-stored.
//!
//! Journal appends are plain blocking file I/O (a write and an fsync, milliseconds) done inside
//! the async call: they happen only while the database is down, and a worker thread per append
//! would buy little.

mod probe;
mod replay;
pub mod stats;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio::time::Instant;

use self::stats::SinkStats;
use super::band_id::{BandClaim, MappedBand, Registration};
use super::db_config::DbConfig;
use super::journal::{Journal, JournalError, JournalOptions};
use super::postgres::{Store, StoreError};
use super::record::{BandRecord, InvalidRecord, Record};
use crate::mac::Mac;

/// Tuning of a [`Sink`].
#[derive(Debug, Clone, Copy)]
pub struct SinkOptions {
    /// Journal bound and segment size.
    pub journal: JournalOptions,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait for one database write; longer counts as unreachable.
    pub write_timeout: Duration,
    /// First wait before reconnecting after a failure; doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest wait between reconnection attempts.
    pub backoff_max: Duration,
    /// Longest a [`Sink::write`] spends replaying backlog before journaling behind it instead,
    /// so a large backlog never keeps a band waiting for its acknowledgement.
    pub replay_budget: Duration,
    /// Longest wait for the idle probe's connection and `SELECT 1` (see [`Sink::spawn_probe`]).
    pub probe_timeout: Duration,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            journal: JournalOptions::default(),
            connect_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            replay_budget: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(2),
        }
    }
}

/// Where a written record now lives; either way it is durable and may be acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Committed to PostgreSQL; `inserted` rows were new.
    Committed {
        /// New rows (activity minutes, or 1/0 for a reading).
        inserted: u64,
    },
    /// Fsync'd to the local journal under this sequence number.
    Journaled {
        /// Journal sequence number.
        seq: u64,
    },
}

/// Why a record was not stored. Do not acknowledge the band.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The record would be refused by the database.
    #[error(transparent)]
    Invalid(#[from] InvalidRecord),
    /// The database refused the record for a reason other than being unreachable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The journal could not take it (full, or disk trouble).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Neither the database nor the journal knows where this band's history stops.
    #[error("last stored minute of band {mac} unknown while the database is unreachable")]
    CursorUnknown {
        /// The band.
        mac: Mac,
    },
    /// [`Sink::shutdown`] was called.
    #[error("storage is shutting down")]
    Closed,
}

// Shared by every band task and the metrics endpoint.
const _: fn() = || {
    fn assert_shareable<T: Send + Sync + 'static>() {}
    assert_shareable::<Sink>();
};

/// The history writer (see the module docs).
#[derive(Debug)]
pub struct Sink {
    db: DbConfig,
    opts: SinkOptions,
    stats: Arc<SinkStats>,
    inner: Mutex<Inner>,
    /// Set by [`Sink::shutdown`], read by the probe without waiting for the lock.
    closed: Arc<AtomicBool>,
}

#[derive(Debug)]
struct Inner {
    store: Option<Store>,
    journal: Journal,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// MAC → database id; ids never change, so this outlives connections.
    dev_ids: HashMap<Mac, i32>,
    /// The configured bands and the ids devices.csv asks for, registered all at once (in
    /// devices.csv order) the first time any of them is needed, so the order bands happen to
    /// sync in never decides who is User 1.
    claims: Vec<BandClaim>,
    /// MAC → display name, for the mapping lines in the log.
    names: HashMap<Mac, String>,
    /// MAC → last stored minute as last seen in the database.
    cursors: HashMap<Mac, Option<DateTime<Utc>>>,
    closed: bool,
    /// The last checkpoint save failed (logged at error once per streak).
    checkpoint_failing: bool,
}

impl Sink {
    /// Opens the journal in `state_dir`. Connecting is lazy: the first write (or [`Sink::flush`])
    /// tries, so a database that is down at start costs nothing.
    pub fn open(db: DbConfig, state_dir: &Path, opts: SinkOptions) -> Result<Sink, SinkError> {
        let journal = Journal::open(state_dir, opts.journal)?;
        let stats = Arc::new(SinkStats::default());
        stats.set_journal(journal.backlog(), journal.bytes());
        stats.set_damage(journal.damage());
        Ok(Sink {
            db,
            opts,
            stats,
            inner: Mutex::new(Inner {
                store: None,
                journal,
                retry_at: None,
                backoff: opts.backoff_min,
                dev_ids: HashMap::new(),
                claims: Vec::new(),
                names: HashMap::new(),
                cursors: HashMap::new(),
                closed: false,
                checkpoint_failing: false,
            }),
            closed: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The bands of devices.csv with the ids they ask for ([`crate::store::band_id`]); set
    /// before the first write. `names` (MAC → display name) only label the log lines.
    pub async fn set_claims(&self, claims: Vec<BandClaim>, names: HashMap<Mac, String>) {
        let mut g = self.inner.lock().await;
        g.claims = claims;
        g.names = names;
    }

    /// Registers every claimed band now and returns their ids (devices.csv order), or `None`
    /// while the database is unreachable (registration then happens at the first write).
    pub async fn register_claims(&self) -> Result<Option<Vec<Registration>>, SinkError> {
        let mut g = self.inner.lock().await;
        if !g.may_try(Instant::now()) || self.ensure_connected(&mut g).await.is_err() {
            return Ok(None);
        }
        match self.register(&mut g, None).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.is_unavailable() => {
                self.mark_down(&mut g, &e);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Live figures for the metrics endpoint.
    pub fn stats(&self) -> Arc<SinkStats> {
        Arc::clone(&self.stats)
    }

    /// Stores the record in PostgreSQL or, if it is unreachable, in the journal. `Ok` means
    /// durable: acknowledge the band then, and only then.
    pub async fn write(&self, record: BandRecord) -> Result<Durability, SinkError> {
        record.validate()?;
        let mut g = self.inner.lock().await;
        if g.closed {
            return Err(SinkError::Closed);
        }
        if g.may_try(Instant::now()) && self.replay(&mut g, Some(self.opts.replay_budget)).await {
            match self.apply(&mut g, &record).await {
                Ok(inserted) => return Ok(Durability::Committed { inserted }),
                Err(e) if e.is_unavailable() => self.mark_down(&mut g, &e),
                Err(e) => return Err(e.into()),
            }
        }
        let seq = match g.journal.append(&record) {
            Ok(seq) => seq,
            Err(e) => {
                self.stats.add_journal_write_failure();
                return Err(e.into());
            }
        };
        self.stats.add_journaled();
        self.stats
            .set_journal(g.journal.backlog(), g.journal.bytes());
        Ok(Durability::Journaled { seq })
    }

    /// Connects now (ignoring the backoff) and replays the whole backlog. Returns what is left
    /// (0 unless the database went away again, which is then the error).
    pub async fn flush(&self) -> Result<u64, SinkError> {
        let mut g = self.inner.lock().await;
        if g.closed {
            return Err(SinkError::Closed);
        }
        g.retry_at = None;
        if let Err(e) = self.ensure_connected(&mut g).await {
            return Err(e.into());
        }
        self.replay(&mut g, None).await;
        match g.store {
            Some(_) => Ok(g.journal.backlog()),
            None => Err(StoreError::Unavailable {
                detail: "connection lost during replay".into(),
            }
            .into()),
        }
    }

    /// Every `period`, while there is backlog or no connection, reconnects (respecting the
    /// backoff) and replays, so the journal drains and `db_up` stays true to life even when no
    /// band is writing. Ends after [`Sink::shutdown`].
    pub fn spawn_replayer(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let sink = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                let s = sink.stats.snapshot();
                if s.journal_backlog == 0 && s.db_up {
                    continue;
                }
                let mut g = sink.inner.lock().await;
                if g.closed {
                    return;
                }
                if g.may_try(Instant::now()) {
                    sink.replay(&mut g, None).await;
                }
            }
        })
    }

    /// Where the band's stored history ends: the later of the database's `last_activity_ts` and
    /// the newest journaled minute. Errors only if neither is known.
    pub async fn activity_cursor(&self, mac: Mac) -> Result<Option<DateTime<Utc>>, SinkError> {
        let mut g = self.inner.lock().await;
        if g.may_try(Instant::now()) && self.ensure_connected(&mut g).await.is_ok() {
            match self.db_cursor(&mut g, mac).await {
                Ok(c) => {
                    g.cursors.insert(mac, c);
                }
                Err(e) if e.is_unavailable() => self.mark_down(&mut g, &e),
                Err(e) => return Err(e.into()),
            }
        }
        let journaled = g.journal.activity_cursor(mac);
        match (g.cursors.get(&mac).copied(), journaled) {
            (Some(db), j) => Ok(db.max(j)),
            (None, Some(j)) => Ok(Some(j)),
            (None, None) => Err(SinkError::CursorUnknown { mac }),
        }
    }

    /// The band's database id ("User N"), if the database is (or was) reachable.
    pub async fn band_id(&self, mac: Mac) -> Result<Option<i32>, SinkError> {
        let mut g = self.inner.lock().await;
        if let Some(id) = g.dev_ids.get(&mac) {
            return Ok(Some(*id));
        }
        if !g.may_try(Instant::now()) || self.ensure_connected(&mut g).await.is_err() {
            return Ok(None);
        }
        match self.dev_id(&mut g, mac).await {
            Ok(id) => Ok(Some(id)),
            Err(e) if e.is_unavailable() => {
                self.mark_down(&mut g, &e);
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Waits for the write in progress, then refuses new ones and closes the connection. For
    /// SIGTERM: what was acknowledged is durable, nothing is cut short.
    pub async fn shutdown(&self) {
        let mut g = self.inner.lock().await;
        g.closed = true;
        self.closed.store(true, Ordering::SeqCst);
        g.store = None;
        self.stats.set_db_up(false);
    }

    async fn ensure_connected(&self, g: &mut Inner) -> Result<(), StoreError> {
        if g.store.as_ref().is_some_and(|s| !s.is_closed()) {
            return Ok(());
        }
        match Store::connect(&self.db, self.opts.connect_timeout).await {
            Ok(store) => {
                g.store = Some(store);
                g.retry_at = None;
                g.backoff = self.opts.backoff_min;
                self.stats.set_db_up(true);
                tracing::info!(host = %self.db.host, db = %self.db.dbname, "database connected");
                Ok(())
            }
            Err(e) => {
                self.mark_down(g, &e);
                Err(e)
            }
        }
    }

    fn mark_down(&self, g: &mut Inner, e: &StoreError) {
        if g.store.take().is_some() || g.retry_at.is_none() {
            tracing::warn!("database unavailable, journaling locally: {e}");
        } else {
            tracing::debug!("database still unavailable: {e}");
        }
        g.retry_at = Some(Instant::now() + g.backoff);
        g.backoff = (g.backoff * 2)
            .min(self.opts.backoff_max)
            .max(self.opts.backoff_min);
        self.stats.set_db_up(false);
    }

    /// One record to the database, each step bounded by `write_timeout`.
    async fn apply(&self, g: &mut Inner, record: &BandRecord) -> Result<u64, StoreError> {
        let dev_id = self.dev_id(g, record.mac).await?;
        let t = self.opts.write_timeout;
        let store = g.store.as_mut().ok_or_else(StoreError::not_connected)?;
        let inserted = match &record.record {
            Record::Activity { samples } => {
                let out = with_timeout(t, store.ingest_activity(dev_id, samples)).await?;
                g.cursors.insert(record.mac, out.cursor);
                self.stats.add_samples_stored(out.inserted);
                out.inserted
            }
            other => with_timeout(t, store.apply(dev_id, other)).await?,
        };
        Ok(inserted)
    }

    async fn dev_id(&self, g: &mut Inner, mac: Mac) -> Result<i32, StoreError> {
        if let Some(id) = g.dev_ids.get(&mac) {
            return Ok(*id);
        }
        self.register(g, Some(mac)).await?;
        g.dev_ids
            .get(&mac)
            .copied()
            .ok_or_else(|| StoreError::Unavailable {
                detail: format!("band {mac} not registered"),
            })
    }

    /// Registers every claimed band, plus `extra` if it is not one of them (asking for no
    /// particular id), and caches the ids.
    async fn register(
        &self,
        g: &mut Inner,
        extra: Option<Mac>,
    ) -> Result<Vec<Registration>, StoreError> {
        let mut claims = g.claims.clone();
        if let Some(mac) = extra {
            if !claims.iter().any(|c| c.mac == mac) {
                claims.push(BandClaim { mac, wanted: None });
            }
        }
        let store = g.store.as_mut().ok_or_else(StoreError::not_connected)?;
        let regs = with_timeout(self.opts.write_timeout, store.register_bands(&claims)).await?;
        for r in &regs {
            if g.dev_ids.insert(r.mac, r.id.get()).is_none() {
                let mapped = MappedBand {
                    id: r.id,
                    mac: r.mac.to_string(),
                    name: g.names.get(&r.mac).cloned(),
                };
                tracing::info!("{}", mapped.line());
                if let Some(w) = r.warning() {
                    tracing::warn!("{w}");
                }
            }
        }
        Ok(regs)
    }

    async fn db_cursor(
        &self,
        g: &mut Inner,
        mac: Mac,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let dev_id = self.dev_id(g, mac).await?;
        let store = g.store.as_mut().ok_or_else(StoreError::not_connected)?;
        with_timeout(self.opts.write_timeout, store.activity_cursor(dev_id)).await
    }
}

impl Inner {
    /// Is a database attempt allowed now (connected, or the backoff has passed)?
    fn may_try(&self, now: Instant) -> bool {
        self.store.is_some() || self.retry_at.is_none_or(|t| now >= t)
    }
}

async fn with_timeout<T>(
    t: Duration,
    f: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(t, f)
        .await
        .unwrap_or_else(|_| Err(StoreError::timed_out("database write")))
}
