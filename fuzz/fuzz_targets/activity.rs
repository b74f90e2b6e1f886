#![no_main]
//! Activity history (0x0005) over arbitrary packet splits: no panic, and whenever every counter
//! is right the assembler yields exactly the samples of the concatenated payloads.

use libfuzzer_sys::fuzz_target;
use miband::protocol::activity::{ActivitySample, SampleSize};
use miband::protocol::fetch::HistoryAssembler;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let size = if sel & 1 == 0 {
        SampleSize::Four
    } else {
        SampleSize::Eight
    };
    let mut packets = miband_fuzz::packets(rest);
    // Half the inputs get correct counters, so the reassembly itself is exercised.
    if sel & 2 == 0 {
        for (i, p) in packets.iter_mut().enumerate() {
            if let Some(c) = p.first_mut() {
                *c = (sel >> 2).wrapping_add(i as u8);
            }
        }
    }
    let first = packets
        .first()
        .and_then(|p| p.first())
        .copied()
        .unwrap_or(0);
    let mut a = HistoryAssembler::starting_at(size, first);
    let mut all_ok = true;
    for p in &packets {
        if a.push(p).is_err() {
            all_ok = false;
            break;
        }
    }
    if all_ok {
        let payload: Vec<u8> = packets
            .iter()
            .flat_map(|p| p[1..].iter().copied())
            .collect();
        let want: Vec<ActivitySample> = payload
            .chunks_exact(size.bytes())
            .filter_map(|c| ActivitySample::decode(c, size))
            .collect();
        assert_eq!(a.samples(), &want[..]);
        assert_eq!(a.pending_bytes(), payload.len() % size.bytes());
    }
});
