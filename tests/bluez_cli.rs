//! `miband emulate --bluez` as a user runs it: on its own private bus, where BlueZ's own
//! `bluetoothctl` lists the bands, connects and walks their GATT tables; stopped by SIGTERM; bad
//! arguments are exit code 2 with a message that never echoes a key.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const BIN: &str = env!("CARGO_BIN_EXE_miband");

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for ch in s.chars() {
        match (esc, ch) {
            (false, '\u{1b}') => esc = true,
            (true, c) if c.is_ascii_alphabetic() => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

#[test]
fn serves_bands_to_bluetoothctl_until_sigterm() {
    let mut child = Command::new(BIN)
        .args(["emulate", "--bluez", "--private-bus"])
        .args(["--band", &format!("C8:0F:10:00:07:01,{KEY},mb4")])
        .args(["--band", &format!("C8:0F:10:00:07:02,0x{KEY},mb5")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("DBUS_SYSTEM_BUS_ADDRESS=")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    let ctl = |args: &[&str]| {
        let out = Command::new("bluetoothctl")
            .args(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .output()
            .expect("bluetoothctl");
        strip_ansi(&String::from_utf8_lossy(&out.stdout))
    };
    ctl(&["--timeout", "2", "scan", "on"]);
    let devices = ctl(&["devices"]);
    assert!(
        devices.contains("Device C8:0F:10:00:07:01 Mi Smart Band 4"),
        "{devices}"
    );
    assert!(
        devices.contains("Device C8:0F:10:00:07:02 Mi Smart Band 5"),
        "{devices}"
    );

    // Connect and walk the GATT table the way BlueZ users do.
    let band = "C8:0F:10:00:07:01";
    let conn = ctl(&["--timeout", "2", "connect", band]);
    assert!(conn.contains("Connection successful"), "{conn}");
    let attrs = ctl(&["--timeout", "2", "gatt.list-attributes", band]);
    let dev = "/org/bluez/hci0/dev_C8_0F_10_00_07_01";
    for want in [
        "00000009-0000-3512-2118-0009af100700",
        "0000fee1-0000-1000-8000-00805f9b34fb",
        "00000005-0000-3512-2118-0009af100700",
        "00002902-0000-1000-8000-00805f9b34fb",
        &format!("{dev}/service000c/char000d/desc000f"),
    ] {
        assert!(attrs.contains(want), "{want} missing in:\n{attrs}");
    }
    let info = ctl(&["info", band]);
    for want in [
        "Connected: yes",
        "Modalias: bluetooth:v0157p0024d0101",
        "ManufacturerData Key: 0x0157",
        "UUID: Heart Rate",
    ] {
        assert!(info.contains(want), "{want} missing in:\n{info}");
    }
    let off = ctl(&["--timeout", "2", "disconnect", band]);
    assert!(off.contains("Successful disconnected"), "{off}");
    let info = ctl(&["info", band]);
    assert!(info.contains("Connected: no"), "{info}");

    let t = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(t.elapsed() < Duration::from_secs(5));
    let log = strip_ansi(&String::from_utf8_lossy(&out.stderr));
    assert!(log.contains("C8:0F:10:00:07:01"), "{log}");
    assert!(
        !log.to_lowercase().contains(KEY),
        "a key reached the log:\n{log}"
    );
    // The private bus went with it.
    let socket = address
        .strip_prefix("unix:path=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .to_string();
    assert!(
        !std::path::Path::new(&socket).exists(),
        "{socket} left behind"
    );
}

#[test]
fn bad_band_arguments_are_exit_code_2_without_the_key() {
    let secret = "0123456789abcdef0123456789abcdeZ";
    for (band, want) in [
        (
            format!("C8:0F:10:00:07:01,{secret}"),
            "--band #1: expected the auth key as 32 hex digits",
        ),
        (format!("C8:0F:10:00:07,{KEY}"), "is not a MAC address"),
        (format!("C8:0F:10:00:07:01,{KEY},mb7"), "is not mb4 or mb5"),
    ] {
        let out = Command::new(BIN)
            .args([
                "emulate",
                "--bluez",
                "--bus",
                "unix:path=/nonexistent",
                "--band",
                &band,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!err.contains("0123456789abcdef"), "{err}");
    }
    let out = Command::new(BIN)
        .args(["emulate", "--band", &format!("C8:0F:10:00:07:01,{KEY}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --bluez"));
}

#[test]
fn unreachable_bus_is_a_clear_error() {
    let out = Command::new(BIN)
        .args([
            "emulate",
            "--bluez",
            "--bus",
            "unix:path=/nonexistent/bus.sock",
        ])
        .args(["--band", &format!("C8:0F:10:00:07:01,{KEY}")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot connect to the D-Bus bus at unix:path=/nonexistent/bus.sock"),
        "{err}"
    );
}
