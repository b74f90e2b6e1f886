//! Replaying the journal into the database, oldest first, once it is reachable again.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::{Inner, Sink};
use crate::store::journal::{JournalEntry, JournalError};

impl Sink {
    /// Connects if needed and replays the backlog, oldest first, within `budget` if given.
    /// Returns true when the journal is empty and the connection up: new writes may go direct.
    pub(super) async fn replay(&self, g: &mut Inner, budget: Option<Duration>) -> bool {
        if self.ensure_connected(g).await.is_err() {
            return false;
        }
        let deadline = budget.map(|b| Instant::now() + b);
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return g.journal.backlog() == 0;
            }
            let batch = match g.journal.pending(64) {
                Ok(b) if b.is_empty() => return true,
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("journal unreadable, replay stopped: {e}");
                    return false;
                }
            };
            let (done, ok) = self.replay_batch(g, batch).await;
            if let Some(seq) = done {
                self.mark_done(g, seq);
            }
            self.stats
                .set_journal(g.journal.backlog(), g.journal.bytes());
            if !ok {
                return false;
            }
        }
    }

    /// Advances the journal past `seq`. Never stops replay: the records are in the database
    /// whether or not the checkpoint could be saved (the failure is counted and logged once per
    /// streak).
    fn mark_done(&self, g: &mut Inner, seq: u64) {
        match g.journal.mark_done(seq) {
            Ok(()) => {
                if std::mem::take(&mut g.checkpoint_failing) {
                    tracing::info!("journal checkpoint saved again");
                }
            }
            Err(e) => {
                if matches!(e, JournalError::Checkpoint(_)) {
                    self.stats.add_checkpoint_failure();
                }
                if std::mem::replace(&mut g.checkpoint_failing, true) {
                    tracing::debug!("{e}");
                } else {
                    tracing::error!("{e}");
                }
            }
        }
    }

    /// Writes entries in order; returns the last sequence handled and whether all were.
    async fn replay_batch(&self, g: &mut Inner, batch: Vec<JournalEntry>) -> (Option<u64>, bool) {
        let mut done = None;
        for entry in batch {
            // Journal files are input like a band's: a hand-made or damaged record must not
            // register a phantom band or store impossible values.
            if let Err(e) = entry.record.validate() {
                tracing::error!(
                    seq = entry.seq,
                    "invalid journaled record set aside in rejected.jsonl: {e}"
                );
                if let Err(io) = set_aside(g.journal.dir(), &entry) {
                    tracing::error!("could not set the record aside, keeping it: {io}");
                    return (done, false);
                }
                self.stats.add_rejected();
                done = Some(entry.seq);
                continue;
            }
            match self.apply(g, &entry.record).await {
                Ok(_) => {}
                Err(e) if e.is_unavailable() => {
                    self.mark_down(g, &e);
                    return (done, false);
                }
                Err(e) => {
                    tracing::error!(seq = entry.seq, mac = %entry.record.mac, "database refused a journaled record, set aside in rejected.jsonl: {e}");
                    if let Err(io) = set_aside(g.journal.dir(), &entry) {
                        tracing::error!("could not set the record aside, keeping it: {io}");
                        return (done, false);
                    }
                    self.stats.add_rejected();
                }
            }
            done = Some(entry.seq);
        }
        (done, true)
    }
}

/// Keeps a record the database refuses out of the way (one JSON line each) so it neither blocks
/// the journal nor is silently lost.
fn set_aside(dir: &Path, entry: &JournalEntry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("rejected.jsonl"))?;
    f.write_all(&line)?;
    f.sync_data()
}
