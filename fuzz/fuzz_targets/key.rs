#![no_main]
//! Auth key parsing: no panic on any text, and an accepted key is exactly the 32 digits given.

use libfuzzer_sys::fuzz_target;
use miband::protocol::key::AuthKey;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(k) = AuthKey::from_hex(&text) {
        let t = text.trim();
        let digits = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        assert_eq!(hex_lower(k.bytes()), digits.to_ascii_lowercase());
    }
});

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
