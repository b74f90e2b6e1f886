//! MQTT against a real Mosquitto started here on a private loopback port: Home Assistant
//! discovery for every band (and the removal of a band that left devices.csv), retained states
//! and availability, commands into the job queue, job updates, heart rate, band events,
//! re-publication when Home Assistant announces itself, and a broker killed and restarted
//! mid-run: the collector reconnects and republishes, and the API and syncs do not stall.
//! Observed with mosquitto_sub, driven with mosquitto_pub.

#[path = "support/remote.rs"]
mod remote;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use miband::config::MqttSettings;
use miband::control::Event;
use miband::mqtt::topics::{node, ENTITIES};
use remote::{wait_until, Collector, Options};

struct Broker {
    child: Child,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn mosquitto() -> &'static str {
    if std::path::Path::new("/usr/sbin/mosquitto").exists() {
        "/usr/sbin/mosquitto"
    } else {
        "mosquitto"
    }
}

impl Broker {
    fn start(port: u16) -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .unwrap();
        let child = Command::new(mosquitto())
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (scripts/ensure-deps installs it)");
        let b = Broker { child, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return b;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("mosquitto did not listen on {port}");
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        let _ = &self.dir;
    }
}

/// A mosquitto_sub on `#`, collecting `retain|topic|payload` lines.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<(bool, String, String)>>>,
}

impl Watch {
    fn start(port: u16) -> Watch {
        let mut child = Command::new("mosquitto_sub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                "#",
                "-F",
                "%r|%t|%p",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub");
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                let mut parts = line.splitn(3, '|');
                let retain = parts.next() == Some("1");
                let topic = parts.next().unwrap_or("").to_string();
                let payload = parts.next().unwrap_or("").to_string();
                l.lock().unwrap().push((retain, topic, payload));
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        Watch { child, lines }
    }

    fn seen(&self, topic: &str) -> Vec<(bool, String)> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t, _)| t == topic)
            .map(|(r, _, p)| (*r, p.clone()))
            .collect()
    }

    fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn publish(port: u16, topic: &str, payload: &str, retain: bool) {
    let mut c = Command::new("mosquitto_pub");
    c.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        topic,
        "-m",
        payload,
    ]);
    if retain {
        c.arg("-r");
    }
    assert!(c.status().expect("mosquitto_pub").success());
}

fn settings(port: u16) -> MqttSettings {
    MqttSettings {
        host: "127.0.0.1".into(),
        port,
        tls: false,
        ca_file: None,
        username: None,
        password: None,
        topic_prefix: "miband".into(),
        client_id: "miband-dc-test".into(),
        discovery_prefix: "homeassistant".into(),
        discovery: true,
    }
}

const GONE: &str = "homeassistant/sensor/miband_aabbccddeeff_battery/config";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_assistant_discovery_states_commands_and_a_broker_restart() {
    let port = free_port();
    let mut broker = Broker::start(port);
    // A band that left devices.csv still has a retained discovery config.
    publish(
        port,
        GONE,
        r#"{"name":"Battery","state_topic":"miband/aabbccddeeff/state"}"#,
        true,
    );
    let watch = Watch::start(port);
    let c = Collector::start(Options {
        bands: 2,
        mqtt: Some(settings(port)),
        ..Options::default()
    })
    .await;
    c.wait_all_up().await;
    let nodes: Vec<String> = c.macs.iter().map(|m| node(m)).collect();

    // Discovery: every entity of every band, retained, one device per band.
    wait_until(Duration::from_secs(30), || async {
        nodes.iter().all(|n| {
            watch
                .seen(&format!("miband/{n}/state"))
                .iter()
                .any(|(_, p)| p.contains("\"up\":true"))
        })
    })
    .await;
    for (mac, n) in c.macs.iter().zip(&nodes) {
        for (component, suffix) in ENTITIES {
            let topic = format!("homeassistant/{component}/miband_{n}_{suffix}/config");
            let seen = watch.seen(&topic);
            let (_, payload) = seen.last().unwrap_or_else(|| panic!("no {topic}"));
            let v: serde_json::Value = serde_json::from_str(payload).unwrap();
            assert_eq!(v["device"]["connections"][0][0], "mac");
            assert_eq!(v["device"]["connections"][0][1], mac.to_lowercase());
            assert_eq!(v["device"]["identifiers"][0], format!("miband_{n}"));
            assert_eq!(v["unique_id"], format!("miband_{n}_{suffix}"));
        }
        let battery = watch.seen(&format!("homeassistant/sensor/miband_{n}_battery/config"));
        let v: serde_json::Value = serde_json::from_str(&battery.last().unwrap().1).unwrap();
        assert!(v["device"]["model"]
            .as_str()
            .unwrap()
            .starts_with("Mi Band"));
        assert_eq!(
            (
                v["device_class"].as_str(),
                v["unit_of_measurement"].as_str()
            ),
            (Some("battery"), Some("%"))
        );
        let avail = watch.seen(&format!("miband/{n}/availability"));
        assert_eq!(avail.last().map(|(_, p)| p.as_str()), Some("online"));
    }
    assert_eq!(
        watch.seen("miband/status").last().map(|(_, p)| p.as_str()),
        Some("online")
    );
    // The removed band's config was deleted (empty retained payload).
    wait_until(Duration::from_secs(10), || async {
        watch.seen(GONE).iter().any(|(_, p)| p.is_empty())
    })
    .await;

    // A command through MQTT becomes a job; its progress and the reading are published.
    let n0 = nodes[0].clone();
    publish(port, &format!("miband/{n0}/command"), "heart_rate", false);
    wait_until(Duration::from_secs(60), || async {
        watch
            .seen(&format!("miband/{n0}/job"))
            .iter()
            .any(|(_, p)| p.contains("\"state\":\"done\"") && p.contains("heart_rate"))
    })
    .await;
    assert!(!watch.seen(&format!("miband/{n0}/heart_rate")).is_empty());
    publish(
        port,
        &format!("miband/{n0}/command"),
        r#"{"action":"set_time"}"#,
        false,
    );
    wait_until(Duration::from_secs(60), || async {
        watch
            .seen(&format!("miband/{n0}/job"))
            .iter()
            .any(|(_, p)| p.contains("\"state\":\"done\"") && p.contains("set_time"))
    })
    .await;

    // A band event reaches the event entity's topic.
    c.control.publish(Event::BandEvent {
        mac: c.macs[1].parse().unwrap(),
        event: "button_press".into(),
    });
    let n1 = nodes[1].clone();
    wait_until(Duration::from_secs(10), || async {
        watch
            .seen(&format!("miband/{n1}/event"))
            .iter()
            .any(|(r, p)| !r && p == r#"{"event_type":"button_press"}"#)
    })
    .await;

    // Home Assistant restarts: discovery is published again.
    let config_topic = format!("homeassistant/sensor/miband_{n1}_steps/config");
    let before = watch.seen(&config_topic).len();
    publish(port, "homeassistant/status", "online", false);
    wait_until(Duration::from_secs(10), || async {
        watch.seen(&config_topic).len() > before
    })
    .await;

    // The broker dies. The API answers and a sync still runs meanwhile.
    broker.kill();
    drop(watch);
    let t0 = std::time::Instant::now();
    assert_eq!(c.get("/api/bands").await.status, 200);
    assert!(t0.elapsed() < Duration::from_secs(5));
    let r = c
        .post_json(
            &format!("/api/bands/{}/jobs", c.macs[1]),
            r#"{"action":"sync_now"}"#,
        )
        .await;
    let done = c.wait_job(r.json()["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");

    // Back: the collector reconnects and republishes what a fresh broker lost.
    let _broker = Broker::start(port);
    let fresh = Watch::start(port);
    wait_until(Duration::from_secs(60), || async {
        nodes.iter().all(|n| {
            !fresh
                .seen(&format!("homeassistant/sensor/miband_{n}_battery/config"))
                .is_empty()
                && !fresh.seen(&format!("miband/{n}/state")).is_empty()
        }) && fresh
            .seen("miband/status")
            .last()
            .is_some_and(|(_, p)| p == "online")
    })
    .await;
    assert!(fresh.count() > 0);
    c.stop().await;
}
