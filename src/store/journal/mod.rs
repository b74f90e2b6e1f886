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
//! On open a torn or corrupt tail (a crash mid-append, a bad sector) is logged and cut off; what
//! precedes it is kept. When the journal would grow past `max_bytes` an append fails with
//! [`JournalError::Full`]: the caller then does not acknowledge the band, which keeps its data.
//! One process per state directory.

use std::collections::{HashMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod checkpoint;
pub mod frame;

use self::checkpoint::{read_checkpoint, write_checkpoint};
use self::frame::Frame;
use super::record::{BandRecord, Record};
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
    /// Opens (creating if needed) the journal in `state_dir/journal`, cutting off a damaged tail.
    pub fn open(state_dir: &Path, opts: JournalOptions) -> Result<Journal, JournalError> {
        let dir = state_dir.join("journal");
        if !dir.is_dir() {
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
            sync_dir(state_dir)?;
        }
        let checkpoint = read_checkpoint(&dir);
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
            checkpoint,
            next_seq: checkpoint + 1,
            backlog: VecDeque::new(),
            activity_cursors: HashMap::new(),
        };
        for (id, path) in ids {
            j.load_segment(id, path)?;
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

    /// Scans one segment, truncating it at the first damaged frame.
    fn load_segment(&mut self, id: u64, path: PathBuf) -> Result<(), JournalError> {
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        let mut offset = 0usize;
        let mut last_seq = None;
        let damage = loop {
            match frame::decode(&bytes[offset..]) {
                Frame::End => break None,
                Frame::Torn => break Some("torn (incomplete) record"),
                Frame::Corrupt => break Some("checksum mismatch"),
                Frame::Record { payload, frame_len } => {
                    let Ok(entry) = serde_json::from_slice::<JournalEntry>(payload) else {
                        break Some("undecodable record");
                    };
                    self.note(&entry, id, offset as u64);
                    last_seq = Some(entry.seq);
                    offset += frame_len;
                }
            }
        };
        if let Some(what) = damage {
            tracing::warn!(
                file = %path.display(),
                offset,
                dropped_bytes = bytes.len() - offset,
                "journal: {what}; cutting the file there and keeping the records before it"
            );
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(io_err(&path))?;
            f.set_len(offset as u64).map_err(io_err(&path))?;
            f.sync_all().map_err(io_err(&path))?;
        }
        if offset == 0 {
            fs::remove_file(&path).map_err(io_err(&path))?;
            return sync_dir(&self.dir);
        }
        self.segments.push(Segment {
            id,
            path,
            len: offset as u64,
            last_seq,
        });
        Ok(())
    }

    /// Accounts for an entry found on open or just appended.
    fn note(&mut self, entry: &JournalEntry, segment: u64, offset: u64) {
        self.next_seq = self.next_seq.max(entry.seq + 1);
        if entry.seq <= self.checkpoint {
            return;
        }
        self.backlog.push_back(Position {
            seq: entry.seq,
            segment,
            offset,
        });
        if let Record::Activity { samples } = &entry.record.record {
            if let Some(max) = samples.iter().map(|s| s.ts).max() {
                let c = self.activity_cursors.entry(entry.record.mac).or_insert(max);
                *c = (*c).max(max);
            }
        }
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

    /// Up to `max` records not yet marked done, oldest first. Reads only those records.
    pub fn pending(&self, max: usize) -> Result<Vec<JournalEntry>, JournalError> {
        let mut out = Vec::new();
        let Some(first) = self.backlog.front() else {
            return Ok(out);
        };
        for seg in self.segments.iter().filter(|s| s.id >= first.segment) {
            let start = if seg.id == first.segment {
                first.offset
            } else {
                0
            };
            let mut file = File::open(&seg.path).map_err(io_err(&seg.path))?;
            file.seek(SeekFrom::Start(start))
                .map_err(io_err(&seg.path))?;
            let mut reader = BufReader::new(file.take(seg.len - start));
            while out.len() < max {
                let Some(entry) = read_entry(&mut reader, &seg.path)? else {
                    break;
                };
                if entry.seq > self.checkpoint {
                    out.push(entry);
                }
            }
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    /// Records that everything up to `seq` is in the database: persists the checkpoint and
    /// deletes segments that hold nothing newer.
    pub fn mark_done(&mut self, seq: u64) -> Result<(), JournalError> {
        if seq <= self.checkpoint {
            return Ok(());
        }
        write_checkpoint(&self.dir, seq)?;
        self.checkpoint = seq;
        while self.backlog.front().is_some_and(|p| p.seq <= seq) {
            self.backlog.pop_front();
        }
        let done = |s: &Segment| s.last_seq.is_none_or(|l| l <= seq);
        let before = self.segments.len();
        for s in self.segments.iter().filter(|s| done(s)) {
            fs::remove_file(&s.path).map_err(io_err(&s.path))?;
        }
        self.segments.retain(|s| !done(s));
        if self.segments.len() != before {
            sync_dir(&self.dir)?;
            if self.segments.is_empty() {
                self.writer = None;
            }
        }
        Ok(())
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

/// Reads the next record of a segment that was validated on open (or written by us since).
fn read_entry(r: &mut impl Read, path: &Path) -> Result<Option<JournalEntry>, JournalError> {
    let mut buf = vec![0u8; frame::HEADER_LEN];
    match r.read_exact(&mut buf) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    buf.resize(frame::HEADER_LEN + len.min(frame::MAX_PAYLOAD), 0);
    r.read_exact(&mut buf[frame::HEADER_LEN..])
        .map_err(io_err(path))?;
    match frame::decode(&buf) {
        Frame::Record { payload, .. } => Ok(Some(serde_json::from_slice(payload)?)),
        _ => Err(io_err(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "record changed on disk since the journal was opened",
        ))),
    }
}
