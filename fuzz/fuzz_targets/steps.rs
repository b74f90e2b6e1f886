#![no_main]
//! Realtime steps (0x0007): no panic, and whatever decodes re-encodes to itself.

use libfuzzer_sys::fuzz_target;
use miband::protocol::steps::Steps;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Steps::decode(data) {
        assert_eq!(Steps::decode(&s.encode()), Ok(s));
    }
});
