//! The emulated BlueZ's D-Bus API checked call by call with a plain D-Bus client: BlueZ's error
//! names and texts, option types, discovery sessions and filters, notify sessions, the object
//! tree and its signals. (This client connects by address, so it needs no environment.)

#[path = "support/ledger.rs"]
mod bluez_common;

use std::sync::Arc;
use std::time::Duration;

use bluez_common::{band, KEY};
use dbus::arg::{PropMap, RefArg, Variant};
use dbus::channel::Channel;
use dbus::message::MatchRule;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus::Message;
use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use miband::bluez::{Emulator, EmulatorConfig, PrivateBus};
use miband::emulator::model::Model;

const BAND: &str = "C8:0F:10:00:06:01";
const DEV: &str = "/org/bluez/hci0/dev_C8_0F_10_00_06_01";
/// Battery (read, notify), its CCCD, and the fetch characteristic (no read).
const BATTERY: &str = "/org/bluez/hci0/dev_C8_0F_10_00_06_01/service000c/char001c";
const BATTERY_CCCD: &str = "/org/bluez/hci0/dev_C8_0F_10_00_06_01/service000c/char001c/desc001e";

async fn client(address: &str) -> Arc<SyncConnection> {
    client_with_io(address).await.0
}

/// A connection and the task driving it (abort it and drop the connection to leave the bus).
async fn client_with_io(address: &str) -> (Arc<SyncConnection>, tokio::task::JoinHandle<()>) {
    let a = address.to_string();
    let ch = tokio::task::spawn_blocking(move || {
        let mut c = Channel::open_private(&a).unwrap();
        c.register().unwrap();
        c
    })
    .await
    .unwrap();
    let (res, conn) = dbus_tokio::connection::from_channel::<SyncConnection>(ch).unwrap();
    let io = tokio::spawn(async move {
        let _ = res.await;
    });
    (conn, io)
}

fn proxy<'a>(c: &Arc<SyncConnection>, path: &'a str) -> Proxy<'a, Arc<SyncConnection>> {
    Proxy::new("org.bluez", path, Duration::from_secs(5), c.clone())
}

fn err_of<T: std::fmt::Debug>(r: Result<T, dbus::Error>) -> (String, String) {
    let e = r.expect_err("expected a D-Bus error");
    (
        e.name().unwrap_or_default().to_string(),
        e.message().unwrap_or_default().to_string(),
    )
}

fn opts(entries: Vec<(&str, Box<dyn RefArg>)>) -> PropMap {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), Variant(v)))
        .collect()
}

async fn signals(c: &Arc<SyncConnection>, rule: MatchRule<'static>) -> UnboundedReceiver<Message> {
    let (m, rx) = c.add_match(rule).await.unwrap().msg_stream();
    std::mem::forget(m); // keep the match for the whole test
    rx
}

async fn next_within(rx: &mut UnboundedReceiver<Message>, secs: u64) -> Option<Message> {
    tokio::time::timeout(Duration::from_secs(secs), rx.next())
        .await
        .ok()
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluez_api_behaves_like_bluez() {
    let bus = PrivateBus::start().unwrap();
    let mut config = EmulatorConfig::new(vec![band(Model::Mb4, BAND, KEY, |_| {})]);
    config.advertise_interval = Duration::from_millis(100);
    let emu = Emulator::start(bus.address(), config).await.unwrap();
    let c = client(bus.address()).await;
    let adapter = proxy(&c, "/org/bluez/hci0");
    let a1 = "org.bluez.Adapter1";

    // Object tree and introspection.
    let (xml,): (String,) = proxy(&c, "/")
        .method_call("org.freedesktop.DBus.Introspectable", "Introspect", ())
        .await
        .unwrap();
    assert!(xml.contains(r#"<node name="org"/>"#), "{xml}");
    let (xml,): (String,) = adapter
        .method_call("org.freedesktop.DBus.Introspectable", "Introspect", ())
        .await
        .unwrap();
    assert!(
        xml.contains(r#"<interface name="org.bluez.Adapter1">"#),
        "{xml}"
    );

    // Discovery sessions: stop without start, start twice, filters.
    let (name, text) = err_of(
        adapter
            .method_call::<(), _, _, _>(a1, "StopDiscovery", ())
            .await,
    );
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.Failed", "No discovery started")
    );
    let bad = opts(vec![("Transport", Box::new("radio".to_string()))]);
    let (name, _) = err_of(
        adapter
            .method_call::<(), _, _, _>(a1, "SetDiscoveryFilter", (bad,))
            .await,
    );
    assert_eq!(name, "org.bluez.Error.InvalidArguments");
    let mut added = signals(
        &c,
        MatchRule::new_signal("org.freedesktop.DBus.ObjectManager", "InterfacesAdded"),
    )
    .await;
    let bredr = opts(vec![("Transport", Box::new("bredr".to_string()))]);
    adapter
        .method_call::<(), _, _, _>(a1, "SetDiscoveryFilter", (bredr,))
        .await
        .unwrap();
    adapter
        .method_call::<(), _, _, _>(a1, "StartDiscovery", ())
        .await
        .unwrap();
    assert!(
        next_within(&mut added, 1).await.is_none(),
        "an LE band passed a BR/EDR filter"
    );
    let (name, text) = err_of(
        adapter
            .method_call::<(), _, _, _>(a1, "StartDiscovery", ())
            .await,
    );
    assert_eq!(name, "org.bluez.Error.InProgress");
    assert_eq!(text, "Operation already in progress");
    adapter
        .method_call::<(), _, _, _>(a1, "StopDiscovery", ())
        .await
        .unwrap();
    adapter
        .method_call::<(), _, _, _>(a1, "SetDiscoveryFilter", (PropMap::new(),))
        .await
        .unwrap();
    adapter
        .method_call::<(), _, _, _>(a1, "StartDiscovery", ())
        .await
        .unwrap();
    let m = next_within(&mut added, 3)
        .await
        .expect("the band is discovered");
    let (path, ifaces): (dbus::Path, std::collections::HashMap<String, PropMap>) =
        m.read2().unwrap();
    assert_eq!(&*path, DEV);
    let d = &ifaces["org.bluez.Device1"];
    assert_eq!(d["Address"].0.as_str(), Some(BAND));
    assert_eq!(d["RSSI"].0.signature().to_string(), "n");
    assert_eq!(d["ManufacturerData"].0.signature().to_string(), "a{qv}");
    adapter
        .method_call::<(), _, _, _>(a1, "StopDiscovery", ())
        .await
        .unwrap();

    // Connect: ServicesResolved, then GATT calls with BlueZ's option types and errors.
    let dev = proxy(&c, DEV);
    let d1 = "org.bluez.Device1";
    let (name, text) = err_of(dev.method_call::<(), _, _, _>(d1, "Disconnect", ()).await);
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.NotConnected", "Not Connected")
    );
    dev.method_call::<(), _, _, _>(d1, "Connect", ())
        .await
        .unwrap();
    let (resolved,): (Variant<bool>,) = dev
        .method_call(
            "org.freedesktop.DBus.Properties",
            "Get",
            (d1, "ServicesResolved"),
        )
        .await
        .unwrap();
    assert!(resolved.0);
    let g = "org.bluez.GattCharacteristic1";
    let bat = proxy(&c, BATTERY);
    let mut changed = signals(
        &c,
        MatchRule::new_signal("org.freedesktop.DBus.Properties", "PropertiesChanged")
            .with_path(BATTERY),
    )
    .await;
    let (full,): (Vec<u8>,) = bat
        .method_call(g, "ReadValue", (PropMap::new(),))
        .await
        .unwrap();
    assert_eq!(full.len(), 20);
    assert_eq!(full[1], 77);
    // BlueZ caches what it read and signals it, as for a notification.
    let m = next_within(&mut changed, 2)
        .await
        .expect("Value signalled after a read");
    let (iface, props): (String, PropMap) = m.read2().unwrap();
    assert_eq!(iface, g);
    assert!(props.contains_key("Value"));
    let (tail,): (Vec<u8>,) = bat
        .method_call(g, "ReadValue", (opts(vec![("offset", Box::new(1u16))]),))
        .await
        .unwrap();
    assert_eq!(tail, full[1..]);
    let wide = opts(vec![("offset", Box::new(1u64))]);
    let (name, _) = err_of(
        bat.method_call::<(Vec<u8>,), _, _, _>(g, "ReadValue", (wide,))
            .await,
    );
    assert_eq!(
        name, "org.bluez.Error.InvalidArguments",
        "offset must be q, as in BlueZ"
    );
    let bogus = opts(vec![("type", Box::new("bogus".to_string()))]);
    let (name, _) = err_of(
        bat.method_call::<(), _, _, _>(g, "WriteValue", (vec![1u8], bogus))
            .await,
    );
    assert_eq!(name, "org.bluez.Error.NotSupported");
    let request = opts(vec![("type", Box::new("request".to_string()))]);
    let (name, text) = err_of(
        bat.method_call::<(), _, _, _>(g, "WriteValue", (vec![1u8], request))
            .await,
    );
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.NotPermitted", "Write not permitted")
    );

    // Notify sessions and the CCCD.
    let cccd = proxy(&c, BATTERY_CCCD);
    let gd = "org.bluez.GattDescriptor1";
    let (v,): (Vec<u8>,) = cccd
        .method_call(gd, "ReadValue", (PropMap::new(),))
        .await
        .unwrap();
    assert_eq!(v, [0, 0]);
    bat.method_call::<(), _, _, _>(g, "StartNotify", ())
        .await
        .unwrap();
    bat.method_call::<(), _, _, _>(g, "StartNotify", ())
        .await
        .unwrap(); // idempotent per client
    let (v,): (Vec<u8>,) = cccd
        .method_call(gd, "ReadValue", (PropMap::new(),))
        .await
        .unwrap();
    assert_eq!(v, [1, 0]);
    let (name, text) = err_of(
        cccd.method_call::<(), _, _, _>(gd, "WriteValue", (vec![0u8, 0], PropMap::new()))
            .await,
    );
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.NotPermitted", "Write not permitted")
    );
    bat.method_call::<(), _, _, _>(g, "StopNotify", ())
        .await
        .unwrap();
    let (name, text) = err_of(bat.method_call::<(), _, _, _>(g, "StopNotify", ()).await);
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.Failed", "No notify session started")
    );

    // A client that leaves the bus loses its notify sessions.
    let notifying = || async {
        let (v,): (Variant<bool>,) = bat
            .method_call("org.freedesktop.DBus.Properties", "Get", (g, "Notifying"))
            .await
            .unwrap();
        v.0
    };
    assert!(!notifying().await);
    {
        let (other, io) = client_with_io(bus.address()).await;
        proxy(&other, BATTERY)
            .method_call::<(), _, _, _>(g, "StartNotify", ())
            .await
            .unwrap();
        assert!(notifying().await);
        io.abort();
        let _ = io.await;
    }
    let mut gone = false;
    for _ in 0..40 {
        if !notifying().await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "notify session of a vanished client survived");

    // Disconnect, remove, powered off.
    dev.method_call::<(), _, _, _>(d1, "Disconnect", ())
        .await
        .unwrap();
    let (name, text) = err_of(
        bat.method_call::<(Vec<u8>,), _, _, _>(g, "ReadValue", (PropMap::new(),))
            .await,
    );
    assert_eq!(
        (name.as_str(), text.as_str()),
        ("org.bluez.Error.Failed", "Not connected")
    );
    let target = dbus::Path::from(DEV);
    adapter
        .method_call::<(), _, _, _>(a1, "RemoveDevice", (target.clone(),))
        .await
        .unwrap();
    let (name, _) = err_of(
        adapter
            .method_call::<(), _, _, _>(a1, "RemoveDevice", (target,))
            .await,
    );
    assert_eq!(name, "org.bluez.Error.DoesNotExist");
    let (name, _) = err_of(dev.method_call::<(), _, _, _>(d1, "Connect", ()).await);
    assert_eq!(name, "org.freedesktop.DBus.Error.UnknownObject");
    adapter
        .method_call::<(), _, _, _>(
            "org.freedesktop.DBus.Properties",
            "Set",
            (a1, "Powered", Variant(false)),
        )
        .await
        .unwrap();
    let (name, _) = err_of(
        adapter
            .method_call::<(), _, _, _>(a1, "StartDiscovery", ())
            .await,
    );
    assert_eq!(name, "org.bluez.Error.NotReady");
    let (name, _) = err_of(
        adapter
            .method_call::<(), _, _, _>(
                "org.freedesktop.DBus.Properties",
                "Set",
                (a1, "Address", Variant("x".to_string())),
            )
            .await,
    );
    assert_eq!(name, "org.freedesktop.DBus.Error.PropertyReadOnly");
    emu.stop().await;
}
