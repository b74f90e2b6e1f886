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
