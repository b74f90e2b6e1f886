//! Replaying the journal into the database, oldest first, once it is reachable again.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::{Inner, Sink};
use crate::store::journal::JournalEntry;

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
                if let Err(e) = g.journal.mark_done(seq) {
                    tracing::error!("journal checkpoint failed (replay will repeat): {e}");
                    return false;
                }
            }
            self.stats
                .set_journal(g.journal.backlog(), g.journal.bytes());
            if !ok {
                return false;
            }
        }
    }

    /// Writes entries in order; returns the last sequence handled and whether all were.
    async fn replay_batch(&self, g: &mut Inner, batch: Vec<JournalEntry>) -> (Option<u64>, bool) {
        let mut done = None;
        for entry in batch {
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
