//! The in-process link to an emulated band: implements [`Link`] over [`Band`], with latency,
//! ordered notification delivery, a clock, and link drops as the fault plan says.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;
use uuid::Uuid;

use super::band::{Band, Effect, GattError};
use crate::link::{Link, LinkError, Notification, NotificationStream, WriteKind};

/// Wall-clock time that follows tokio's clock, so tests with paused time see the band's clock
/// advance exactly as tokio's timers do.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_utc: DateTime<Utc>,
    base: Instant,
}

impl Clock {
    /// A clock reading `start` now.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock {
            base_utc: start,
            base: Instant::now(),
        }
    }

    /// The real time.
    pub fn system() -> Clock {
        Clock::starting_at(Utc::now())
    }

    /// Current time.
    pub fn now(&self) -> DateTime<Utc> {
        let d = Instant::now().saturating_duration_since(self.base);
        self.base_utc + chrono::Duration::from_std(d).unwrap_or_default()
    }
}

struct Shared {
    band: Mutex<Band>,
    clock: Clock,
    connected: AtomicBool,
    present: AtomicBool,
    connections: std::sync::atomic::AtomicU32,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Notification>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the emulator: take the data as it is.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// An emulated band as a device: it outlives connections.
#[derive(Clone)]
pub struct EmulatedBand {
    shared: Arc<Shared>,
}

impl EmulatedBand {
    /// Wraps a band; its clock drives time-based behaviour.
    pub fn new(band: Band, clock: Clock) -> EmulatedBand {
        EmulatedBand {
            shared: Arc::new(Shared {
                band: Mutex::new(band),
                clock,
                connected: AtomicBool::new(false),
                present: AtomicBool::new(true),
                connections: std::sync::atomic::AtomicU32::new(0),
                subscribers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Runs `f` on the band (to inspect or change it in tests and the D-Bus front end).
    pub fn with_band<R>(&self, f: impl FnOnce(&mut Band) -> R) -> R {
        f(&mut lock(&self.shared.band))
    }

    /// The emulator clock.
    pub fn clock(&self) -> Clock {
        self.shared.clock
    }

    /// Takes the band out of range (drops any link) or brings it back.
    pub fn set_present(&self, present: bool) {
        self.shared.present.store(present, Ordering::SeqCst);
        if !present {
            drop_link(&self.shared);
        }
    }

    /// Whether the band is in range (an emulated BlueZ only hears bands that are).
    pub fn is_present(&self) -> bool {
        self.shared.present.load(Ordering::SeqCst)
    }

    /// Connections made since the band was created (tests show there was no reconnect).
    pub fn connections(&self) -> u32 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Whether a link is up.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Connects (one central at a time, like the real band).
    pub async fn connect(&self) -> Result<EmulatorLink, LinkError> {
        let latency = self.with_band(|b| b.options().faults.latency);
        tokio::time::sleep(latency).await;
        if !self.shared.present.load(Ordering::SeqCst) {
            return Err(LinkError::Backend("band not found (out of range)".into()));
        }
        if self.shared.connected.swap(true, Ordering::SeqCst) {
            return Err(LinkError::Refused(
                "band already connected to another device".into(),
            ));
        }
        self.shared.connections.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = self.shared.clone();
        let delivery = tokio::spawn(deliver(shared.clone(), rx, latency));
        let ticker = tokio::spawn(tick(shared.clone(), tx.clone()));
        Ok(EmulatorLink {
            shared,
            effects: tx,
            tasks: vec![delivery, ticker],
        })
    }
}

fn drop_link(shared: &Shared) {
    if shared.connected.swap(false, Ordering::SeqCst) {
        lock(&shared.band).on_disconnect();
    }
    lock(&shared.subscribers).clear();
}

/// Delivers effects in order, each after the link latency.
async fn deliver(
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<Effect>,
    latency: StdDuration,
) {
    while let Some(e) = rx.recv().await {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if !shared.connected.load(Ordering::SeqCst) {
            continue;
        }
        match e {
            Effect::Notify(n) => lock(&shared.subscribers).retain(|s| s.send(n.clone()).is_ok()),
            Effect::DropLink => drop_link(&shared),
        }
    }
}

async fn tick(shared: Arc<Shared>, tx: mpsc::UnboundedSender<Effect>) {
    let mut iv = tokio::time::interval(StdDuration::from_millis(250));
    while shared.connected.load(Ordering::SeqCst) {
        iv.tick().await;
        let now = shared.clock.now();
        for e in lock(&shared.band).tick(now) {
            if tx.send(e).is_err() {
                return;
            }
        }
    }
}

/// One connection to an emulated band.
pub struct EmulatorLink {
    shared: Arc<Shared>,
    effects: mpsc::UnboundedSender<Effect>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn gatt(e: GattError) -> LinkError {
    match e {
        GattError::NoCharacteristic(u) => LinkError::NoCharacteristic(u),
        GattError::NotPermitted(u) => LinkError::Refused(format!("operation not permitted on {u}")),
        GattError::NotAuthorized(u) => {
            LinkError::Refused(format!("{u} needs authentication first"))
        }
    }
}

impl EmulatorLink {
    async fn op<R>(
        &self,
        f: impl FnOnce(&mut Band, DateTime<Utc>) -> Result<R, GattError>,
    ) -> Result<R, LinkError> {
        let latency = lock(&self.shared.band).options().faults.latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if !self.shared.connected.load(Ordering::SeqCst) {
            return Err(LinkError::Disconnected);
        }
        let now = self.shared.clock.now();
        let r = f(&mut lock(&self.shared.band), now);
        r.map_err(gatt)
    }
}

#[async_trait]
impl Link for EmulatorLink {
    async fn write(&self, uuid: Uuid, data: &[u8], kind: WriteKind) -> Result<(), LinkError> {
        let effects = self.op(|b, now| b.write_as(now, uuid, data, kind)).await?;
        for e in effects {
            let _ = self.effects.send(e);
        }
        Ok(())
    }

    async fn read(&self, uuid: Uuid) -> Result<Vec<u8>, LinkError> {
        self.op(|b, now| b.read_as(now, uuid)).await
    }

    async fn subscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        self.op(|b, _| b.set_notify(uuid, true)).await
    }

    async fn unsubscribe(&self, uuid: Uuid) -> Result<(), LinkError> {
        self.op(|b, _| b.set_notify(uuid, false)).await
    }

    async fn notifications(&self) -> Result<NotificationStream, LinkError> {
        if !self.shared.connected.load(Ordering::SeqCst) {
            return Err(LinkError::Disconnected);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.shared.subscribers).push(tx);
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|n| (n, rx))
        })))
    }

    async fn disconnect(&self) -> Result<(), LinkError> {
        drop_link(&self.shared);
        Ok(())
    }

    async fn device_name(&self) -> Option<String> {
        Some(lock(&self.shared.band).options().model.name().to_string())
    }
}

impl Drop for EmulatorLink {
    fn drop(&mut self) {
        drop_link(&self.shared);
        for t in &self.tasks {
            t.abort();
        }
    }
}
