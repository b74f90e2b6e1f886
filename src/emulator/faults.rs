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
    /// Delay before every operation and notification.
    pub latency: Duration,
    /// Answer every random-number request with `10 02 04` (band bonded elsewhere).
    pub refuse_auth: bool,
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
    /// Stop the transfer silently.
    Stall,
}

impl Faults {
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
