#![no_main]
//! Battery info (0x0006): no panic; a full 20-byte value survives encode → decode.

use libfuzzer_sys::fuzz_target;
use miband::protocol::battery::BatteryInfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(i) = BatteryInfo::decode(data) {
        if data.len() >= 20 {
            assert_eq!(BatteryInfo::decode(&i.encode()), Ok(i));
        }
    }
});
