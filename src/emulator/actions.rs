//! What the host asked the emulated band to do: vibrate, show alerts, keep alarms, apply
//! settings, measure heart rate every N minutes. Kept for tests (and logged by
//! `miband emulate`), and answered the way docs/protocol.md §9 and docs/real-bands.md describes.
//!
//! Behaviour sources: Gadgetbridge `HuamiSupport.java` (find loop repeating `03` every ≤10 s,
//! alarm list answer, `10 06 xx 00 01` acknowledgements, GB#485). Assumptions (no capture):
//! one `03` vibrates for 10 s unless `00` comes first; writes before authentication are ignored;
//! an all-day interval of N minutes keeps the heart rate of minutes whose index since the epoch
//! is a multiple of N and none when 0, from the minute it was set (the band's history before the
//! first write stays as the wearer lived it, as set up by a phone earlier).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::protocol::alarm::{self, AlarmEntry, AlarmWrite};
use crate::protocol::alert::{AlertCategory, AlertLevel, NewAlert};
use crate::protocol::band_config::{display_ack, ConfigCommand, ConfigTarget};
use crate::protocol::heart_rate::HrCommand;
use crate::protocol::uuids as u;

/// How long one "vibrate only" alert level buzzes (assumption).
pub const VIBRATION: Duration = Duration::seconds(10);

/// An alert the band displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAlert {
    /// When (host clock).
    pub at: DateTime<Utc>,
    /// Category.
    pub category: AlertCategory,
    /// Text as shown.
    pub text: String,
}

/// The band's action-related state.
#[derive(Debug, Clone, Default)]
pub struct ActionState {
    vibrating_until: Option<DateTime<Utc>>,
    vibration_starts: u32,
    alerts: Vec<ReceivedAlert>,
    alarms: [Option<AlarmEntry>; 10],
    applied: Vec<ConfigCommand>,
    sleep_assist: Option<bool>,
    hr_schedule: Vec<(DateTime<Utc>, u8)>,
    last_hr_command: Option<HrCommand>,
}

impl ActionState {
    /// Handles a write to one of the action characteristics; returns notifications to send
    /// (the band only delivers them on subscribed characteristics).
    pub fn on_write(
        &mut self,
        now: DateTime<Utc>,
        uuid: Uuid,
        data: &[u8],
        mtu: usize,
    ) -> Vec<(Uuid, Vec<u8>)> {
        let mut out = Vec::new();
        match uuid {
            u::CHAR_ALERT_LEVEL => match AlertLevel::decode(data) {
                Ok(AlertLevel::None) => self.vibrating_until = None,
                Ok(_) => {
                    if !self.is_vibrating(now) {
                        self.vibration_starts += 1;
                        tracing::info!("emulated band vibrates");
                    }
                    self.vibrating_until = Some(now + VIBRATION);
                }
                Err(_) => {}
            },
            u::CHAR_NEW_ALERT => {
                if let Ok(a) = NewAlert::decode(data) {
                    tracing::info!(category = a.category.id(), text = %a.text, "emulated band shows an alert");
                    self.alerts.push(ReceivedAlert {
                        at: now,
                        category: a.category,
                        text: a.text,
                    });
                }
            }
            u::CHAR_CONFIG if data == alarm::REQUEST_ALARMS => {
                let used: Vec<AlarmEntry> = self.alarms.iter().flatten().copied().collect();
                // A notification carries at most MTU − 3 bytes.
                for c in alarm::encode_list(&used, mtu.saturating_sub(3).max(20)) {
                    out.push((u::CHAR_CONFIG, c));
                }
            }
            u::CHAR_CONFIG if data.first() == Some(&alarm::SET_ALARM) => {
                if let Ok(w) = alarm::decode_write(data) {
                    match w {
                        AlarmWrite::Set(a) => {
                            if let Some(s) = self.alarms.get_mut(usize::from(a.slot)) {
                                *s = Some(a);
                            }
                        }
                        AlarmWrite::Clear(slot) => {
                            if let Some(s) = self.alarms.get_mut(usize::from(slot)) {
                                *s = None;
                            }
                        }
                    }
                    out.push((u::CHAR_CONFIG, vec![0x10, alarm::SET_ALARM, 0x01]));
                }
            }
            u::CHAR_CONFIG | u::CHAR_USER_SETTINGS => {
                let target = if uuid == u::CHAR_CONFIG {
                    ConfigTarget::Configuration
                } else {
                    ConfigTarget::UserSettings
                };
                if let Ok(Some(c)) = ConfigCommand::decode(target, data) {
                    tracing::info!(setting = ?c, "emulated band applies a setting");
                    self.applied.push(c);
                }
                if let Some(ack) = display_ack(data) {
                    out.push((u::CHAR_CONFIG, ack));
                }
            }
            _ => {}
        }
        out
    }

    /// Records a heart-rate control command (tests check a stream was stopped by the host).
    pub fn note_hr_command(&mut self, c: HrCommand) {
        if c != HrCommand::KeepAlive {
            self.last_hr_command = Some(c);
        }
    }

    /// The last heart-rate control command other than a keep-alive.
    pub fn last_hr_command(&self) -> Option<HrCommand> {
        self.last_hr_command
    }

    /// Records a sleep-assist switch.
    pub fn set_sleep_assist(&mut self, on: bool) {
        self.sleep_assist = Some(on);
    }

    /// Records an all-day heart-rate interval taking effect at `band_minute` (band clock).
    pub fn set_hr_interval(&mut self, band_now: DateTime<Utc>, minutes: u8) {
        tracing::info!(minutes, "emulated band sets its heart-rate interval");
        self.hr_schedule.push((band_now, minutes));
    }

    /// The heart rate the history keeps for `minute` (band clock) given the interval in force.
    pub fn history_heart_rate(&self, minute: DateTime<Utc>, hr: Option<u8>) -> Option<u8> {
        let Some(&(_, every)) = self
            .hr_schedule
            .iter()
            .rev()
            .find(|(at, _)| *at <= minute + Duration::seconds(59))
        else {
            return hr;
        };
        let index = minute.timestamp().div_euclid(60);
        match every {
            0 => None,
            n if index % i64::from(n) == 0 => hr,
            _ => None,
        }
    }

    /// Whether the band is buzzing.
    pub fn is_vibrating(&self, now: DateTime<Utc>) -> bool {
        self.vibrating_until.is_some_and(|t| now < t)
    }
    /// How many times it started buzzing.
    pub fn vibration_starts(&self) -> u32 {
        self.vibration_starts
    }
    /// Alerts shown, oldest first.
    pub fn alerts(&self) -> &[ReceivedAlert] {
        &self.alerts
    }
    /// Alarms stored, by slot.
    pub fn alarms(&self) -> &[Option<AlarmEntry>; 10] {
        &self.alarms
    }
    /// Settings applied, in order.
    pub fn applied(&self) -> &[ConfigCommand] {
        &self.applied
    }
    /// Sleep assist as last set.
    pub fn sleep_assist(&self) -> Option<bool> {
        self.sleep_assist
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn find_alerts_alarms_and_settings_change_state() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        let mut s = ActionState::default();
        s.on_write(t0, u::CHAR_ALERT_LEVEL, &[3], 23);
        assert!(s.is_vibrating(t0 + Duration::seconds(9)));
        assert!(!s.is_vibrating(t0 + Duration::seconds(10)));
        s.on_write(t0, u::CHAR_ALERT_LEVEL, &[0], 23);
        assert!(!s.is_vibrating(t0));
        assert_eq!(s.vibration_starts(), 1);

        s.on_write(t0, u::CHAR_NEW_ALERT, &[5, 1, b'h', b'i'], 23);
        assert_eq!(s.alerts()[0].text, "hi");

        let set = alarm::encode_set(&AlarmEntry {
            slot: 3,
            enabled: true,
            snooze: true,
            hour: 6,
            minute: 45,
            days: 0x1f,
        });
        assert_eq!(
            s.on_write(t0, u::CHAR_CONFIG, &set, 23),
            [(u::CHAR_CONFIG, vec![0x10, 0x02, 0x01])]
        );
        assert_eq!(s.alarms()[3].unwrap().hour, 6);
        let list = s.on_write(t0, u::CHAR_CONFIG, &alarm::REQUEST_ALARMS, 23);
        let mut r = alarm::AlarmListReader::default();
        let got = list.iter().find_map(|(_, v)| r.feed(v).unwrap()).unwrap();
        assert_eq!(got.len(), 1);
        s.on_write(t0, u::CHAR_CONFIG, &alarm::encode_clear(3), 23);
        assert!(s.alarms()[3].is_none());

        let acks = s.on_write(t0, u::CHAR_CONFIG, &[0x06, 0x03, 0x00, 0x01], 23);
        assert_eq!(acks, [(u::CHAR_CONFIG, vec![0x10, 0x06, 0x03, 0x00, 0x01])]);
        assert_eq!(s.applied(), [ConfigCommand::Imperial(true)]);
    }

    #[test]
    fn heart_rate_interval_thins_the_history_from_when_it_was_set() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        let mut s = ActionState::default();
        let m = |i: i64| t0 + Duration::minutes(i);
        assert_eq!(s.history_heart_rate(m(1), Some(70)), Some(70));
        s.set_hr_interval(m(10), 5);
        assert_eq!(
            s.history_heart_rate(m(9), Some(70)),
            Some(70),
            "before the change"
        );
        let kept: Vec<i64> = (10..30)
            .filter(|i| s.history_heart_rate(m(*i), Some(70)).is_some())
            .collect();
        assert_eq!(kept, [10, 15, 20, 25]);
        s.set_hr_interval(m(30), 0);
        assert!((30..40).all(|i| s.history_heart_rate(m(i), Some(70)).is_none()));
    }
}
