//! Every GATT service and characteristic UUID we use, in one place (docs/protocol.md §1).

use uuid::Uuid;

/// Expands a 16-bit Bluetooth SIG short UUID (base `0000xxxx-0000-1000-8000-00805f9b34fb`).
pub const fn sig(short: u16) -> Uuid {
    Uuid::from_u128(((short as u128) << 96) | 0x0000_0000_0000_1000_8000_0080_5f9b_34fb)
}

/// Expands a Huami short UUID (base `0000xxxx-0000-3512-2118-0009af100700`).
pub const fn huami(short: u16) -> Uuid {
    Uuid::from_u128(((short as u128) << 96) | 0x0000_0000_0000_3512_2118_0009_af10_0700)
}

/// Main Huami service; holds most characteristics and also Current Time 0x2A2B.
pub const SERVICE_MIBAND1: Uuid = sig(0xFEE0);
/// Second Huami service; holds the auth characteristic.
pub const SERVICE_MIBAND2: Uuid = sig(0xFEE1);
/// Standard Heart Rate service.
pub const SERVICE_HEART_RATE: Uuid = sig(0x180D);
/// Standard Device Information service.
pub const SERVICE_DEVICE_INFO: Uuid = sig(0x180A);
/// Immediate Alert (vibration).
pub const SERVICE_IMMEDIATE_ALERT: Uuid = sig(0x1802);
/// Alert Notification (text alerts).
pub const SERVICE_ALERT_NOTIFICATION: Uuid = sig(0x1811);

/// Generic Attribute service (Service Changed).
pub const SERVICE_GENERIC_ATTRIBUTE: Uuid = sig(0x1801);
/// Huami firmware update service.
pub const SERVICE_FIRMWARE: Uuid = huami(0x1530);
/// Unknown service seen on MB4 (holds 0x4a02, notify).
pub const SERVICE_UNKNOWN_3802: Uuid = sig(0x3802);

/// Service Changed (indicate).
pub const CHAR_SERVICE_CHANGED: Uuid = sig(0x2A05);
/// Firmware update control.
pub const CHAR_FIRMWARE_CONTROL: Uuid = huami(0x1531);
/// Firmware update data.
pub const CHAR_FIRMWARE_DATA: Uuid = huami(0x1532);
/// New Alert (text notifications).
pub const CHAR_NEW_ALERT: Uuid = sig(0x2A46);
/// Alert Notification Control Point.
pub const CHAR_ALERT_CONTROL: Uuid = sig(0x2A44);
/// Unknown characteristic in service 0x3802 (notify) on MB4.
pub const CHAR_UNKNOWN_4A02: Uuid = sig(0x4A02);

/// Raw sensor control (write `01 xx 19`, `02`, `03`).
pub const CHAR_RAW_CONTROL: Uuid = huami(0x0001);
/// Raw sensor data (notify).
pub const CHAR_RAW_DATA: Uuid = huami(0x0002);
/// Configuration commands.
pub const CHAR_CONFIG: Uuid = huami(0x0003);
/// Activity fetch control (write without response, notify).
pub const CHAR_FETCH: Uuid = huami(0x0004);
/// Activity data stream (notify only).
pub const CHAR_ACTIVITY_DATA: Uuid = huami(0x0005);
/// Battery info (read, notify).
pub const CHAR_BATTERY: Uuid = huami(0x0006);
/// Realtime steps/distance/calories (read, notify).
pub const CHAR_STEPS: Uuid = huami(0x0007);
/// User settings.
pub const CHAR_USER_SETTINGS: Uuid = huami(0x0008);
/// Authentication (in service FEE1).
pub const CHAR_AUTH: Uuid = huami(0x0009);
/// Device events: button, fell asleep, MTU request, ...
pub const CHAR_DEVICE_EVENT: Uuid = huami(0x0010);
/// Current Time (Huami layout, §3.3), in service FEE0.
pub const CHAR_CURRENT_TIME: Uuid = sig(0x2A2B);
/// Heart-rate measurement (notify).
pub const CHAR_HEART_RATE_MEASUREMENT: Uuid = sig(0x2A37);
/// Heart-rate control point (write with response).
pub const CHAR_HEART_RATE_CONTROL: Uuid = sig(0x2A39);
/// Alert level (write without response).
pub const CHAR_ALERT_LEVEL: Uuid = sig(0x2A06);
/// Serial number string.
pub const CHAR_SERIAL_NUMBER: Uuid = sig(0x2A25);
/// Hardware revision string.
pub const CHAR_HARDWARE_REVISION: Uuid = sig(0x2A27);
/// Software (firmware) revision string.
pub const CHAR_SOFTWARE_REVISION: Uuid = sig(0x2A28);
/// System ID.
pub const CHAR_SYSTEM_ID: Uuid = sig(0x2A23);
/// PnP ID.
pub const CHAR_PNP_ID: Uuid = sig(0x2A50);
/// Client Characteristic Configuration descriptor (`01 00` = notify on).
pub const DESC_CCCD: Uuid = sig(0x2902);

/// Huami's Bluetooth SIG company identifier, found in the bands' manufacturer data.
pub const HUAMI_COMPANY_ID: u16 = 0x0157;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_forms_match_protocol_md() {
        assert_eq!(
            SERVICE_MIBAND1.to_string(),
            "0000fee0-0000-1000-8000-00805f9b34fb"
        );
        assert_eq!(
            CHAR_AUTH.to_string(),
            "00000009-0000-3512-2118-0009af100700"
        );
        assert_eq!(
            CHAR_FETCH.to_string(),
            "00000004-0000-3512-2118-0009af100700"
        );
        assert_eq!(
            CHAR_CURRENT_TIME.to_string(),
            "00002a2b-0000-1000-8000-00805f9b34fb"
        );
        assert_eq!(
            DESC_CCCD.to_string(),
            "00002902-0000-1000-8000-00805f9b34fb"
        );
    }
}
