//! Bringing data in from the phone apps' SQLite databases: auth keys from Mi Fit / Zepp Life
//! ([`mifit`]) and per-minute history from a Gadgetbridge export ([`gadgetbridge`]).
//!
//! Both files are opened read-only and checked (`PRAGMA quick_check`) before anything is read,
//! so a damaged copy fails with a clear message before anything is written anywhere.
//! Facts about both databases, with sources: docs/compatibility.md.

pub mod gadgetbridge;
pub mod mifit;
pub mod pipeline;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// Why a file could not be used as an SQLite database.
#[derive(Debug, thiserror::Error)]
pub enum SqliteFileError {
    /// The file cannot be read at all.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with SQLite's header.
    #[error("{}: not an SQLite database (the file does not start with \"SQLite format 3\")", path.display())]
    NotSqlite {
        /// The file.
        path: PathBuf,
    },
    /// SQLite refused the file or found it damaged.
    #[error("{}: damaged SQLite database: {detail}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
}

/// SQLite's 16-byte file header (https://www.sqlite.org/fileformat.html, "The Database Header").
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Opens `path` read-only after checking that it is an undamaged SQLite database.
pub fn open_checked(path: &Path) -> Result<Connection, SqliteFileError> {
    let read_err = |source| SqliteFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(read_err)?;
    let n = read_up_to(&mut f, &mut head).map_err(read_err)?;
    if n < head.len() || &head != SQLITE_MAGIC {
        return Err(SqliteFileError::NotSqlite {
            path: path.to_path_buf(),
        });
    }
    drop(f);
    let damaged = |detail: String| SqliteFileError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    // Read-only and no mutex: a copy taken off a phone is never written back.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| damaged(e.to_string()))?;
    let mut problems: Vec<String> = Vec::new();
    conn.pragma_query(None, "quick_check", |row| {
        problems.push(row.get(0)?);
        Ok(())
    })
    .map_err(|e| damaged(e.to_string()))?;
    if problems != ["ok"] {
        problems.truncate(3);
        return Err(damaged(problems.join("; ")));
    }
    Ok(conn)
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The columns of `table` (`PRAGMA table_info`), upper-cased; empty if there is no such table.
pub fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    conn.pragma(None, "table_info", table, |row| {
        out.push(row.get::<_, String>("name")?.to_ascii_uppercase());
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        std::fs::write(&p, b"id,mac\n1,AA\n").unwrap();
        let e = open_checked(&p).unwrap_err();
        assert!(matches!(e, SqliteFileError::NotSqlite { .. }), "{e}");
        let e = open_checked(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(e, SqliteFileError::Read { .. }), "{e}");
    }

    #[test]
    fn lists_columns_upper_case() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch("CREATE TABLE t (Authkey TEXT, mac TEXT)")
            .unwrap();
        drop(c);
        let c = open_checked(&p).unwrap();
        assert_eq!(columns(&c, "t").unwrap(), ["AUTHKEY", "MAC"]);
        assert!(columns(&c, "nope").unwrap().is_empty());
    }
}
