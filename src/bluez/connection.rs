//! One device's connection: a worker task that owns the [`EmulatorLink`], runs the device's
//! D-Bus calls one after another in arrival order, forwards the band's notifications as
//! `PropertiesChanged` signals, and notices when the link drops (band out of range, link-drop
//! fault): the band's notification stream ends, and Connected/ServicesResolved go false.

use std::sync::Arc;

use dbus::Message;
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use super::errors::BluezError;
use super::gatt::{self, GattTree};
use super::gatt_io::{self, GattOp, Target};
use super::props::{one, prop};
use super::server::{Server, INTROSPECTABLE, PROPERTIES};
use crate::emulator::link::{EmulatedBand, EmulatorLink};
use crate::link::{Link, Notification, NotificationStream};

/// A call the device's worker carries out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// Device1.Connect.
    Connect,
    /// Device1.Disconnect.
    Disconnect,
    /// Adapter1.RemoveDevice for this device.
    Remove,
    /// A GattCharacteristic1/GattDescriptor1 call.
    Gatt(Target, GattOp),
}

/// Work for a device's worker.
pub(crate) enum DeviceOp {
    /// A request with the D-Bus call to answer (`None`: internal, e.g. adapter powered off).
    Call(Request, Option<Message>),
    /// A client left the bus: its notify sessions end.
    ClientGone(String),
}

enum Event {
    Note(Option<Notification>),
    Op(Option<DeviceOp>),
}

/// The worker of device `di` on adapter `ai`.
pub(crate) struct Worker {
    server: Arc<Server>,
    ai: usize,
    di: usize,
    band: EmulatedBand,
    link: Option<EmulatorLink>,
    notes: Option<NotificationStream>,
}

/// Starts the worker.
pub(crate) fn spawn(
    server: Arc<Server>,
    ai: usize,
    di: usize,
    band: EmulatedBand,
    ops: UnboundedReceiver<DeviceOp>,
) -> JoinHandle<()> {
    let w = Worker {
        server,
        ai,
        di,
        band,
        link: None,
        notes: None,
    };
    tokio::spawn(w.run(ops))
}

async fn next_event(
    notes: &mut Option<NotificationStream>,
    ops: &mut UnboundedReceiver<DeviceOp>,
) -> Event {
    match notes {
        // Notifications first: those caused by earlier calls go out before later replies.
        Some(s) => tokio::select! {
            biased;
            n = s.next() => Event::Note(n),
            op = ops.recv() => Event::Op(op),
        },
        None => Event::Op(ops.recv().await),
    }
}

impl Worker {
    async fn run(mut self, mut ops: UnboundedReceiver<DeviceOp>) {
        loop {
            match next_event(&mut self.notes, &mut ops).await {
                Event::Note(Some(n)) => self.forward(n),
                Event::Note(None) => self.link_lost(),
                Event::Op(None) => return,
                Event::Op(Some(op)) => self.handle(op).await,
            }
        }
    }

    async fn handle(&mut self, op: DeviceOp) {
        match op {
            DeviceOp::Call(request, msg) => {
                let sender = msg.as_ref().and_then(|m| m.sender()).map(|s| s.to_string());
                let result = self.request(request, sender.as_deref().unwrap_or("")).await;
                if let Some(msg) = msg {
                    self.server.send(match result {
                        Ok(None) => msg.method_return(),
                        Ok(Some(value)) => msg.method_return().append1(value),
                        Err(e) => e.reply_to(&msg),
                    });
                }
                if self.link.is_some()
                    && !self.server.lock().adapters[self.ai].devices[self.di].resolved
                {
                    self.resolved();
                }
            }
            DeviceOp::ClientGone(name) => {
                gatt_io::client_gone(&self.server, self.ai, self.di, self.link.as_ref(), &name)
                    .await
            }
        }
    }

    /// Runs a request; a value is ReadValue's answer.
    async fn request(&mut self, r: Request, sender: &str) -> Result<Option<Vec<u8>>, BluezError> {
        match r {
            Request::Connect => self.connect().await.map(|()| None),
            Request::Disconnect => self.disconnect().await.map(|()| None),
            Request::Remove => {
                let _ = self.disconnect().await;
                self.remove();
                Ok(None)
            }
            Request::Gatt(target, op) => {
                let link = self.link.as_ref();
                gatt_io::run(&self.server, self.ai, self.di, link, target, op, sender).await
            }
        }
    }

    async fn connect(&mut self) -> Result<(), BluezError> {
        if self.link.is_some() {
            return Ok(());
        }
        if !self.server.lock().adapters[self.ai].powered {
            return Err(BluezError::NotReady);
        }
        // What BlueZ reports when an LE device does not answer the connection request.
        let unreachable = BluezError::Failed("le-connection-abort-by-local");
        let link = self.band.connect().await.map_err(|e| {
            tracing::debug!(error = %e, "emulated connect failed");
            unreachable.clone()
        })?;
        let notes = link.notifications().await.map_err(|_| unreachable)?;
        let resubscribe = {
            let mut st = self.server.lock();
            let d = &mut st.adapters[self.ai].devices[self.di];
            d.connected = true;
            self.server
                .props_changed(&d.path, super::device::IFACE, one("Connected", true));
            if d.gatt.is_none() {
                d.gatt = Some(GattTree::build());
                for (path, iface, props) in d.gatt_objects() {
                    let mut ifaces = std::collections::HashMap::new();
                    ifaces.insert(iface.to_string(), props);
                    ifaces.insert(PROPERTIES.to_string(), Default::default());
                    ifaces.insert(INTROSPECTABLE.to_string(), Default::default());
                    self.server.interfaces_added(&path, ifaces);
                }
            }
            // BlueZ keeps notify sessions across reconnects and re-enables them.
            let mut again = Vec::new();
            if let Some(t) = &d.gatt {
                for (si, s) in t.services.iter().enumerate() {
                    for (ci, c) in s.chars.iter().enumerate() {
                        if !c.clients.is_empty() {
                            again.push((si, ci, c.uuid));
                        }
                    }
                }
            }
            again
        };
        for (si, ci, uuid) in resubscribe {
            if link.subscribe(uuid).await.is_ok() {
                gatt_io::set_notifying(&self.server, self.ai, self.di, si, ci, true);
            }
        }
        self.link = Some(link);
        self.notes = Some(notes);
        tracing::info!(device = %self.path(), "emulated band connected");
        Ok(())
    }

    /// Service discovery done: the client may now walk the GATT objects.
    fn resolved(&self) {
        let mut st = self.server.lock();
        let d = &mut st.adapters[self.ai].devices[self.di];
        d.resolved = true;
        self.server
            .props_changed(&d.path, super::device::IFACE, d.resolved_changes());
    }

    async fn disconnect(&mut self) -> Result<(), BluezError> {
        let link = self.link.take().ok_or(BluezError::NotConnected)?;
        self.notes = None;
        let _ = link.disconnect().await;
        drop(link);
        self.after_disconnect();
        Ok(())
    }

    fn link_lost(&mut self) {
        self.notes = None;
        self.link = None;
        tracing::info!(device = %self.path(), "emulated band link lost");
        self.after_disconnect();
    }

    fn path(&self) -> String {
        self.server.lock().adapters[self.ai].devices[self.di]
            .path
            .clone()
    }

    /// What BlueZ signals when a link goes down: notifications off, services unresolved, then
    /// disconnected. The GATT objects stay (attribute cache).
    fn after_disconnect(&self) {
        let mut st = self.server.lock();
        let d = &mut st.adapters[self.ai].devices[self.di];
        d.connected = false;
        d.resolved = false;
        let dev = d.path.clone();
        if let Some(t) = &mut d.gatt {
            for s in &mut t.services {
                for c in &mut s.chars {
                    if c.notifying {
                        c.notifying = false;
                        let p = gatt::char_path(&dev, s.handle, c.handle);
                        self.server
                            .props_changed(&p, gatt::CHAR_IFACE, one("Notifying", false));
                    }
                }
            }
        }
        let iface = super::device::IFACE;
        self.server
            .props_changed(&dev, iface, one("ServicesResolved", false));
        self.server
            .props_changed(&dev, iface, one("Connected", false));
    }

    /// RemoveDevice: the object and its GATT children go away (children first).
    fn remove(&self) {
        let mut st = self.server.lock();
        let d = &mut st.adapters[self.ai].devices[self.di];
        if !d.exported {
            return;
        }
        for (path, iface, _) in d.gatt_objects().into_iter().rev() {
            self.server.interfaces_removed(
                &path,
                vec![
                    iface.to_string(),
                    PROPERTIES.to_string(),
                    INTROSPECTABLE.to_string(),
                ],
            );
        }
        self.server.interfaces_removed(
            &d.path,
            vec![
                super::device::IFACE.to_string(),
                PROPERTIES.to_string(),
                INTROSPECTABLE.to_string(),
            ],
        );
        d.exported = false;
        d.gatt = None;
        d.rssi = None;
        d.alias = None;
        d.trusted = false;
        d.blocked = false;
    }

    /// A notification from the band becomes the characteristic's new Value, signalled on its
    /// path (what btleplug turns into a ValueNotification).
    fn forward(&self, n: Notification) {
        let mut st = self.server.lock();
        let d = &mut st.adapters[self.ai].devices[self.di];
        let dev = d.path.clone();
        let Some(t) = &mut d.gatt else {
            return;
        };
        let Some((si, ci)) = t.find_char(n.uuid) else {
            return;
        };
        let path = t.char_path(&dev, si, ci);
        let s = &mut t.services[si];
        s.chars[ci].value = Some(n.value.clone());
        let mut changed = dbus::arg::PropMap::new();
        changed.insert("Value".into(), prop(n.value));
        self.server.props_changed(&path, gatt::CHAR_IFACE, changed);
    }
}
