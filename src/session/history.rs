//! Incremental history fetch (docs/protocol.md §4): rounds until caught up; each round's samples go
//! to the sink (which makes them durable) *before* the band gets its `03` ack, so a crash or a
//! dropped link between the two re-fetches the round instead of losing it. Samples before the
//! cursor are dropped, so nothing is delivered twice.
//!
//! A real band often refuses a fetch (`10 01 02` nothing new, `10 01 07` a workout is running,
//! `10 01 05` error, `10 02 04` no more data — docs/real-bands.md). Those are outcomes of the
//! fetch, reported in [`FetchSummary::outcome`], never errors of the link: the sync goes on.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::{Session, SessionError, SinkStop};
use crate::link::WriteKind;
use crate::protocol::activity::TimedSample;
use crate::protocol::datetime::BandDateTime;
use crate::protocol::fetch::{
    FetchCommand, FetchOutcome, FetchReply, HistoryAssembler, DATA_ACTIVITY,
};
use crate::protocol::uuids as u;
use crate::protocol::DecodeError;

/// What a fetch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// Samples delivered to the sink.
    pub samples: u64,
    /// Rounds completed (acknowledged).
    pub rounds: u32,
    /// Rounds retried after a gap, truncation or stall.
    pub retries: u32,
    /// The next minute to ask for.
    pub cursor: Option<DateTime<Utc>>,
    /// How the fetch ended.
    pub outcome: FetchOutcome,
    /// The refusal that ended it, `(cmd, status)` of `10 cmd status`, if the band refused.
    pub refusal: Option<(u8, u8)>,
    /// Samples stamped after "now" and therefore not stored (a band clock running ahead).
    pub future_dropped: u64,
}

enum Round {
    /// The band had nothing from the cursor on.
    Empty,
    /// Samples stamped from the band's announced start.
    Data(Vec<TimedSample>),
    /// The band answered `10 cmd status` instead of data; nothing of the round is kept.
    Refused {
        /// `01` (start) or `02` (data).
        cmd: u8,
        /// Status byte.
        code: u8,
    },
}

impl Session<'_> {
    /// Fetches every minute from `since` until caught up with `now()`, in rounds, handing each
    /// round's new samples to `sink` and acknowledging the round to the band only after the sink
    /// succeeded. `tz_quarters` is the zone the band clock is set to.
    pub async fn fetch_history<F, Fut>(
        &mut self,
        since: DateTime<Utc>,
        tz_quarters: i8,
        now: impl Fn() -> DateTime<Utc>,
        sink: F,
    ) -> Result<FetchSummary, SessionError>
    where
        F: FnMut(Vec<TimedSample>) -> Fut,
        Fut: Future<Output = Result<(), SinkStop>>,
    {
        self.fetch_history_shifted(since, tz_quarters, Duration::zero(), now, sink)
            .await
    }

    /// [`Self::fetch_history`] for a band whose clock is `band_ahead` off true time: the band
    /// stamps its minutes with its own clock, so the request is made in band time (`since +
    /// band_ahead`) and every stamp is moved back by `band_ahead` before it reaches the sink.
    /// Samples that would still lie after `now()` are dropped (counted in `future_dropped`),
    /// so a clock that jumped mid-sync cannot store future minutes.
    pub async fn fetch_history_shifted<F, Fut>(
        &mut self,
        since: DateTime<Utc>,
        tz_quarters: i8,
        band_ahead: Duration,
        now: impl Fn() -> DateTime<Utc>,
        mut sink: F,
    ) -> Result<FetchSummary, SessionError>
    where
        F: FnMut(Vec<TimedSample>) -> Fut,
        Fut: Future<Output = Result<(), SinkStop>>,
    {
        let mut summary = FetchSummary::default();
        let mut cursor = since;
        self.link.subscribe(u::CHAR_FETCH).await?;
        self.link.subscribe(u::CHAR_ACTIVITY_DATA).await?;
        while summary.rounds < self.opts.max_rounds {
            let mut attempt = 0;
            let round = loop {
                attempt += 1;
                match self.round(cursor + band_ahead, tz_quarters).await {
                    Ok(r) => break r,
                    Err(e @ (SessionError::Malformed(_) | SessionError::Timeout(_)))
                        if attempt < self.opts.round_attempts =>
                    {
                        tracing::warn!(attempt, error = %e, "history round failed; retrying");
                        summary.retries += 1;
                    }
                    Err(SessionError::Malformed(e)) => {
                        return Err(SessionError::RoundFailed {
                            attempts: attempt,
                            last: e.to_string(),
                        })
                    }
                    Err(e) => return Err(e),
                }
            };
            let samples = match round {
                Round::Empty => {
                    self.ack().await?;
                    if summary.rounds == 0 {
                        summary.outcome = FetchOutcome::NoData;
                    }
                    break;
                }
                Round::Refused { cmd, code } => {
                    // Nothing of the round was kept, so nothing is acknowledged: whatever the
                    // band holds is offered again next time.
                    let outcome = FetchOutcome::of_refusal(cmd, code);
                    summary.outcome = match outcome {
                        // "Nothing more" after rounds with data is simply caught up.
                        FetchOutcome::NoData if summary.rounds > 0 => FetchOutcome::Ok,
                        o => o,
                    };
                    summary.refusal = Some((cmd, code));
                    break;
                }
                Round::Data(s) => s,
            };
            let received = samples.len();
            let end = samples
                .last()
                .map(|s| s.ts - band_ahead + Duration::minutes(1));
            let limit = now();
            let mut fresh = Vec::with_capacity(samples.len());
            for mut s in samples {
                s.ts -= band_ahead;
                if s.ts > limit {
                    summary.future_dropped += 1;
                } else if s.ts >= cursor {
                    fresh.push(s);
                }
            }
            let n = fresh.len() as u64;
            if n > 0 {
                sink(fresh).await?;
            }
            self.ack().await?;
            summary.rounds += 1;
            summary.samples += n;
            if let Some(end) = end {
                cursor = cursor.max(end);
            }
            summary.cursor = Some(cursor);
            if received == 0 || cursor + Duration::minutes(1) > now() {
                break;
            }
        }
        Ok(summary)
    }

    async fn ack(&mut self) -> Result<(), SessionError> {
        self.link
            .write(
                u::CHAR_FETCH,
                &FetchCommand::Ack.encode(),
                WriteKind::WithoutResponse,
            )
            .await?;
        // The ack reply is informative only; its absence is not an error.
        let t = self.opts.reply_timeout;
        match self.next_of(&[u::CHAR_FETCH], t, "fetch ack").await {
            Ok(_) | Err(SessionError::Timeout(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn round(&mut self, cursor: DateTime<Utc>, tz: i8) -> Result<Round, SessionError> {
        let start_cmd = FetchCommand::Start {
            data_type: DATA_ACTIVITY,
            since: BandDateTime::from_utc(cursor, tz),
        };
        self.link
            .write(
                u::CHAR_FETCH,
                &start_cmd.encode(),
                WriteKind::WithoutResponse,
            )
            .await?;
        let (count, start) = loop {
            match FetchReply::decode(&self.next(u::CHAR_FETCH, "fetch start").await?)? {
                FetchReply::Started { count, start } => break (count, start),
                FetchReply::StartFailed { code } => return Ok(Round::Refused { cmd: 0x01, code }),
                // janvda's log: `10 02 04` "no more activity fetch possible" right after a start.
                FetchReply::DoneFailed { code } => return Ok(Round::Refused { cmd: 0x02, code }),
                // A late reply from an earlier round (ack, done): skip it.
                other => tracing::debug!(?other, "skipping stale fetch reply"),
            }
        };
        if count == 0 {
            return Ok(Round::Empty);
        }
        self.link
            .write(
                u::CHAR_FETCH,
                &FetchCommand::FetchData.encode(),
                WriteKind::WithoutResponse,
            )
            .await?;
        let mut asm = HistoryAssembler::new(self.opts.sample_size);
        let mut failure: Option<DecodeError> = None;
        let t = self.opts.data_timeout;
        loop {
            let (uuid, value) = self
                .next_of(&[u::CHAR_FETCH, u::CHAR_ACTIVITY_DATA], t, "history data")
                .await?;
            if uuid == u::CHAR_ACTIVITY_DATA {
                if failure.is_none() {
                    if let Err(e) = asm.push(&value) {
                        // Keep draining until "done" so stale packets do not poison the retry.
                        tracing::warn!(error = %e, "bad history packet; the round will be retried");
                        failure = Some(e);
                    }
                }
                continue;
            }
            match FetchReply::decode(&value)? {
                FetchReply::Done { .. } => break,
                // "No more data" instead of `10 02 01` (ARCO's library; amazfish#136): the round
                // is dropped unacknowledged, so nothing is lost.
                FetchReply::DoneFailed { code: 0x04 } => {
                    return Ok(Round::Refused {
                        cmd: 0x02,
                        code: 0x04,
                    })
                }
                FetchReply::DoneFailed { code } => {
                    return Err(SessionError::Malformed(DecodeError::BadByte {
                        what: "fetch done",
                        offset: 2,
                        value: code,
                    }))
                }
                other => tracing::debug!(?other, "unexpected fetch reply during transfer"),
            }
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
        if asm.pending_bytes() != 0 {
            return Err(SessionError::Malformed(DecodeError::BadLength {
                what: "history transfer",
                got: asm.pending_bytes(),
                expected: "a whole number of samples",
            }));
        }
        // The announced count must match what arrived: an MB5's 8-byte samples read as 4-byte
        // ones give twice the samples, garbage that divides evenly (satcar77/miband4#57).
        if asm.samples().len() as u64 != u64::from(count) {
            return Err(SessionError::SampleCountMismatch {
                announced: count,
                received: asm.samples().len() as u64,
                sample_size: self.opts.sample_size.bytes(),
            });
        }
        Ok(Round::Data(asm.into_timed(start.to_utc())))
    }
}
