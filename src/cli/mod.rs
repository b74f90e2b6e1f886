//! Command-line front ends. Each subcommand is one file; the binaries only dispatch here.

pub mod app;
pub mod collect;
pub mod decode;
pub mod emulate;
pub mod grafana;
pub mod manpages;

/// Installs the log subscriber: `RUST_LOG` wins, else `-v`/`-q` pick the level. Logs go to stderr.
pub fn init_logging(verbose: bool, quiet: bool) {
    let default = if verbose {
        "debug"
    } else if quiet {
        "warn"
    } else {
        "info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
