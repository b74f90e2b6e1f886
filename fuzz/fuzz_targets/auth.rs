#![no_main]
//! Auth commands and replies (0x0009): no panic, and whatever decodes re-encodes to itself.

use libfuzzer_sys::fuzz_target;
use miband::protocol::auth::{AuthCommand, AuthReply};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = AuthCommand::decode(data) {
        assert_eq!(AuthCommand::decode(&c.encode()), Ok(c));
    }
    if let Ok(r) = AuthReply::decode(data) {
        let _ = r.meaning();
        assert_eq!(AuthReply::decode(&r.encode()), Ok(r));
    }
});
