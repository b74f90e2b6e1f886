//! The live streams — `hr --live`, `raw`, `events` — as JSON lines (or CSV) on stdout until
//! Ctrl-C, SIGTERM or `--duration`; a clean stop turns the measurement off on the band.

use std::io::Write;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::json;

use super::target::{
    band_error, block_on, connect, exit_code, interrupted, session, BandArgs, CliError,
};
use crate::link::{Link, Notification};
use crate::protocol::events::DeviceEvent;
use crate::protocol::heart_rate::decode_measurement;
use crate::protocol::raw_sensor::RawPacket;
use crate::protocol::uuids as u;
use crate::session::{RawSelection, Session, KEEP_ALIVE};

/// `miband hr`.
#[derive(Debug, clap::Args)]
pub struct HrArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// Continuous measurement, one JSON line per reading (without it: one reading).
    #[arg(long)]
    pub live: bool,
    /// Stop after this many seconds [default: until Ctrl-C].
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
}

/// `miband raw`.
#[derive(Debug, clap::Args)]
pub struct RawArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// Accelerometer triplets (the default when neither is given: both).
    #[arg(long)]
    pub accel: bool,
    /// Raw PPG (optical heart sensor) values.
    #[arg(long)]
    pub ppg: bool,
    /// CSV (`time,kind,seq,x,y,z,ppg`) instead of JSON lines.
    #[arg(long)]
    pub csv: bool,
    /// Stop after this many seconds [default: until Ctrl-C].
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
}

/// `miband events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// Stop after this many seconds [default: until Ctrl-C].
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hr,
    Raw(RawSelection, bool),
    Events,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn event_name(e: &DeviceEvent) -> String {
    match e {
        DeviceEvent::FellAsleep => "fell_asleep".into(),
        DeviceEvent::WokeUp => "woke_up".into(),
        DeviceEvent::StepsGoalReached => "steps_goal_reached".into(),
        DeviceEvent::ButtonPressed => "button_pressed".into(),
        DeviceEvent::NonWearStart => "non_wear_start".into(),
        DeviceEvent::CallRejected => "call_rejected".into(),
        DeviceEvent::FindPhoneStart => "find_phone_start".into(),
        DeviceEvent::CallIgnored => "call_ignored".into(),
        DeviceEvent::AlarmToggled => "alarm_toggled".into(),
        DeviceEvent::ButtonLongPressed => "button_long_pressed".into(),
        DeviceEvent::Tick30Min => "tick_30_min".into(),
        DeviceEvent::FindPhoneStop => "find_phone_stop".into(),
        DeviceEvent::SilentMode => "silent_mode".into(),
        DeviceEvent::WorkoutStarting => "workout_starting".into(),
        DeviceEvent::MtuRequest(_) => "mtu_request".into(),
        DeviceEvent::AlarmChanged => "alarm_changed".into(),
        DeviceEvent::MusicControl(a) => match a {
            0x00 => "music_play".into(),
            0x01 => "music_pause".into(),
            0x03 => "music_next".into(),
            0x04 => "music_previous".into(),
            0x05 => "music_volume_up".into(),
            0x06 => "music_volume_down".into(),
            0xe0 => "music_app_opened".into(),
            0xe1 => "music_app_closed".into(),
            other => format!("music_{other:02x}"),
        },
        DeviceEvent::Unknown(c) => format!("unknown_{c:02x}"),
    }
}

/// The lines one notification prints.
fn lines(kind: Kind, n: &Notification) -> Vec<String> {
    let ts = now();
    match (kind, n.uuid) {
        (Kind::Hr, u::CHAR_HEART_RATE_MEASUREMENT) => match decode_measurement(&n.value) {
            Ok(bpm) => vec![json!({"time": ts, "bpm": bpm}).to_string()],
            Err(e) => vec![json!({"time": ts, "error": e.to_string()}).to_string()],
        },
        (Kind::Raw(_, csv), u::CHAR_RAW_DATA) => match RawPacket::decode(&n.value) {
            Ok(RawPacket::Accelerometer { seq, samples }) => samples
                .iter()
                .map(|[x, y, z]| {
                    if csv {
                        format!("{ts},accel,{seq},{x},{y},{z},")
                    } else {
                        json!({"time": ts, "kind": "accel", "seq": seq, "x": x, "y": y, "z": z})
                            .to_string()
                    }
                })
                .collect(),
            Ok(RawPacket::HeartRaw { seq, values }) => values
                .iter()
                .map(|v| {
                    if csv {
                        format!("{ts},ppg,{seq},,,,{v}")
                    } else {
                        json!({"time": ts, "kind": "ppg", "seq": seq, "ppg": v}).to_string()
                    }
                })
                .collect(),
            Err(e) => {
                tracing::debug!(error = %e, "raw packet skipped");
                Vec::new()
            }
        },
        (Kind::Events, u::CHAR_DEVICE_EVENT) => match DeviceEvent::decode(&n.value) {
            Ok(e) => vec![
                json!({"time": ts, "event": event_name(&e), "code": format!("{:02x}", n.value[0])})
                    .to_string(),
            ],
            Err(e) => vec![json!({"time": ts, "error": e.to_string()}).to_string()],
        },
        _ => Vec::new(),
    }
}

async fn start(s: &mut Session<'_>, kind: Kind) -> Result<(), CliError> {
    match kind {
        Kind::Hr => s.start_continuous_hr().await,
        Kind::Raw(sel, _) => s.start_raw(sel).await,
        Kind::Events => s.start_events().await,
    }
    .map_err(band_error)
}

async fn stop(s: &mut Session<'_>, kind: Kind) -> Result<(), CliError> {
    match kind {
        Kind::Hr => s.stop_continuous_hr().await,
        Kind::Raw(..) => s.stop_raw().await,
        Kind::Events => s.stop_events().await,
    }
    .map_err(band_error)
}

async fn stream(band: &BandArgs, kind: Kind, duration: Option<u64>) -> Result<(), CliError> {
    let t = band.resolve()?;
    let link = connect(band, &t).await?;
    let r = async {
        let mut s = session(&link, &t).await?;
        start(&mut s, kind).await?;
        if let Kind::Raw(_, true) = kind {
            println!("time,kind,seq,x,y,z,ppg");
        }
        let until = async {
            match duration {
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(d)) => {}
                        _ = interrupted() => {}
                    }
                }
                None => interrupted().await,
            }
        };
        tokio::pin!(until);
        let mut ping = tokio::time::interval(KEEP_ALIVE);
        ping.tick().await;
        let pings = kind != Kind::Events;
        let mut out = std::io::stdout();
        let result = loop {
            tokio::select! {
                _ = &mut until => break Ok(()),
                _ = ping.tick(), if pings => {
                    if let Err(e) = s.keep_alive().await {
                        break Err(band_error(e));
                    }
                }
                n = s.next_live(Duration::from_secs(1)) => match n {
                    Ok(Some(n)) => {
                        let text: String = lines(kind, &n).into_iter().map(|l| l + "\n").collect();
                        // A closed stdout (e.g. `| head`) ends the stream cleanly.
                        if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
                            break Ok(());
                        }
                    }
                    Ok(None) => {}
                    Err(e) => break Err(band_error(e)),
                }
            }
        };
        let stopped = stop(&mut s, kind).await;
        result.and(stopped)
    }
    .await;
    let _ = link.disconnect().await;
    r
}

/// Runs `miband hr`.
pub fn run_hr(args: HrArgs) -> i32 {
    if !args.live {
        return exit_code(
            "miband hr",
            block_on(async move {
                let t = args.band.resolve()?;
                let link = connect(&args.band, &t).await?;
                let r = async {
                    let mut s = session(&link, &t).await?;
                    s.heart_rate().await.map_err(band_error)
                }
                .await;
                let _ = link.disconnect().await;
                println!("{}", json!({"time": now(), "bpm": r?}));
                Ok(())
            }),
        );
    }
    exit_code(
        "miband hr",
        block_on(stream(&args.band, Kind::Hr, args.duration)),
    )
}

/// Runs `miband raw`.
pub fn run_raw(args: RawArgs) -> i32 {
    let both = !args.accel && !args.ppg;
    let sel = RawSelection {
        accel: args.accel || both,
        ppg: args.ppg || both,
    };
    exit_code(
        "miband raw",
        block_on(stream(&args.band, Kind::Raw(sel, args.csv), args.duration)),
    )
}

/// Runs `miband events`.
pub fn run_events(args: EventsArgs) -> i32 {
    exit_code(
        "miband events",
        block_on(stream(&args.band, Kind::Events, args.duration)),
    )
}
