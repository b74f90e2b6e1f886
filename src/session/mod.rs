//! The client side of a band session: connect → authenticate → device info → battery → live
//! steps → heart rate → history, over any [`Link`]. The collector and the tests drive the same
//! code against btleplug or the emulator.

mod error;
mod history;
mod live;

pub use error::{SessionError, SinkStop};
pub use history::FetchSummary;
pub use live::{RawSelection, KEEP_ALIVE};

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use uuid::Uuid;

use crate::link::{Link, LinkError, NotificationStream, WriteKind};
use crate::protocol::activity::SampleSize;
use crate::protocol::auth::{self, AuthCommand, AuthReply, AuthVariant};
use crate::protocol::battery::BatteryInfo;
use crate::protocol::device_info::{decode_string, PnpId};
use crate::protocol::heart_rate::{decode_measurement, HrCommand};
use crate::protocol::key::AuthKey;
use crate::protocol::steps::Steps;
use crate::protocol::time::CurrentTime;
use crate::protocol::uuids as u;

/// Knobs of a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Handshake framing (GB's "new" one by default; both work on MB4/MB5).
    pub auth_variant: AuthVariant,
    /// History sample size: 4 on MB4, 8 on MB5.
    pub sample_size: SampleSize,
    /// How long to wait for a reply to a command.
    pub reply_timeout: Duration,
    /// How long a fetch may go without a packet before the round is declared stalled.
    pub data_timeout: Duration,
    /// How long a one-shot heart-rate measurement may take.
    pub heart_rate_timeout: Duration,
    /// Attempts per fetch round (counter gaps, truncation, stalls) before giving up.
    pub round_attempts: u32,
    /// Upper bound on rounds in one fetch (a band serving ever more data cannot loop forever).
    pub max_rounds: u32,
    /// Clock drift beyond which the band clock is set.
    pub clock_tolerance: chrono::Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            auth_variant: AuthVariant::New,
            sample_size: SampleSize::Four,
            reply_timeout: Duration::from_secs(10),
            data_timeout: Duration::from_secs(10),
            heart_rate_timeout: Duration::from_secs(40),
            round_attempts: 3,
            max_rounds: 500,
            clock_tolerance: chrono::Duration::seconds(30),
        }
    }
}

/// What the Device Information service says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Serial number.
    pub serial_number: Option<String>,
    /// Hardware revision.
    pub hardware_revision: Option<String>,
    /// Firmware revision.
    pub software_revision: Option<String>,
    /// System ID, hex.
    pub system_id: Option<String>,
    /// PnP ID.
    pub pnp_id: Option<PnpId>,
}

/// Result of a clock check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockCheck {
    /// Band clock minus true time, before correction.
    pub drift: chrono::Duration,
    /// Whether the band clock (or its zone) was set.
    pub corrected: bool,
}

/// An open session with one band.
pub struct Session<'a> {
    link: &'a dyn Link,
    notes: NotificationStream,
    opts: SessionOptions,
}

impl<'a> Session<'a> {
    /// Starts listening to the link's notifications.
    pub async fn open(
        link: &'a dyn Link,
        opts: SessionOptions,
    ) -> Result<Session<'a>, SessionError> {
        let notes = link.notifications().await?;
        Ok(Session { link, notes, opts })
    }

    /// The options in use.
    pub fn options(&self) -> &SessionOptions {
        &self.opts
    }

    /// The link.
    pub fn link(&self) -> &'a dyn Link {
        self.link
    }

    /// Waits for the next notification from one of `uuids`, skipping others.
    pub(crate) async fn next_of(
        &mut self,
        uuids: &[Uuid],
        timeout: Duration,
        what: &'static str,
    ) -> Result<(Uuid, Vec<u8>), SessionError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.notes.next()).await {
                Err(_) => return Err(SessionError::Timeout(what)),
                Ok(None) => return Err(SessionError::Link(LinkError::Disconnected)),
                Ok(Some(n)) if uuids.contains(&n.uuid) => return Ok((n.uuid, n.value)),
                Ok(Some(n)) => tracing::trace!(uuid = %n.uuid, "ignoring notification"),
            }
        }
    }

    async fn next(&mut self, uuid: Uuid, what: &'static str) -> Result<Vec<u8>, SessionError> {
        let t = self.opts.reply_timeout;
        Ok(self.next_of(&[uuid], t, what).await?.1)
    }

    /// Authenticates with the band's key (docs/protocol.md §2). A wrong key is
    /// [`SessionError::WrongKey`].
    pub async fn authenticate(&mut self, key: &AuthKey) -> Result<(), SessionError> {
        let v = self.opts.auth_variant;
        self.link.subscribe(u::CHAR_AUTH).await?;
        self.link
            .write(
                u::CHAR_AUTH,
                &AuthCommand::RequestRandom(v).encode(),
                WriteKind::WithoutResponse,
            )
            .await?;
        let random = loop {
            match AuthReply::decode(&self.next(u::CHAR_AUTH, "auth challenge").await?)? {
                AuthReply::Random { random, .. } => break random,
                AuthReply::RandomFailed { code } => return Err(SessionError::AuthRefused { code }),
                other => tracing::debug!(
                    ?other,
                    "unexpected auth reply while waiting for the challenge"
                ),
            }
        };
        let answer = AuthCommand::SendAnswer {
            variant: v,
            answer: auth::answer(key, &random),
        };
        self.link
            .write(u::CHAR_AUTH, &answer.encode(), WriteKind::WithoutResponse)
            .await?;
        match AuthReply::decode(&self.next(u::CHAR_AUTH, "auth result").await?)? {
            AuthReply::AuthOk(_) => Ok(()),
            AuthReply::AuthFailed {
                code: auth::STATUS_WRONG_KEY,
            } => Err(SessionError::WrongKey),
            AuthReply::AuthFailed { code } | AuthReply::RandomFailed { code } => {
                Err(SessionError::AuthFailed { code })
            }
            AuthReply::Random { .. } | AuthReply::KeyStored { .. } => {
                Err(SessionError::AuthFailed { code: 0 })
            }
        }
    }

    async fn read_opt(&mut self, uuid: Uuid) -> Result<Option<Vec<u8>>, SessionError> {
        match self.link.read(uuid).await {
            Ok(v) => Ok(Some(v)),
            Err(LinkError::NoCharacteristic(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the Device Information service; characteristics the band lacks are `None`.
    pub async fn device_info(&mut self) -> Result<DeviceInfo, SessionError> {
        let s = |v: Option<Vec<u8>>| v.map(|b| decode_string(&b));
        Ok(DeviceInfo {
            serial_number: s(self.read_opt(u::CHAR_SERIAL_NUMBER).await?),
            hardware_revision: s(self.read_opt(u::CHAR_HARDWARE_REVISION).await?),
            software_revision: s(self.read_opt(u::CHAR_SOFTWARE_REVISION).await?),
            system_id: self.read_opt(u::CHAR_SYSTEM_ID).await?.map(hex::encode),
            pnp_id: match self.read_opt(u::CHAR_PNP_ID).await? {
                Some(b) => Some(PnpId::decode(&b)?),
                None => None,
            },
        })
    }

    /// Reads the battery.
    pub async fn battery(&mut self) -> Result<BatteryInfo, SessionError> {
        Ok(BatteryInfo::decode(
            &self.link.read(u::CHAR_BATTERY).await?,
        )?)
    }

    /// Reads today's live steps/distance/calories.
    pub async fn steps(&mut self) -> Result<Steps, SessionError> {
        Ok(Steps::decode(&self.link.read(u::CHAR_STEPS).await?)?)
    }

    /// Reads the band clock.
    pub async fn band_time(&mut self) -> Result<CurrentTime, SessionError> {
        Ok(CurrentTime::decode(
            &self.link.read(u::CHAR_CURRENT_TIME).await?,
        )?)
    }

    /// Compares the band clock with `now` and sets it (with the local zone) when it drifted past
    /// the tolerance or holds another zone — a wrong zone byte makes fetches miss data (§3.3).
    pub async fn sync_clock(
        &mut self,
        now: DateTime<Utc>,
        tz_quarters: i8,
    ) -> Result<ClockCheck, SessionError> {
        let t = self.band_time().await?;
        let drift = t.time.to_utc() - now;
        let corrected =
            drift.abs() > self.opts.clock_tolerance || t.time.tz_quarters != tz_quarters;
        if corrected {
            let local = crate::protocol::datetime::BandDateTime::from_utc(now, tz_quarters);
            let w = CurrentTime::new(local.local, tz_quarters);
            self.link
                .write(u::CHAR_CURRENT_TIME, &w.encode(), WriteKind::WithResponse)
                .await?;
        }
        Ok(ClockCheck { drift, corrected })
    }

    /// One-shot heart-rate measurement (docs/protocol.md §3.4); `None` if the band had no reading.
    pub async fn heart_rate(&mut self) -> Result<Option<u16>, SessionError> {
        let c = u::CHAR_HEART_RATE_CONTROL;
        self.link.subscribe(u::CHAR_HEART_RATE_MEASUREMENT).await?;
        for cmd in [
            HrCommand::Continuous(false),
            HrCommand::Manual(false),
            HrCommand::Manual(true),
        ] {
            self.link
                .write(c, &cmd.encode(), WriteKind::WithResponse)
                .await?;
        }
        let t = self.opts.heart_rate_timeout;
        let (_, v) = self
            .next_of(
                &[u::CHAR_HEART_RATE_MEASUREMENT],
                t,
                "heart-rate measurement",
            )
            .await?;
        let _ = self.link.unsubscribe(u::CHAR_HEART_RATE_MEASUREMENT).await;
        Ok(decode_measurement(&v)?)
    }
}
