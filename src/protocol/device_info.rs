//! Device Information service 0x180A (docs/protocol.md §1.2): revision and serial strings, System
//! ID and PnP ID.

use super::activity::SampleSize;
use super::error::DecodeError;

/// The band model as its hardware revision (0x2A27) tells it: MB4 reports `V0.25.x`, MB5
/// `V0.44.x` (satcar77/miband4#48 and #56; docs/real-bands.md, "MB4 or MB5"). The advertised
/// name is not enough: btleplug may not know it, and an MB5 read as an MB4 decodes as garbage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandModel {
    /// Mi Smart Band 4.
    Mb4,
    /// Mi Smart Band 5.
    Mb5,
}

impl BandModel {
    /// From a hardware revision string; `None` for one we have no evidence for.
    pub fn from_hardware_revision(rev: &str) -> Option<BandModel> {
        let r = rev.trim().trim_start_matches(['V', 'v']);
        if r.starts_with("0.25.") {
            Some(BandModel::Mb4)
        } else if r.starts_with("0.44.") {
            Some(BandModel::Mb5)
        } else {
            None
        }
    }

    /// From an advertised name ("Mi Smart Band 5").
    pub fn from_name(name: &str) -> Option<BandModel> {
        let n = name.to_ascii_lowercase();
        if n.contains("band 4") {
            Some(BandModel::Mb4)
        } else if n.contains("band 5") {
            Some(BandModel::Mb5)
        } else {
            None
        }
    }

    /// History sample size.
    pub fn sample_size(self) -> SampleSize {
        match self {
            BandModel::Mb4 => SampleSize::Four,
            BandModel::Mb5 => SampleSize::Eight,
        }
    }

    /// The name the band advertises (and stores in GAP 0x2A00).
    pub fn name(self) -> &'static str {
        match self {
            BandModel::Mb4 => "Mi Smart Band 4",
            BandModel::Mb5 => "Mi Smart Band 5",
        }
    }
}

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

/// System ID 0x2A23 from a MAC, as a real MB4 sends it: the MAC's bytes in reverse order with
/// `FF FE` in the middle. Captured: serial/MAC `9ba5adda2ec1` gives `C1 2E DA FF FE AD A5 9B`
/// (Gadgetbridge#1619, MB4 fw 1.0.5.66; docs/real-bands.md, "System ID").
pub fn system_id_from_mac(mac: [u8; 6]) -> [u8; 8] {
    [mac[5], mac[4], mac[3], 0xFF, 0xFE, mac[2], mac[1], mac[0]]
}

/// The MAC inside a System ID, if it has the `FF FE` marker a real band sends.
pub fn mac_from_system_id(b: &[u8]) -> Option<[u8; 6]> {
    (b.len() == 8 && b[3] == 0xFF && b[4] == 0xFE).then(|| [b[7], b[6], b[5], b[2], b[1], b[0]])
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
    fn model_from_the_hardware_revision() {
        // satcar77/miband4#48 (MB4 "V0.25.131.5"), #56 (MB5 "V0.44.23.2").
        let mb4 = BandModel::from_hardware_revision("V0.25.131.5");
        let mb5 = BandModel::from_hardware_revision("V0.44.23.2");
        assert_eq!(mb4, Some(BandModel::Mb4));
        assert_eq!(mb5, Some(BandModel::Mb5));
        assert_eq!(mb5.unwrap().sample_size(), SampleSize::Eight);
        assert_eq!(BandModel::from_hardware_revision("V0.30.1.1"), None);
        assert_eq!(
            BandModel::from_name("Mi Smart Band 5"),
            Some(BandModel::Mb5)
        );
        assert_eq!(BandModel::from_name(""), None);
    }

    #[test]
    fn system_id_of_a_real_mb4() {
        // Gadgetbridge#1619 (MB4, fw 1.0.5.66): serial 9ba5adda2ec1, System ID C12EDAFFFEADA59B.
        let captured = hex::decode("c12edafffeada59b").unwrap();
        let mac = [0x9b, 0xa5, 0xad, 0xda, 0x2e, 0xc1];
        assert_eq!(mac_from_system_id(&captured), Some(mac));
        assert_eq!(system_id_from_mac(mac).to_vec(), captured);
        // The byte order we used to assume is not a System ID a band sends.
        assert_eq!(
            mac_from_system_id(&hex::decode("c12edafeffada59b").unwrap()),
            None
        );
    }

    #[test]
    fn strings_and_system_id() {
        assert_eq!(decode_string(b"V1.0.9.66\0\0"), "V1.0.9.66");
        let mac = [0xC8, 0x0F, 0x10, 0x12, 0x34, 0x56];
        assert_eq!(mac_from_system_id(&system_id_from_mac(mac)), Some(mac));
        assert_eq!(mac_from_system_id(&[0; 8]), None);
    }
}
