//! Alarms on the configuration characteristic 0x0003 (docs/protocol.md §9).
//!
//! Source: Gadgetbridge @ a0948ee1, `service/devices/huami/HuamiSupport.java`:
//! * `queueAlarm`: `02, actionMask | slot, hour, minute, daysMask`; actionMask `0x80` = enabled,
//!   `| 0x40` = no snooze (MB4/5 support snoozing), 0 for an unused slot; daysMask = GB's
//!   repetition bits (Mon 0x01 … Sun 0x40), `0x80` for a one-shot alarm, 0 for an unused slot.
//! * `requestAlarms`: `ff 01 00 00 00` (`COMMAND_REQUEST_ALARMS_WITH_TIMES`).
//! * `handleConfigurationInfo` / `decodeAndUpdateAlarmStatus(.., withTimes=true)`: the answer
//!   comes as chunks `80 01 flags …`; the first (flags `00`, or `c0` when it is the only one)
//!   carries type `01` at offset 4 and its payload from offset 8, further ones (`40`, last `80`)
//!   from offset 4. The payload is one byte, then 4 bytes per alarm: `slot | 0x80 if enabled`,
//!   hour, minute, days. GB ignores the leading byte and bytes 3, 5–7; this emulator writes the
//!   alarm count and a chunk index there (assumption, docs/real-bands.md).

use super::error::DecodeError;

/// Command byte of an alarm write.
pub const SET_ALARM: u8 = 0x02;
/// The request for the stored alarms with their times.
pub const REQUEST_ALARMS: [u8; 5] = [0xff, 0x01, 0x00, 0x00, 0x00];
/// Type byte of the alarm list in the chunked answer.
pub const ALARMS_WITH_TIMES: u8 = 0x01;

/// One alarm slot as written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlarmEntry {
    /// Slot 0..=15 (the band has 10).
    pub slot: u8,
    /// Armed.
    pub enabled: bool,
    /// Snooze offered (write only: the read-back does not carry it reliably).
    pub snooze: bool,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Repetition bits (Mon 0x01 … Sun 0x40); 0 = once.
    pub days: u8,
}

/// Writing an alarm into its slot (`queueAlarm`).
pub fn encode_set(a: &AlarmEntry) -> [u8; 5] {
    let mut action = 0u8;
    if a.enabled {
        action = 0x80;
        if !a.snooze {
            action |= 0x40;
        }
    }
    let days = if a.days & 0x7f == 0 {
        0x80
    } else {
        a.days & 0x7f
    };
    [SET_ALARM, action | (a.slot & 0x0f), a.hour, a.minute, days]
}

/// Emptying a slot: GB's "unused" alarm, no action and no days (the time is ignored; 00:00).
pub fn encode_clear(slot: u8) -> [u8; 5] {
    [SET_ALARM, slot & 0x0f, 0, 0, 0]
}

/// What an alarm write means, as the band reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmWrite {
    /// Store this alarm.
    Set(AlarmEntry),
    /// Empty the slot.
    Clear(u8),
}

/// Parses an alarm write (the band's side).
pub fn decode_write(b: &[u8]) -> Result<AlarmWrite, DecodeError> {
    match b {
        [SET_ALARM, tag, hour, minute, days] => {
            let slot = tag & 0x0f;
            if *days == 0 && tag & 0x80 == 0 {
                return Ok(AlarmWrite::Clear(slot));
            }
            Ok(AlarmWrite::Set(AlarmEntry {
                slot,
                enabled: tag & 0x80 != 0,
                snooze: tag & 0x40 == 0,
                hour: *hour,
                minute: *minute,
                days: if *days == 0x80 { 0 } else { days & 0x7f },
            }))
        }
        [SET_ALARM, ..] => Err(DecodeError::BadLength {
            what: "alarm write",
            got: b.len(),
            expected: "5 bytes: 02 tag hour minute days",
        }),
        _ => Err(DecodeError::BadByte {
            what: "alarm write",
            offset: 0,
            value: b.first().copied().unwrap_or(0),
        }),
    }
}

/// The band's answer to [`REQUEST_ALARMS`], split into notifications of at most `max_len` bytes
/// (20 at the default MTU).
pub fn encode_list(alarms: &[AlarmEntry], max_len: usize) -> Vec<Vec<u8>> {
    let mut payload = vec![alarms.len() as u8];
    for a in alarms {
        let tag = (a.slot & 0x0f) | if a.enabled { 0x80 } else { 0 };
        payload.extend_from_slice(&[tag, a.hour, a.minute, a.days & 0x7f]);
    }
    let max_len = max_len.max(9);
    let mut chunks = Vec::new();
    let first = payload.len().min(max_len - 8);
    let (head, mut rest) = payload.split_at(first);
    let mut c = vec![0x80, 0x01, 0x00, 0x00, ALARMS_WITH_TIMES, 0, 0, 0];
    c.extend_from_slice(head);
    chunks.push(c);
    let mut index = 1u8;
    while !rest.is_empty() {
        let n = rest.len().min(max_len - 4);
        let (part, tail) = rest.split_at(n);
        let mut c = vec![0x80, 0x01, 0x40, index];
        c.extend_from_slice(part);
        chunks.push(c);
        rest = tail;
        index = index.wrapping_add(1);
    }
    // Flags: 00 first, 40 middle, 80 last; c0 for an answer in one chunk.
    let last = chunks.len() - 1;
    chunks[last][2] = if last == 0 { 0xc0 } else { 0x80 };
    chunks
}

/// Collects the chunks of an alarm list (the client side).
#[derive(Debug, Default)]
pub struct AlarmListReader {
    buffer: Option<Vec<u8>>,
}

impl AlarmListReader {
    /// Feeds one notification from 0x0003. Returns the alarms once the last chunk arrived;
    /// notifications that are not alarm-list chunks are ignored (`Ok(None)`).
    pub fn feed(&mut self, b: &[u8]) -> Result<Option<Vec<AlarmEntry>>, DecodeError> {
        if b.len() < 4 || b[0] != 0x80 || b[1] != 0x01 {
            return Ok(None);
        }
        let done = match b[2] {
            0x00 | 0xc0 => {
                if b.len() < 8 {
                    return Err(DecodeError::TooShort {
                        what: "alarm list",
                        need: 8,
                        got: b.len(),
                    });
                }
                if b[4] != ALARMS_WITH_TIMES {
                    return Ok(None);
                }
                self.buffer = Some(b[8..].to_vec());
                b[2] == 0xc0
            }
            0x40 | 0x80 => match self.buffer.as_mut() {
                Some(buf) => {
                    buf.extend_from_slice(&b[4..]);
                    b[2] == 0x80
                }
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        if !done {
            return Ok(None);
        }
        let buf = self.buffer.take().unwrap_or_default();
        let body = buf.get(1..).unwrap_or(&[]);
        if body.len() % 4 != 0 {
            return Err(DecodeError::BadLength {
                what: "alarm list",
                got: buf.len(),
                expected: "1 + 4 bytes per alarm",
            });
        }
        Ok(Some(
            body.chunks_exact(4)
                .map(|c| AlarmEntry {
                    slot: c[0] & 0x0f,
                    enabled: c[0] & 0x80 != 0,
                    snooze: true,
                    hour: c[1],
                    minute: c[2],
                    days: c[3] & 0x7f,
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(slot: u8, enabled: bool, snooze: bool, days: u8) -> AlarmEntry {
        AlarmEntry {
            slot,
            enabled,
            snooze,
            hour: 7,
            minute: 30,
            days,
        }
    }

    #[test]
    fn writes_as_queue_alarm() {
        // Enabled, snooze allowed, Mon–Fri.
        assert_eq!(
            encode_set(&entry(2, true, true, 0x1f)),
            [0x02, 0x82, 7, 30, 0x1f]
        );
        // Enabled, no snooze, once: 0x80 | 0x40 | slot, days 0x80.
        assert_eq!(
            encode_set(&entry(9, true, false, 0)),
            [0x02, 0xc9, 7, 30, 0x80]
        );
        // Disabled but kept: no action bits, days kept.
        assert_eq!(
            encode_set(&entry(0, false, true, 0x60)),
            [0x02, 0x00, 7, 30, 0x60]
        );
        assert_eq!(encode_clear(3), [0x02, 0x03, 0, 0, 0]);
        assert_eq!(REQUEST_ALARMS, [0xff, 0x01, 0x00, 0x00, 0x00]);
        for a in [
            entry(2, true, true, 0x1f),
            entry(9, true, false, 0),
            entry(0, false, true, 0x60),
        ] {
            assert_eq!(decode_write(&encode_set(&a)).unwrap(), AlarmWrite::Set(a));
        }
        assert_eq!(
            decode_write(&encode_clear(3)).unwrap(),
            AlarmWrite::Clear(3)
        );
        assert!(decode_write(&[0x02, 0x80]).is_err());
    }

    #[test]
    fn lists_are_chunked_and_reassembled() {
        let alarms: Vec<AlarmEntry> = (0..10).map(|s| entry(s, s % 2 == 0, true, s)).collect();
        let chunks = encode_list(&alarms, 20);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= 20));
        assert_eq!(&chunks[0][..8], &[0x80, 0x01, 0x00, 0x00, 0x01, 0, 0, 0]);
        assert_eq!(chunks.last().unwrap()[2], 0x80);
        let mut r = AlarmListReader::default();
        let mut got = None;
        for c in &chunks {
            got = r.feed(c).unwrap();
        }
        assert_eq!(got.unwrap(), alarms);
        // One chunk: flags c0.
        let one = encode_list(&alarms[..2], 20);
        assert_eq!(one.len(), 1);
        assert_eq!(
            one[0],
            [0x80, 0x01, 0xc0, 0x00, 0x01, 0, 0, 0, 2, 0x80, 7, 30, 0, 0x01, 7, 30, 1]
        );
        assert_eq!(
            AlarmListReader::default().feed(&one[0]).unwrap().unwrap(),
            alarms[..2]
        );
        // Unrelated notifications on 0x0003 are skipped.
        assert_eq!(
            AlarmListReader::default()
                .feed(&[0x10, 0x02, 0x01])
                .unwrap(),
            None
        );
    }
}
