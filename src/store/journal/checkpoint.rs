//! The replay checkpoint: the highest sequence number already in the database.
//!
//! The checkpoint only saves work: replays are idempotent, so a checkpoint that is missing,
//! unreadable or impossible costs a replay from the start, never a record. That is why
//! [`super::Journal`] validates it against the segments and why failing to write it never stops
//! replay (see docs/architecture.md, "Reliability").

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use super::{io_err, sync_dir, JournalError};

/// Highest checkpoint ever plausible: 2^62 sequence numbers are 146,000 years at a million
/// appends a second. Anything above is damage, and `+ 1` on it can never overflow.
pub(super) const MAX_PLAUSIBLE: u64 = 1 << 62;

/// What the checkpoint file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stored {
    /// No checkpoint yet: replay everything.
    Absent,
    /// A number (still to be checked against the segments).
    Seq(u64),
    /// Present but not a number, or not a readable file.
    Unreadable(String),
}

/// Reads the checkpoint file.
pub(super) fn read_checkpoint(dir: &Path) -> Stored {
    let path = dir.join("checkpoint");
    match fs::read_to_string(&path) {
        Ok(s) => match s.trim().parse() {
            Ok(n) => Stored::Seq(n),
            Err(_) => Stored::Unreadable(format!("{:?} is not a sequence number", s.trim())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::Absent,
        Err(e) => Stored::Unreadable(e.to_string()),
    }
}

/// Write-to-temp, fsync, rename, fsync directory: the checkpoint is either old or new, never torn.
pub(super) fn write_checkpoint(dir: &Path, seq: u64) -> Result<(), JournalError> {
    let tmp = dir.join("checkpoint.tmp");
    let path = dir.join("checkpoint");
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    let written = f
        .write_all(format!("{seq}\n").as_bytes())
        .and_then(|()| f.sync_all());
    if let Err(e) = written {
        // On a full disk, leave no empty temp file holding an inode.
        let _ = fs::remove_file(&tmp);
        return Err(io_err(&tmp)(e));
    }
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_number_garbage_and_directory_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_checkpoint(dir.path()), Stored::Absent);
        write_checkpoint(dir.path(), 42).unwrap();
        assert_eq!(read_checkpoint(dir.path()), Stored::Seq(42));
        fs::write(dir.path().join("checkpoint"), "x\n").unwrap();
        assert!(matches!(read_checkpoint(dir.path()), Stored::Unreadable(_)));
        fs::remove_file(dir.path().join("checkpoint")).unwrap();
        fs::create_dir(dir.path().join("checkpoint")).unwrap();
        assert!(matches!(read_checkpoint(dir.path()), Stored::Unreadable(_)));
        assert!(write_checkpoint(dir.path(), 43).is_err());
    }
}
