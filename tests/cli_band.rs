//! The band-side commands (`miband scan`, `read`, `find`, `alert`, `set-time`, `alarm`,
//! `config`, `hr --live`, `raw`, `events`) run as the unmodified `miband` binary, over btleplug,
//! against the emulated BlueZ on a private dbus-daemon; the test checks what the emulated band
//! holds afterwards. One bus and one emulated BlueZ serve every test of this binary (each test
//! uses bands of its own); only "nothing heard" needs an empty room of its own.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;

use chrono::{Duration, DurationRound, Utc};
use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
use miband::emulator::band::{Band, BandOptions};
use miband::emulator::link::{Clock, EmulatedBand};
use miband::emulator::model::Model;
use miband::emulator::Person;
use miband::protocol::alert::AlertCategory;
use miband::protocol::band_config::{ConfigCommand, IdleAlertsBytes, Toggle};
use miband::protocol::events::DeviceEvent;
use miband::protocol::heart_rate::HrCommand;
use miband::protocol::key::AuthKey;
use miband::protocol::time::CurrentTime;
use miband::protocol::uuids as u;

const BIN: &str = env!("CARGO_BIN_EXE_miband");
const KEY: &str = "0123456789abcdef0123456789abcdef";
const WRONG: &str = "ffffffffffffffffffffffffffffffff";

const READ4: &str = "C8:0F:10:CC:00:01";
const READ5: &str = "C8:0F:10:CC:00:02";
const HELD: &str = "C8:0F:10:CC:00:03";
const PHONE: &str = "C8:0F:10:CC:00:04";
const ACT: &str = "C8:0F:10:CC:00:05";
const CONF: &str = "C8:0F:10:CC:00:06";
const STREAM: &str = "C8:0F:10:CC:00:07";
const EVENTS: &str = "C8:0F:10:CC:00:08";

fn mac(s: &str) -> miband::mac::Mac {
    s.parse().unwrap()
}

fn band(model: Model, address: &str) -> EmulatedBand {
    let m = mac(address);
    let mut o = BandOptions::new(model, m, AuthKey::from_hex(KEY).unwrap());
    o.history = Duration::hours(2);
    o.tz_quarters = 0;
    o.one_shot_delay = Duration::milliseconds(500);
    let person = Person::new(u64::from(m.as_bytes()[5])).with_sample_size(model.sample_size());
    let clock = Clock::system();
    EmulatedBand::new(Band::new(o, Arc::new(person), clock.now()), clock)
}

struct Fixture {
    bus: PrivateBus,
    emu: Emulator,
    _rt: tokio::runtime::Runtime,
}

fn start(bands: Vec<EmulatedBand>) -> Fixture {
    let bus = PrivateBus::start().expect("private dbus-daemon");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = EmulatorConfig::new(bands);
    config.advertise_interval = StdDuration::from_millis(200);
    let address = bus.address().to_string();
    let emu = rt
        .block_on(Emulator::start(&address, config))
        .expect("emulated BlueZ");
    Fixture { bus, emu, _rt: rt }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        start(vec![
            band(Model::Mb4, READ4),
            band(Model::Mb5, READ5),
            band(Model::Mb4, HELD),
            band(Model::Mb4, PHONE),
            band(Model::Mb4, ACT),
            band(Model::Mb5, CONF),
            band(Model::Mb4, STREAM),
            band(Model::Mb4, EVENTS),
        ])
    })
}

fn emulated(address: &str) -> &'static EmulatedBand {
    fixture().emu.band(mac(address)).expect("band in fixture")
}

/// `miband ARGS` on the fixture's bus with `MIBAND_AUTH_KEY=key`.
fn miband_on(bus: &str, key: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus)
        .env_remove("MIBAND_AUTH_KEY")
        .env("RUST_LOG", "warn");
    if let Some(k) = key {
        c.env("MIBAND_AUTH_KEY", k);
    }
    c.output().expect("run miband")
}

fn miband(args: &[&str]) -> Output {
    miband_on(fixture().bus.address(), Some(KEY), args)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn ok(o: Output) -> String {
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        !err.contains(KEY) && !out.contains(KEY),
        "the key was printed"
    );
    out
}

fn devices_csv() -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        f.path(),
        format!("# id | mac | token\n1 | {READ4} | {KEY} | Alice\n2 | {READ5} | {KEY}\n7 | {HELD} | {KEY}\n"),
    )
    .unwrap();
    f
}

#[test]
fn scan_lists_advertising_bands_with_their_devices_csv_ids_but_not_connected_ones() {
    let f = fixture();
    // HELD is connected through this BlueZ by another program (as miband-dc would hold it);
    // PHONE is connected to "a phone" (another central): neither advertises.
    let ctl = |args: &[&str]| {
        Command::new("bluetoothctl")
            .args(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", f.bus.address())
            .output()
            .expect("bluetoothctl")
    };
    ctl(&["--timeout", "2", "scan", "on"]);
    let ctl = ctl(&["--timeout", "3", "connect", HELD]);
    assert!(
        String::from_utf8_lossy(&ctl.stdout).contains("Connection successful"),
        "{ctl:?}"
    );
    let phone = f
        ._rt
        .block_on(emulated(PHONE).connect())
        .expect("the phone connects");
    assert!(emulated(PHONE).is_connected());

    let csv = devices_csv();
    let out = ok(miband(&[
        "scan",
        "--timeout",
        "3",
        "--json",
        "--devices",
        csv.path().to_str().unwrap(),
    ]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let find = |m: &str| rows.iter().find(|r| r["mac"] == m);
    let alice = find(READ4).unwrap_or_else(|| panic!("{READ4} not listed: {out}"));
    assert_eq!(alice["name"], "Mi Smart Band 4");
    assert_eq!(alice["id"], "1");
    assert!(alice["rssi"].as_i64().unwrap() < 0, "{alice}");
    let bob = find(READ5).unwrap();
    assert_eq!(bob["name"], "Mi Smart Band 5");
    assert_eq!(bob["id"], "2");
    assert!(find(ACT).unwrap()["id"].is_null(), "not in devices.csv");
    assert!(
        find(HELD).is_none(),
        "a connected band does not advertise: {out}"
    );
    assert!(
        find(PHONE).is_none(),
        "a band on a phone does not advertise: {out}"
    );

    // The table says the same in words.
    let table = ok(miband(&[
        "scan",
        "--timeout",
        "2",
        "--devices",
        csv.path().to_str().unwrap(),
    ]));
    assert!(table.contains(READ4) && table.contains("id 1"), "{table}");
    assert!(table.contains("not listed"), "{table}");

    // A band held by another program here: the command says so instead of sharing it.
    let o = miband(&["read", "--mac", HELD]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("connected to another program"), "{err}");
    drop(phone);
}

#[test]
fn scan_in_an_empty_room_explains_why_bands_may_not_advertise() {
    let empty = start(Vec::new());
    let o = miband_on(empty.bus.address(), None, &["scan", "--timeout", "1"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("connected to a phone"), "{err}");
    assert!(err.contains("does not advertise"), "{err}");
}

#[test]
fn read_prints_what_the_band_holds_and_a_wrong_key_says_so() {
    let b = emulated(READ4);
    let before = b.with_band(|b| b.read(Utc::now(), u::CHAR_STEPS).unwrap());
    let out = ok(miband(&["read", "--mac", READ4, "--json", "--heart-rate"]));
    let after = b.with_band(|b| b.read(Utc::now(), u::CHAR_STEPS).unwrap());
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mac"], READ4);
    assert_eq!(r["model"], "Mi Smart Band 4");
    assert_eq!(r["firmware"], Model::Mb4.software_revision());
    assert_eq!(r["hardware"], Model::Mb4.hardware_revision());
    assert_eq!(r["serial"], "c80f10cc0001");
    let steps = |v: &[u8]| miband::protocol::steps::Steps::decode(v).unwrap().steps;
    let got = r["today"]["steps"].as_u64().unwrap() as u32;
    assert!(
        (steps(&before)..=steps(&after)).contains(&got),
        "{got} outside {}..{}",
        steps(&before),
        steps(&after)
    );
    let level = r["battery"]["level_percent"].as_u64().unwrap();
    assert!((0..=100).contains(&level));
    assert!(r["drift_seconds"].as_i64().unwrap().abs() <= 5, "{r}");
    assert!(r["band_time"].as_str().unwrap().ends_with("+00:00"), "{r}");
    let bpm = r["heart_rate"].as_u64();
    assert!(bpm.is_none_or(|b| (30..=220).contains(&b)), "{r}");

    // From devices.csv by id, as text: the MB5.
    let csv = devices_csv();
    let o = miband_on(
        fixture().bus.address(),
        None,
        &[
            "read",
            "--devices",
            csv.path().to_str().unwrap(),
            "--id",
            "2",
        ],
    );
    let out = ok(o);
    assert!(out.contains("Mi Smart Band 5"), "{out}");
    assert!(out.contains("Key         accepted"), "{out}");
    assert!(out.contains(Model::Mb5.software_revision()), "{out}");

    // A wrong key: exit 1, in words, without the key.
    let o = miband_on(
        fixture().bus.address(),
        Some(WRONG),
        &["read", "--mac", READ4],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("refused the auth key"), "{err}");
    assert!(!err.contains(WRONG) && !err.contains("ffffffff"), "{err}");

    // Usage problems are exit 2.
    for (key, args, want) in [
        (Some(KEY), vec!["read"], "which band?"),
        (None, vec!["read", "--mac", READ4], "no auth key"),
        (Some("0123"), vec!["read", "--mac", READ4], "32 hex digits"),
        (
            Some(KEY),
            vec!["read", "--mac", "C8:0F:10"],
            "Bluetooth address",
        ),
    ] {
        let o = miband_on(fixture().bus.address(), key, &args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn actions_change_the_band_as_the_bytes_say() {
    let b = emulated(ACT);
    // find: vibrates, then the stop level ends it.
    ok(miband(&["find", "--mac", ACT, "--seconds", "2"]));
    b.with_band(|b| {
        assert_eq!(b.actions().vibration_starts(), 1);
        assert!(!b.actions().is_vibrating(Utc::now()), "stopped by 00");
    });

    // alert
    ok(miband(&[
        "alert",
        "--mac",
        ACT,
        "--kind",
        "missed-call",
        "--text",
        "Mum ☎",
    ]));
    ok(miband(&[
        "alert",
        "--mac",
        ACT,
        "--text",
        "Dinner is ready",
    ]));
    b.with_band(|b| {
        let a = b.actions().alerts();
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].category, a[0].text.as_str()),
            (AlertCategory::MissedCall, "Mum ☎")
        );
        assert_eq!(
            (a[1].category, a[1].text.as_str()),
            (AlertCategory::Sms, "Dinner is ready")
        );
    });
    let o = miband(&["alert", "--mac", ACT, "--text", &"x".repeat(300)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("at most 228 bytes"));

    // set-time: the band clock and zone follow.
    let out = ok(miband(&[
        "set-time", "--mac", ACT, "--tz", "+05:45", "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "time_set");
    assert_eq!(v["tz"], "+05:45");
    b.with_band(|b| {
        let t = CurrentTime::decode(&b.read(Utc::now(), u::CHAR_CURRENT_TIME).unwrap()).unwrap();
        assert_eq!(t.time.tz_quarters, 23);
        assert!((t.time.to_utc() - Utc::now()).num_seconds().abs() <= 3);
    });

    // alarms: set, read back, clear.
    ok(miband(&[
        "alarm",
        "set",
        "--mac",
        ACT,
        "--slot",
        "3",
        "--time",
        "06:45",
        "--days",
        "weekdays",
        "--no-snooze",
    ]));
    ok(miband(&[
        "alarm",
        "set",
        "--mac",
        ACT,
        "--slot",
        "0",
        "--time",
        "9:05",
        "--disabled",
    ]));
    b.with_band(|b| {
        let a = b.actions().alarms()[3].expect("slot 3");
        assert_eq!(
            (a.hour, a.minute, a.days, a.enabled, a.snooze),
            (6, 45, 0x1f, true, false)
        );
        let z = b.actions().alarms()[0].expect("slot 0");
        assert!(!z.enabled);
    });
    let out = ok(miband(&["alarm", "list", "--mac", ACT, "--json"]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["slot"], 0);
    assert_eq!(list[0]["time"], "09:05");
    assert_eq!(list[0]["enabled"], false);
    assert_eq!(list[1]["slot"], 3);
    assert_eq!(list[1]["time"], "06:45");
    assert_eq!(list[1]["days"], "mon,tue,wed,thu,fri");
    ok(miband(&["alarm", "clear", "--mac", ACT, "--slot", "3"]));
    assert!(b.with_band(|b| b.actions().alarms()[3].is_none()));
    let out = ok(miband(&["alarm", "list", "--mac", ACT]));
    assert!(out.contains("09:05") && !out.contains("06:45"), "{out}");
    let o = miband(&[
        "alarm", "set", "--mac", ACT, "--slot", "10", "--time", "07:00",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_applies_settings_and_the_interval_thins_the_heart_rate_history() {
    let b = emulated(CONF);
    ok(miband(&[
        "config",
        "--mac",
        CONF,
        "--heart-rate-interval",
        "5",
        "--sleep-assist",
        "on",
        "--step-goal",
        "9000",
        "--goal-notification",
        "on",
        "--idle-alerts",
        "45,09:00-18:00",
        "--idle-quiet",
        "12:00-13:30",
        "--lift-wrist",
        "off",
        "--night-mode",
        "22:00-07:00",
        "--units",
        "imperial",
    ]));
    let now = Utc::now();
    b.with_band(|b| {
        assert_eq!(b.hr_interval_minutes(), 5);
        assert_eq!(b.actions().sleep_assist(), Some(true));
        assert_eq!(
            b.actions().applied(),
            [
                ConfigCommand::StepGoal(9000),
                ConfigCommand::GoalNotification(true),
                ConfigCommand::IdleAlerts(Some(IdleAlertsBytes {
                    threshold: 45,
                    first: ((9, 0), (12, 0)),
                    second: Some(((13, 30), (18, 0))),
                })),
                ConfigCommand::LiftWrist(Toggle::Off),
                ConfigCommand::NightMode(Toggle::Scheduled((22, 0), (7, 0))),
                ConfigCommand::Imperial(true),
            ]
        );
        // From the minute it was set, only every 5th minute carries heart rate.
        let start = now.duration_trunc(Duration::minutes(1)).unwrap() + Duration::minutes(1);
        let hist = b.history(start, 30);
        for (i, s) in hist.iter().enumerate() {
            let minute = start + Duration::minutes(i as i64);
            if minute.timestamp() / 60 % 5 != 0 {
                assert_eq!(s.heart_rate, None, "minute {i}");
            }
        }
    });
    let o = miband(&["config", "--mac", CONF]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("nothing to configure"));
    let o = miband(&["config", "--mac", CONF, "--heart-rate-interval", "200"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn streams_deliver_values_and_stop_the_measurement_on_exit() {
    let b = emulated(STREAM);
    let out = ok(miband(&[
        "hr",
        "--mac",
        STREAM,
        "--live",
        "--duration",
        "4",
    ]));
    let readings: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(readings.len() >= 2, "{out}");
    assert!(readings
        .iter()
        .all(|r| r["time"].is_string() && r.get("bpm").is_some()));
    assert_eq!(
        b.with_band(|b| b.actions().last_hr_command()),
        Some(HrCommand::Continuous(false))
    );

    let out = ok(miband(&[
        "raw",
        "--mac",
        STREAM,
        "--duration",
        "3",
        "--csv",
    ]));
    let mut rows = out.lines();
    assert_eq!(rows.next(), Some("time,kind,seq,x,y,z,ppg"));
    let rows: Vec<Vec<&str>> = rows.map(|l| l.split(',').collect()).collect();
    let accel: Vec<_> = rows.iter().filter(|r| r[1] == "accel").collect();
    let ppg: Vec<_> = rows.iter().filter(|r| r[1] == "ppg").collect();
    assert!(accel.len() >= 3 && ppg.len() >= 7, "{out}");
    for r in &accel {
        let z: i32 = r[5].parse().unwrap();
        assert!((3000..=4500).contains(&z), "gravity on z: {r:?}");
    }
    b.with_band(|b| {
        assert_eq!(b.raw_stream().last_control(), Some(0x03), "stopped with 03");
        assert_eq!(
            b.actions().last_hr_command(),
            Some(HrCommand::Continuous(false))
        );
    });

    // Ctrl-C ends a live stream cleanly, measurement off.
    let mut child = Command::new(BIN)
        .args(["hr", "--mac", STREAM, "--live"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", fixture().bus.address())
        .env("MIBAND_AUTH_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("bpm"), "{first}");
    assert!(b.with_band(|b| b.hr_continuous()));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        b.with_band(|b| b.actions().last_hr_command()),
        Some(HrCommand::Continuous(false))
    );
}

#[test]
fn events_arrive_as_json_lines() {
    let b = emulated(EVENTS);
    b.with_band(|b| b.events_mut().set_button_every(Some(Duration::seconds(1))));
    let injector = std::thread::spawn(move || {
        std::thread::sleep(StdDuration::from_millis(2500));
        b.with_band(|b| {
            b.events_mut().inject(DeviceEvent::MusicControl(0x01));
            b.events_mut().inject(DeviceEvent::FellAsleep);
        });
    });
    let out = ok(miband(&["events", "--mac", EVENTS, "--duration", "5"]));
    injector.join().unwrap();
    let names: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for want in ["button_pressed", "music_pause", "fell_asleep"] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {out}");
    }
}
