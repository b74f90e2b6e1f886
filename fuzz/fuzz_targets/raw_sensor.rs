#![no_main]
//! Raw sensor packets (0x0002): no panic, and whatever decodes re-encodes to itself.

use libfuzzer_sys::fuzz_target;
use miband::protocol::raw_sensor::RawPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RawPacket::decode(data) {
        assert_eq!(RawPacket::decode(&p.encode()), Ok(p));
    }
});
