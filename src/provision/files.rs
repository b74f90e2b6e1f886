//! Writing files the safe way: a temporary file in the same directory, synced, then renamed
//! over the target, so Grafana (which polls the dashboards directory) never reads half a file;
//! and a file whose content would not change is not touched at all.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What writing a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New or changed content was written.
    Written,
    /// The file already held exactly this content.
    Unchanged,
}

/// Writes `contents` to `path` atomically with permissions `mode` and, if given, group `gid`.
/// Directories missing on the way are created; their paths are appended to `created_dirs`.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    mode: u32,
    gid: Option<u32>,
    created_dirs: &mut Vec<PathBuf>,
) -> io::Result<Outcome> {
    if fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(Outcome::Unchanged);
    }
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent directory"))?;
    create_dirs(dir, created_dirs)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        if let Some(gid) = gid {
            // Best effort: Grafana's group reads secret files; without it the admin is told.
            let _ = std::os::unix::fs::fchown(&f, None, Some(gid));
        }
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Outcome::Written)
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.exists() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    for m in missing.into_iter().rev() {
        fs::create_dir(&m)?;
        created.push(m);
    }
    Ok(())
}

/// Removes a file; `false` if it was not there.
pub fn remove(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The id of group `name` in `<root>/etc/group`, if it exists there.
pub fn group_id(root: &Path, name: &str) -> Option<u32> {
    let text = fs::read_to_string(root.join("etc/group")).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        f.nth(1)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_then_leaves_the_file_alone() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a/b/c.json");
        let mut dirs = Vec::new();
        assert_eq!(
            write_atomic(&p, b"x", 0o640, None, &mut dirs).unwrap(),
            Outcome::Written
        );
        assert_eq!(dirs, [t.path().join("a"), t.path().join("a/b")]);
        let mtime = fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            write_atomic(&p, b"x", 0o640, None, &mut dirs).unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(fs::metadata(&p).unwrap().modified().unwrap(), mtime);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            write_atomic(&p, b"y", 0o644, None, &mut dirs).unwrap(),
            Outcome::Written
        );
        assert_eq!(fs::read(&p).unwrap(), b"y");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(t.path().join("a/b")).unwrap().count(), 1);
        assert!(remove(&p).unwrap());
        assert!(!remove(&p).unwrap());
    }

    #[test]
    fn group_lookup() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir(t.path().join("etc")).unwrap();
        fs::write(t.path().join("etc/group"), "root:x:0:\ngrafana:x:113:\n").unwrap();
        assert_eq!(group_id(t.path(), "grafana"), Some(113));
        assert_eq!(group_id(t.path(), "nobody"), None);
    }
}
