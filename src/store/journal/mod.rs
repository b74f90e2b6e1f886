//! The local journal that holds readings while PostgreSQL is unreachable.
//!
//! A band's history is acknowledged (and then dropped by the band) once it is durable, so the
//! journal must be as trustworthy as the database: every append is fsync'd before it returns.
//!
//! Layout of the state directory's `journal/` folder:
//! - `<first seq, 20 digits>.seg`: segment files of [`frame`]d records, appended in
//!   order; a new segment starts once the current one exceeds `segment_bytes`.
//! - `checkpoint`: the highest sequence number already written to the database (replaced
//!   atomically), so a restart does not replay it again (replays are idempotent anyway).
//!
//! Each record's payload is the JSON of a [`JournalEntry`]: readable with `jq` when someone has to
//! look, and samples are encoded compactly (see [`super::record`]).
//!
//! On open every segment is scanned: damaged bytes (a bad sector, a flipped bit, a crash
//! mid-append) are found by checksum, skipped by scanning for the next intact frame, copied to
//! `quarantine/` and counted ([`Journal::damage`]); every intact record around them is replayed.
//! The checkpoint only saves work and is checked against the segments (see [`checkpoint`]). When the journal would grow past `max_bytes` an append fails with
//! [`JournalError::Full`]: the caller then does not acknowledge the band, which keeps its data.
//! One process per state directory.

use std::collections::{HashMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod checkpoint;
pub mod frame;
mod scan;

use self::checkpoint::{read_checkpoint, write_checkpoint, Stored, MAX_PLAUSIBLE};
use self::frame::Frame;
use super::record::BandRecord;
use crate::mac::Mac;

/// Limits of a journal.
#[derive(Debug, Clone, Copy)]
pub struct JournalOptions {
    /// Most bytes the segment files may take together.
    pub max_bytes: u64,
    /// Size after which a new segment is started (replayed segments are deleted whole).
    pub segment_bytes: u64,
}

impl Default for JournalOptions {
    /// 256 MiB: about 18 band-years of minutes, small enough for an SD card.
    fn default() -> Self {
        JournalOptions {
            max_bytes: 256 << 20,
            segment_bytes: 4 << 20,
        }
    }
}

/// One journaled record with its position in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Strictly increasing across the journal's life, also across restarts.
    pub seq: u64,
    /// The reading.
    #[serde(flatten)]
    pub record: BandRecord,
}

/// Journal failures.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading or writing a journal file failed.
    #[error("journal file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The bound is reached; the reading was not stored and must not be acknowledged.
    #[error("journal full ({used} of {max} bytes used, {needed} more needed): not acknowledging, the band keeps its data until the database is back")]
    Full {
        /// Bytes in use.
        used: u64,
        /// Bytes the record needs.
        needed: u64,
        /// The configured bound.
        max: u64,
    },
    /// Replay progressed, but the checkpoint could not be saved (a restart repeats some records,
    /// which is harmless as inserts are idempotent).
    #[error("journal checkpoint could not be saved (replay goes on; a restart repeats what it covers): {0}")]
    Checkpoint(Box<JournalError>),
    /// The record could not be serialised.
    #[error("journal record could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

#[derive(Debug)]
struct Segment {
    /// The first sequence number, also the file name.
    id: u64,
    path: PathBuf,
    len: u64,
    /// Highest sequence number in it (`None` while empty).
    last_seq: Option<u64>,
}

/// An open journal (see the module docs for the format).
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    opts: JournalOptions,
    segments: Vec<Segment>,
    /// Append handle to the last segment.
    writer: Option<File>,
    checkpoint: u64,
    next_seq: u64,
    /// Where each record not yet marked done starts, oldest first.
    backlog: VecDeque<Position>,
    /// Latest journaled minute per band, so fetching can resume past it.
    activity_cursors: HashMap<Mac, DateTime<Utc>>,
    /// Damage found on open.
    damage: Damage,
}

/// Damage found when the journal was opened: byte ranges that held no intact record (other than
/// the tail of an append interrupted by a crash, which was never acknowledged). Each was copied
/// to `journal/quarantine/` and skipped; the records it held are lost, those around it are not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Damage {
    /// Damaged ranges.
    pub regions: u64,
    /// Bytes in them.
    pub bytes: u64,
}

/// Folder of `journal/` receiving damaged bytes, one file per range: `<segment>-<offset>.bad`.
pub const QUARANTINE: &str = "quarantine";

/// An intact record found on open.
#[derive(Debug)]
struct Found {
    seq: u64,
    segment: u64,
    offset: u64,
    /// Band and newest minute of an activity record.
    activity: Option<(Mac, DateTime<Utc>)>,
}

/// Where a record is: segment id and byte offset of its frame.
#[derive(Debug, Clone, Copy)]
struct Position {
    seq: u64,
    segment: u64,
    offset: u64,
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes directory entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl Journal {
    /// Opens (creating if needed) the journal in `state_dir/journal`. Damage found on the way is
    /// copied to `quarantine/` and skipped: every intact record around it stays (see the module
    /// docs).
    pub fn open(state_dir: &Path, opts: JournalOptions) -> Result<Journal, JournalError> {
        let dir = state_dir.join("journal");
        if !dir.is_dir() {
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            sync_dir(state_dir)?;
        }
        let stored = read_checkpoint(&dir);
        let mut ids: Vec<(u64, PathBuf)> = fs::read_dir(&dir)
            .map_err(io_err(&dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        ids.sort();
        let mut j = Journal {
            dir,
            opts,
            segments: Vec::new(),
            writer: None,
            checkpoint: 0,
            next_seq: 1,
            backlog: VecDeque::new(),
            activity_cursors: HashMap::new(),
            damage: Damage::default(),
        };
        let last_id = ids.last().map(|(id, _)| *id);
        let mut found = Vec::new();
        for (id, path) in ids {
            j.load_segment(id, path, Some(id) == last_id, &mut found)?;
        }
        let max_seq = found.iter().map(|f: &Found| f.seq).max();
        j.checkpoint = j.plausible_checkpoint(stored, max_seq);
        j.next_seq = j.checkpoint.max(max_seq.unwrap_or(0)) + 1;
        for f in found {
            j.note_found(f);
        }
        if let Some(last) = j.segments.last() {
            let f = OpenOptions::new()
                .append(true)
                .open(&last.path)
                .map_err(io_err(&last.path))?;
            j.writer = Some(f);
        }
        Ok(j)
    }

    /// The stored checkpoint if it can be true, else 0 (replay everything: inserts are
    /// idempotent), saying so. A real checkpoint is the sequence number of a record that was in
    /// the journal: segments are deleted oldest first and only after it was written, so while any
    /// record is left the checkpoint cannot lie beyond the newest one.
    fn plausible_checkpoint(&self, stored: Stored, max_seq: Option<u64>) -> u64 {
        let file = self.dir.join("checkpoint");
        match stored {
            Stored::Absent => 0,
            Stored::Unreadable(why) => {
                tracing::error!(file = %file.display(), "journal checkpoint unreadable ({why}); replaying the journal from the start (inserts are idempotent)");
                0
            }
            Stored::Seq(c) if c >= MAX_PLAUSIBLE || max_seq.is_some_and(|m| c > m) => {
                let last = max_seq.map_or("none".to_string(), |m| m.to_string());
                tracing::error!(file = %file.display(), "journal checkpoint {c} is beyond the journal's last record ({last}): impossible, replaying the journal from the start (inserts are idempotent)");
                0
            }
            Stored::Seq(c) => c,
        }
    }

    /// Scans one segment. Intact records are indexed wherever they are; damaged bytes between
    /// them (found by checksum, skipped by scanning for the next intact frame) are copied to
    /// `quarantine/` and counted. A damaged tail of the newest segment is cut off so appends
    /// continue after intact data.
    fn load_segment(
        &mut self,
        id: u64,
        path: PathBuf,
        is_last: bool,
        found: &mut Vec<Found>,
    ) -> Result<(), JournalError> {
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        if bytes.is_empty() {
            tracing::warn!(file = %path.display(), "journal: empty segment (holds no record), removing it");
            fs::remove_file(&path).map_err(io_err(&path))?;
            return sync_dir(&self.dir);
        }
        let scan = scan::scan(&bytes);
        let mut last_seq = None;
        for r in &scan.records {
            last_seq = Some(r.seq);
            found.push(Found {
                seq: r.seq,
                segment: id,
                offset: r.offset as u64,
                activity: r.activity,
            });
        }
        let mut quarantined = true;
        for bad in &scan.damaged {
            let interrupted_append = is_last && bad.end == bytes.len() && bad.torn;
            let qpath = self
                .dir
                .join(QUARANTINE)
                .join(format!("{id:020}-{:010}.bad", bad.start));
            let kept = quarantine(&qpath, &bytes[bad.start..bad.end]);
            if let Err(e) = &kept {
                quarantined = false;
                tracing::error!(file = %path.display(), "journal: could not copy damaged bytes to {}: {e}", qpath.display());
            }
            let len = bad.end - bad.start;
            if interrupted_append {
                tracing::warn!(file = %path.display(), offset = bad.start, bytes = len, "journal: incomplete last record (an append interrupted by a crash, never acknowledged); moved to {}", qpath.display());
            } else {
                self.damage.regions += 1;
                self.damage.bytes += len as u64;
                tracing::error!(file = %path.display(), offset = bad.start, bytes = len, "journal: damaged bytes moved to {}; every intact record around them is kept", qpath.display());
            }
        }
        let intact_end = scan.records.last().map_or(0, |r| r.offset + r.len);
        if scan.records.is_empty() {
            if quarantined {
                fs::remove_file(&path).map_err(io_err(&path))?;
                sync_dir(&self.dir)?;
            }
            return Ok(());
        }
        if is_last && intact_end < bytes.len() && quarantined {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(io_err(&path))?;
            f.set_len(intact_end as u64).map_err(io_err(&path))?;
            f.sync_all().map_err(io_err(&path))?;
        }
        let len = if is_last && quarantined {
            intact_end
        } else {
            bytes.len()
        };
        self.segments.push(Segment {
            id,
            path,
            len: len as u64,
            last_seq,
        });
        Ok(())
    }

    fn note_found(&mut self, f: Found) {
        if f.seq <= self.checkpoint {
            return;
        }
        self.backlog.push_back(Position {
            seq: f.seq,
            segment: f.segment,
            offset: f.offset,
        });
        if let Some((mac, max)) = f.activity {
            let c = self.activity_cursors.entry(mac).or_insert(max);
            *c = (*c).max(max);
        }
    }

    /// Accounts for an entry just appended.
    fn note(&mut self, entry: &JournalEntry, segment: u64, offset: u64) {
        self.next_seq = self.next_seq.max(entry.seq + 1);
        self.note_found(Found {
            seq: entry.seq,
            segment,
            offset,
            activity: scan::activity_max(&entry.record),
        });
    }

    /// Appends a record and makes it durable (fsync) before returning its sequence number.
    pub fn append(&mut self, record: &BandRecord) -> Result<u64, JournalError> {
        let entry = JournalEntry {
            seq: self.next_seq,
            record: record.clone(),
        };
        let bytes = frame::encode(&serde_json::to_vec(&entry)?);
        let (used, needed) = (self.bytes(), bytes.len() as u64);
        if used + needed > self.opts.max_bytes {
            return Err(JournalError::Full {
                used,
                needed,
                max: self.opts.max_bytes,
            });
        }
        let roll = self
            .segments
            .last()
            .is_none_or(|s| s.len >= self.opts.segment_bytes);
        if roll {
            self.start_segment(entry.seq)?;
        }
        let (Some(seg), Some(w)) = (self.segments.last_mut(), self.writer.as_mut()) else {
            let e = std::io::Error::other("no open segment");
            return Err(io_err(&self.dir)(e));
        };
        let offset = seg.len;
        let written = w.write_all(&bytes).and_then(|()| w.sync_data());
        if let Err(e) = written {
            // Leave no half record behind (best effort; open() would cut it anyway).
            let _ = w.set_len(offset);
            return Err(io_err(&seg.path)(e));
        }
        seg.len += needed;
        seg.last_seq = Some(entry.seq);
        let id = seg.id;
        self.note(&entry, id, offset);
        Ok(entry.seq)
    }

    fn start_segment(&mut self, id: u64) -> Result<(), JournalError> {
        let path = self.dir.join(format!("{id:020}.seg"));
        let f = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        sync_dir(&self.dir)?;
        self.writer = Some(f);
        self.segments.push(Segment {
            id,
            path,
            len: 0,
            last_seq: None,
        });
        Ok(())
    }

    /// Up to `max` records not yet marked done, oldest first. Reads only those records, each at
    /// its indexed position, so damage skipped on open is never read again.
    pub fn pending(&self, max: usize) -> Result<Vec<JournalEntry>, JournalError> {
        let mut out = Vec::new();
        let mut open: Option<(u64, &Path, File)> = None;
        for pos in self.backlog.iter().take(max) {
            if open.as_ref().is_none_or(|(id, _, _)| *id != pos.segment) {
                let Some(seg) = self.segments.iter().find(|s| s.id == pos.segment) else {
                    let e = std::io::Error::other(format!("segment {} vanished", pos.segment));
                    return Err(io_err(&self.dir)(e));
                };
                let f = File::open(&seg.path).map_err(io_err(&seg.path))?;
                open = Some((seg.id, &seg.path, f));
            }
            if let Some((_, path, f)) = &open {
                out.push(read_entry_at(f, pos.offset, path)?);
            }
        }
        Ok(out)
    }

    /// Records that everything up to `seq` is in the database: advances past it, deletes
    /// segments that hold nothing newer, and persists the checkpoint. The progress is kept (in
    /// memory) even when saving the checkpoint fails, e.g. on a full disk: replay must never
    /// depend on it, since inserts are idempotent and a restart merely repeats some. The error
    /// then says what failed so it can be counted and shown.
    pub fn mark_done(&mut self, seq: u64) -> Result<(), JournalError> {
        if seq <= self.checkpoint {
            return Ok(());
        }
        self.checkpoint = seq;
        while self.backlog.front().is_some_and(|p| p.seq <= seq) {
            self.backlog.pop_front();
        }
        // Checkpoint first: segments are only ever deleted behind a checkpoint that covers them
        // when it can be written (open() relies on it to spot an impossible one); when it cannot,
        // deleting is still right (the database has them) and frees the disk.
        let saved = write_checkpoint(&self.dir, seq);
        let done = |s: &Segment| s.last_seq.is_none_or(|l| l <= seq);
        let before = self.segments.len();
        let mut removed = Ok(());
        let mut kept = Vec::new();
        for s in self.segments.drain(..) {
            if done(&s) {
                if let Err(e) = fs::remove_file(&s.path) {
                    removed = Err(io_err(&s.path)(e));
                }
            } else {
                kept.push(s);
            }
        }
        self.segments = kept;
        if self.segments.len() != before {
            if self.segments.is_empty() {
                self.writer = None;
            }
            removed = removed.and(sync_dir(&self.dir));
        }
        saved.map_err(|e| JournalError::Checkpoint(Box::new(e)))?;
        removed
    }

    /// What opening found damaged (moved to `quarantine/`).
    pub fn damage(&self) -> Damage {
        self.damage
    }

    /// Records appended and not yet marked done.
    pub fn backlog(&self) -> u64 {
        self.backlog.len() as u64
    }

    /// Bytes the segment files take.
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.len).sum()
    }

    /// The latest minute journaled for this band since the journal was opened (its pending
    /// records included), to resume fetching after it while the database is unreachable.
    pub fn activity_cursor(&self, mac: Mac) -> Option<DateTime<Utc>> {
        self.activity_cursors.get(&mac).copied()
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Reads the record at `offset` of a segment that was validated on open (or written by us since).
fn read_entry_at(f: &File, offset: u64, path: &Path) -> Result<JournalEntry, JournalError> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; frame::HEADER_LEN];
    f.read_exact_at(&mut buf, offset).map_err(io_err(path))?;
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    buf.resize(frame::HEADER_LEN + len.min(frame::MAX_PAYLOAD), 0);
    f.read_exact_at(
        &mut buf[frame::HEADER_LEN..],
        offset + frame::HEADER_LEN as u64,
    )
    .map_err(io_err(path))?;
    match frame::decode(&buf) {
        Frame::Record { payload, .. } => Ok(serde_json::from_slice(payload)?),
        _ => Err(io_err(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "record changed on disk since the journal was opened",
        ))),
    }
}

/// Copies damaged bytes aside, durably, for a human to look at.
fn quarantine(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    let dir = path.parent().unwrap_or(path);
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io_err(path))?;
    sync_dir(dir)
}
