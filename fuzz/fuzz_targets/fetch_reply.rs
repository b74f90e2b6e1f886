#![no_main]
//! Fetch control replies (band → host on 0x0004): no panic, round trip, zone conversion.

use libfuzzer_sys::fuzz_target;
use miband::protocol::fetch::FetchReply;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = FetchReply::decode(data) {
        let _ = (r.name(), r.ok());
        if let FetchReply::Started { start, .. } = r {
            let _ = (start.to_fixed().to_rfc3339(), start.to_utc());
        }
        assert_eq!(FetchReply::decode(&r.encode()), Ok(r));
    }
});
