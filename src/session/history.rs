//! Incremental history fetch (docs/protocol.md §4): rounds until caught up; each round's samples go
//! to the sink (which makes them durable) *before* the band gets its `03` ack, so a crash or a
//! dropped link between the two re-fetches the round instead of losing it. Samples before the
//! cursor are dropped, so nothing is delivered twice.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::{Session, SessionError, SinkStop};
use crate::link::WriteKind;
use crate::protocol::activity::TimedSample;
use crate::protocol::datetime::BandDateTime;
use crate::protocol::fetch::{FetchCommand, FetchReply, HistoryAssembler, DATA_ACTIVITY};
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
}

enum Round {
    /// The band had nothing from the cursor on.
    Empty,
    /// Samples stamped from the band's announced start.
    Data(Vec<TimedSample>),
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
                match self.round(cursor, tz_quarters).await {
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
                    break;
                }
                Round::Data(s) => s,
            };
            let received = samples.len();
            let end = samples.last().map(|s| s.ts + Duration::minutes(1));
            let fresh: Vec<TimedSample> = samples.into_iter().filter(|s| s.ts >= cursor).collect();
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
                FetchReply::StartFailed { code } => {
                    return Err(SessionError::FetchRefused { code })
                }
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
        Ok(Round::Data(asm.into_timed(start.to_utc())))
    }
}
