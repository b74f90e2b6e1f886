//! schemathesis (PyPI) against the live collector's `/api/openapi.json`: generated valid and
//! invalid requests for every operation; no 5xx, and every response (status, content type,
//! headers, body) as the document says. The event stream is left out: it never ends, and its
//! framing is checked in api_http.rs. `scripts/ensure-deps` installs schemathesis.

#[path = "support/remote.rs"]
mod remote;

use std::path::PathBuf;
use std::process::Command;

use remote::{Collector, Options};

/// `SCHEMATHESIS`, else `schemathesis` on PATH, else the virtualenv scripts/ensure-deps makes.
fn schemathesis() -> PathBuf {
    if let Some(p) = std::env::var_os("SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("schemathesis"))
            .find(|p| p.is_file())
    }) {
        return p;
    }
    let venv = std::env::var_os("MIBAND_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/miband-test-venv")
        })
        .join("bin/schemathesis");
    assert!(
        venv.is_file(),
        "schemathesis not found (set SCHEMATHESIS or run scripts/ensure-deps, which installs it in ~/.cache/miband-test-venv)"
    );
    venv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_mismatch() {
    let bin = schemathesis();
    let c = Collector::start(Options {
        bands: 2,
        ..Options::default()
    })
    .await;
    c.wait_all_up().await;
    let base = c.base();
    // schemathesis keeps a cache in its working directory: not in the repository.
    let scratch = tempfile::tempdir().unwrap();
    let cwd = scratch.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .current_dir(cwd)
            .args(["run", &format!("{base}/api/openapi.json")])
            .args(["--url", &base])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            ])
            .args(["--exclude-path", "/api/events"])
            .args(["--max-examples", "40", "--seed", "1", "--request-timeout", "20"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .env("NO_COLOR", "1")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{stderr}"
    );
    // Every operation but the event stream was exercised.
    assert!(stdout.contains("Tested: 5"), "{stdout}");
    assert!(stdout.contains("No issues found"), "{stdout}");
    // The collector is still fine afterwards.
    assert_eq!(c.get("/api/bands").await.status, 200);
    c.stop().await;
}
