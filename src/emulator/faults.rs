//! Fault injection: the ways real links and bands misbehave, so the session's recovery is tested.

use std::time::Duration;

/// One-shot faults fire once, when the band's lifetime count of history data packets reaches
/// `packet` (0-based), so a test can drop the link mid-fetch and then watch the resumed fetch
/// succeed. The persistent settings apply to every connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Drop the link instead of sending this packet.
    pub drop_link_at_packet: Vec<u64>,
    /// Send this packet with a byte flipped and a truncated tail.
    pub corrupt_packet: Vec<u64>,
    /// Do not send this packet (the client sees a counter gap).
    pub skip_packet: Vec<u64>,
    /// Stop sending at this packet: no more data and no `10 02 01` (a stalled band).
    pub stall_at_packet: Vec<u64>,
    /// Send this packet twice, byte for byte (a retransmission the client must not count as a
    /// gap nor store twice).
    pub repeat_packet: Vec<u64>,
    /// Delay before every operation and notification.
    pub latency: Duration,
    /// Answer every random-number request with `10 02 04` (band bonded elsewhere).
    pub refuse_auth: bool,
    /// Answers forced on the next fetch starts, one per start, in order (then the band answers
    /// as a real one does).
    pub fetch_answers: Vec<FetchAnswer>,
    /// An answer forced on every fetch start (after `fetch_answers` ran out).
    pub fetch_answer_always: Option<FetchAnswer>,
    /// The band is not worn: a one-shot heart-rate request stays unanswered, as on a real band
    /// on the desk or the charger.
    pub not_worn: bool,
}

/// An answer a real band gives to a history fetch instead of data (docs/real-bands.md, "History
/// fetch answers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchAnswer {
    /// `10 01 02`: nothing to fetch (janvda/miband4 README).
    NothingNew,
    /// `10 01 05`: fetch error (ARCO's python3-miband).
    Error,
    /// `10 01 07`: an activity/workout is running (ARCO's python3-miband).
    ActivityRunning,
    /// `10 02 04` in reply to the start (janvda/miband4 README).
    NoMoreOnStart,
    /// Data is sent, then `10 02 04` instead of `10 02 01` (amazfish#136, ARCO).
    NoMoreAfterData,
}

impl FetchAnswer {
    /// Parses the names `miband emulate --fetch-answer` and scenario files use.
    pub fn parse(s: &str) -> Option<FetchAnswer> {
        Some(match s.trim() {
            "nothing-new" | "100102" => FetchAnswer::NothingNew,
            "error" | "100105" => FetchAnswer::Error,
            "busy" | "activity-running" | "100107" => FetchAnswer::ActivityRunning,
            "no-more" | "100204" => FetchAnswer::NoMoreOnStart,
            "no-more-after-data" => FetchAnswer::NoMoreAfterData,
            _ => return None,
        })
    }
}

/// What to do with one outgoing data packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketFate {
    /// Send as is.
    Send,
    /// Send damaged.
    Corrupt,
    /// Leave out.
    Skip,
    /// Drop the link now.
    DropLink,
    /// Send it twice.
    Repeat,
    /// Stop the transfer silently.
    Stall,
}

impl Faults {
    /// The answer forced on this fetch start, if any (consumes a one-shot one).
    pub fn next_fetch_answer(&mut self) -> Option<FetchAnswer> {
        if self.fetch_answers.is_empty() {
            self.fetch_answer_always
        } else {
            Some(self.fetch_answers.remove(0))
        }
    }

    /// Decides the fate of lifetime packet `n`, consuming a one-shot fault that matches.
    pub fn fate(&mut self, n: u64) -> PacketFate {
        let take = |v: &mut Vec<u64>| {
            v.iter().position(|&p| p == n).map(|i| {
                v.swap_remove(i);
            })
        };
        if take(&mut self.drop_link_at_packet).is_some() {
            PacketFate::DropLink
        } else if take(&mut self.stall_at_packet).is_some() {
            PacketFate::Stall
        } else if take(&mut self.skip_packet).is_some() {
            PacketFate::Skip
        } else if take(&mut self.corrupt_packet).is_some() {
            PacketFate::Corrupt
        } else if take(&mut self.repeat_packet).is_some() {
            PacketFate::Repeat
        } else {
            PacketFate::Send
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_faults_fire_once() {
        let mut f = Faults {
            drop_link_at_packet: vec![3],
            skip_packet: vec![5],
            ..Faults::default()
        };
        assert_eq!(f.fate(2), PacketFate::Send);
        assert_eq!(f.fate(3), PacketFate::DropLink);
        assert_eq!(f.fate(3), PacketFate::Send);
        assert_eq!(f.fate(5), PacketFate::Skip);
        assert_eq!(f.fate(5), PacketFate::Send);
    }
}
