//! ReadValue/WriteValue/StartNotify/StopNotify mapped onto the emulated link, with BlueZ's
//! rules (src/gatt-client.c): "Not connected" while the link is down; the write procedure picked
//! from the `type` option or else the characteristic's flags; CCCD writes refused (notifications
//! are StartNotify's job); one notify session per client, kept across reconnects; a read updates
//! the cached Value and signals it, exactly like a notification does.

use std::sync::Arc;

use dbus::arg::PropMap;
use uuid::Uuid;

use super::errors::BluezError;
use super::gatt::{self, CharObj};
use super::props::{one, prop, IoOptions};
use super::server::Server;
use crate::emulator::link::EmulatorLink;
use crate::link::{Link, LinkError, WriteKind};

/// Which attribute a call is for (indices into the device's GATT tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Characteristic `ci` of service `si`.
    Char(usize, usize),
    /// The CCCD of that characteristic.
    Cccd(usize, usize),
}

/// The operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GattOp {
    /// ReadValue.
    Read(IoOptions),
    /// WriteValue.
    Write(Vec<u8>, IoOptions),
    /// StartNotify.
    StartNotify,
    /// StopNotify.
    StopNotify,
}

/// What the worker needs to know about the characteristic before talking to the band.
struct CharInfo {
    uuid: Uuid,
    flags: &'static [&'static str],
    path: String,
    notifying: bool,
    mtu: u16,
}

fn info(server: &Server, ai: usize, di: usize, si: usize, ci: usize) -> Option<CharInfo> {
    let st = server.lock();
    let d = &st.adapters[ai].devices[di];
    let t = d.gatt.as_ref()?;
    let c = t.services.get(si)?.chars.get(ci)?;
    Some(CharInfo {
        uuid: c.uuid,
        flags: c.flags,
        path: t.char_path(&d.path, si, ci),
        notifying: c.notifying,
        mtu: d.mtu,
    })
}

fn with_char<R>(
    server: &Server,
    ai: usize,
    di: usize,
    si: usize,
    ci: usize,
    f: impl FnOnce(&mut CharObj) -> R,
) -> Option<R> {
    let mut st = server.lock();
    let c = st.adapters[ai].devices[di]
        .gatt
        .as_mut()?
        .services
        .get_mut(si)?
        .chars
        .get_mut(ci)?;
    Some(f(c))
}

/// Records the band's notification state for a characteristic and signals Notifying.
pub(crate) fn set_notifying(server: &Server, ai: usize, di: usize, si: usize, ci: usize, on: bool) {
    let changed = with_char(server, ai, di, si, ci, |c| {
        std::mem::replace(&mut c.notifying, on) != on
    });
    if changed == Some(true) {
        if let Some(i) = info(server, ai, di, si, ci) {
            server.props_changed(&i.path, gatt::CHAR_IFACE, one("Notifying", on));
        }
    }
}

/// Runs a call from `sender` (who owns notify sessions); a value is ReadValue's answer.
pub(crate) async fn run(
    server: &Arc<Server>,
    ai: usize,
    di: usize,
    link: Option<&EmulatorLink>,
    target: Target,
    op: GattOp,
    sender: &str,
) -> Result<Option<Vec<u8>>, BluezError> {
    let (si, ci) = match target {
        Target::Char(s, c) | Target::Cccd(s, c) => (s, c),
    };
    let i = info(server, ai, di, si, ci).ok_or(BluezError::DoesNotExist)?;
    let not_connected = BluezError::Failed("Not connected");
    match (target, op) {
        (Target::Char(..), GattOp::StartNotify) => {
            if !i.flags.contains(&"notify") {
                return Err(BluezError::NotSupported);
            }
            let fresh = with_char(server, ai, di, si, ci, |c| c.clients.insert(sender.into()));
            // While disconnected BlueZ accepts the session and enables it on reconnect.
            if let (Some(true), Some(link), false) = (fresh, link, i.notifying) {
                if let Err(e) = link.subscribe(i.uuid).await {
                    with_char(server, ai, di, si, ci, |c| c.clients.remove(sender));
                    return Err(op_failed(e));
                }
                set_notifying(server, ai, di, si, ci, true);
            }
            Ok(None)
        }
        (Target::Char(..), GattOp::StopNotify) => {
            let left = with_char(server, ai, di, si, ci, |c| {
                let removed = c.clients.remove(sender);
                removed.then_some(c.clients.is_empty())
            })
            .flatten()
            .ok_or(BluezError::Failed("No notify session started"))?;
            if left {
                stop_band_notify(server, ai, di, si, ci, link, i.uuid).await;
            }
            Ok(None)
        }
        (_, GattOp::Read(_) | GattOp::Write(..)) if link.is_none() => Err(not_connected),
        (Target::Char(..), GattOp::Read(opts)) => {
            let link = link.ok_or(not_connected)?;
            let value = link.read(i.uuid).await.map_err(|e| match e {
                LinkError::Refused(_) => BluezError::NotPermitted("Read not permitted"),
                other => op_failed(other),
            })?;
            let offset = usize::from(opts.offset);
            if offset > value.len() {
                return Err(BluezError::InvalidArgumentsText("Invalid offset"));
            }
            with_char(server, ai, di, si, ci, |c| c.value = Some(value.clone()));
            server.props_changed(&i.path, gatt::CHAR_IFACE, one("Value", value.clone()));
            Ok(Some(value[offset..].to_vec()))
        }
        (Target::Char(..), GattOp::Write(data, opts)) => {
            let link = link.ok_or(not_connected)?;
            write(link, &i, &data, &opts).await.map(|()| None)
        }
        (Target::Cccd(..), GattOp::Read(_)) => {
            let value = vec![u8::from(i.notifying), 0];
            let path = with_char(server, ai, di, si, ci, |c| {
                let d = c.cccd.as_mut()?;
                d.value = Some(value.clone());
                Some(d.handle)
            })
            .flatten()
            .map(|h| format!("{}/desc{h:04x}", i.path));
            if let Some(p) = path {
                let mut changed = PropMap::new();
                changed.insert("Value".into(), prop(value.clone()));
                server.props_changed(&p, gatt::DESC_IFACE, changed);
            }
            Ok(Some(value))
        }
        (Target::Cccd(..), GattOp::Write(..)) => {
            Err(BluezError::NotPermitted("Write not permitted"))
        }
        (Target::Cccd(..), GattOp::StartNotify | GattOp::StopNotify) => Err(
            BluezError::UnknownMethod(format!("{}.Notify", gatt::DESC_IFACE)),
        ),
    }
}

fn op_failed(e: LinkError) -> BluezError {
    tracing::debug!(error = %e, "emulated GATT operation failed");
    match e {
        LinkError::Disconnected => BluezError::Failed("Not connected"),
        _ => BluezError::Failed("Operation failed"),
    }
}

/// BlueZ's choice of write procedure: `reliable` (long write), `request` or the `write` flag
/// (write request), `command` or the `write-without-response` flag (write command).
async fn write(
    link: &EmulatorLink,
    i: &CharInfo,
    data: &[u8],
    o: &IoOptions,
) -> Result<(), BluezError> {
    let has = |f: &str| i.flags.contains(&f);
    let kind = o.kind.as_deref().map(str::to_ascii_lowercase);
    let max = usize::from(i.mtu.saturating_sub(3));
    match kind.as_deref() {
        // The band has no prepared (long/reliable) writes: ATT "Request Not Supported".
        Some("reliable") => Err(BluezError::NotSupported),
        Some("request") | None if kind.is_some() || has("write") => {
            if o.offset != 0 || data.len() > max {
                return Err(BluezError::NotSupported);
            }
            if !has("write") {
                return Err(BluezError::NotPermitted("Write not permitted"));
            }
            link.write(i.uuid, data, WriteKind::WithResponse)
                .await
                .map_err(|e| match e {
                    LinkError::Refused(_) => BluezError::NotPermitted("Write not permitted"),
                    other => op_failed(other),
                })
        }
        Some("command") | None if kind.is_some() || has("write-without-response") => {
            if o.offset != 0 {
                return Err(BluezError::NotSupported);
            }
            if data.len() > max {
                return Err(BluezError::Failed("Failed to initiate write"));
            }
            // A write command to an attribute that does not take one is dropped silently.
            if has("write-without-response") {
                match link.write(i.uuid, data, WriteKind::WithoutResponse).await {
                    Err(LinkError::Disconnected) => {
                        return Err(BluezError::Failed("Not connected"))
                    }
                    Err(e) => tracing::debug!(error = %e, "write command dropped by the band"),
                    Ok(()) => {}
                }
            }
            Ok(())
        }
        _ => Err(BluezError::NotSupported),
    }
}

async fn stop_band_notify(
    server: &Server,
    ai: usize,
    di: usize,
    si: usize,
    ci: usize,
    link: Option<&EmulatorLink>,
    uuid: Uuid,
) {
    if let Some(link) = link {
        let _ = link.unsubscribe(uuid).await;
    }
    set_notifying(server, ai, di, si, ci, false);
}

/// Ends the notify sessions of a client that left the bus.
pub(crate) async fn client_gone(
    server: &Server,
    ai: usize,
    di: usize,
    link: Option<&EmulatorLink>,
    name: &str,
) {
    let emptied: Vec<(usize, usize, Uuid)> = {
        let mut st = server.lock();
        let Some(t) = st.adapters[ai].devices[di].gatt.as_mut() else {
            return;
        };
        let mut out = Vec::new();
        for (si, s) in t.services.iter_mut().enumerate() {
            for (ci, c) in s.chars.iter_mut().enumerate() {
                if c.clients.remove(name) && c.clients.is_empty() {
                    out.push((si, ci, c.uuid));
                }
            }
        }
        out
    };
    for (si, ci, uuid) in emptied {
        stop_band_notify(server, ai, di, si, ci, link, uuid).await;
    }
}
