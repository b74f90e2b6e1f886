#![no_main]
//! Heart-rate control point commands and measurements: no panic, commands round-trip.

use libfuzzer_sys::fuzz_target;
use miband::protocol::heart_rate::{decode_measurement, HrCommand};

fuzz_target!(|data: &[u8]| {
    let _ = decode_measurement(data);
    if let Ok(c) = HrCommand::decode(data) {
        assert_eq!(HrCommand::decode(&c.encode()), Ok(c));
    }
});
