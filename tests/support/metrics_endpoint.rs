//! Runs the real metrics endpoint on a free loopback port for a test or benchmark, with a state
//! of N bands, and stops it (through its shutdown future) when dropped.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use miband::mac::Mac;
use miband::metrics::{serve_with, BandLabels, MetricsState, ServerLimits};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// A running endpoint.
pub struct Endpoint {
    pub addr: SocketAddr,
    runtime: Runtime,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Endpoint {
    /// Serves `state` on 127.0.0.1 at a port the OS picks.
    pub fn start(state: MetricsState) -> Self {
        Self::start_with(state, ServerLimits::default())
    }

    /// Like [`Endpoint::start`] with explicit limits.
    pub fn start_with(state: MetricsState, limits: ServerLimits) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let done = runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener)?;
            serve_with(
                listener,
                state,
                async {
                    let _ = stopped.await;
                },
                limits,
            )
            .await
        });
        Endpoint {
            addr,
            runtime,
            stop: Some(stop),
            done: Some(done),
        }
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Triggers shutdown and waits for `serve` to return.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.done.take() {
            Some(done) => self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), done).await })
                .map_err(|_| std::io::Error::other("serve did not return after shutdown"))?
                .map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A plain HTTP client: no proxy from the environment, statuses returned rather than raised.
pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// The MAC of band `n` (1-based).
pub fn mac(n: usize) -> Mac {
    Mac::new([0xC8, 0x0F, 0x10, 0, 0, n as u8])
}

/// `bands` bands with ids 1..=bands; every band is up with every reading set, except that
/// band 2 (if present) is down after an auth failure.
pub fn sample_state(bands: usize) -> MetricsState {
    let state = MetricsState::new();
    for n in 1..=bands {
        state.add_band(BandLabels {
            mac: mac(n),
            id: n.to_string(),
            name: format!("Band {n}"),
        });
        state.update_band(mac(n), |b| {
            b.mark_up();
            b.readings.battery_level_percent = Some(80);
            b.readings.charging = Some(n % 3 == 0);
            b.readings.steps = Some(1000 * n as u32);
            b.readings.meters = Some(700 * n as u32);
            b.readings.kcal = Some(100);
            b.readings.heart_rate_bpm = Some(60 + n as u8);
            b.counters.samples_stored = 1440;
            b.sync_finished(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
                Duration::from_secs(12),
            );
            if n == 2 {
                b.auth_failed();
            }
        });
    }
    state.set_database_up(true);
    state.set_journal_backlog(3);
    state
}
