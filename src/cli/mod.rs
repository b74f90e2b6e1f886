//! Command-line front ends. Each subcommand is one file; the binaries only dispatch here.

pub mod act;
pub mod app;
pub mod collect;
pub mod decode;
pub mod emulate;
pub mod export;
pub mod grafana;
pub mod import;
pub mod key;
pub mod manpages;
pub mod read;
pub mod scan;
pub mod stream;
pub mod target;

/// Installs the log subscriber on stderr. `RUST_LOG` wins; otherwise `-v` shows this program's
/// debug lines and `-q` only warnings, while other crates (notably the database driver, whose
/// debug level logs every statement) stay at warnings: only an explicit `RUST_LOG` raises them.
/// Colour only on a terminal and without `NO_COLOR`; under systemd (`JOURNAL_STREAM`) no
/// timestamp either, since journald adds its own.
pub fn init_logging(verbose: bool, quiet: bool) {
    use std::io::IsTerminal;
    let env = |name: &str| std::env::var_os(name);
    let filter = match env("RUST_LOG").filter(|v| !v.is_empty()) {
        Some(_) => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter(verbose, quiet))),
        None => tracing_subscriber::EnvFilter::new(default_filter(verbose, quiet)),
    };
    let ansi = use_colour(std::io::stderr().is_terminal(), env("NO_COLOR").as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = if env("JOURNAL_STREAM").is_some() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}

/// The filter without `RUST_LOG`: ours at the chosen level, everybody else's at warnings.
pub fn default_filter(verbose: bool, quiet: bool) -> String {
    let ours = if verbose {
        "debug"
    } else if quiet {
        "warn"
    } else {
        "info"
    };
    format!("warn,miband={ours},miband_dc={ours},miband_grafana={ours}")
}

/// ANSI colour codes only on a terminal, and never when `NO_COLOR` is set to anything
/// non-empty (no-color.org).
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".as_ref())));
        assert!(!use_colour(true, Some("1".as_ref())));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn verbose_raises_only_our_level() {
        let f = default_filter(true, false);
        assert!(f.starts_with("warn,"), "{f}");
        assert!(f.contains("miband=debug"), "{f}");
        assert!(!f.contains("tokio_postgres"), "{f}");
        assert!(default_filter(false, true).contains("miband=warn"));
    }
}
