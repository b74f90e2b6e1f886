#![no_main]
//! Device events (0x0010): no panic, and whatever decodes re-encodes to itself.

use libfuzzer_sys::fuzz_target;
use miband::protocol::events::DeviceEvent;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = DeviceEvent::decode(data) {
        assert_eq!(DeviceEvent::decode(&e.encode()), Ok(e));
    }
});
