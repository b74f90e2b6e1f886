//! Live measurements on an open session: continuous heart rate, the raw sensor stream and
//! device events (docs/protocol.md §3.4, §3.5, §5). Starting returns nothing to poll; the caller
//! reads [`Session::next_live`] and calls [`Session::keep_alive`] every [`KEEP_ALIVE`] — the band
//! stops continuous measurement ~15 s after the last `16` (GB#913) — and the matching stop.

use std::time::Duration;

use super::{Session, SessionError};
use crate::link::{Notification, WriteKind};
use crate::protocol::heart_rate::HrCommand;
use crate::protocol::raw_sensor::RawControl;
use crate::protocol::uuids as u;

/// How often continuous measurement is pinged (creotiv, satcar77 and miband-js use 12 s).
pub const KEEP_ALIVE: Duration = Duration::from_secs(12);

/// Which raw streams to select (`01 xx 19`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSelection {
    /// Accelerometer triplets.
    pub accel: bool,
    /// Raw PPG values.
    pub ppg: bool,
}

impl RawSelection {
    fn mode(&self) -> u8 {
        (self.accel as u8) | ((self.ppg as u8) << 1)
    }
}

impl Session<'_> {
    async fn hr_command(&self, c: HrCommand) -> Result<(), SessionError> {
        self.link()
            .write(
                u::CHAR_HEART_RATE_CONTROL,
                &c.encode(),
                WriteKind::WithResponse,
            )
            .await?;
        Ok(())
    }

    /// Continuous heart rate as satcar77/GB start it: stop manual and continuous, listen on
    /// 0x2A37, `15 01 01`.
    pub async fn start_continuous_hr(&mut self) -> Result<(), SessionError> {
        self.hr_command(HrCommand::Manual(false)).await?;
        self.hr_command(HrCommand::Continuous(false)).await?;
        self.link()
            .subscribe(u::CHAR_HEART_RATE_MEASUREMENT)
            .await?;
        self.hr_command(HrCommand::Continuous(true)).await
    }

    /// `16`: keeps continuous measurement (and the raw stream) running.
    pub async fn keep_alive(&mut self) -> Result<(), SessionError> {
        self.hr_command(HrCommand::KeepAlive).await
    }

    /// `15 01 00`, then stop listening.
    pub async fn stop_continuous_hr(&mut self) -> Result<(), SessionError> {
        self.hr_command(HrCommand::Continuous(false)).await?;
        let _ = self
            .link()
            .unsubscribe(u::CHAR_HEART_RATE_MEASUREMENT)
            .await;
        Ok(())
    }

    /// The raw sensor stream as creotiv starts it: select on 0x0001, listen on 0x0002,
    /// continuous heart rate on, then `02`.
    pub async fn start_raw(&mut self, sel: RawSelection) -> Result<(), SessionError> {
        let ctl = u::CHAR_RAW_CONTROL;
        let link = self.link();
        link.write(
            ctl,
            &RawControl::Select(sel.mode()).encode(),
            WriteKind::WithoutResponse,
        )
        .await?;
        link.subscribe(u::CHAR_RAW_DATA).await?;
        self.start_continuous_hr().await?;
        self.link()
            .write(ctl, &RawControl::Start.encode(), WriteKind::WithoutResponse)
            .await?;
        Ok(())
    }

    /// Stops the raw stream: continuous heart rate off, `03`, stop listening.
    pub async fn stop_raw(&mut self) -> Result<(), SessionError> {
        self.stop_continuous_hr().await?;
        let link = self.link();
        link.write(
            u::CHAR_RAW_CONTROL,
            &RawControl::Stop.encode(),
            WriteKind::WithoutResponse,
        )
        .await?;
        let _ = link.unsubscribe(u::CHAR_RAW_DATA).await;
        Ok(())
    }

    /// Listens to device events on 0x0010.
    pub async fn start_events(&mut self) -> Result<(), SessionError> {
        self.link().subscribe(u::CHAR_DEVICE_EVENT).await?;
        Ok(())
    }

    /// Stops listening to device events.
    pub async fn stop_events(&mut self) -> Result<(), SessionError> {
        let _ = self.link().unsubscribe(u::CHAR_DEVICE_EVENT).await;
        Ok(())
    }

    /// The next notification from one of the live characteristics, waiting at most `timeout`
    /// (`Ok(None)` when nothing came).
    pub async fn next_live(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Notification>, SessionError> {
        let uuids = [
            u::CHAR_HEART_RATE_MEASUREMENT,
            u::CHAR_RAW_DATA,
            u::CHAR_DEVICE_EVENT,
        ];
        match self.next_of(&uuids, timeout, "live data").await {
            Ok((uuid, value)) => Ok(Some(Notification { uuid, value })),
            Err(SessionError::Timeout(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
