#![no_main]
//! `miband decode` below the process boundary: HEX argument parsing and the dissector for every
//! kind and option. No panic, and every success renders to JSON that parses back.

use libfuzzer_sys::fuzz_target;
use miband::cli::decode::parse_hex;
use miband::dissect::{dissect, Kind, Options};
use miband::protocol::activity::SampleSize;
use miband::protocol::key::AuthKey;

fuzz_target!(|data: &[u8]| {
    let [sel, flags, rest @ ..] = data else {
        return;
    };
    let kind = Kind::ALL[*sel as usize % Kind::ALL.len()];
    let opts = Options {
        sample_size: if flags & 1 == 0 {
            SampleSize::Four
        } else {
            SampleSize::Eight
        },
        start: (flags & 2 != 0)
            .then(|| chrono::DateTime::parse_from_rfc3339("2021-02-17T14:17:00+01:00").unwrap()),
        key: (flags & 4 != 0).then(|| AuthKey::from_bytes([0x5a; 16])),
    };
    let packets = if flags & 8 != 0 {
        // As typed: one HEX argument per line.
        let text = String::from_utf8_lossy(rest);
        let parsed: Result<Vec<_>, _> = text
            .split('\n')
            .enumerate()
            .map(|(i, a)| parse_hex(i + 1, a))
            .collect();
        match parsed {
            Ok(p) => p,
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    } else {
        miband_fuzz::packets(rest)
    };
    match dissect(kind, &packets, &opts) {
        Ok(v) => {
            let s = v.to_string();
            assert!(s.starts_with('{'));
            let back: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
            assert_eq!(back, v);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
