//! Device events the emulated band reports on 0x0010 (docs/protocol.md device events; GB
//! `HuamiDeviceEvent.java`): injected by tests, or by `miband emulate --button-every` pressing
//! the button periodically. Events reach the host only while it listens, as on a real band.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use crate::protocol::events::DeviceEvent;

/// Pending events and the optional periodic button press.
#[derive(Debug, Clone, Default)]
pub struct EventSource {
    pending: VecDeque<DeviceEvent>,
    button_every: Option<Duration>,
    next_button: Option<DateTime<Utc>>,
}

impl EventSource {
    /// Queues an event for the next tick.
    pub fn inject(&mut self, e: DeviceEvent) {
        self.pending.push_back(e);
    }

    /// Presses the button every `every` (None: never).
    pub fn set_button_every(&mut self, every: Option<Duration>) {
        self.button_every = every;
        self.next_button = None;
    }

    /// Events due at `now`, encoded.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Vec<u8>> {
        if let Some(every) = self.button_every {
            match self.next_button {
                None => self.next_button = Some(now + every),
                Some(t) if now >= t => {
                    self.pending.push_back(DeviceEvent::ButtonPressed);
                    self.next_button = Some(now + every);
                }
                Some(_) => {}
            }
        }
        self.pending.drain(..).map(|e| e.encode()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_and_periodic_events() {
        let t0 = Utc::now();
        let mut s = EventSource::default();
        s.inject(DeviceEvent::FellAsleep);
        assert_eq!(s.tick(t0), [vec![0x01]]);
        assert!(s.tick(t0).is_empty());
        s.set_button_every(Some(Duration::seconds(2)));
        assert!(s.tick(t0).is_empty());
        assert!(s.tick(t0 + Duration::seconds(1)).is_empty());
        assert_eq!(s.tick(t0 + Duration::seconds(2)), [vec![0x04]]);
    }
}
