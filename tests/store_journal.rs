//! The local journal on a real file system: restarts, torn tails, corruption, the bound.

mod store_support;

use std::fs;
use std::path::{Path, PathBuf};

use miband::store::journal::{Journal, JournalError, JournalOptions};
use store_support::{activity, minute_ts, readings};

const MAC: &str = "C8:0F:10:AA:BB:01";

fn opts() -> JournalOptions {
    JournalOptions {
        max_bytes: 1 << 20,
        segment_bytes: 4 << 10,
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn records_survive_reopen_in_order_and_replayed_ones_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    {
        let mut j = Journal::open(dir.path(), opts()).unwrap();
        for i in 0..40 {
            let r = activity(MAC, i * 10, i * 10 + 10);
            j.append(&r).unwrap();
            written.push(r);
            written.extend(readings(MAC, i));
            for r in readings(MAC, i) {
                j.append(&r).unwrap();
            }
        }
        assert_eq!(j.backlog(), 240);
    } // dropped without any shutdown step, like a killed process
    assert!(segments(dir.path()).len() > 3, "small segments roll over");

    let mut j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 240);
    let all = j.pending(usize::MAX).unwrap();
    let got: Vec<_> = all.iter().map(|e| e.record.clone()).collect();
    assert_eq!(got, written);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        j.activity_cursor(MAC.to_lowercase().parse().unwrap()),
        Some(minute_ts(399))
    );

    // Replay the first 100: earlier segments go, the checkpoint survives a restart.
    let first_segments = segments(dir.path());
    j.mark_done(all[99].seq).unwrap();
    assert_eq!(j.backlog(), 140);
    assert!(segments(dir.path()).len() < first_segments.len());
    drop(j);
    let mut j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 140);
    assert_eq!(j.pending(1).unwrap()[0].seq, all[100].seq);

    // Everything replayed: no segment left, and sequence numbers keep increasing.
    j.mark_done(all[239].seq).unwrap();
    assert_eq!((j.backlog(), j.bytes()), (0, 0));
    assert!(segments(dir.path()).is_empty());
    drop(j);
    let mut j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 0);
    let seq = j.append(&activity(MAC, 0, 1)).unwrap();
    assert!(seq > all[239].seq);
}

#[test]
fn a_torn_tail_is_cut_and_the_records_before_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), opts()).unwrap();
    for i in 0..3 {
        j.append(&activity(MAC, i * 5, i * 5 + 5)).unwrap();
    }
    drop(j);
    let seg = segments(dir.path()).pop().unwrap();
    let len = fs::metadata(&seg).unwrap().len();
    // A crash in the middle of the third append.
    fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 20)
        .unwrap();

    let mut j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 2);
    let kept = j.pending(10).unwrap();
    assert_eq!(kept[1].record, activity(MAC, 5, 10));
    // Appending continues after the cut, not after the garbage.
    j.append(&activity(MAC, 100, 101)).unwrap();
    drop(j);
    let j = Journal::open(dir.path(), opts()).unwrap();
    let all = j.pending(10).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].record, activity(MAC, 100, 101));
}

#[test]
fn a_corrupt_record_is_detected_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), opts()).unwrap();
    j.append(&activity(MAC, 0, 3)).unwrap();
    j.append(&activity(MAC, 3, 6)).unwrap();
    drop(j);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0x01; // inside the second record's payload
    fs::write(&seg, &bytes).unwrap();

    let j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 1);
    assert_eq!(j.pending(10).unwrap()[0].record, activity(MAC, 0, 3));
    assert!(fs::metadata(&seg).unwrap().len() < n as u64);
}

#[test]
fn garbage_only_segment_and_bad_checkpoint_do_not_stop_opening() {
    let dir = tempfile::tempdir().unwrap();
    let jdir = dir.path().join("journal");
    fs::create_dir_all(&jdir).unwrap();
    fs::write(jdir.join("00000000000000000001.seg"), [0u8; 100]).unwrap();
    fs::write(jdir.join("checkpoint"), "not a number").unwrap();
    let mut j = Journal::open(dir.path(), opts()).unwrap();
    assert_eq!(j.backlog(), 0);
    assert!(segments(dir.path()).is_empty(), "empty after cutting");
    j.append(&activity(MAC, 0, 1)).unwrap();
    assert_eq!(j.backlog(), 1);
}

#[test]
fn a_full_journal_refuses_clearly_and_accepts_again_once_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let small = JournalOptions {
        max_bytes: 4000,
        segment_bytes: 1000,
    };
    let mut j = Journal::open(dir.path(), small).unwrap();
    let mut n = 0;
    let err = loop {
        match j.append(&activity(MAC, n * 10, n * 10 + 10)) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 1000, "the bound never bit");
    };
    assert!(
        matches!(err, JournalError::Full { max: 4000, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("journal full") && msg.contains("band keeps its data"),
        "{msg}"
    );
    let backlog = j.backlog();
    assert!(j.bytes() <= 4000);
    // Refused means not stored, also after a restart.
    drop(j);
    let mut j = Journal::open(dir.path(), small).unwrap();
    assert_eq!(j.backlog(), backlog);
    let pending = j.pending(usize::MAX).unwrap();
    j.mark_done(pending.last().unwrap().seq).unwrap();
    j.append(&activity(MAC, 0, 10)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Damage on a real file system, replayed into a real PostgreSQL: every intact record arrives.
// ---------------------------------------------------------------------------------------------

/// Byte ranges `(start, len)` of the frames of an intact segment (`[len u32][crc u32][payload]`).
fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, 8 + len));
        at += 8 + len;
    }
    out
}

/// `n` activity records of 3 minutes each (record `i` holds minutes `3i..3i+3`).
fn journal_records(state: &Path, mac: &str, n: i64) {
    let mut j = Journal::open(state, opts()).unwrap();
    for i in 0..n {
        j.append(&activity(mac, i * 3, i * 3 + 3)).unwrap();
    }
}

/// Which of the records written by [`journal_records`] reached the database.
async fn records_in_db(pg: &miband::store::pgcluster::PgCluster, mac: &str) -> Vec<i64> {
    let c = pg.connect_superuser(store_support::DB).await.unwrap();
    let rows = c
        .query(
            "SELECT a.ts FROM activityrecord a JOIN mibandrecord m ON m.id = a.dev_id \
             WHERE m.mac = $1 ORDER BY a.ts",
            &[&mac],
        )
        .await
        .unwrap();
    let mut minutes: Vec<i64> = rows
        .iter()
        .map(|r| (r.get::<_, chrono::DateTime<chrono::Utc>>(0) - minute_ts(0)).num_minutes())
        .collect();
    let total = minutes.len();
    minutes.dedup();
    assert_eq!(minutes.len(), total, "{mac}: duplicated minutes");
    let mut records: Vec<i64> = minutes.iter().map(|m| m / 3).collect();
    records.dedup();
    for r in &records {
        let whole = minutes.iter().filter(|m| *m / 3 == *r).count();
        assert_eq!(whole, 3, "{mac}: record {r} arrived partly");
    }
    records
}

fn all_but(n: i64, lost: &[i64]) -> Vec<i64> {
    (0..n).filter(|i| !lost.contains(i)).collect()
}

/// Log lines written while `f` runs on this thread.
struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (
    std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    tracing::subscriber::DefaultGuard,
) {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || LogCapture(b.clone()))
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

fn logged(buf: &std::sync::Arc<std::sync::Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

fn sink_opts() -> miband::store::sink::SinkOptions {
    miband::store::sink::SinkOptions {
        journal: opts(),
        backoff_min: std::time::Duration::ZERO,
        backoff_max: std::time::Duration::ZERO,
        ..Default::default()
    }
}

fn quarantined_bytes(state: &Path) -> u64 {
    let q = state.join("journal").join("quarantine");
    fs::read_dir(q)
        .map(|d| d.map(|e| e.unwrap().metadata().unwrap().len()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn damaged_journals_deliver_every_intact_record_to_postgresql() {
    use miband::store::sink::Sink;
    let pg = store_support::cluster().await;
    let cfg = store_support::socket_config(&pg);
    let (logs, _guard) = capture_logs();

    // 1. A flipped byte in the middle of a record's payload, in the first of several segments.
    let mac = "C8:0F:10:AA:00:01";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 70);
    let segs = segments(state.path());
    assert!(segs.len() >= 3, "{segs:?}");
    let mut bytes = fs::read(&segs[0]).unwrap();
    let f = frames(&bytes);
    let (start, len) = f[2];
    bytes[start + len / 2] ^= 0x40;
    fs::write(&segs[0], &bytes).unwrap();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(70, &[2]));
    let s = sink.stats().snapshot();
    assert_eq!(s.journal_damaged_regions, 1, "{s:?}");
    assert_eq!(s.journal_damaged_bytes, len as u64);
    assert_eq!(quarantined_bytes(state.path()), len as u64, "damage kept");
    drop(sink);

    // 2. A flipped byte in a record's header (its length), mid-segment: resynchronised after it.
    let mac = "C8:0F:10:AA:00:02";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 70);
    let segs = segments(state.path());
    let mut bytes = fs::read(&segs[1]).unwrap();
    let f = frames(&bytes);
    let first_in_seg1 = frames(&fs::read(&segs[0]).unwrap()).len() as i64;
    bytes[f[1].0 + 1] ^= 0x01; // length grows by 256: the frame swallows part of the next one
    fs::write(&segs[1], &bytes).unwrap();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(
        records_in_db(&pg, mac).await,
        all_but(70, &[first_in_seg1 + 1])
    );
    assert_eq!(sink.stats().snapshot().journal_damaged_regions, 1);
    drop(sink);

    // 3. A segment truncated mid-record (a lost tail): the rest of the journal still arrives.
    let mac = "C8:0F:10:AA:00:03";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 70);
    let segs = segments(state.path());
    let n0 = frames(&fs::read(&segs[0]).unwrap()).len() as i64;
    let f1 = frames(&fs::read(&segs[1]).unwrap());
    let cut = f1[2].0 + 10;
    fs::OpenOptions::new()
        .write(true)
        .open(&segs[1])
        .unwrap()
        .set_len(cut as u64)
        .unwrap();
    let lost: Vec<i64> = (n0 + 2..n0 + f1.len() as i64).collect();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(70, &lost));
    assert_eq!(quarantined_bytes(state.path()), 10);
    drop(sink);

    // 4. A zero-length segment among good ones: dropped, with a word.
    let mac = "C8:0F:10:AA:00:04";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 70);
    let empty = state
        .path()
        .join("journal")
        .join(format!("{:020}.seg", 1_000_000));
    fs::write(&empty, b"").unwrap();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert!(logged(&logs).contains("empty segment"), "{}", logged(&logs));
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(70, &[]));
    assert!(!empty.exists());
    drop(sink);

    // 5. A checkpoint beyond the end of the journal is impossible: replay from the start.
    for (k, huge) in ["1000000000000000", "18446744073709551615"]
        .iter()
        .enumerate()
    {
        let mac = format!("C8:0F:10:AA:00:0{}", 5 + k);
        let state = tempfile::tempdir().unwrap();
        journal_records(state.path(), &mac, 70);
        fs::write(state.path().join("journal").join("checkpoint"), huge).unwrap();
        let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
        assert!(
            logged(&logs).contains(&format!("checkpoint {huge} is beyond")),
            "{}",
            logged(&logs)
        );
        assert_eq!(sink.flush().await.unwrap(), 0);
        assert_eq!(records_in_db(&pg, &mac).await, all_but(70, &[]));
        // Appending goes on with sane sequence numbers.
        drop(sink);
        let mut j = Journal::open(state.path(), opts()).unwrap();
        assert!(j.append(&activity(&mac, 0, 1)).unwrap() < 1 << 40);
    }

    // 6. The checkpoint cannot be written (it is a directory): replay still makes progress, past
    //    any batch size, and the failure is counted and logged.
    let mac = "C8:0F:10:AA:00:07";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 200);
    fs::create_dir(state.path().join("journal").join("checkpoint")).unwrap();
    fs::write(
        state.path().join("journal").join("checkpoint").join("x"),
        "",
    )
    .unwrap();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(200, &[]));
    let s = sink.stats().snapshot();
    assert!(s.checkpoint_failures >= 1, "{s:?}");
    assert_eq!(s.journal_backlog, 0);
    assert!(
        logged(&logs).contains("checkpoint could not be saved"),
        "{}",
        logged(&logs)
    );
    drop(sink);
    // A restart replays again (idempotent): still no duplicate.
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(200, &[]));
    drop(sink);

    // 7. Journal records are input: a hand-made record for a phantom band (no MAC) is never
    //    replayed (it does not even parse: damage, quarantined), and one whose values a band
    //    could not send (a 300-character name) is set aside in rejected.jsonl.
    let mac = "C8:0F:10:AA:00:08";
    let state = tempfile::tempdir().unwrap();
    journal_records(state.path(), mac, 5);
    let seg = segments(state.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    let long = "n".repeat(300);
    for json in [
        format!(
            r#"{{"seq":6,"mac":"{mac}","record":{{"kind":"band_name","name":"{long}"}}}}"#
        ),
        r#"{"seq":7,"mac":"phantom band","record":{"kind":"battery","ts":"2023-11-14T22:14:00Z","level":50,"charging":false}}"#.to_string(),
        r#"{"seq":8,"mac":"C8:0F:10:AA:00:0G","record":{"kind":"battery","ts":"2023-11-14T22:14:00Z","level":50,"charging":false}}"#.to_string(),
    ] {
        bytes.extend(miband::store::journal::frame::encode(json.as_bytes()));
    }
    fs::write(&seg, &bytes).unwrap();
    let sink = Sink::open(cfg.clone(), state.path(), sink_opts()).unwrap();
    assert_eq!(sink.flush().await.unwrap(), 0);
    assert_eq!(records_in_db(&pg, mac).await, all_but(5, &[]));
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.records_rejected, s.journal_damaged_regions),
        (1, 1),
        "{s:?}\n{}",
        logged(&logs)
    );
    let rejected = fs::read_to_string(state.path().join("journal").join("rejected.jsonl")).unwrap();
    assert!(rejected.contains(&long), "{rejected}");
    let c = pg.connect_superuser(store_support::DB).await.unwrap();
    let bands: i64 = c
        .query_one(
            "SELECT count(*) FROM mibandrecord WHERE mac !~ '^C8:0F:10:AA:00:0[0-9]$'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(bands, 0, "no phantom band");
}

/// A small tmpfs, unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// `None` (the test then says it is skipped) when not root: mounting needs it.
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap().keep();
        let root = fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
        if !root {
            eprintln!("SKIPPED: mounting a small tmpfs needs root");
            return None;
        }
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount -t tmpfs failed although root");
        Some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = fs::remove_dir(&self.0);
    }
}

#[tokio::test]
async fn a_full_disk_refuses_acknowledgement_and_drains_by_itself_once_the_database_is_back() {
    use miband::store::sink::{Durability, Sink, SinkOptions};
    let Some(disk) = SmallDisk::mount(96 << 10) else {
        return;
    };
    let pg = store_support::cluster().await;
    pg.stop().unwrap();
    let mac = "C8:0F:10:AA:00:11";
    let opts = SinkOptions {
        journal: JournalOptions {
            max_bytes: 1 << 30, // the disk, not the bound, is the limit here
            segment_bytes: 8 << 10,
        },
        ..sink_opts()
    };
    let sink =
        std::sync::Arc::new(Sink::open(store_support::socket_config(&pg), &disk.0, opts).unwrap());
    // Write until the disk is full: every Ok is an acknowledgement, the error is not.
    let mut acked = 0;
    let err = loop {
        match sink.write(activity(mac, acked * 3, acked * 3 + 3)).await {
            Ok(Durability::Journaled { .. }) => acked += 1,
            Ok(d) => panic!("{d:?} without a database"),
            Err(e) => break e,
        }
        assert!(acked < 10_000, "the disk never filled");
    };
    assert!(err.to_string().contains("No space left"), "{err}");
    let s = sink.stats().snapshot();
    assert!(s.journal_write_failures >= 1, "{s:?}");
    assert!(!s.db_up);
    // Refused twice: the journal is not left in a state that accepts half records.
    assert!(sink
        .write(activity(mac, acked * 3, acked * 3 + 3))
        .await
        .is_err());

    // The database returns while the disk is still full (no room for a checkpoint): the
    // replayer drains by itself, freeing the disk as it goes.
    pg.start().unwrap();
    let replayer = sink.spawn_replayer(std::time::Duration::from_millis(50));
    let mut waited = 0;
    while sink.stats().snapshot().journal_backlog > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(
            waited < 600,
            "backlog never drained: {:?}",
            sink.stats().snapshot()
        );
    }
    replayer.abort();
    assert_eq!(records_in_db(&pg, mac).await, all_but(acked, &[]));
    let s = sink.stats().snapshot();
    assert!(s.checkpoint_failures >= 1, "{s:?}");
    // New readings go straight to the database again.
    let d = sink
        .write(activity(mac, acked * 3, acked * 3 + 3))
        .await
        .unwrap();
    assert!(matches!(d, Durability::Committed { .. }), "{d:?}");
}
