//! The D-Bus side: a private connection to the given bus, ownership of `org.bluez`, and the
//! dispatcher that answers every method call from the state (Introspect, Properties,
//! ObjectManager at `/`, and the org.bluez interfaces), plus the signals clients rely on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dbus::arg::{Dict, PropMap, RefArg, Variant};
use dbus::blocking::stdintf::org_freedesktop_dbus::{
    ObjectManagerInterfacesAdded, ObjectManagerInterfacesRemoved, PropertiesPropertiesChanged,
    RequestNameReply,
};
use dbus::blocking::SyncConnection;
use dbus::channel::{MatchingReceiver, Sender};
use dbus::message::{MatchRule, SignalArgs};
use dbus::Message;

use super::adapter::{self, AdapterState};
use super::connection::{DeviceOp, Request};
use super::device;
use super::errors::BluezError;
use super::gatt;
use super::gatt_io::{GattOp, Target};
use super::introspect;
use super::objects::{self, Obj, AGENT_MANAGER};
use super::props::{path, IoOptions};
use super::wire::{self, Wire};

/// Standard interface names.
pub(crate) const INTROSPECTABLE: &str = "org.freedesktop.DBus.Introspectable";
/// Standard interface names.
pub(crate) const PROPERTIES: &str = "org.freedesktop.DBus.Properties";
/// Standard interface names.
pub(crate) const OBJECT_MANAGER: &str = "org.freedesktop.DBus.ObjectManager";

/// Everything the emulated BlueZ knows.
pub(crate) struct BluezState {
    /// The adapters (possibly none).
    pub adapters: Vec<AdapterState>,
    /// How often a scanning adapter hears each band's advert.
    pub advertise_interval: Duration,
}

/// What the dispatcher does with a call.
pub(crate) enum Handled {
    /// Answer now.
    Reply(Message),
    /// Queue for device `di` of adapter `ai`; its worker answers.
    Later(usize, usize, Request),
}

/// The running service.
pub(crate) struct Server {
    conn: Arc<SyncConnection>,
    state: Mutex<BluezState>,
    rt: tokio::runtime::Handle,
    stopped: AtomicBool,
    wire: Mutex<Option<Wire>>,
}

/// Why the service could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServeError {
    /// The bus could not be reached.
    #[error("cannot connect to the D-Bus bus at {address}: {detail}")]
    Connect {
        /// The address tried.
        address: String,
        /// libdbus's words.
        detail: String,
    },
    /// Someone else (a real bluetoothd?) owns org.bluez on that bus.
    #[error("org.bluez is already owned on {0}; is bluetoothd (or another emulator) running on that bus?")]
    NameTaken(String),
}

impl Server {
    /// Connects to `address`, installs the dispatcher, takes `org.bluez` and starts serving.
    pub async fn start(address: &str, state: BluezState) -> Result<Arc<Server>, ServeError> {
        let rt = tokio::runtime::Handle::current();
        let addr = address.to_string();
        // libdbus calls block: keep them off the async threads.
        tokio::task::spawn_blocking(move || Server::start_blocking(&addr, state, rt))
            .await
            .map_err(|e| ServeError::Connect {
                address: address.to_string(),
                detail: e.to_string(),
            })?
    }

    fn start_blocking(
        address: &str,
        state: BluezState,
        rt: tokio::runtime::Handle,
    ) -> Result<Arc<Server>, ServeError> {
        let err = |e: dbus::Error| ServeError::Connect {
            address: address.to_string(),
            detail: e.message().unwrap_or("unknown error").to_string(),
        };
        let conn = Arc::new(wire::open(address).map_err(err)?);
        let server = Arc::new(Server {
            conn: conn.clone(),
            state: Mutex::new(state),
            rt,
            stopped: AtomicBool::new(false),
            wire: Mutex::new(None),
        });
        // The connection's filters hold the server weakly: no cycle, so dropping the server
        // closes the connection.
        let weak = Arc::downgrade(&server);
        conn.start_receive(
            MatchRule::new_method_call(),
            Box::new(move |msg, _| {
                if let Some(s) = weak.upgrade() {
                    s.dispatch(msg);
                }
                true
            }),
        );
        let rule = MatchRule::new_signal("org.freedesktop.DBus", "NameOwnerChanged")
            .with_sender("org.freedesktop.DBus");
        let weak = Arc::downgrade(&server);
        conn.add_match(
            rule,
            move |(name, _old, new): (String, String, String), _, _| {
                if let (true, true, Some(s)) =
                    (new.is_empty(), name.starts_with(':'), weak.upgrade())
                {
                    s.client_gone(&name);
                }
                true
            },
        )
        .map_err(err)?;
        let owner = conn
            .request_name("org.bluez", false, false, true)
            .map_err(err)?;
        if owner != RequestNameReply::PrimaryOwner {
            return Err(ServeError::NameTaken(address.to_string()));
        }
        *server.wire.lock().unwrap_or_else(|e| e.into_inner()) = Some(Wire::start(conn));
        Ok(server)
    }

    /// Runs a task on the emulator's runtime (callable from the wire thread).
    pub fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, f: F) {
        self.rt.spawn(f);
    }

    /// Whether the bus connection is still served.
    pub fn is_running(&self) -> bool {
        let w = self.wire.lock().unwrap_or_else(|e| e.into_inner());
        w.as_ref().is_some_and(Wire::is_alive)
    }

    /// Stops serving: background tasks end, the wire thread stops, and `org.bluez` is given up
    /// when `release` is set (clients see the service vanish at once).
    pub fn shut_down(&self, release: bool) {
        self.stopped.store(true, Ordering::SeqCst);
        let w = self.wire.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = w {
            w.stop();
        }
        if release {
            let _ = self.conn.release_name("org.bluez");
        }
    }

    /// The state, locked. Never held across an await.
    pub fn lock(&self) -> MutexGuard<'_, BluezState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a message; a closed connection only means the emulator is stopping.
    pub fn send(&self, msg: Message) {
        let _ = self.conn.send(msg);
    }

    /// Whether the service was stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Signals `PropertiesChanged` on `p`.
    pub fn props_changed(&self, p: &str, iface: &str, changed: PropMap) {
        let s = PropertiesPropertiesChanged {
            interface_name: iface.to_string(),
            changed_properties: changed,
            invalidated_properties: Vec::new(),
        };
        self.send(s.to_emit_message(&path(p)));
    }

    /// Signals `InterfacesAdded` from the object manager at `/`.
    pub fn interfaces_added(&self, p: &str, interfaces: HashMap<String, PropMap>) {
        let s = ObjectManagerInterfacesAdded {
            object: path(p),
            interfaces,
        };
        self.send(s.to_emit_message(&path("/")));
    }

    /// Signals `InterfacesRemoved` from the object manager at `/`.
    pub fn interfaces_removed(&self, p: &str, interfaces: Vec<String>) {
        let s = ObjectManagerInterfacesRemoved {
            object: path(p),
            interfaces,
        };
        self.send(s.to_emit_message(&path("/")));
    }

    /// A client left the bus: its discovery sessions and notify sessions end, as in BlueZ.
    fn client_gone(&self, name: &str) {
        let mut st = self.lock();
        for a in &mut st.adapters {
            a.filters.remove(name);
            if a.sessions.remove(name).is_some() && !a.discovering() {
                let p = a.path();
                self.props_changed(&p, adapter::IFACE, super::props::one("Discovering", false));
            }
            for d in &a.devices {
                let holds = d.gatt.iter().any(|t| {
                    t.services
                        .iter()
                        .any(|s| s.chars.iter().any(|c| c.clients.contains(name)))
                });
                if holds {
                    d.enqueue(DeviceOp::ClientGone(name.to_string()));
                }
            }
        }
    }

    fn dispatch(self: &Arc<Self>, msg: Message) {
        match self.handle(&msg) {
            Ok(Handled::Reply(reply)) => self.send(reply),
            Ok(Handled::Later(ai, di, request)) => {
                self.lock().adapters[ai].devices[di].enqueue(DeviceOp::Call(request, Some(msg)))
            }
            Err(e) => self.send(e.reply_to(&msg)),
        }
    }

    fn handle(self: &Arc<Self>, msg: &Message) -> Result<Handled, BluezError> {
        let p = msg.path().map(|p| p.to_string()).unwrap_or_default();
        let member = msg.member().map(|m| m.to_string()).unwrap_or_default();
        let obj = objects::resolve(&self.lock(), &p).ok_or(BluezError::UnknownObject(p))?;
        let iface = match msg.interface() {
            Some(i) => i.to_string(),
            None => self.guess_interface(obj, &member),
        };
        match (iface.as_str(), obj) {
            (INTROSPECTABLE, _) if member == "Introspect" => {
                let st = self.lock();
                let x = introspect::xml(
                    &objects::interface_names(&st, obj),
                    &objects::children(&st, obj),
                );
                Ok(Handled::Reply(msg.method_return().append1(x)))
            }
            (PROPERTIES, _) => self.properties(obj, &member, msg).map(Handled::Reply),
            (OBJECT_MANAGER, Obj::Root) if member == "GetManagedObjects" => {
                let all = objects::managed_objects(&self.lock());
                let dict = Dict::new(all.iter().map(|(p, ifaces)| {
                    let inner = Dict::new(ifaces.iter().map(|(n, props)| (n.as_str(), props)));
                    (path(p), inner)
                }));
                Ok(Handled::Reply(msg.method_return().append1(dict)))
            }
            (AGENT_MANAGER, Obj::Bluez) => match member.as_str() {
                // bluetoothctl registers an agent; the bands never pair, so it is never used.
                "RegisterAgent" | "UnregisterAgent" | "RequestDefaultAgent" => {
                    Ok(Handled::Reply(msg.method_return()))
                }
                _ => Err(BluezError::UnknownMethod(format!("{iface}.{member}"))),
            },
            (adapter::IFACE, Obj::Adapter(ai)) => adapter::call(self, ai, &member, msg),
            (device::IFACE, Obj::Device(ai, di)) => device::call(ai, di, &member),
            (gatt::CHAR_IFACE, Obj::Char(ai, di, si, ci)) => {
                gatt_request(Target::Char(si, ci), &member, msg)
                    .map(|r| Handled::Later(ai, di, Request::Gatt(r.0, r.1)))
            }
            (gatt::DESC_IFACE, Obj::Desc(ai, di, si, ci)) => {
                gatt_request(Target::Cccd(si, ci), &member, msg)
                    .map(|r| Handled::Later(ai, di, Request::Gatt(r.0, r.1)))
            }
            _ => match dbus::channel::default_reply(msg) {
                Some(r) => Ok(Handled::Reply(r)),
                None => Err(BluezError::UnknownMethod(format!("{iface}.{member}"))),
            },
        }
    }

    /// A call without an interface field: take the object's interface that has the member.
    fn guess_interface(&self, obj: Obj, member: &str) -> String {
        match member {
            "Introspect" => INTROSPECTABLE.into(),
            "Get" | "GetAll" | "Set" => PROPERTIES.into(),
            "GetManagedObjects" => OBJECT_MANAGER.into(),
            _ => objects::interfaces(&self.lock(), obj)
                .first()
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
        }
    }

    fn properties(
        self: &Arc<Self>,
        obj: Obj,
        member: &str,
        msg: &Message,
    ) -> Result<Message, BluezError> {
        let bad = || BluezError::InvalidArgs("Invalid arguments".into());
        let iface: String = msg.read1().map_err(|_| bad())?;
        let no_iface = || BluezError::InvalidArgs(format!("No such interface '{iface}'"));
        match member {
            "Get" | "GetAll" => {
                let mut ifaces = objects::interfaces(&self.lock(), obj);
                let props = ifaces
                    .iter_mut()
                    .find(|(n, _)| *n == iface)
                    .map(|(_, p)| std::mem::take(p));
                let standard = iface == PROPERTIES || iface == INTROSPECTABLE;
                let mut props = match props {
                    Some(p) => p,
                    None if standard => PropMap::new(),
                    None => return Err(no_iface()),
                };
                if member == "GetAll" {
                    return Ok(msg.method_return().append1(props));
                }
                let (_, name): (String, String) = msg.read2().map_err(|_| bad())?;
                let v = props
                    .remove(&name)
                    .ok_or_else(|| BluezError::InvalidArgs(format!("No such property '{name}'")))?;
                Ok(msg.method_return().append1(v))
            }
            "Set" => {
                let (_, name, value): (String, String, Variant<Box<dyn RefArg>>) =
                    msg.read3().map_err(|_| bad())?;
                match (iface.as_str(), obj) {
                    (adapter::IFACE, Obj::Adapter(ai)) => adapter::set(self, ai, &name, &*value.0)?,
                    (device::IFACE, Obj::Device(ai, di)) => {
                        device::set(self, ai, di, &name, &*value.0)?
                    }
                    _ => {
                        let known = objects::interfaces(&self.lock(), obj)
                            .iter()
                            .any(|(n, _)| *n == iface);
                        return Err(if known {
                            BluezError::PropertyReadOnly(name)
                        } else {
                            no_iface()
                        });
                    }
                }
                Ok(msg.method_return())
            }
            other => Err(BluezError::UnknownMethod(format!("{PROPERTIES}.{other}"))),
        }
    }
}

/// Parses a GATT method call into what the worker does.
fn gatt_request(
    target: Target,
    member: &str,
    msg: &Message,
) -> Result<(Target, GattOp), BluezError> {
    let bad = BluezError::InvalidArguments;
    let op = match member {
        "ReadValue" => {
            let o: PropMap = msg.read1().map_err(|_| bad.clone())?;
            GattOp::Read(IoOptions::parse(&o)?)
        }
        "WriteValue" => {
            let (v, o): (Vec<u8>, PropMap) = msg.read2().map_err(|_| bad.clone())?;
            GattOp::Write(v, IoOptions::parse(&o)?)
        }
        "StartNotify" if matches!(target, Target::Char(..)) => GattOp::StartNotify,
        "StopNotify" if matches!(target, Target::Char(..)) => GattOp::StopNotify,
        "AcquireWrite" | "AcquireNotify" | "Confirm" => return Err(BluezError::NotSupported),
        other => return Err(BluezError::UnknownMethod(other.to_string())),
    };
    Ok((target, op))
}
