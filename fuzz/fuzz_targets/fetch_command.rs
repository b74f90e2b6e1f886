#![no_main]
//! Fetch control commands (host → band on 0x0004): no panic; re-encoding keeps everything but
//! the seconds (the host always writes the minute form).

use libfuzzer_sys::fuzz_target;
use miband::protocol::fetch::FetchCommand;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = FetchCommand::decode(data) {
        let again = FetchCommand::decode(&c.encode()).expect("re-encoded command decodes");
        match (c, again) {
            (
                FetchCommand::Start { data_type, since },
                FetchCommand::Start {
                    data_type: t2,
                    since: s2,
                },
            ) => {
                assert_eq!(data_type, t2);
                assert_eq!(since.tz_quarters, s2.tz_quarters);
                assert_eq!(
                    since.local.format("%F %R").to_string(),
                    s2.local.format("%F %R").to_string()
                );
            }
            (a, b) => assert_eq!(a, b),
        }
    }
});
