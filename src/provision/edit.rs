//! `-e`: opens the configuration in the user's editor (`$VISUAL`, `$EDITOR`, else nano or vi;
//! ARCO hard-wired nano), creating it from `templates/configuration.conf` first if needed, and
//! validates what was saved.

use super::conf::{self, Config};
use super::error::Error;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The file `-e` starts from.
pub const DEFAULT_CONFIG: &str = include_str!("../../templates/configuration.conf");

/// The editor command line: `$VISUAL`, `$EDITOR`, or the first of nano and vi on `PATH`.
pub fn editor() -> Option<String> {
    for var in ["VISUAL", "EDITOR"] {
        if let Some(e) = std::env::var(var).ok().filter(|e| !e.trim().is_empty()) {
            return Some(e);
        }
    }
    let path = std::env::var_os("PATH")?;
    ["nano", "vi"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

/// Edits `path` and returns the validated result.
pub fn edit(path: &Path) -> Result<Config, Error> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        std::fs::write(path, DEFAULT_CONFIG).map_err(Error::io(path))?;
        // It will hold a password.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(Error::io(path))?;
    }
    let editor = editor().ok_or_else(|| {
        Error::Editor("no editor found: set VISUAL or EDITOR, or install nano or vi".into())
    })?;
    // Like git: the variable may hold arguments ("code --wait"), so a shell runs it.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| Error::Editor(format!("cannot run {editor}: {e}")))?;
    if !status.success() {
        return Err(Error::Editor(format!(
            "{editor} failed ({status}); the file was left as it is"
        )));
    }
    conf::load(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_is_valid() {
        conf::parse(DEFAULT_CONFIG, Path::new("configuration.conf")).unwrap();
    }
}
