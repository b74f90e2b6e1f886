//! `miband decode` through the real binary: exact JSON on stdout for every kind, one-line
//! reasons on stderr with exit 1 for bytes that do not decode, clap's exit 2 for usage errors.
//! Byte sequences are the captures and vectors cited in docs/protocol.md.

use std::process::Command;

/// What one run of `miband decode ...` produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn decode(args: &[&str]) -> Run {
    decode_env(args, &[])
}

fn decode_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_miband"))
        .arg("decode")
        .args(args)
        .env_remove("MIBAND_AUTH_KEY")
        .envs(env.iter().copied())
        .output()
        .expect("run miband");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Asserts success with exactly `json` (plus newline) on stdout and nothing on stderr.
fn ok(args: &[&str], json: &str) {
    let r = decode(args);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, format!("{json}\n").as_str(), ""),
        "args {args:?}"
    );
}

/// Asserts exit 1, nothing on stdout, and exactly one stderr line `miband decode: <reason>`.
fn fails(args: &[&str], reason: &str) {
    let r = decode(args);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (1, "", format!("miband decode: {reason}\n").as_str()),
        "args {args:?}"
    );
}

// GB's annotated HuamiBatteryInfo sample (docs/protocol.md §3.1), last charge year at offset 11.
const GB_BATTERY: &str = "0f 2e 00 e1 07 0a 09 0b 2d 16 04 e1 07 0a 09 08 0a 2a 04 64";

#[test]
fn battery_gadgetbridge_sample() {
    let words: Vec<&str> = GB_BATTERY.split(' ').collect();
    ok(
        &[&["battery"], &words[..]].concat(),
        r#"{"level_percent":46,"charging":false,"last_off":"2017-10-09T11:45:22","last_charge":"2017-10-09T08:10:42","last_charge_level_percent":100}"#,
    );
    fails(&["battery", "0f"], "battery: need at least 3 bytes, got 1");
}

#[test]
fn steps_pasted_as_separate_words() {
    ok(
        &[
            "steps", "0c", "10", "27", "00", "00", "40", "1f", "00", "00", "c8", "00", "00", "00",
        ],
        r#"{"steps":10000,"meters":8000,"calories":200}"#,
    );
    // GB#1123's 5-byte form: steps only.
    ok(
        &["steps", "00b7010000"],
        r#"{"steps":439,"meters":null,"calories":null}"#,
    );
    fails(
        &["steps", "0c 01 02"],
        "realtime steps: unexpected length 3 (13 or 5 bytes)",
    );
}

#[test]
fn time_gadgetbridge_vector() {
    ok(
        &["time", "e6 07 0c 0f 14 26 35 04 00 00 04"],
        r#"{"local":"2022-12-15T20:38:53","utc_offset_minutes":60,"day_of_week":4}"#,
    );
    // notifymi's MB2 read: UTC+3, Sunday.
    ok(
        &["time", "e2:07:04:0f:10:14:2b:07:00:00:0c"],
        r#"{"local":"2018-04-15T16:20:43","utc_offset_minutes":180,"day_of_week":7}"#,
    );
    fails(
        &["time", "e6 07 0d 0f 14 26 35 04 00 00 04"],
        "current time: invalid date/time",
    );
}

#[test]
fn heart_rate_measurements() {
    ok(&["heart-rate", "00 5d"], r#"{"bpm":93}"#);
    ok(&["heart-rate", "00 00"], r#"{"bpm":null}"#);
    fails(
        &["heart-rate", "00"],
        "heart-rate measurement: need at least 2 bytes, got 1",
    );
}

#[test]
fn fetch_control_amazfish_response_and_status_replies() {
    ok(
        &["fetch-control", "100101ea010000e50702110e110004"],
        r#"{"response":"start","ok":true,"count":490,"start":"2021-02-17T14:17:00+01:00"}"#,
    );
    ok(
        &["fetch-control", "10 02 01"],
        r#"{"response":"done","ok":true}"#,
    );
    ok(
        &["fetch-control", "10 01 02"],
        r#"{"response":"start","ok":false}"#,
    );
    ok(
        &["fetch-control", "10 02 04"],
        r#"{"response":"done","ok":false}"#,
    );
    ok(
        &["fetch-control", "10 03 01"],
        r#"{"response":"ack","ok":true}"#,
    );
    fails(
        &["fetch-control", "11 01 01"],
        "fetch reply: unexpected byte 0x11 at offset 0",
    );
}

// Two MB4 packets at MTU 23: a full 17-byte one (4 samples) and a short last one (2 samples).
const MB4_P0: &str = "00 01 10 05 48 70 00 00 ff 09 00 00 ff 0a 00 00 3c";
const MB4_P1: &str = "01 0b 00 00 ff 05 00 00 00";

#[test]
fn activity_mb4_four_byte_samples() {
    ok(
        &["activity", MB4_P0, MB4_P1],
        concat!(
            r#"{"samples":["#,
            r#"{"minute":0,"kind":1,"activity":"activity","intensity":16,"steps":5,"heart_rate":72},"#,
            r#"{"minute":1,"kind":112,"activity":"no_change","intensity":0,"steps":0,"heart_rate":null},"#,
            r#"{"minute":2,"kind":9,"activity":"light_sleep","intensity":0,"steps":0,"heart_rate":null},"#,
            r#"{"minute":3,"kind":10,"activity":"ignore","intensity":0,"steps":0,"heart_rate":60},"#,
            r#"{"minute":4,"kind":11,"activity":"deep_sleep","intensity":0,"steps":0,"heart_rate":null},"#,
            r#"{"minute":5,"kind":5,"activity":null,"intensity":0,"steps":0,"heart_rate":null}"#,
            r#"]}"#
        ),
    );
}

#[test]
fn activity_times_follow_start_in_its_offset() {
    let r = decode(&[
        "activity",
        "--start",
        "2021-02-17T14:17:00+01:00",
        MB4_P0,
        MB4_P1,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let times: Vec<&str> = v["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["time"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2021-02-17T14:17:00+01:00",
            "2021-02-17T14:18:00+01:00",
            "2021-02-17T14:19:00+01:00",
            "2021-02-17T14:20:00+01:00",
            "2021-02-17T14:21:00+01:00",
            "2021-02-17T14:22:00+01:00",
        ]
    );
    // `time` comes right after `minute`.
    assert!(r
        .stdout
        .starts_with(r#"{"samples":[{"minute":0,"time":"2021-02-17T14:17:00+01:00","kind":1,"#));
}

#[test]
fn activity_mb5_eight_byte_samples_even_when_split() {
    ok(
        &[
            "activity",
            "--sample-size",
            "8",
            "00 01 20 55 48 01 02 03 04 70 00 00 ff 00 00 00 00",
            "01 09 00 00",
            "02 ff 0a 0b 0c 0d",
        ],
        concat!(
            r#"{"samples":["#,
            r#"{"minute":0,"kind":1,"activity":"activity","intensity":32,"steps":85,"heart_rate":72,"extra":"01020304"},"#,
            r#"{"minute":1,"kind":112,"activity":"no_change","intensity":0,"steps":0,"heart_rate":null,"extra":"00000000"},"#,
            r#"{"minute":2,"kind":9,"activity":"light_sleep","intensity":0,"steps":0,"heart_rate":null,"extra":"0a0b0c0d"}"#,
            r#"]}"#
        ),
    );
    // Three MB4 samples read as MB5 end inside the second sample.
    fails(
        &[
            "activity",
            "--sample-size",
            "8",
            "00 01 10 05 48 70 00 00 ff 09 00 00 ff",
        ],
        "activity: 4 bytes left after the last whole 8-byte sample \
         (truncated transfer, or the wrong sample size?)",
    );
}

#[test]
fn activity_counters_must_be_consecutive_and_may_wrap() {
    fails(
        &["activity", MB4_P0, "02 0b 00 00 ff"],
        "activity packet counter gap: expected 1, got 2",
    );
    let r = decode(&["activity", "ff 01 00 00 ff", "00 01 00 00 ff"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches("\"minute\"").count(), 2);
}

const FIPS_KEY: &str = "000102030405060708090a0b0c0d0e0f";
// FIPS-197 C.1 plaintext as the band's challenge, old framing (`10 02 01` + 16 bytes).
const RANDOM_OLD: &str = "10 02 01 00112233445566778899aabbccddeeff";

#[test]
fn auth_replies() {
    ok(
        &["auth", "10 03 08"],
        r#"{"message":"auth_failed","code":8}"#,
    );
    ok(&["auth", "10 83 01"], r#"{"message":"auth_ok"}"#);
    ok(
        &["auth", "10 02 04"],
        r#"{"message":"random_failed","code":4}"#,
    );
    ok(
        &["auth", RANDOM_OLD],
        r#"{"message":"random","random":"00112233445566778899aabbccddeeff"}"#,
    );
    fails(
        &["auth", "10 02 01 00 11"],
        "auth reply: need at least 19 bytes, got 5",
    );
}

#[test]
fn auth_answer_with_key_never_echoes_the_key() {
    let want = r#"{"message":"random","random":"00112233445566778899aabbccddeeff","answer":"030069c4e0d86a7b0430d8cdb78070b4c55a"}"#;
    ok(&["auth", "--key", FIPS_KEY, RANDOM_OLD], want);
    // huami-token's `0x` form, and the key from the environment.
    ok(
        &["auth", "--key", &format!("0x{FIPS_KEY}"), RANDOM_OLD],
        want,
    );
    let r = decode_env(&["auth", RANDOM_OLD], &[("MIBAND_AUTH_KEY", FIPS_KEY)]);
    assert_eq!(r.stdout, format!("{want}\n"));
    // New framing answers with 83 00.
    let r = decode(&[
        "auth",
        "--key",
        FIPS_KEY,
        "10 82 01 00112233445566778899aabbccddeeff",
    ]);
    assert!(
        r.stdout.contains(r#""answer":"830069c4e0d8"#),
        "{}",
        r.stdout
    );

    // A malformed key is a usage error whose message does not contain it.
    let secret = "00010203040506070809zz0b0c0d0e0f";
    let r = decode(&["auth", "--key", secret, RANDOM_OLD]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid --key"), "{}", r.stderr);
    assert!(!r.stderr.contains("0001020304"), "{}", r.stderr);
    assert!(!r.stdout.contains("0001020304"));
}

#[test]
fn raw_accelerometer_and_heart_raw() {
    // 01 seq, then (1, -2, 4100), (5, -6, 7), (8, 9, -10) as int16 LE.
    ok(
        &["raw", "01 07 0100 feff 0410 0500 faff 0700 0800 0900 f6ff"],
        r#"{"type":"accelerometer","samples":[[1,-2,4100],[5,-6,7],[8,9,-10]]}"#,
    );
    ok(
        &["raw", "02 03 e803 e903 ea03 eb03 ec03 ed03 ee03"],
        r#"{"type":"heart_raw","values":[1000,1001,1002,1003,1004,1005,1006]}"#,
    );
    fails(
        &["raw", "01 00 01 02 03"],
        "raw sensor packet: unexpected length 5 (01 seq + 6-byte triplets, or 16 bytes of raw heart data)",
    );
}

#[test]
fn hex_forms_and_bad_hex() {
    ok(&["heart-rate", "0x00 0x5d"], r#"{"bpm":93}"#);
    ok(&["heart-rate", "00:5D"], r#"{"bpm":93}"#);
    ok(&["heart-rate", "0x005d"], r#"{"bpm":93}"#);
    fails(
        &["heart-rate", "00", "5g"],
        "HEX argument 2: 'g' is not a hex digit",
    );
    fails(
        &["heart-rate", "00 5"],
        "HEX argument 1: \"5\" has an odd number of hex digits",
    );
    fails(&["heart-rate", " "], "no bytes given");
}

#[test]
fn usage_errors_keep_clap_exit_code_2() {
    for args in [
        &["nonsense", "00"][..],
        &["battery"][..],
        &["activity", "--sample-size", "5", "00"][..],
        &["activity", "--start", "yesterday", "00"][..],
    ] {
        let r = decode(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
}
