//! The band side of the protocol: a GATT-level state machine that answers writes and reads the way
//! a Mi Band 4/5 does. It is transport-free (no I/O, time passed in) so the in-process link and the
//! emulated BlueZ on D-Bus drive the very same band.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use uuid::Uuid;

use super::actions::ActionState;
use super::events::EventSource;
use super::faults::{Faults, PacketFate};
use super::model::Model;
use super::raw_stream::RawStream;
use super::world::World;
use crate::link::Notification;
use crate::mac::Mac;
use crate::protocol::activity::ActivitySample;
use crate::protocol::auth::{self, AuthCommand, AuthReply, AuthVariant};
use crate::protocol::battery::BatteryInfo;
use crate::protocol::datetime::BandDateTime;
use crate::protocol::device_info::system_id_from_mac;
use crate::protocol::fetch::{packetize, FetchCommand, FetchReply, DATA_ACTIVITY};
use crate::protocol::heart_rate::{encode_measurement, HrCommand};
use crate::protocol::key::AuthKey;
use crate::protocol::steps::Steps;
use crate::protocol::time::CurrentTime;
use crate::protocol::uuids as u;

/// How an emulated band is set up.
#[derive(Debug, Clone)]
pub struct BandOptions {
    /// Hardware model (sample size, revision strings).
    pub model: Model,
    /// Public address.
    pub mac: Mac,
    /// The auth key the band holds.
    pub key: AuthKey,
    /// Time zone the band clock is set to, in quarter-hours.
    pub tz_quarters: i8,
    /// How far the band clock is off true time at start (positive = ahead).
    pub clock_error: Duration,
    /// How much history the band holds at start.
    pub history: Duration,
    /// Most samples served per fetch round (real bands stop early; GB repeats rounds).
    pub round_cap: u32,
    /// ATT MTU for data packets (23 = BLE default).
    pub mtu: usize,
    /// Seed for the auth challenges.
    pub seed: u64,
    /// Misbehaviour to inject.
    pub faults: Faults,
    /// Delay between a one-shot heart-rate request and its result.
    pub one_shot_delay: Duration,
}

impl BandOptions {
    /// Sensible defaults for a band with this address and key.
    pub fn new(model: Model, mac: Mac, key: AuthKey) -> BandOptions {
        BandOptions {
            model,
            mac,
            key,
            tz_quarters: 4,
            clock_error: Duration::zero(),
            history: Duration::days(3),
            round_cap: 1440,
            mtu: 23,
            seed: mac.to_u64(),
            faults: Faults::default(),
            one_shot_delay: Duration::seconds(3),
        }
    }
}

/// What the link must do after an operation, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Deliver a notification (only produced for subscribed characteristics).
    Notify(Notification),
    /// Drop the connection.
    DropLink,
}

/// GATT-level failures, mapped to BlueZ error names by the D-Bus front end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GattError {
    /// No such characteristic.
    #[error("no characteristic {0}")]
    NoCharacteristic(Uuid),
    /// The characteristic does not support the operation.
    #[error("operation not permitted on {0}")]
    NotPermitted(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthState {
    Idle,
    Challenged([u8; 16], AuthVariant),
    Authenticated,
}

#[derive(Debug, Clone, Copy)]
struct PendingFetch {
    start: DateTime<Utc>,
    count: u32,
    sent: bool,
}

/// One emulated band.
pub struct Band {
    opts: BandOptions,
    world: Arc<dyn World>,
    clock_offset: Duration,
    tz_quarters: i8,
    auth: AuthState,
    subscribed: HashSet<Uuid>,
    fetch: Option<PendingFetch>,
    /// Oldest minute still held (band clock); moves on each acknowledged round.
    oldest: DateTime<Utc>,
    hr_continuous_until: Option<DateTime<Utc>>,
    hr_last_emit: Option<DateTime<Utc>>,
    hr_one_shot_due: Option<DateTime<Utc>>,
    hr_interval_minutes: u8,
    packets_sent: u64,
    rng: u64,
    /// Alerts, alarms, settings (src/emulator/actions.rs).
    actions: ActionState,
    raw: RawStream,
    events: EventSource,
}

fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).unwrap_or(t)
}

impl Band {
    /// A band whose clock starts at `now` + the configured error.
    pub fn new(opts: BandOptions, world: Arc<dyn World>, now: DateTime<Utc>) -> Band {
        let band_now = now + opts.clock_error;
        Band {
            clock_offset: opts.clock_error,
            tz_quarters: opts.tz_quarters,
            oldest: floor_minute(band_now - opts.history),
            rng: opts.seed ^ 0x9E37_79B9_7F4A_7C15,
            opts,
            world,
            auth: AuthState::Idle,
            subscribed: HashSet::new(),
            fetch: None,
            hr_continuous_until: None,
            hr_last_emit: None,
            hr_one_shot_due: None,
            hr_interval_minutes: 0,
            packets_sent: 0,
            actions: ActionState::default(),
            raw: RawStream::default(),
            events: EventSource::default(),
        }
    }

    /// The options the band was built with.
    pub fn options(&self) -> &BandOptions {
        &self.opts
    }

    /// The band's own clock.
    pub fn band_now(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.clock_offset
    }

    /// Whether the current connection has authenticated.
    pub fn is_authenticated(&self) -> bool {
        self.auth == AuthState::Authenticated
    }

    /// Oldest minute the band still holds.
    pub fn oldest_held(&self) -> DateTime<Utc> {
        self.oldest
    }

    /// Periodic heart-rate interval the host configured (minutes, 0 = off).
    pub fn hr_interval_minutes(&self) -> u8 {
        self.hr_interval_minutes
    }

    /// Forgets per-connection state, as a real band does when the link drops.
    pub fn on_disconnect(&mut self) {
        self.auth = AuthState::Idle;
        self.subscribed.clear();
        self.fetch = None;
        self.hr_continuous_until = None;
        self.hr_one_shot_due = None;
        self.raw.stop();
    }

    /// What the host made the band do (alerts, alarms, settings).
    pub fn actions(&self) -> &ActionState {
        &self.actions
    }

    /// The raw sensor stream.
    pub fn raw_stream(&self) -> &RawStream {
        &self.raw
    }

    /// Device events to report (tests inject them here).
    pub fn events_mut(&mut self) -> &mut EventSource {
        &mut self.events
    }

    /// Mutable access to the faults (tests add them while the band runs).
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.opts.faults
    }

    fn next_random(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        for chunk in out.chunks_mut(8) {
            // A SplitMix64 stream: a fresh, reproducible challenge per request.
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            chunk.copy_from_slice(&super::wearer::rng::mix(self.rng).to_le_bytes());
        }
        out
    }

    fn notify(&self, uuid: Uuid, value: Vec<u8>, out: &mut Vec<Effect>) {
        if self.subscribed.contains(&uuid) {
            out.push(Effect::Notify(Notification { uuid, value }));
        }
    }

    fn knows(uuid: Uuid) -> bool {
        super::gatt::layout()
            .iter()
            .any(|s| s.chars.iter().any(|c| c.uuid == uuid))
    }

    /// Enables or disables notifications for a characteristic.
    pub fn set_notify(&mut self, uuid: Uuid, on: bool) -> Result<(), GattError> {
        if !Band::knows(uuid) {
            return Err(GattError::NoCharacteristic(uuid));
        }
        if on {
            self.subscribed.insert(uuid);
        } else {
            self.subscribed.remove(&uuid);
        }
        Ok(())
    }

    /// Answers a read.
    pub fn read(&mut self, now: DateTime<Utc>, uuid: Uuid) -> Result<Vec<u8>, GattError> {
        let m = self.opts.model;
        Ok(match uuid {
            u::CHAR_BATTERY => self.battery(now).encode().to_vec(),
            u::CHAR_STEPS => {
                let t = self.world.totals_at(now);
                Steps {
                    steps: t.steps,
                    meters: Some(t.meters),
                    calories: Some(t.calories),
                }
                .encode()
            }
            u::CHAR_CURRENT_TIME => {
                let b = BandDateTime::from_utc(self.band_now(now), self.tz_quarters);
                CurrentTime::new(b.local, self.tz_quarters)
                    .encode()
                    .to_vec()
            }
            u::CHAR_SERIAL_NUMBER => hex::encode(self.opts.mac.as_bytes()).into_bytes(),
            u::CHAR_HARDWARE_REVISION => m.hardware_revision().as_bytes().to_vec(),
            u::CHAR_SOFTWARE_REVISION => m.software_revision().as_bytes().to_vec(),
            u::CHAR_SYSTEM_ID => system_id_from_mac(*self.opts.mac.as_bytes()).to_vec(),
            u::CHAR_PNP_ID => m.pnp_id().encode().to_vec(),
            u::CHAR_HEART_RATE_CONTROL | u::CHAR_RAW_CONTROL => Vec::new(),
            other if Band::knows(other) => return Err(GattError::NotPermitted(other)),
            other => return Err(GattError::NoCharacteristic(other)),
        })
    }

    fn battery(&self, now: DateTime<Utc>) -> BatteryInfo {
        let s = self.world.battery_at(now);
        BatteryInfo {
            level_percent: s.level_percent,
            charging: s.charging,
            last_off: s.last_off,
            last_charge: s.last_charge,
            last_charge_level_percent: s.last_charge_level_percent,
        }
    }

    /// Handles a write; returns what the link must do.
    pub fn write(
        &mut self,
        now: DateTime<Utc>,
        uuid: Uuid,
        data: &[u8],
    ) -> Result<Vec<Effect>, GattError> {
        let mut out = Vec::new();
        match uuid {
            u::CHAR_AUTH => self.on_auth(data, &mut out),
            u::CHAR_FETCH => self.on_fetch(now, data, &mut out),
            u::CHAR_CURRENT_TIME => {
                // A malformed time write is ignored, as the band does.
                if let Ok(t) = CurrentTime::decode(data) {
                    self.clock_offset = t.time.to_utc() - now;
                    self.tz_quarters = t.time.tz_quarters;
                }
            }
            u::CHAR_HEART_RATE_CONTROL => self.on_hr(now, data),
            u::CHAR_ALERT_LEVEL | u::CHAR_NEW_ALERT | u::CHAR_CONFIG | u::CHAR_USER_SETTINGS
                if self.is_authenticated() =>
            {
                for (c, v) in self.actions.on_write(now, uuid, data, self.opts.mtu) {
                    self.notify(c, v, &mut out);
                }
            }
            u::CHAR_RAW_CONTROL if self.is_authenticated() => self.raw.on_control(data),
            other if Band::knows(other) => {}
            other => return Err(GattError::NoCharacteristic(other)),
        }
        Ok(out)
    }

    fn on_auth(&mut self, data: &[u8], out: &mut Vec<Effect>) {
        let reply = match AuthCommand::decode(data) {
            Ok(AuthCommand::RequestRandom(v)) if self.opts.faults.refuse_auth => {
                let _ = v;
                AuthReply::RandomFailed { code: 0x04 }
            }
            Ok(AuthCommand::RequestRandom(v)) => {
                let r = self.next_random();
                self.auth = AuthState::Challenged(r, v);
                AuthReply::Random {
                    variant: v,
                    random: r,
                }
            }
            Ok(AuthCommand::SendAnswer { variant, answer }) => match self.auth {
                AuthState::Challenged(r, _) if auth::answer(&self.opts.key, &r) == answer => {
                    self.auth = AuthState::Authenticated;
                    AuthReply::AuthOk(variant)
                }
                _ => {
                    self.auth = AuthState::Idle;
                    AuthReply::AuthFailed {
                        code: auth::STATUS_WRONG_KEY,
                    }
                }
            },
            // MB4+ hold a server-issued key and refuse a new one.
            Ok(AuthCommand::SendKey { .. }) => AuthReply::KeyStored {
                ok: false,
                code: 0x04,
            },
            Err(_) => return,
        };
        self.notify(u::CHAR_AUTH, reply.encode(), out);
    }

    fn on_fetch(&mut self, now: DateTime<Utc>, data: &[u8], out: &mut Vec<Effect>) {
        let Ok(cmd) = FetchCommand::decode(data) else {
            return;
        };
        let reply = match cmd {
            FetchCommand::Start { .. } if !self.is_authenticated() => {
                FetchReply::StartFailed { code: 0x04 }
            }
            FetchCommand::Start { data_type, .. } if data_type != DATA_ACTIVITY => {
                FetchReply::StartFailed { code: 0x02 }
            }
            FetchCommand::Start { since, .. } => {
                // The band converts the requested instant into its own clock and zone (§4.1).
                let start = floor_minute(since.to_utc()).max(self.oldest);
                let end = floor_minute(self.band_now(now));
                let avail = (end - start).num_minutes().max(0) as u32;
                let count = avail.min(self.opts.round_cap);
                self.fetch = Some(PendingFetch {
                    start,
                    count,
                    sent: false,
                });
                FetchReply::Started {
                    count,
                    start: BandDateTime::from_utc(start, self.tz_quarters),
                }
            }
            FetchCommand::FetchData => match self.fetch {
                Some(f) if !f.sent => {
                    self.fetch = Some(PendingFetch { sent: true, ..f });
                    if !self.send_history(f, out) {
                        return;
                    }
                    FetchReply::Done { crc: None }
                }
                _ => FetchReply::DoneFailed { code: 0x04 },
            },
            FetchCommand::Ack => {
                if let Some(f) = self.fetch.take() {
                    if f.sent || f.count == 0 {
                        self.oldest = self.oldest.max(f.start + Duration::minutes(f.count as i64));
                    }
                }
                FetchReply::Acked { code: 0x01 }
            }
        };
        self.notify(u::CHAR_FETCH, reply.encode(), out);
    }

    /// The stored samples of a window, in the band's sample size.
    pub fn history(&self, start: DateTime<Utc>, count: u32) -> Vec<ActivitySample> {
        let size = self.opts.model.sample_size();
        (0..count as i64)
            .map(|i| {
                let minute = start + Duration::minutes(i);
                let mut s = self.world.sample_at(minute);
                s.heart_rate = self.actions.history_heart_rate(minute, s.heart_rate);
                if size.bytes() == 4 {
                    s.extra = None;
                } else if s.extra.is_none() {
                    s.extra = Some([0; 4]);
                }
                s
            })
            .collect()
    }

    /// Emits the data packets of a round; false if a fault ended the transfer early.
    fn send_history(&mut self, f: PendingFetch, out: &mut Vec<Effect>) -> bool {
        let samples = self.history(f.start, f.count);
        let packets = packetize(&samples, self.opts.model.sample_size(), self.opts.mtu, 0);
        for mut p in packets {
            let n = self.packets_sent;
            self.packets_sent += 1;
            match self.opts.faults.fate(n) {
                PacketFate::Send => {}
                PacketFate::Skip => continue,
                PacketFate::Corrupt => {
                    if let Some(b) = p.get_mut(1) {
                        *b ^= 0xA5;
                    }
                    p.truncate(p.len().saturating_sub(1).max(2));
                }
                PacketFate::DropLink => {
                    out.push(Effect::DropLink);
                    return false;
                }
                PacketFate::Stall => return false,
            }
            self.notify(u::CHAR_ACTIVITY_DATA, p, out);
        }
        true
    }

    fn on_hr(&mut self, now: DateTime<Utc>, data: &[u8]) {
        if let Ok(c) = HrCommand::decode(data) {
            self.actions.note_hr_command(c);
        }
        match HrCommand::decode(data) {
            Ok(HrCommand::Manual(true)) => {
                self.hr_one_shot_due = Some(now + self.opts.one_shot_delay);
            }
            Ok(HrCommand::Manual(false)) => self.hr_one_shot_due = None,
            Ok(HrCommand::Continuous(true)) | Ok(HrCommand::KeepAlive) => {
                if data == [0x16] && self.hr_continuous_until.is_none() {
                    return;
                }
                // Without a keep-alive the band stops after ~15 s (GB#913).
                self.hr_continuous_until = Some(now + Duration::seconds(15));
            }
            Ok(HrCommand::Continuous(false)) => {
                self.hr_continuous_until = None;
                self.hr_last_emit = None;
            }
            Ok(HrCommand::Interval(m)) => {
                self.hr_interval_minutes = m;
                self.actions.set_hr_interval(self.band_now(now), m);
            }
            Ok(HrCommand::SleepAssist(on)) => self.actions.set_sleep_assist(on),
            Err(_) => {}
        }
    }

    /// Time passes: one-shot results and continuous measurements (one a second).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        let mut out = Vec::new();
        if let Some(due) = self.hr_one_shot_due {
            if now >= due {
                self.hr_one_shot_due = None;
                let bpm = self.world.heart_rate_at(now).unwrap_or(0);
                self.notify(
                    u::CHAR_HEART_RATE_MEASUREMENT,
                    encode_measurement(bpm).to_vec(),
                    &mut out,
                );
            }
        }
        match self.hr_continuous_until {
            Some(until) if now >= until => {
                self.hr_continuous_until = None;
                self.hr_last_emit = None;
            }
            Some(_) => {
                let due = self
                    .hr_last_emit
                    .is_none_or(|t| now - t >= Duration::seconds(1));
                if due {
                    self.hr_last_emit = Some(now);
                    let bpm = self.world.heart_rate_at(now).unwrap_or(0);
                    self.notify(
                        u::CHAR_HEART_RATE_MEASUREMENT,
                        encode_measurement(bpm).to_vec(),
                        &mut out,
                    );
                }
            }
            None => {}
        }
        if self.hr_continuous_until.is_some() {
            let bpm = self.world.heart_rate_at(now).unwrap_or(0);
            for p in self.raw.tick(now, bpm) {
                self.notify(u::CHAR_RAW_DATA, p, &mut out);
            }
        }
        for e in self.events.tick(now) {
            self.notify(u::CHAR_DEVICE_EVENT, e, &mut out);
        }
        out
    }

    /// Whether continuous heart-rate measurement is running.
    pub fn hr_continuous(&self) -> bool {
        self.hr_continuous_until.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::world::{BatteryState, DayTotals};
    use crate::protocol::heart_rate::decode_measurement;
    use chrono::TimeZone;

    struct Still;
    impl World for Still {
        fn sample_at(&self, _m: DateTime<Utc>) -> ActivitySample {
            ActivitySample {
                kind: 1,
                intensity: 10,
                steps: 5,
                heart_rate: Some(70),
                extra: None,
            }
        }
        fn battery_at(&self, _t: DateTime<Utc>) -> BatteryState {
            BatteryState {
                level_percent: 50,
                charging: true,
                last_charge: None,
                last_charge_level_percent: None,
                last_off: None,
            }
        }
        fn totals_at(&self, _t: DateTime<Utc>) -> DayTotals {
            DayTotals {
                steps: 1,
                meters: 1,
                calories: 1,
            }
        }
        fn heart_rate_at(&self, _t: DateTime<Utc>) -> Option<u8> {
            Some(81)
        }
    }

    fn band() -> (Band, DateTime<Utc>) {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        let key = AuthKey::from_bytes([7; 16]);
        let b = Band::new(
            BandOptions::new(Model::Mb5, Mac::new([1, 2, 3, 4, 5, 6]), key),
            Arc::new(Still),
            t0,
        );
        (b, t0)
    }

    fn hr_values(effects: &[Effect]) -> Vec<Option<u16>> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Notify(n) if n.uuid == u::CHAR_HEART_RATE_MEASUREMENT => {
                    Some(decode_measurement(&n.value).unwrap())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn continuous_heart_rate_stops_15_s_after_the_last_keep_alive() {
        let (mut b, t0) = band();
        b.set_notify(u::CHAR_HEART_RATE_MEASUREMENT, true).unwrap();
        b.write(t0, u::CHAR_HEART_RATE_CONTROL, &[0x15, 0x01, 0x01])
            .unwrap();
        let mut got = 0;
        for s in 0..40 {
            let now = t0 + Duration::seconds(s);
            if s == 10 {
                b.write(now, u::CHAR_HEART_RATE_CONTROL, &[0x16]).unwrap();
            }
            got += hr_values(&b.tick(now)).len();
        }
        // Keep-alive at 10 s extends to 25 s: one reading a second until then, none after.
        assert_eq!(got, 25);
        assert!(!b.hr_continuous());
        // A keep-alive alone does not restart a stopped measurement.
        b.write(
            t0 + Duration::seconds(41),
            u::CHAR_HEART_RATE_CONTROL,
            &[0x16],
        )
        .unwrap();
        assert!(!b.hr_continuous());
    }

    #[test]
    fn one_shot_after_its_delay_and_only_when_subscribed() {
        let (mut b, t0) = band();
        b.write(t0, u::CHAR_HEART_RATE_CONTROL, &[0x15, 0x02, 0x01])
            .unwrap();
        assert!(
            hr_values(&b.tick(t0 + Duration::seconds(5))).is_empty(),
            "not subscribed"
        );
        b.set_notify(u::CHAR_HEART_RATE_MEASUREMENT, true).unwrap();
        b.write(t0, u::CHAR_HEART_RATE_CONTROL, &[0x15, 0x02, 0x01])
            .unwrap();
        assert!(hr_values(&b.tick(t0 + Duration::seconds(1))).is_empty());
        assert_eq!(hr_values(&b.tick(t0 + Duration::seconds(3))), [Some(81)]);
        assert!(hr_values(&b.tick(t0 + Duration::seconds(4))).is_empty());
    }

    #[test]
    fn clock_write_sets_time_and_zone_and_history_is_acked_away() {
        let (mut b, t0) = band();
        let local = t0.naive_utc() + Duration::hours(5) + Duration::minutes(30);
        b.write(
            t0,
            u::CHAR_CURRENT_TIME,
            &CurrentTime::new(local, 22).encode(),
        )
        .unwrap();
        let t = CurrentTime::decode(&b.read(t0, u::CHAR_CURRENT_TIME).unwrap()).unwrap();
        assert_eq!(t.time.tz_quarters, 22);
        assert_eq!(t.time.to_utc(), t0);
        assert!(b.read(t0, u::CHAR_ACTIVITY_DATA).is_err());
        assert!(b
            .write(t0, crate::protocol::uuids::huami(0x0777), &[1])
            .is_err());
    }
}
