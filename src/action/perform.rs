//! Executes an [`Action`] on an authenticated [`Session`]: the bytes come from the pure encoders
//! in `protocol::{alert, alarm, band_config, heart_rate, time}`; this module only sequences
//! writes, reads and waits.

use std::time::Duration;

use chrono::Utc;

use super::settings::{BandSetting, DistanceUnit, LiftWrist, NightMode, Window};
use super::values::{Alarm, AlarmSlot, AlertKind, ClockTime, TzOffset, Weekdays};
use super::{Action, Outcome};
use crate::link::WriteKind;
use crate::protocol::alarm::{self, AlarmEntry, AlarmListReader};
use crate::protocol::alert::{AlertCategory, AlertLevel, NewAlert};
use crate::protocol::band_config::{ConfigCommand, ConfigTarget, IdleAlertsBytes, Toggle};
use crate::protocol::datetime::BandDateTime;
use crate::protocol::heart_rate::HrCommand;
use crate::protocol::time::CurrentTime;
use crate::protocol::uuids as u;
use crate::session::{Session, SessionError};

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// Talking to the band failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The action needs the collector (e.g. a history sync needs its store).
    #[error("{0} can only be done by the running collector (miband-dc)")]
    CollectorOnly(&'static str),
}

/// How often "find" repeats the vibration command (Gadgetbridge's find loop, capped at 10 s).
pub const FIND_REPEAT: Duration = Duration::from_secs(10);

/// Performs `action` on an authenticated session.
pub async fn perform(session: &mut Session<'_>, action: &Action) -> Result<Outcome, ActionError> {
    match action {
        Action::Find { seconds } => {
            find(
                session,
                tokio::time::sleep(Duration::from_secs(u64::from(seconds.get()))),
            )
            .await?;
            Ok(Outcome::Done)
        }
        Action::Alert { kind, text } => {
            let category = match kind {
                AlertKind::Message => AlertCategory::Sms,
                AlertKind::Call => AlertCategory::IncomingCall,
                AlertKind::MissedCall => AlertCategory::MissedCall,
                AlertKind::Mail => AlertCategory::Email,
            };
            let a = NewAlert {
                category,
                count: 1,
                text: text.as_str().to_string(),
            };
            write(session, u::CHAR_NEW_ALERT, &a.encode()).await?;
            Ok(Outcome::Done)
        }
        Action::SetTime { tz } => {
            let tz = tz.unwrap_or_else(TzOffset::local);
            let before = session.band_time().await?;
            let now = Utc::now();
            let local = BandDateTime::from_utc(now, tz.quarters());
            let t = CurrentTime::new(local.local, tz.quarters());
            write(session, u::CHAR_CURRENT_TIME, &t.encode()).await?;
            Ok(Outcome::TimeSet {
                drift_seconds: (before.time.to_utc() - now).num_seconds(),
                tz,
            })
        }
        Action::AlarmList => Ok(Outcome::Alarms {
            alarms: read_alarms(session).await?,
        }),
        Action::AlarmSet { alarm } => {
            let e = AlarmEntry {
                slot: alarm.slot.get(),
                enabled: alarm.enabled,
                snooze: alarm.snooze,
                hour: alarm.time.hour(),
                minute: alarm.time.minute(),
                days: alarm.days.mask(),
            };
            write(session, u::CHAR_CONFIG, &alarm::encode_set(&e)).await?;
            Ok(Outcome::Done)
        }
        Action::AlarmClear { slot } => {
            write(session, u::CHAR_CONFIG, &alarm::encode_clear(slot.get())).await?;
            Ok(Outcome::Done)
        }
        Action::Configure { setting } => {
            configure(session, setting).await?;
            Ok(Outcome::Done)
        }
        Action::SyncNow => Err(ActionError::CollectorOnly("a history sync")),
        Action::HeartRate => Ok(Outcome::HeartRate {
            bpm: session.heart_rate().await?,
        }),
    }
}

async fn write(
    session: &mut Session<'_>,
    uuid: uuid::Uuid,
    data: &[u8],
) -> Result<(), SessionError> {
    session
        .link()
        .write(uuid, data, WriteKind::WithResponse)
        .await
        .map_err(SessionError::from)
}

/// Vibrates ("find my band") until `stop` completes, repeating the command as Gadgetbridge
/// does, then sends the stop level even if the wait was cut short.
pub async fn find(
    session: &mut Session<'_>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), SessionError> {
    let link = session.link();
    let vibrate = AlertLevel::VibrateOnly.encode();
    link.write(u::CHAR_ALERT_LEVEL, &vibrate, WriteKind::WithoutResponse)
        .await?;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(FIND_REPEAT) => {
                link.write(u::CHAR_ALERT_LEVEL, &vibrate, WriteKind::WithoutResponse).await?;
            }
        }
    }
    link.write(
        u::CHAR_ALERT_LEVEL,
        &AlertLevel::None.encode(),
        WriteKind::WithoutResponse,
    )
    .await?;
    Ok(())
}

/// Reads the stored alarms (Gadgetbridge `requestAlarms`), in slot order.
pub async fn read_alarms(session: &mut Session<'_>) -> Result<Vec<Alarm>, SessionError> {
    session.link().subscribe(u::CHAR_CONFIG).await?;
    write(session, u::CHAR_CONFIG, &alarm::REQUEST_ALARMS).await?;
    let mut reader = AlarmListReader::default();
    let timeout = session.options().reply_timeout;
    let entries = loop {
        let (_, v) = session
            .next_of(&[u::CHAR_CONFIG], timeout, "the alarm list")
            .await?;
        if let Some(list) = reader.feed(&v)? {
            break list;
        }
    };
    let mut alarms: Vec<Alarm> = entries
        .into_iter()
        .filter_map(|e| {
            Some(Alarm {
                slot: AlarmSlot::new(e.slot).ok()?,
                time: ClockTime::new(e.hour, e.minute).ok()?,
                days: Weekdays::from_mask(e.days),
                enabled: e.enabled,
                snooze: e.snooze,
            })
        })
        .collect();
    alarms.sort_by_key(|a| a.slot);
    Ok(alarms)
}

fn hm(t: ClockTime) -> (u8, u8) {
    (t.hour(), t.minute())
}

fn window(w: &Window) -> ((u8, u8), (u8, u8)) {
    (hm(w.start), hm(w.end))
}

/// The protocol command for a setting (heart-rate ones go to the control point instead).
fn config_command(setting: &BandSetting) -> Option<ConfigCommand> {
    Some(match setting {
        BandSetting::HeartRateInterval(_) | BandSetting::SleepAssist(_) => return None,
        BandSetting::StepGoal(g) => ConfigCommand::StepGoal(g.steps()),
        BandSetting::GoalNotification(on) => ConfigCommand::GoalNotification(*on),
        BandSetting::IdleAlerts(None) => ConfigCommand::IdleAlerts(None),
        BandSetting::IdleAlerts(Some(i)) => {
            // As GB's setInactivityWarnings: a quiet period splits the window in two.
            let (first, second) = match &i.quiet {
                None => (window(&i.window), None),
                Some(q) => (
                    (hm(i.window.start), hm(q.start)),
                    Some((hm(q.end), hm(i.window.end))),
                ),
            };
            ConfigCommand::IdleAlerts(Some(IdleAlertsBytes {
                threshold: i.threshold_minutes,
                first,
                second,
            }))
        }
        BandSetting::LiftWrist(l) => ConfigCommand::LiftWrist(match l {
            LiftWrist::Off => Toggle::Off,
            LiftWrist::On => Toggle::On,
            LiftWrist::Scheduled(w) => {
                let (s, e) = window(w);
                Toggle::Scheduled(s, e)
            }
        }),
        BandSetting::NightMode(n) => ConfigCommand::NightMode(match n {
            NightMode::Off => Toggle::Off,
            NightMode::Sunset => Toggle::On,
            NightMode::Scheduled(w) => {
                let (s, e) = window(w);
                Toggle::Scheduled(s, e)
            }
        }),
        BandSetting::DistanceUnit(d) => ConfigCommand::Imperial(*d == DistanceUnit::Imperial),
    })
}

/// Applies one setting.
pub async fn configure(
    session: &mut Session<'_>,
    setting: &BandSetting,
) -> Result<(), SessionError> {
    match setting {
        BandSetting::HeartRateInterval(m) => {
            let c = HrCommand::Interval(m.minutes()).encode();
            write(session, u::CHAR_HEART_RATE_CONTROL, &c).await
        }
        BandSetting::SleepAssist(on) => {
            let c = HrCommand::SleepAssist(*on).encode();
            write(session, u::CHAR_HEART_RATE_CONTROL, &c).await
        }
        other => {
            let Some(cmd) = config_command(other) else {
                return Ok(());
            };
            let uuid = match cmd.target() {
                ConfigTarget::Configuration => u::CHAR_CONFIG,
                ConfigTarget::UserSettings => u::CHAR_USER_SETTINGS,
            };
            write(session, uuid, &cmd.encode()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{IdleAlerts, StepGoal};

    #[test]
    fn settings_map_to_gadgetbridge_commands() {
        let t = |s: &str| s.parse::<ClockTime>().unwrap();
        let idle = BandSetting::IdleAlerts(Some(IdleAlerts {
            threshold_minutes: 60,
            window: Window {
                start: t("09:00"),
                end: t("21:00"),
            },
            quiet: Some(Window {
                start: t("12:00"),
                end: t("14:00"),
            }),
        }));
        assert_eq!(
            config_command(&idle).unwrap().encode(),
            [0x08, 0x01, 0x3c, 0x00, 9, 0, 12, 0, 14, 0, 21, 0]
        );
        assert_eq!(
            config_command(&BandSetting::StepGoal(StepGoal::new(10000).unwrap()))
                .unwrap()
                .encode(),
            [0x10, 0x00, 0x00, 0x10, 0x27, 0x00, 0x00]
        );
        assert_eq!(
            config_command(&BandSetting::NightMode(NightMode::Sunset))
                .unwrap()
                .encode(),
            [0x1a, 0x02]
        );
        assert!(config_command(&BandSetting::SleepAssist(true)).is_none());
    }
}
