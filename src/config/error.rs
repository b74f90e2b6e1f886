//! What the loader tells the user: located diagnostics, as errors (fatal, all reported at once)
//! or warnings (logged by the caller). Messages never contain auth keys or passwords: the parsers
//! only quote values of fields that are not secret.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem (or warning) in a configuration file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: PathBuf,
    /// 1-based line; `None` for problems of the whole file (unreadable, no bands).
    pub line: Option<usize>,
    /// 1-based column, where known (JSON syntax errors).
    pub column: Option<usize>,
    /// What was expected (and, for non-secret fields, what was found).
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `line` of `file`.
    pub fn at(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    /// A diagnostic about `file` as a whole.
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// `file:line:column: message`, the form compilers use, so editors can jump to it.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in the configuration, so the user fixes them in one round.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// In file order (devices, then settings), each file in line order.
    pub problems: Vec<Diagnostic>,
}

impl ConfigErrors {
    /// The exit code for configuration errors (the issue fixes it at 2, like a usage error).
    pub const EXIT_CODE: i32 = 2;
}

/// One problem a line.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let p = Path::new("/etc/x.json");
        let mut d = Diagnostic::at(p, 3, "expected a string");
        assert_eq!(d.to_string(), "/etc/x.json:3: expected a string");
        d.column = Some(7);
        assert_eq!(d.to_string(), "/etc/x.json:3:7: expected a string");
        let w = Diagnostic::whole_file(p, "no bands");
        assert_eq!(w.to_string(), "/etc/x.json: no bands");
        let all = ConfigErrors {
            problems: vec![w, d],
        };
        assert_eq!(
            all.to_string(),
            "/etc/x.json: no bands\n/etc/x.json:3:7: expected a string"
        );
    }
}
