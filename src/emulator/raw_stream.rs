//! The raw sensor stream (docs/protocol.md raw sensor section, creotiv/MiBand2 `base.py`):
//! `01 xx 19` on 0x0001 selects accelerometer (01), raw PPG (02) or both (03), `02` starts,
//! `03` stops; packets come on 0x0002 while continuous heart-rate measurement is kept alive
//! (creotiv starts it and pings `16`, so this emulator ties the stream to it).
//!
//! Values (assumption, plausible not captured): the accelerometer reads ≈4100 per g (GB's Zepp
//! OS notes) — gravity on z plus a small arm swing; the PPG is a 20 000-count baseline with a
//! pulse wave at the wearer's heart rate. One accelerometer packet (3 triplets) and one PPG
//! packet (7 values) per emulator tick, a lower rate than a real band.

use chrono::{DateTime, Utc};

use crate::protocol::raw_sensor::RawPacket;

/// Stream state.
#[derive(Debug, Clone, Default)]
pub struct RawStream {
    mode: u8,
    started: bool,
    seq: u8,
    packets: u64,
    last_control: Option<u8>,
}

impl RawStream {
    /// Handles a write to 0x0001.
    pub fn on_control(&mut self, data: &[u8]) {
        self.last_control = data.first().copied();
        match data {
            [0x01, m, 0x19] => self.mode = *m,
            [0x02] => self.started = true,
            [0x03] => self.started = false,
            _ => {}
        }
    }

    /// Whether the host asked for the stream.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// First byte of the last control write (`03` once the host stopped the stream).
    pub fn last_control(&self) -> Option<u8> {
        self.last_control
    }

    /// Packets sent so far.
    pub fn packets_sent(&self) -> u64 {
        self.packets
    }

    /// Stops (link dropped).
    pub fn stop(&mut self) {
        self.started = false;
    }

    /// Packets due at `now` while heart-rate measurement runs at `bpm`.
    pub fn tick(&mut self, now: DateTime<Utc>, bpm: u8) -> Vec<Vec<u8>> {
        if !self.started {
            return Vec::new();
        }
        let t = now.timestamp_millis() as f64 / 1000.0;
        let mut out = Vec::new();
        if self.mode & 0x01 != 0 {
            let samples = (0..3)
                .map(|i| {
                    let ts = t + f64::from(i) * 0.04;
                    let swing = (ts * 2.0 * std::f64::consts::PI * 0.8).sin();
                    [
                        (300.0 * swing) as i16,
                        (150.0 * (ts * 1.3).cos()) as i16,
                        (4100.0 - 200.0 * swing.abs()) as i16,
                    ]
                })
                .collect();
            out.push(
                RawPacket::Accelerometer {
                    seq: self.seq,
                    samples,
                }
                .encode(),
            );
        }
        if self.mode & 0x02 != 0 {
            let hz = f64::from(bpm.max(40)) / 60.0;
            let values = (0..7)
                .map(|i| {
                    let ts = t + f64::from(i) * 0.04;
                    (20_000.0 + 800.0 * (ts * 2.0 * std::f64::consts::PI * hz).sin()) as u16
                })
                .collect();
            out.push(
                RawPacket::HeartRaw {
                    seq: self.seq,
                    values,
                }
                .encode(),
            );
        }
        self.seq = self.seq.wrapping_add(1);
        self.packets += out.len() as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::raw_sensor::RawControl;

    #[test]
    fn selects_starts_and_stops() {
        let now = Utc::now();
        let mut r = RawStream::default();
        r.on_control(&RawControl::Select(3).encode());
        assert!(r.tick(now, 70).is_empty(), "not started");
        r.on_control(&RawControl::Start.encode());
        let p = r.tick(now, 70);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 20);
        assert_eq!(p[1].len(), 16);
        match RawPacket::decode(&p[0]).unwrap() {
            RawPacket::Accelerometer { samples, .. } => {
                assert!(
                    samples.iter().all(|s| (3800..=4200).contains(&s[2])),
                    "{samples:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            RawPacket::decode(&p[1]).unwrap(),
            RawPacket::HeartRaw { .. }
        ));
        r.on_control(&RawControl::Stop.encode());
        assert!(r.tick(now, 70).is_empty());
    }
}
