//! One way to stop: a [`ShutdownTrigger`] (held by whoever hears SIGTERM/SIGINT) and any number
//! of [`Shutdown`] listeners (one per task). A task `select!`s on [`Shutdown::recv`] beside its
//! work (a slot wait, a BLE connect, a sync), so nothing waits on a signal it cannot hear.
//!
//! Modelled on mini-redis's `Shutdown`, over a `watch` channel instead of a `broadcast` one so a
//! listener made after the signal still sees it. Dropping the trigger counts as the signal: a
//! program whose signal handler is gone cannot be stopped any other way.

use tokio::sync::watch;

/// Sends the signal. Not `Clone`: there is one place that decides to stop.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

/// Hears the signal. Cheap to clone; each task keeps its own.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

impl ShutdownTrigger {
    /// A trigger and its first listener.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx }, Shutdown { rx })
    }

    /// Tells every listener to stop. Idempotent.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Another listener.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown {
            rx: self.tx.subscribe(),
        }
    }
}

impl Shutdown {
    /// Whether the signal was given (or the trigger dropped).
    pub fn is_shutdown(&self) -> bool {
        *self.rx.borrow() || self.rx.has_changed().is_err()
    }

    /// Resolves once the signal is given (at once if it already was). Cancel-safe, so it can sit
    /// in a `select!` loop.
    pub async fn recv(&mut self) {
        // An error means the trigger is gone, which is a stop too.
        let _ = self.rx.wait_for(|stop| *stop).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn every_listener_hears_the_signal_even_one_made_after_it() {
        let (trigger, mut first) = ShutdownTrigger::new();
        let mut second = first.clone();
        assert!(!first.is_shutdown());
        let quiet = tokio::time::timeout(Duration::from_millis(20), first.recv()).await;
        assert!(quiet.is_err(), "no signal yet");
        trigger.trigger();
        first.recv().await;
        second.recv().await;
        let mut late = trigger.subscribe();
        late.recv().await;
        assert!(late.is_shutdown() && first.is_shutdown());
    }

    #[tokio::test]
    async fn a_dropped_trigger_is_a_stop() {
        let (trigger, mut s) = ShutdownTrigger::new();
        drop(trigger);
        assert!(s.is_shutdown());
        s.recv().await;
    }
}
