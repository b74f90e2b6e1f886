#![no_main]
//! Current time (0x2A2B) and the shared date layout: no panic, round trip, and the zone
//! conversions of any decoded time.

use libfuzzer_sys::fuzz_target;
use miband::protocol::datetime::decode_local;
use miband::protocol::time::CurrentTime;

fuzz_target!(|data: &[u8]| {
    let _ = decode_local("fuzz", data);
    if let Ok(t) = CurrentTime::decode(data) {
        let _ = (t.time.to_fixed().to_rfc3339(), t.time.to_utc());
        assert_eq!(CurrentTime::decode(&t.encode()), Ok(t));
    }
});
