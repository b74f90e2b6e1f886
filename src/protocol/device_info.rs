//! Device Information service 0x180A (docs/protocol.md §1.2): revision and serial strings, System
//! ID and PnP ID.

use super::error::DecodeError;

/// Decodes a GATT string characteristic: UTF-8 (lossy), trailing NULs and whitespace trimmed.
pub fn decode_string(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches(['\0', ' ', '\n', '\r'])
        .to_string()
}

/// PnP ID 0x2A50: vendor id source, vendor, product, version (u16 LE each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PnpId {
    /// 1 = Bluetooth SIG, 2 = USB IF.
    pub vendor_source: u8,
    /// Vendor id (Huami 0x0157).
    pub vendor: u16,
    /// Product id (MB4 0x0024).
    pub product: u16,
    /// Product version.
    pub version: u16,
}

impl PnpId {
    /// Parses the 7 bytes.
    pub fn decode(b: &[u8]) -> Result<PnpId, DecodeError> {
        if b.len() < 7 {
            return Err(DecodeError::TooShort {
                what: "PnP ID",
                need: 7,
                got: b.len(),
            });
        }
        let u = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Ok(PnpId {
            vendor_source: b[0],
            vendor: u(1),
            product: u(3),
            version: u(5),
        })
    }

    /// The 7 bytes.
    pub fn encode(&self) -> [u8; 7] {
        let (v, p, d) = (
            self.vendor.to_le_bytes(),
            self.product.to_le_bytes(),
            self.version.to_le_bytes(),
        );
        [self.vendor_source, v[0], v[1], p[0], p[1], d[0], d[1]]
    }
}

impl std::fmt::Display for PnpId {
    /// The form bluetoothctl-style tools print: `v0157p0024d0101`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "v{:04x}p{:04x}d{:04x}",
            self.vendor, self.product, self.version
        )
    }
}

/// System ID 0x2A23 from a MAC: EUI-64 style (`FF FE` in the middle), little-endian, so that
/// removing bytes 3..5 gives the MAC back (grimsteel `getDeviceInfo`).
pub fn system_id_from_mac(mac: [u8; 6]) -> [u8; 8] {
    [mac[5], mac[4], mac[3], 0xFE, 0xFF, mac[2], mac[1], mac[0]]
}

/// The MAC inside a System ID, if it has the `FF FE` marker.
pub fn mac_from_system_id(b: &[u8]) -> Option<[u8; 6]> {
    (b.len() == 8 && b[3] == 0xFE && b[4] == 0xFF).then(|| [b[7], b[6], b[5], b[2], b[1], b[0]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mb4_pnp_id() {
        let p = PnpId::decode(&[0x01, 0x57, 0x01, 0x24, 0x00, 0x01, 0x01]).unwrap();
        assert_eq!(p.to_string(), "v0157p0024d0101");
        assert_eq!(PnpId::decode(&p.encode()).unwrap(), p);
        assert!(PnpId::decode(&[1, 2]).is_err());
    }

    #[test]
    fn strings_and_system_id() {
        assert_eq!(decode_string(b"V1.0.9.66\0\0"), "V1.0.9.66");
        let mac = [0xC8, 0x0F, 0x10, 0x12, 0x34, 0x56];
        assert_eq!(mac_from_system_id(&system_id_from_mac(mac)), Some(mac));
        assert_eq!(mac_from_system_id(&[0; 8]), None);
    }
}
