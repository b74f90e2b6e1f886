//! MQTT: every band's state, availability, live heart rate, events and job updates published to a
//! broker, Home Assistant discovery for each band, and command topics feeding the same job queue
//! as the REST API ([`crate::control`]). Topics and payloads are in [`topics`].
//!
//! It never holds anything else up: it runs in its own tasks, publishes with `try_publish` (a
//! full request queue while the broker is away drops the message; everything retained is
//! republished on reconnect), and reconnects with a capped exponential backoff.

pub mod topics;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event as MqttEvent, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::broadcast::error::RecvError;

use crate::api::views::{self, BandView};
use crate::config::{Device, MqttSettings};
use crate::control::{Control, Event, DEFAULT_JOB_DEADLINE};
use crate::metrics::snapshot::MetricsState;
use topics::{node, Topics, ENTITIES};

/// First reconnect delay; doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_MIN: Duration = Duration::from_millis(500);
/// Longest reconnect delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Messages waiting for the broker; beyond this, publishes are dropped (and made good by the
/// republish after reconnecting).
const QUEUE: usize = 256;

/// Why MQTT could not start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The TLS configuration is unusable.
    #[error("mqtt TLS: {0}")]
    Tls(String),
}

struct Shared {
    client: AsyncClient,
    topics: Topics,
    settings: MqttSettings,
    devices: Vec<Device>,
    control: Control,
    metrics: MetricsState,
    /// Per band, the (model, firmware) its discovery was last published with.
    announced: std::sync::Mutex<Announced>,
}

type Announced = BTreeMap<String, (Option<String>, Option<String>)>;

/// Runs until `shutdown` turns true; then publishes `offline` and disconnects.
pub async fn run(
    settings: MqttSettings,
    devices: Vec<Device>,
    control: Control,
    metrics: MetricsState,
    mut shutdown: crate::shutdown::Shutdown,
) {
    let topics = Topics {
        prefix: settings.topic_prefix.clone(),
        discovery: settings.discovery_prefix.clone(),
    };
    let options = match options(&settings, &topics) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("MQTT disabled: {e}");
            return;
        }
    };
    let (client, eventloop) = AsyncClient::new(options, QUEUE);
    let shared = Arc::new(Shared {
        client,
        topics,
        settings,
        devices,
        control,
        metrics,
        announced: Default::default(),
    });
    tracing::info!(
        "MQTT: publishing to {}:{} under {}/",
        shared.settings.host,
        shared.settings.port,
        shared.topics.prefix
    );
    let publisher = tokio::spawn(forward_events(Arc::clone(&shared)));
    let network = tokio::spawn(drive(Arc::clone(&shared), eventloop));
    shutdown.recv().await;
    publisher.abort();
    let _ = shared
        .client
        .try_publish(shared.topics.status(), QoS::AtLeastOnce, true, "offline");
    let _ = shared.client.try_disconnect();
    // The event loop sends the two and ends at the disconnect, or is cut short.
    let _ = tokio::time::timeout(Duration::from_secs(1), network).await;
}

fn options(settings: &MqttSettings, topics: &Topics) -> Result<MqttOptions, MqttError> {
    let mut o = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_clean_session(true);
    o.set_max_packet_size(256 * 1024, 256 * 1024);
    o.set_last_will(LastWill::new(
        topics.status(),
        "offline",
        QoS::AtLeastOnce,
        true,
    ));
    if let Some(user) = &settings.username {
        let password = settings
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        o.set_credentials(user, password);
    }
    if settings.tls {
        o.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(tls_config(settings)?)),
        ));
    }
    Ok(o)
}

fn tls_config(settings: &MqttSettings) -> Result<rustls::ClientConfig, MqttError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    match &settings.ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| MqttError::Tls(format!("{}: {e}", path.display())))?;
            for c in certs {
                let c = c.map_err(|e| MqttError::Tls(format!("{}: {e}", path.display())))?;
                roots
                    .add(c)
                    .map_err(|e| MqttError::Tls(format!("{}: {e}", path.display())))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MqttError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Polls the connection: on each (re)connection announces the collector, subscribes and
/// publishes everything retained; hands commands to the job queue; backs off after errors.
async fn drive(shared: Arc<Shared>, mut eventloop: EventLoop) {
    let mut backoff = BACKOFF_MIN;
    let configured: BTreeSet<String> = shared
        .devices
        .iter()
        .map(|d| node(&d.mac.to_string()))
        .collect();
    loop {
        match eventloop.poll().await {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                backoff = BACKOFF_MIN;
                tracing::info!("MQTT: connected to {}", shared.settings.host);
                on_connect(&shared);
            }
            Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                let topic = p.topic.as_str();
                if topic == shared.topics.ha_status() {
                    if p.payload.as_ref() == b"online" {
                        tracing::info!("MQTT: Home Assistant is online; republishing discovery");
                        shared.forget_announced();
                        publish_all(&shared);
                    }
                } else if let Some(n) = shared.topics.command_node(topic) {
                    command(&shared, n, &p.payload);
                } else if let Some(n) = shared.topics.config_node(topic) {
                    // A retained config of ours for a band that left devices.csv: remove it.
                    if !configured.contains(n) && !p.payload.is_empty() {
                        tracing::info!("MQTT: removing discovery {topic} (band not configured)");
                        publish(&shared, topic.to_string(), true, Vec::new());
                        let old_state = format!("{}/{n}/state", shared.topics.prefix);
                        let old_avail = format!("{}/{n}/availability", shared.topics.prefix);
                        publish(&shared, old_state, true, Vec::new());
                        publish(&shared, old_avail, true, Vec::new());
                    }
                }
            }
            Ok(MqttEvent::Incoming(Packet::Disconnect)) => {
                tracing::warn!("MQTT: the broker closed the session");
            }
            Ok(MqttEvent::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                // Our own disconnect at shutdown: let it go out, then stop.
                let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(
                    "MQTT: {e}; reconnecting to {}:{} in {} ms",
                    shared.settings.host,
                    shared.settings.port,
                    backoff.as_millis()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

fn on_connect(shared: &Shared) {
    let t = &shared.topics;
    publish(shared, t.status(), true, "online");
    let mut subs = vec![t.commands()];
    if shared.settings.discovery {
        subs.push(t.ha_status());
        subs.push(t.all_configs());
    }
    for s in subs {
        if let Err(e) = shared.client.try_subscribe(s, QoS::AtLeastOnce) {
            tracing::warn!("MQTT: subscribing failed: {e}");
        }
    }
    // A clean session: the broker may have lost retained messages too; publish everything.
    shared.forget_announced();
    publish_all(shared);
}

fn bands(shared: &Shared) -> Vec<BandView> {
    views::bands(&shared.metrics, &shared.control, None)
}

fn publish_all(shared: &Shared) {
    for b in bands(shared) {
        publish_band(shared, &b);
    }
}

impl Shared {
    fn forget_announced(&self) {
        self.announced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// The band's retained state and availability, and its discovery when new or when the model or
/// firmware changed (both are in the device block).
fn publish_band(shared: &Shared, band: &BandView) {
    let t = &shared.topics;
    if shared.settings.discovery {
        let key = (band.model.clone(), band.firmware.clone());
        let mut announced = shared.announced.lock().unwrap_or_else(|e| e.into_inner());
        if announced.get(&band.mac) != Some(&key) {
            for (component, suffix) in ENTITIES {
                let config = t.discovery_config(band, component, suffix);
                publish(
                    shared,
                    t.config(component, &band.mac, suffix),
                    true,
                    config.to_string(),
                );
            }
            announced.insert(band.mac.clone(), key);
        }
    }
    let state = serde_json::to_string(band).unwrap_or_default();
    publish(shared, t.band(&band.mac, "state"), true, state);
    let avail = if band.up { "online" } else { "offline" };
    publish(shared, t.band(&band.mac, "availability"), true, avail);
}

fn publish(shared: &Shared, topic: String, retain: bool, payload: impl Into<Vec<u8>>) {
    if let Err(e) = shared
        .client
        .try_publish(topic, QoS::AtLeastOnce, retain, payload)
    {
        tracing::debug!("MQTT: message dropped ({e}); republished after reconnecting");
    }
}

/// A command for band `n`: queued like an API request; the job's progress appears on the band's
/// `job` topic.
fn command(shared: &Shared, n: &str, payload: &[u8]) {
    let Some(device) = shared
        .devices
        .iter()
        .find(|d| node(&d.mac.to_string()) == n)
    else {
        tracing::warn!("MQTT: command for unknown band {n} ignored");
        return;
    };
    match topics::parse_command(payload) {
        Ok(action) => {
            match shared
                .control
                .submit(device.mac, action, DEFAULT_JOB_DEADLINE)
            {
                Ok(job) => tracing::info!(band = %device.mac, job = job.id, "MQTT: job queued"),
                Err(e) => tracing::warn!(band = %device.mac, "MQTT: command refused: {e}"),
            }
        }
        Err(e) => tracing::warn!(band = %device.mac, "MQTT: bad command: {e}"),
    }
}

/// Publishes the control state's events as they happen.
async fn forward_events(shared: Arc<Shared>) {
    let mut rx = shared.control.subscribe();
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => {
                publish_all(&shared);
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let t = &shared.topics;
        match &event {
            Event::Band { mac } => {
                let mac = mac.to_string();
                if let Some(b) = bands(&shared).into_iter().find(|b| b.mac == mac) {
                    publish_band(&shared, &b);
                }
            }
            Event::HeartRate { mac, bpm } => {
                publish(
                    &shared,
                    t.band(&mac.to_string(), "heart_rate"),
                    false,
                    bpm.to_string(),
                );
            }
            Event::BandEvent { mac, event } => {
                let payload = serde_json::json!({ "event_type": event }).to_string();
                publish(&shared, t.band(&mac.to_string(), "event"), false, payload);
            }
            Event::Job(job) => {
                let payload = serde_json::to_string(job).unwrap_or_default();
                publish(
                    &shared,
                    t.band(&job.band.to_string(), "job"),
                    false,
                    payload,
                );
            }
        }
    }
}
