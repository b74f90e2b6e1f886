//! Validated values of band actions. Each type refuses what the band cannot take, with a message
//! a user (CLI) or an API client (JSON) can act on, so encoders never see an out-of-range value.
//! Byte meanings: docs/protocol.md §9 (Gadgetbridge's Huami support).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

fn bad(msg: impl Into<String>) -> ValueError {
    ValueError(msg.into())
}

macro_rules! via_string {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = ValueError;
            fn try_from(s: String) -> Result<Self, ValueError> {
                s.parse()
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.to_string()
            }
        }
    };
}

/// A time of day, `HH:MM` (24-hour), as alarms and schedules take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime {
    hour: u8,
    minute: u8,
}

impl ClockTime {
    /// `hour` 0..=23, `minute` 0..=59.
    pub fn new(hour: u8, minute: u8) -> Result<ClockTime, ValueError> {
        if hour > 23 || minute > 59 {
            return Err(bad(format!(
                "{hour:02}:{minute:02} is not a time of day (00:00 to 23:59)"
            )));
        }
        Ok(ClockTime { hour, minute })
    }
    /// Hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }
}

impl FromStr for ClockTime {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<ClockTime, ValueError> {
        let e = || bad(format!("{s:?} is not a time like 07:30 (HH:MM, 24-hour)"));
        let (h, m) = s.trim().split_once(':').ok_or_else(e)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(e());
        }
        let h: u8 = h.parse().map_err(|_| e())?;
        let m: u8 = m.parse().map_err(|_| e())?;
        ClockTime::new(h, m)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}
via_string!(ClockTime);

/// Days an alarm repeats on: Gadgetbridge's `Alarm` bits (Mon = 0x01 … Sun = 0x40); no day
/// means "once". Written as `mon,tue,...`, `daily`, `weekdays`, `weekends` or `once`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Weekdays(u8);

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekdays {
    /// No repetition: the alarm rings once.
    pub const ONCE: Weekdays = Weekdays(0);
    /// Every day.
    pub const DAILY: Weekdays = Weekdays(0x7f);

    /// From Gadgetbridge's bit mask (bit 0 Monday … bit 6 Sunday); bit 7 is not a day.
    pub fn from_mask(mask: u8) -> Weekdays {
        Weekdays(mask & 0x7f)
    }
    /// The bit mask (0 = once).
    pub fn mask(&self) -> u8 {
        self.0
    }
    /// Whether it rings only once.
    pub fn is_once(&self) -> bool {
        self.0 == 0
    }
}

impl FromStr for Weekdays {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Weekdays, ValueError> {
        let mut mask = 0u8;
        for part in s.split(',').map(|p| p.trim().to_ascii_lowercase()) {
            mask |= match part.as_str() {
                "once" | "" => 0,
                "daily" | "every-day" => 0x7f,
                "weekdays" => 0x1f,
                "weekends" => 0x60,
                d => match DAY_NAMES.iter().position(|n| d.starts_with(n)) {
                    Some(i) => 1 << i,
                    None => {
                        return Err(bad(format!(
                            "{part:?} is not a day: use mon,tue,wed,thu,fri,sat,sun, daily, weekdays, weekends or once"
                        )))
                    }
                },
            };
        }
        Ok(Weekdays(mask))
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("once"),
            0x7f => f.write_str("daily"),
            m => {
                let days: Vec<&str> = (0..7)
                    .filter(|i| m & (1 << i) != 0)
                    .map(|i| DAY_NAMES[i])
                    .collect();
                f.write_str(&days.join(","))
            }
        }
    }
}
via_string!(Weekdays);

/// An alarm slot: Mi Band 4/5 hold 10 (Gadgetbridge `HuamiCoordinator.getAlarmSlotCount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct AlarmSlot(u8);

impl AlarmSlot {
    /// Number of slots.
    pub const COUNT: u8 = 10;
    /// Slot 0..=9.
    pub fn new(slot: u8) -> Result<AlarmSlot, ValueError> {
        if slot >= Self::COUNT {
            return Err(bad(format!(
                "alarm slot {slot} does not exist: the band has slots 0 to {}",
                Self::COUNT - 1
            )));
        }
        Ok(AlarmSlot(slot))
    }
    /// The slot number.
    pub fn get(&self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for AlarmSlot {
    type Error = ValueError;
    fn try_from(v: u8) -> Result<AlarmSlot, ValueError> {
        AlarmSlot::new(v)
    }
}
impl From<AlarmSlot> for u8 {
    fn from(s: AlarmSlot) -> u8 {
        s.0
    }
}
impl FromStr for AlarmSlot {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<AlarmSlot, ValueError> {
        let n: u8 = s
            .trim()
            .parse()
            .map_err(|_| bad(format!("{s:?} is not an alarm slot (0 to 9)")))?;
        AlarmSlot::new(n)
    }
}

/// One alarm as the band stores it. Mi Band 4/5 have no smart wake-up (Gadgetbridge offers it
/// only on Zepp OS devices); what they do have is snooze, which the band shows when ringing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Alarm {
    /// Slot 0..=9.
    pub slot: AlarmSlot,
    /// When it rings (band local time).
    pub time: ClockTime,
    /// Repetition; `once` if empty.
    #[serde(default)]
    pub days: Weekdays,
    /// Whether it is armed.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether the band offers snooze when it rings.
    #[serde(default = "yes")]
    pub snooze: bool,
}

fn yes() -> bool {
    true
}

/// What kind of alert a text is shown as (Bluetooth New Alert categories, as Gadgetbridge's
/// `AlertCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A text message (category SMS, 5).
    #[default]
    Message,
    /// An incoming call (category 3).
    Call,
    /// A missed call (category 4).
    MissedCall,
    /// An e-mail (category 1).
    Mail,
}

impl FromStr for AlertKind {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<AlertKind, ValueError> {
        Ok(
            match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "message" | "sms" => AlertKind::Message,
                "call" => AlertKind::Call,
                "missed-call" => AlertKind::MissedCall,
                "mail" | "email" => AlertKind::Mail,
                _ => {
                    return Err(bad(format!(
                        "{s:?} is not an alert kind: message, call, missed-call or mail"
                    )))
                }
            },
        )
    }
}

/// The text of an alert: UTF-8, at most [`AlertText::MAX_BYTES`] bytes, never split inside a
/// character. Gadgetbridge caps a Huami notification at 230 bytes (`notificationMaxLength`); two
/// of them are the category and count header.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AlertText(String);

impl AlertText {
    /// Longest text in bytes.
    pub const MAX_BYTES: usize = 228;
    /// Checks the length.
    pub fn new(text: &str) -> Result<AlertText, ValueError> {
        if text.len() > Self::MAX_BYTES {
            return Err(bad(format!(
                "the alert text is {} bytes long; the band takes at most {} bytes of UTF-8",
                text.len(),
                Self::MAX_BYTES
            )));
        }
        if text.chars().any(|c| c == '\0') {
            return Err(bad("the alert text must not contain a NUL character"));
        }
        Ok(AlertText(text.to_string()))
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AlertText {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<AlertText, ValueError> {
        AlertText::new(s)
    }
}
impl fmt::Display for AlertText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
via_string!(AlertText);

/// A UTC offset the band clock is set to, in quarter-hours (the band's zone byte, docs/protocol.md
/// §3.3). Written `+01:00`, `-05:30`, `+0545`, `Z` or `UTC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TzOffset(i8);

impl TzOffset {
    /// From quarter-hours, −48..=56 (UTC−12 to UTC+14).
    pub fn from_quarters(q: i8) -> Result<TzOffset, ValueError> {
        if !(-48..=56).contains(&q) {
            return Err(bad(format!(
                "a UTC offset of {q} quarter-hours is outside UTC-12:00..UTC+14:00"
            )));
        }
        Ok(TzOffset(q))
    }
    /// This machine's current offset.
    pub fn local() -> TzOffset {
        let secs = chrono::Local::now().offset().local_minus_utc();
        TzOffset((secs / 900).clamp(-48, 56) as i8)
    }
    /// Quarter-hours east of UTC.
    pub fn quarters(&self) -> i8 {
        self.0
    }
}

impl FromStr for TzOffset {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<TzOffset, ValueError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
            return Ok(TzOffset(0));
        }
        let e = || {
            bad(format!(
                "{s:?} is not a UTC offset like +01:00, -05:30 or Z (whole quarter-hours)"
            ))
        };
        let t = t.strip_prefix("UTC").unwrap_or(t);
        let (sign, rest) = match t.chars().next() {
            Some('+') => (1i32, &t[1..]),
            Some('-') => (-1i32, &t[1..]),
            _ => return Err(e()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || !(1..=4).contains(&digits.len()) {
            return Err(e());
        }
        let (h, m) = if digits.len() <= 2 {
            (digits.parse::<i32>().map_err(|_| e())?, 0)
        } else {
            let (h, m) = digits.split_at(digits.len() - 2);
            (
                h.parse::<i32>().map_err(|_| e())?,
                m.parse::<i32>().map_err(|_| e())?,
            )
        };
        if m >= 60 || m % 15 != 0 {
            return Err(e());
        }
        let q = sign * (h * 4 + m / 15);
        i8::try_from(q)
            .map_err(|_| e())
            .and_then(TzOffset::from_quarters)
    }
}

impl fmt::Display for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = i32::from(self.0) * 15;
        let sign = if m < 0 { '-' } else { '+' };
        write!(f, "{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    }
}
via_string!(TzOffset);

/// How long "find my band" vibrates: 1..=600 seconds (Gadgetbridge repeats the vibration
/// command every ≤10 s until stopped; a bounded time keeps a forgotten request from buzzing
/// forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct FindSeconds(u16);

impl FindSeconds {
    /// Longest accepted.
    pub const MAX: u16 = 600;
    /// Checks the range.
    pub fn new(s: u16) -> Result<FindSeconds, ValueError> {
        if s == 0 || s > Self::MAX {
            return Err(bad(format!(
                "find duration {s} s is outside 1..={} s",
                Self::MAX
            )));
        }
        Ok(FindSeconds(s))
    }
    /// Seconds.
    pub fn get(&self) -> u16 {
        self.0
    }
}
impl Default for FindSeconds {
    fn default() -> Self {
        FindSeconds(10)
    }
}
impl TryFrom<u16> for FindSeconds {
    type Error = ValueError;
    fn try_from(v: u16) -> Result<FindSeconds, ValueError> {
        FindSeconds::new(v)
    }
}
impl From<FindSeconds> for u16 {
    fn from(v: FindSeconds) -> u16 {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times() {
        assert_eq!("7:05".parse::<ClockTime>().unwrap().to_string(), "07:05");
        for bad in ["24:00", "12:60", "1230", "12:5", "", "ab:cd"] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!("mon,wed".parse::<Weekdays>().unwrap().mask(), 0b101);
        assert_eq!(
            "weekends".parse::<Weekdays>().unwrap().to_string(),
            "sat,sun"
        );
        assert_eq!("daily".parse::<Weekdays>().unwrap(), Weekdays::DAILY);
        assert!("once".parse::<Weekdays>().unwrap().is_once());
        let e = "mon,fooday".parse::<Weekdays>().unwrap_err();
        assert!(e.0.contains("fooday"), "{e}");
        assert_eq!(Weekdays::from_mask(0x80), Weekdays::ONCE);
    }

    #[test]
    fn offsets() {
        for (s, q, back) in [
            ("+01:00", 4, "+01:00"),
            ("-05:30", -22, "-05:30"),
            ("+0545", 23, "+05:45"),
            ("Z", 0, "+00:00"),
            ("+14", 56, "+14:00"),
        ] {
            let t: TzOffset = s.parse().unwrap();
            assert_eq!(t.quarters(), q, "{s}");
            assert_eq!(t.to_string(), back);
        }
        for bad in ["+01:10", "0100", "+15:00", "Europe/Paris"] {
            assert!(bad.parse::<TzOffset>().is_err(), "{bad}");
        }
    }

    #[test]
    fn limits() {
        assert!(AlarmSlot::new(9).is_ok());
        assert!(AlarmSlot::new(10).unwrap_err().0.contains("0 to 9"));
        assert!(AlertText::new(&"é".repeat(114)).is_ok());
        let e = AlertText::new(&"é".repeat(115)).unwrap_err();
        assert!(
            e.0.contains("230 bytes") || e.0.contains("228 bytes"),
            "{e}"
        );
        assert!(FindSeconds::new(0).is_err() && FindSeconds::new(601).is_err());
        assert_eq!(
            "missed_call".parse::<AlertKind>().unwrap(),
            AlertKind::MissedCall
        );
    }
}
