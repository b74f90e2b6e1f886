//! The action commands — `find`, `alert`, `set-time`, `alarm`, `config` — as thin front ends
//! over [`crate::action`]: parse into an [`Action`], connect, authenticate, perform, report.

use std::time::Duration;

use super::target::{band_error, block_on, connect, exit_code, session, BandArgs, CliError};
use crate::action::{
    self, Action, Alarm, AlarmSlot, AlertKind, AlertText, BandSetting, ClockTime, DistanceUnit,
    HrInterval, IdleAlerts, LiftWrist, NightMode, Outcome, StepGoal, TzOffset, Weekdays, Window,
};
use crate::link::Link;

/// Output switch shared by the action commands.
#[derive(Debug, Clone, clap::Args)]
pub struct Output {
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `miband find`.
#[derive(Debug, clap::Args)]
pub struct FindArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// Vibrate this many seconds [default: until Ctrl-C].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u16).range(1..=3600))]
    pub seconds: Option<u16>,
}

/// `miband alert`.
#[derive(Debug, clap::Args)]
pub struct AlertArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// The text to show (at most 228 bytes of UTF-8).
    #[arg(long, value_name = "TEXT")]
    pub text: AlertText,
    /// How the band shows it: message, call, missed-call or mail.
    #[arg(long, value_name = "KIND", default_value = "message")]
    pub kind: AlertKind,
}

/// `miband set-time`.
#[derive(Debug, clap::Args)]
pub struct SetTimeArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// UTC offset for the band clock, like +01:00 [default: this machine's].
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub tz: Option<TzOffset>,
    /// Output.
    #[command(flatten)]
    pub out: Output,
}

/// `miband alarm`.
#[derive(Debug, clap::Args)]
pub struct AlarmArgs {
    /// What to do.
    #[command(subcommand)]
    pub op: AlarmOp,
}

/// Alarm operations.
#[derive(Debug, clap::Subcommand)]
pub enum AlarmOp {
    /// List the alarms the band holds.
    List {
        /// The band.
        #[command(flatten)]
        band: BandArgs,
        /// Output.
        #[command(flatten)]
        out: Output,
    },
    /// Store an alarm in a slot (0-9).
    Set {
        /// The band.
        #[command(flatten)]
        band: BandArgs,
        /// Slot 0-9.
        #[arg(long, value_name = "N")]
        slot: AlarmSlot,
        /// When, HH:MM (band time).
        #[arg(long, value_name = "HH:MM")]
        time: ClockTime,
        /// Days: mon,tue,..., weekdays, weekends, daily or once.
        #[arg(long, value_name = "DAYS", default_value = "once")]
        days: Weekdays,
        /// Store it switched off.
        #[arg(long)]
        disabled: bool,
        /// Do not offer snooze when it rings.
        #[arg(long)]
        no_snooze: bool,
    },
    /// Empty a slot.
    Clear {
        /// The band.
        #[command(flatten)]
        band: BandArgs,
        /// Slot 0-9.
        #[arg(long, value_name = "N")]
        slot: AlarmSlot,
    },
}

/// `miband config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// The band.
    #[command(flatten)]
    pub band: BandArgs,
    /// All-day heart-rate measurement every N minutes (0 = off); without it the per-minute
    /// history carries no heart rate.
    #[arg(long, value_name = "MINUTES")]
    pub heart_rate_interval: Option<u8>,
    /// Heart-rate measurement during sleep: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub sleep_assist: Option<bool>,
    /// Daily step goal.
    #[arg(long, value_name = "STEPS")]
    pub step_goal: Option<u32>,
    /// Vibrate when the goal is reached: on or off.
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub goal_notification: Option<bool>,
    /// Idle (sedentary) alerts: off, or MINUTES,HH:MM-HH:MM (vibrate after MINUTES without
    /// moving, inside the window).
    #[arg(long, value_name = "off|MIN,HH:MM-HH:MM")]
    pub idle_alerts: Option<String>,
    /// A quiet period inside the idle-alert window, HH:MM-HH:MM.
    #[arg(long, value_name = "HH:MM-HH:MM", requires = "idle_alerts")]
    pub idle_quiet: Option<String>,
    /// Light the display on wrist lift: on, off, or HH:MM-HH:MM.
    #[arg(long, value_name = "on|off|HH:MM-HH:MM")]
    pub lift_wrist: Option<String>,
    /// Night mode: off, sunset, or HH:MM-HH:MM.
    #[arg(long, value_name = "off|sunset|HH:MM-HH:MM")]
    pub night_mode: Option<String>,
    /// Distance units: metric or imperial.
    #[arg(long, value_name = "metric|imperial", value_parser = units)]
    pub units: Option<DistanceUnit>,
}

fn on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(format!("{s:?} is not on or off")),
    }
}

fn units(s: &str) -> Result<DistanceUnit, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "metric" | "km" => Ok(DistanceUnit::Metric),
        "imperial" | "mi" | "miles" => Ok(DistanceUnit::Imperial),
        _ => Err(format!("{s:?} is not metric or imperial")),
    }
}

fn window(s: &str) -> Result<Window, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?} is not a window like 22:00-07:00"))?;
    Ok(Window {
        start: a.parse().map_err(|e: action::ValueError| e.0)?,
        end: b.parse().map_err(|e: action::ValueError| e.0)?,
    })
}

impl ConfigArgs {
    /// The settings asked for, in a fixed order; usage errors say which option is wrong.
    pub fn settings(&self) -> Result<Vec<BandSetting>, CliError> {
        let u = |opt: &str, e: String| CliError::Usage(format!("--{opt}: {e}"));
        let mut out = Vec::new();
        if let Some(m) = self.heart_rate_interval {
            let i = HrInterval::new(m).map_err(|e| u("heart-rate-interval", e.0))?;
            out.push(BandSetting::HeartRateInterval(i));
        }
        if let Some(on) = self.sleep_assist {
            out.push(BandSetting::SleepAssist(on));
        }
        if let Some(g) = self.step_goal {
            let g = StepGoal::new(g).map_err(|e| u("step-goal", e.0))?;
            out.push(BandSetting::StepGoal(g));
        }
        if let Some(on) = self.goal_notification {
            out.push(BandSetting::GoalNotification(on));
        }
        if let Some(v) = &self.idle_alerts {
            let setting = if v.trim().eq_ignore_ascii_case("off") {
                None
            } else {
                let (min, w) = v.split_once(',').ok_or_else(|| {
                    u(
                        "idle-alerts",
                        format!("{v:?} is not off or MINUTES,HH:MM-HH:MM"),
                    )
                })?;
                let threshold_minutes = min
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|m| *m > 0)
                    .ok_or_else(|| u("idle-alerts", format!("{min:?} is not 1 to 255 minutes")))?;
                let quiet = match &self.idle_quiet {
                    Some(q) => Some(window(q).map_err(|e| u("idle-quiet", e))?),
                    None => None,
                };
                Some(IdleAlerts {
                    threshold_minutes,
                    window: window(w).map_err(|e| u("idle-alerts", e))?,
                    quiet,
                })
            };
            out.push(BandSetting::IdleAlerts(setting));
        }
        if let Some(v) = &self.lift_wrist {
            out.push(BandSetting::LiftWrist(
                match v.trim().to_ascii_lowercase().as_str() {
                    "on" => LiftWrist::On,
                    "off" => LiftWrist::Off,
                    w => LiftWrist::Scheduled(window(w).map_err(|e| u("lift-wrist", e))?),
                },
            ));
        }
        if let Some(v) = &self.night_mode {
            out.push(BandSetting::NightMode(
                match v.trim().to_ascii_lowercase().as_str() {
                    "off" => NightMode::Off,
                    "sunset" => NightMode::Sunset,
                    w => NightMode::Scheduled(window(w).map_err(|e| u("night-mode", e))?),
                },
            ));
        }
        if let Some(d) = self.units {
            out.push(BandSetting::DistanceUnit(d));
        }
        if out.is_empty() {
            return Err(CliError::Usage(
                "nothing to configure: give at least one setting (see miband config --help)".into(),
            ));
        }
        Ok(out)
    }
}

/// Connects, authenticates and performs `actions` in order; returns their outcomes.
async fn run_actions(band: &BandArgs, actions: &[Action]) -> Result<Vec<Outcome>, CliError> {
    let t = band.resolve()?;
    let link = connect(band, &t).await?;
    let r = async {
        let mut s = session(&link, &t).await?;
        let mut outcomes = Vec::new();
        for a in actions {
            outcomes.push(
                action::perform(&mut s, a)
                    .await
                    .map_err(|e| CliError::Band(e.to_string()))?,
            );
        }
        Ok(outcomes)
    }
    .await;
    let _ = link.disconnect().await;
    r
}

fn print_json(v: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Runs `miband find`.
pub fn run_find(args: FindArgs) -> i32 {
    exit_code(
        "miband find",
        block_on(async move {
            let t = args.band.resolve()?;
            let link = connect(&args.band, &t).await?;
            let r = async {
                let mut s = session(&link, &t).await?;
                eprintln!("Vibrating {}...", t.mac);
                let stop = async {
                    match args.seconds {
                        Some(n) => {
                            tokio::select! {
                                _ = tokio::time::sleep(Duration::from_secs(u64::from(n))) => {}
                                _ = super::target::interrupted() => {}
                            }
                        }
                        None => super::target::interrupted().await,
                    }
                };
                action::find(&mut s, stop).await.map_err(band_error)
            }
            .await;
            let _ = link.disconnect().await;
            r?;
            println!("Stopped vibrating.");
            Ok(())
        }),
    )
}

/// Runs `miband alert`.
pub fn run_alert(args: AlertArgs) -> i32 {
    exit_code(
        "miband alert",
        block_on(async move {
            let a = Action::Alert {
                kind: args.kind,
                text: args.text,
            };
            run_actions(&args.band, &[a]).await?;
            println!("Alert sent.");
            Ok(())
        }),
    )
}

/// Runs `miband set-time`.
pub fn run_set_time(args: SetTimeArgs) -> i32 {
    exit_code(
        "miband set-time",
        block_on(async move {
            let o = run_actions(&args.band, &[Action::SetTime { tz: args.tz }]).await?;
            match o.first() {
                Some(v) if args.out.json => print_json(v),
                Some(Outcome::TimeSet { drift_seconds, tz }) => println!(
                    "Band clock set to this machine's time at UTC{tz} (it was {drift_seconds:+} s off)."
                ),
                _ => {}
            }
            Ok(())
        }),
    )
}

/// Runs `miband alarm`.
pub fn run_alarm(args: AlarmArgs) -> i32 {
    exit_code(
        "miband alarm",
        block_on(async move {
            match args.op {
                AlarmOp::List { band, out } => {
                    let o = run_actions(&band, &[Action::AlarmList]).await?;
                    let Some(Outcome::Alarms { alarms }) = o.first() else {
                        return Ok(());
                    };
                    if out.json {
                        print_json(alarms);
                    } else if alarms.is_empty() {
                        println!("No alarms set.");
                    } else {
                        println!("SLOT  TIME   DAYS                         STATE");
                        for a in alarms {
                            println!(
                                "{:<4}  {}  {:<27}  {}",
                                a.slot.get(),
                                a.time,
                                a.days.to_string(),
                                if a.enabled { "on" } else { "off" }
                            );
                        }
                    }
                }
                AlarmOp::Set {
                    band,
                    slot,
                    time,
                    days,
                    disabled,
                    no_snooze,
                } => {
                    let alarm = Alarm {
                        slot,
                        time,
                        days,
                        enabled: !disabled,
                        snooze: !no_snooze,
                    };
                    run_actions(&band, &[Action::AlarmSet { alarm }]).await?;
                    println!("Alarm {} set to {time} ({days}).", slot.get());
                }
                AlarmOp::Clear { band, slot } => {
                    run_actions(&band, &[Action::AlarmClear { slot }]).await?;
                    println!("Alarm {} cleared.", slot.get());
                }
            }
            Ok(())
        }),
    )
}

/// Runs `miband config`.
pub fn run_config(args: ConfigArgs) -> i32 {
    exit_code(
        "miband config",
        block_on(async move {
            let actions: Vec<Action> = args
                .settings()?
                .into_iter()
                .map(|setting| Action::Configure { setting })
                .collect();
            run_actions(&args.band, &actions).await?;
            println!("{} setting(s) applied.", actions.len());
            Ok(())
        }),
    )
}
