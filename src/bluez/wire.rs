//! The emulator's line to the bus: a blocking libdbus connection driven by a thread of its own.
//!
//! Why not dbus-tokio: its IO task registers for write readiness only if libdbus wanted to write
//! when the connection was wrapped, which it never does at that moment. When a burst of signals
//! (a band's history, hundreds of notifications) fills the socket, the rest waits in libdbus's
//! queue until some other message happens to wake the task — seconds later, or never. libdbus's
//! own iteration polls for writing whenever it has output queued, so a thread that keeps calling
//! it delivers every message, in order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use dbus::blocking::SyncConnection;
use dbus::channel::Channel;

/// How long one iteration may wait for input. Messages sent by other threads while the wire
/// waits go out at the latest when the wait ends.
const TICK: Duration = Duration::from_millis(5);

/// Opens a private connection to `address` and says Hello (blocking).
pub(crate) fn open(address: &str) -> Result<SyncConnection, dbus::Error> {
    let mut c = Channel::open_private(address)?;
    c.register()?;
    Ok(SyncConnection::from(c))
}

/// The thread that reads, dispatches and writes.
pub(crate) struct Wire {
    stop: Arc<AtomicBool>,
    alive: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Wire {
    /// Starts driving `conn`: incoming calls go to its filters (set up before).
    pub(crate) fn start(conn: Arc<SyncConnection>) -> Wire {
        let stop = Arc::new(AtomicBool::new(false));
        let alive = Arc::new(AtomicBool::new(true));
        let (s, a) = (stop.clone(), alive.clone());
        let thread = std::thread::Builder::new()
            .name("bluez-wire".into())
            .spawn(move || {
                while !s.load(Ordering::SeqCst) {
                    if let Err(e) = conn.process(TICK) {
                        tracing::warn!(error = %e, "emulated BlueZ lost its D-Bus connection");
                        break;
                    }
                }
                a.store(false, Ordering::SeqCst);
            })
            .ok();
        if thread.is_none() {
            alive.store(false, Ordering::SeqCst);
        }
        Wire {
            stop,
            alive,
            thread: Mutex::new(thread),
        }
    }

    /// Whether the connection is still up and served.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Stops the thread (within one tick) and waits for it.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let t = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = t {
            let _ = t.join();
        }
    }
}
