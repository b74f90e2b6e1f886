//! The Gadgetbridge import proper: SQLite is read on a thread of its own (it blocks) while the
//! caller's task writes the previous chunk, and everything goes into one PostgreSQL transaction
//! ([`Store::begin_import`]), so a failure half way leaves the database as it was.

use crate::import::gadgetbridge::{Chunk, GadgetbridgeDb, GbError, RowProblem};
use crate::protocol::activity::TimedSample;
use crate::store::postgres::{Store, StoreError};
use crate::store::record::BatteryReading;

/// Rows per COPY: large enough that per-statement overhead vanishes, small enough to stream.
pub const CHUNK_ROWS: usize = 50_000;

/// A device of the file and the band it is stored as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `DEVICE._id` in the Gadgetbridge database.
    pub source_id: i64,
    /// `mibandrecord.id` ("User N").
    pub dev_id: i32,
    /// The band's MAC, for the summary.
    pub mac: String,
}

/// What was done for one band.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BandSummary {
    /// The band (upper-case MAC).
    pub mac: String,
    /// Its database id ("User N").
    pub dev_id: i32,
    /// Minutes added.
    pub minutes_imported: u64,
    /// Minutes that were stored already (by the collector or an earlier import).
    pub minutes_present: u64,
    /// Rows that could not be read as a minute.
    pub minutes_rejected: u64,
    /// Battery readings added.
    pub battery_imported: u64,
    /// Battery readings already stored.
    pub battery_present: u64,
    /// Battery rows that could not be read.
    pub battery_rejected: u64,
    /// Why rows were rejected (minutes and battery).
    pub problems: Vec<RowProblem>,
}

/// Why an import stopped (and was rolled back).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Reading the Gadgetbridge file failed.
    #[error(transparent)]
    Source(#[from] GbError),
    /// Writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the reader thread hands the writer.
enum Msg {
    Activity(usize, Chunk<TimedSample>),
    Battery(usize, Chunk<BatteryReading>),
    Failed(GbError),
}

/// Imports every target's minutes and battery readings; `progress` hears how many source rows
/// were handled after each chunk. Commits only if everything was read and written.
pub async fn run(
    store: &mut Store,
    db: GadgetbridgeDb,
    targets: &[Target],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<BandSummary>, PipelineError> {
    let mut summaries: Vec<BandSummary> = targets
        .iter()
        .map(|t| BandSummary {
            mac: t.mac.clone(),
            dev_id: t.dev_id,
            ..Default::default()
        })
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(4);
    let ids: Vec<i64> = targets.iter().map(|t| t.source_id).collect();
    let reader = std::thread::spawn(move || read_all(&db, &ids, &tx));
    let mut import = store.begin_import().await?;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Activity(i, chunk) => {
                let s = &mut summaries[i];
                let n = chunk.items.len() as u64;
                let inserted = import.activity(s.dev_id, &chunk.items).await?.inserted;
                s.minutes_imported += inserted;
                s.minutes_present += n - inserted;
                s.minutes_rejected += chunk.rejected.len() as u64;
                progress(n + chunk.rejected.len() as u64);
                s.problems.extend(chunk.rejected);
            }
            Msg::Battery(i, chunk) => {
                let s = &mut summaries[i];
                let n = chunk.items.len() as u64;
                let inserted = import.battery(s.dev_id, &chunk.items).await?;
                s.battery_imported += inserted;
                s.battery_present += n - inserted;
                s.battery_rejected += chunk.rejected.len() as u64;
                progress(n + chunk.rejected.len() as u64);
                s.problems.extend(chunk.rejected);
            }
            // Returning drops `import`, which rolls everything back.
            Msg::Failed(e) => return Err(e.into()),
        }
    }
    let _ = reader.join();
    import.commit().await?;
    Ok(summaries)
}

fn read_all(db: &GadgetbridgeDb, ids: &[i64], tx: &tokio::sync::mpsc::Sender<Msg>) {
    // A failed send means the writer gave up (and rolled back): stop reading.
    let send = |m: Msg| tx.blocking_send(m).map_err(|_| ReadStop::Gone);
    for (i, &id) in ids.iter().enumerate() {
        let read = db
            .for_each_activity_chunk(id, CHUNK_ROWS, |chunk| send(Msg::Activity(i, chunk)))
            .and_then(|()| send(Msg::Battery(i, db.battery(id)?)));
        match read {
            Ok(()) => {}
            Err(ReadStop::Gone) => return,
            Err(ReadStop::Db(e)) => {
                let _ = send(Msg::Failed(e));
                return;
            }
        }
    }
}

/// Why reading stopped early.
enum ReadStop {
    Gone,
    Db(GbError),
}

impl From<GbError> for ReadStop {
    fn from(e: GbError) -> ReadStop {
        ReadStop::Db(e)
    }
}
