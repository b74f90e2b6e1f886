//! Properties of the pure protocol layer: no decoder panics on any bytes, and every message with
//! an encoder decodes back to itself. Case counts stay at proptest's default (256) so the suite
//! stays fast.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use proptest::prelude::*;

use miband::cli::decode::parse_hex;
use miband::dissect::{self, Kind, Options};
use miband::protocol::activity::{ActivitySample, SampleSize};
use miband::protocol::auth::{AuthCommand, AuthReply, AuthVariant};
use miband::protocol::battery::BatteryInfo;
use miband::protocol::datetime::{decode_local, BandDateTime};
use miband::protocol::device_info::{decode_string, mac_from_system_id, PnpId};
use miband::protocol::events::DeviceEvent;
use miband::protocol::fetch::{packetize, stamp, FetchCommand, FetchReply, HistoryAssembler};
use miband::protocol::heart_rate::{decode_measurement, HrCommand};
use miband::protocol::key::AuthKey;
use miband::protocol::raw_sensor::RawPacket;
use miband::protocol::steps::Steps;
use miband::protocol::time::CurrentTime;

// ---------------------------------------------------------------------------------------------
// Strategies

/// Bytes that often start like a real message, so decoders get past their first checks.
fn message_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x10, 0x01, 0x01],
        vec![0x10, 0x02, 0x01],
        vec![0x10, 0x82, 0x01],
        vec![0x10, 0x03],
        vec![0x01, 0x01, 0xe5, 0x07],
        vec![0x01],
        vec![0x02],
        vec![0x03],
        vec![0x15],
        vec![0x16],
        vec![0xfe],
        vec![0x0c],
        vec![0x0f, 0x2e, 0x00, 0xe1, 0x07],
        vec![0xe6, 0x07, 0x0c, 0x0f],
    ];
    (
        prop::sample::select(prefixes),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(p, t)| [p, t].concat())
}

fn variant() -> impl Strategy<Value = AuthVariant> {
    prop_oneof![Just(AuthVariant::Old), Just(AuthVariant::New)]
}

/// A status byte other than 01 (01 means success and changes the message).
fn failure_code() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("not success", |c| *c != 0x01)
}

/// Any valid band-local time with whole seconds, years a u16 can hold.
fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        0i32..=9999,
        1u32..=12,
        1u32..=31,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_filter_map("valid date", |(y, mo, d, h, mi, s)| {
            NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)
        })
}

fn band_time() -> impl Strategy<Value = BandDateTime> {
    (local_time(), any::<i8>()).prop_map(|(local, tz_quarters)| BandDateTime { local, tz_quarters })
}

fn sample(size: SampleSize) -> impl Strategy<Value = ActivitySample> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![Just(None), (1u8..=254).prop_map(Some)],
        any::<[u8; 4]>(),
    )
        .prop_map(
            move |(kind, intensity, steps, heart_rate, extra)| ActivitySample {
                kind,
                intensity,
                steps,
                heart_rate,
                extra: (size == SampleSize::Eight).then_some(extra),
            },
        )
}

fn size() -> impl Strategy<Value = SampleSize> {
    prop_oneof![Just(SampleSize::Four), Just(SampleSize::Eight)]
}

fn sized_samples(max: usize) -> impl Strategy<Value = (SampleSize, Vec<ActivitySample>)> {
    size().prop_flat_map(move |s| (Just(s), prop::collection::vec(sample(s), 0..max)))
}

const KNOWN_EVENTS: [u8; 17] = [
    0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x0f, 0x10, 0x14, 0x16, 0x1a,
    0xfe,
];

fn device_event() -> impl Strategy<Value = DeviceEvent> {
    prop_oneof![
        prop::sample::select(vec![
            DeviceEvent::FellAsleep,
            DeviceEvent::WokeUp,
            DeviceEvent::StepsGoalReached,
            DeviceEvent::ButtonPressed,
            DeviceEvent::NonWearStart,
            DeviceEvent::CallRejected,
            DeviceEvent::FindPhoneStart,
            DeviceEvent::CallIgnored,
            DeviceEvent::AlarmToggled,
            DeviceEvent::ButtonLongPressed,
            DeviceEvent::Tick30Min,
            DeviceEvent::FindPhoneStop,
            DeviceEvent::SilentMode,
            DeviceEvent::WorkoutStarting,
            DeviceEvent::AlarmChanged,
        ]),
        any::<u16>().prop_map(DeviceEvent::MtuRequest),
        any::<u8>().prop_map(DeviceEvent::MusicControl),
        any::<u8>()
            .prop_filter("unknown code", |c| !KNOWN_EVENTS.contains(c))
            .prop_map(DeviceEvent::Unknown),
    ]
}

// ---------------------------------------------------------------------------------------------
// No decoder panics on any input

proptest! {
    #[test]
    fn decoders_never_panic(b in message_bytes()) {
        let _ = AuthCommand::decode(&b);
        let _ = AuthReply::decode(&b).map(|r| r.meaning());
        let _ = BatteryInfo::decode(&b);
        let _ = Steps::decode(&b);
        let _ = CurrentTime::decode(&b).map(|t| (t.time.to_fixed(), t.time.to_utc()));
        let _ = decode_local("t", &b);
        let _ = decode_string(&b);
        let _ = PnpId::decode(&b).map(|p| p.to_string());
        let _ = mac_from_system_id(&b);
        let _ = HrCommand::decode(&b);
        let _ = decode_measurement(&b);
        let _ = DeviceEvent::decode(&b);
        let _ = RawPacket::decode(&b);
        let _ = FetchCommand::decode(&b);
        let _ = FetchReply::decode(&b).map(|r| (r.name(), r.ok()));
        if let Ok(FetchReply::Started { start, .. }) = FetchReply::decode(&b) {
            let _ = (start.to_fixed().to_rfc3339(), start.to_utc());
        }
        for s in [SampleSize::Four, SampleSize::Eight] {
            let _ = ActivitySample::decode(&b, s).map(|x| x.activity().map(|k| k.name()));
        }
    }

    #[test]
    fn assembler_never_panics(
        s in size(),
        first in any::<u8>(),
        packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..30), 0..12),
    ) {
        let mut a = HistoryAssembler::starting_at(s, first);
        for p in &packets {
            if a.push(p).is_err() {
                break;
            }
        }
        prop_assert!(a.pending_bytes() < s.bytes());
    }

    #[test]
    fn dissector_never_panics(
        kind in prop::sample::select(Kind::ALL.to_vec()),
        packets in prop::collection::vec(message_bytes(), 1..4),
        eight in any::<bool>(),
        with_key in any::<bool>(),
    ) {
        let opts = Options {
            sample_size: if eight { SampleSize::Eight } else { SampleSize::Four },
            start: DateTime::parse_from_rfc3339("2021-02-17T14:17:00+01:00").ok(),
            key: with_key.then(|| AuthKey::from_bytes([7; 16])),
        };
        let _ = dissect::dissect(kind, &packets, &opts).map(|v| v.to_string());
    }

    #[test]
    fn hex_and_key_parsers_never_panic(text in "(0[xX]|[0-9a-fA-F: \\t]|.){0,40}") {
        let _ = parse_hex(1, &text);
        let _ = AuthKey::from_hex(&text);
    }
}

// ---------------------------------------------------------------------------------------------
// encode → decode round trips

proptest! {
    #[test]
    fn auth_command_round_trips(
        which in 0..3u8, v in variant(), flags in any::<u8>(), bytes in any::<[u8; 16]>(),
    ) {
        let c = match which {
            0 => AuthCommand::SendKey { flags, key: bytes },
            1 => AuthCommand::RequestRandom(v),
            _ => AuthCommand::SendAnswer { variant: v, answer: bytes },
        };
        prop_assert_eq!(AuthCommand::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn auth_reply_round_trips(
        which in 0..5u8, v in variant(), code in any::<u8>(), fail in failure_code(),
        random in any::<[u8; 16]>(),
    ) {
        let r = match which {
            0 => AuthReply::KeyStored { ok: code == 0x01, code },
            1 => AuthReply::Random { variant: v, random },
            2 => AuthReply::RandomFailed { variant: v, code: fail },
            3 => AuthReply::AuthOk(v),
            _ => AuthReply::AuthFailed { variant: v, code: fail },
        };
        prop_assert_eq!(AuthReply::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn key_hex_round_trips(bytes in any::<[u8; 16]>(), prefixed in any::<bool>()) {
        let text = format!("{}{}", if prefixed { "0x" } else { "" }, hex::encode(bytes));
        prop_assert_eq!(AuthKey::from_hex(&text), Ok(AuthKey::from_bytes(bytes)));
    }

    #[test]
    fn current_time_round_trips(
        time in band_time(), dow in any::<u8>(), frac in any::<u8>(), adj in any::<u8>(),
    ) {
        let t = CurrentTime { time, day_of_week: dow, fractions256: frac, adjust_reason: adj };
        prop_assert_eq!(CurrentTime::decode(&t.encode()), Ok(t));
    }

    #[test]
    fn battery_round_trips(
        level in any::<u8>(), charging in any::<bool>(),
        last_off in prop::option::of(local_time()), last_charge in prop::option::of(local_time()),
        last_level in any::<u8>(),
    ) {
        let i = BatteryInfo {
            level_percent: level,
            charging,
            last_off,
            last_off_tz_quarters: last_off.map(|_| 4),
            last_charge,
            last_charge_tz_quarters: last_charge.map(|_| -20),
            last_charge_level_percent: Some(last_level),
        };
        prop_assert_eq!(BatteryInfo::decode(&i.encode()), Ok(i));
    }

    #[test]
    fn steps_round_trip(steps in any::<u32>(), rest in prop::option::of(any::<(u32, u32)>())) {
        let s = Steps { steps, meters: rest.map(|r| r.0), calories: rest.map(|r| r.1) };
        prop_assert_eq!(Steps::decode(&s.encode()), Ok(s));
    }

    #[test]
    fn pnp_id_round_trips(b in any::<[u8; 7]>()) {
        let p = PnpId::decode(&b).unwrap();
        prop_assert_eq!(p.encode(), b);
        prop_assert_eq!(PnpId::decode(&p.encode()), Ok(p));
    }

    #[test]
    fn hr_command_round_trips(which in 0..5u8, on in any::<bool>(), minutes in any::<u8>()) {
        let c = match which {
            0 => HrCommand::SleepAssist(on),
            1 => HrCommand::Continuous(on),
            2 => HrCommand::Manual(on),
            3 => HrCommand::Interval(minutes),
            _ => HrCommand::KeepAlive,
        };
        prop_assert_eq!(HrCommand::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn device_event_round_trips(e in device_event()) {
        prop_assert_eq!(DeviceEvent::decode(&e.encode()), Ok(e));
    }

    #[test]
    fn raw_packet_round_trips(
        seq in any::<u8>(),
        samples in prop::collection::vec(any::<[i16; 3]>(), 1..4),
        values in prop::collection::vec(any::<u16>(), 1..10),
        accel in any::<bool>(),
    ) {
        let p = if accel {
            RawPacket::Accelerometer { seq, samples }
        } else {
            RawPacket::HeartRaw { seq, values }
        };
        prop_assert_eq!(RawPacket::decode(&p.encode()), Ok(p));
    }

    #[test]
    fn fetch_command_round_trips(which in 0..3u8, data_type in any::<u8>(), since in band_time()) {
        use chrono::Timelike;
        let c = match which {
            // The minute form the host writes has no seconds.
            0 => FetchCommand::Start {
                data_type,
                since: BandDateTime { local: since.local.with_second(0).unwrap(), ..since },
            },
            1 => FetchCommand::FetchData,
            _ => FetchCommand::Ack,
        };
        prop_assert_eq!(FetchCommand::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn fetch_reply_round_trips(
        which in 0..6u8, count in any::<u32>(), start in band_time(), fail in failure_code(),
        code in any::<u8>(), crc in prop::option::of(any::<u32>()),
        cmd in any::<u8>().prop_filter("not 01..03", |c| !(1..=3).contains(c)),
    ) {
        let r = match which {
            0 => FetchReply::Started { count, start },
            1 => FetchReply::StartFailed { code: fail },
            2 => FetchReply::Done { crc },
            3 => FetchReply::DoneFailed { code: fail },
            4 => FetchReply::Acked { code },
            _ => FetchReply::Other { cmd, code },
        };
        prop_assert_eq!(FetchReply::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn activity_sample_round_trips((s, samples) in sized_samples(2)) {
        for x in samples {
            let mut b = Vec::new();
            x.encode_into(s, &mut b);
            prop_assert_eq!(b.len(), s.bytes());
            prop_assert_eq!(ActivitySample::decode(&b, s), Some(x));
        }
    }

    #[test]
    fn packetize_then_assemble_round_trips(
        (s, samples) in sized_samples(600),
        mtu in 23usize..=517,
        first in any::<u8>(),
        start_secs in 0i64..4_000_000_000,
    ) {
        let packets = packetize(&samples, s, mtu, first);
        let mut a = HistoryAssembler::starting_at(s, first);
        for (i, p) in packets.iter().enumerate() {
            // One notification: ATT header (3 bytes) + counter + whole samples.
            prop_assert!(p.len() <= mtu - 3);
            prop_assert_eq!((p.len() - 1) % s.bytes(), 0);
            prop_assert_eq!(p[0], first.wrapping_add(i as u8));
            a.push(p).unwrap();
        }
        prop_assert_eq!(a.pending_bytes(), 0);
        prop_assert_eq!(a.samples(), &samples[..]);
        let start: DateTime<Utc> = DateTime::from_timestamp(start_secs, 0).unwrap();
        let timed = stamp(start, a.samples());
        for (i, t) in timed.iter().enumerate() {
            prop_assert_eq!(t.ts, start + Duration::minutes(i as i64));
            prop_assert_eq!(t.sample, samples[i]);
        }
    }
}
