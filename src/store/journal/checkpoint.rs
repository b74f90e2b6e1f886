//! The replay checkpoint: the highest sequence number already in the database.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use super::{io_err, sync_dir, JournalError};

/// Reads the checkpoint; 0 (replay everything) if absent or unreadable.
pub(super) fn read_checkpoint(dir: &Path) -> u64 {
    let path = dir.join("checkpoint");
    match fs::read_to_string(&path) {
        Ok(s) => s.trim().parse().unwrap_or_else(|_| {
            // Replays are idempotent, so starting over is safe, only slower.
            tracing::warn!(file = %path.display(), "journal checkpoint unreadable; replaying from the start");
            0
        }),
        Err(_) => 0,
    }
}

/// Write-to-temp, fsync, rename, fsync directory: the checkpoint is either old or new, never torn.
pub(super) fn write_checkpoint(dir: &Path, seq: u64) -> Result<(), JournalError> {
    let tmp = dir.join("checkpoint.tmp");
    let path = dir.join("checkpoint");
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(format!("{seq}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    sync_dir(dir)
}
