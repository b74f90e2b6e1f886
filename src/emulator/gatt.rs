//! The band's GATT table: services, characteristics and their BlueZ-style flags, as a MB4
//! listing shows them (docs/protocol.md §1). The in-process band checks UUIDs against it and the
//! emulated BlueZ builds its object tree from it. The services the toolkit uses come first, so
//! their handles stay put; the rest of a real MB4's table follows (writes there are accepted and
//! ignored, as the toolkit never uses them).

use uuid::Uuid;

use crate::protocol::uuids as u;

/// A characteristic and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GattChar {
    /// UUID.
    pub uuid: Uuid,
    /// BlueZ flag names (`read`, `write`, `write-without-response`, `notify`).
    pub flags: &'static [&'static str],
}

impl GattChar {
    /// Whether it notifies (and so has a CCCD descriptor).
    pub fn notifies(&self) -> bool {
        self.flags.contains(&"notify")
    }
}

/// A primary service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GattService {
    /// UUID.
    pub uuid: Uuid,
    /// Its characteristics, in handle order.
    pub chars: Vec<GattChar>,
}

const RN: &[&str] = &["read", "notify"];
const R: &[&str] = &["read"];
const N: &[&str] = &["notify"];

fn c(uuid: Uuid, flags: &'static [&'static str]) -> GattChar {
    GattChar { uuid, flags }
}

/// Every service the emulated band exposes.
pub fn layout() -> Vec<GattService> {
    vec![
        GattService {
            uuid: u::SERVICE_MIBAND1,
            chars: vec![
                c(
                    u::CHAR_RAW_CONTROL,
                    &["read", "write-without-response", "notify"],
                ),
                c(u::CHAR_RAW_DATA, N),
                c(u::CHAR_CONFIG, &["write", "notify"]),
                c(u::CHAR_FETCH, &["write-without-response", "notify"]),
                c(u::CHAR_ACTIVITY_DATA, N),
                c(u::CHAR_BATTERY, RN),
                c(u::CHAR_STEPS, RN),
                c(u::CHAR_USER_SETTINGS, &["write"]),
                c(u::CHAR_DEVICE_EVENT, N),
                c(u::CHAR_CURRENT_TIME, &["read", "write", "notify"]),
            ],
        },
        GattService {
            uuid: u::SERVICE_MIBAND2,
            chars: vec![c(
                u::CHAR_AUTH,
                &["write-without-response", "write", "notify"],
            )],
        },
        GattService {
            uuid: u::SERVICE_HEART_RATE,
            chars: vec![
                c(u::CHAR_HEART_RATE_MEASUREMENT, N),
                c(u::CHAR_HEART_RATE_CONTROL, &["read", "write"]),
            ],
        },
        GattService {
            uuid: u::SERVICE_DEVICE_INFO,
            chars: vec![
                c(u::CHAR_SERIAL_NUMBER, R),
                c(u::CHAR_HARDWARE_REVISION, R),
                c(u::CHAR_SOFTWARE_REVISION, R),
                c(u::CHAR_SYSTEM_ID, R),
                c(u::CHAR_PNP_ID, R),
            ],
        },
        GattService {
            uuid: u::SERVICE_GENERIC_ATTRIBUTE,
            chars: vec![c(u::CHAR_SERVICE_CHANGED, &["indicate"])],
        },
        GattService {
            uuid: u::SERVICE_FIRMWARE,
            chars: vec![
                c(u::CHAR_FIRMWARE_CONTROL, &["write", "notify"]),
                c(u::CHAR_FIRMWARE_DATA, &["write-without-response"]),
            ],
        },
        GattService {
            uuid: u::SERVICE_ALERT_NOTIFICATION,
            chars: vec![
                c(u::CHAR_NEW_ALERT, &["write"]),
                c(u::CHAR_ALERT_CONTROL, &["write", "notify"]),
            ],
        },
        GattService {
            uuid: u::SERVICE_IMMEDIATE_ALERT,
            chars: vec![c(u::CHAR_ALERT_LEVEL, &["write-without-response"])],
        },
        GattService {
            uuid: u::SERVICE_UNKNOWN_3802,
            chars: vec![c(u::CHAR_UNKNOWN_4A02, &["read", "write", "notify"])],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_and_data_flags_match_the_mb4_listing() {
        let all: Vec<GattChar> = layout().into_iter().flat_map(|s| s.chars).collect();
        let f = |uuid| all.iter().find(|c| c.uuid == uuid).unwrap().flags;
        assert_eq!(f(u::CHAR_FETCH), ["write-without-response", "notify"]);
        assert_eq!(f(u::CHAR_ACTIVITY_DATA), ["notify"]);
        let mut uuids: Vec<Uuid> = all.iter().map(|c| c.uuid).collect();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), all.len(), "a characteristic is listed twice");
    }
}
