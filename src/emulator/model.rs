//! Which band is emulated, and what it says about itself (docs/protocol.md §1.2, §6).

use crate::protocol::activity::SampleSize;
use crate::protocol::device_info::PnpId;

/// The emulated hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Mi Smart Band 4: 4-byte history samples.
    Mb4,
    /// Mi Smart Band 5: 8-byte history samples.
    Mb5,
}

impl Model {
    /// History sample size.
    pub fn sample_size(self) -> SampleSize {
        match self {
            Model::Mb4 => SampleSize::Four,
            Model::Mb5 => SampleSize::Eight,
        }
    }

    /// Advertised name (as Gadgetbridge matches it).
    pub fn name(self) -> &'static str {
        match self {
            Model::Mb4 => "Mi Smart Band 4",
            Model::Mb5 => "Mi Smart Band 5",
        }
    }

    /// Hardware revision string (values observed on real bands).
    pub fn hardware_revision(self) -> &'static str {
        match self {
            Model::Mb4 => "V0.25.131.5",
            Model::Mb5 => "V0.44.23.2",
        }
    }

    /// Firmware revision string (values observed on real bands).
    pub fn software_revision(self) -> &'static str {
        match self {
            Model::Mb4 => "V1.0.9.66",
            Model::Mb5 => "V1.0.2.58",
        }
    }

    /// PnP ID. MB4's is observed (v0157 p0024 d0101); MB5's product id is not documented
    /// anywhere we could read, so it reuses MB4's.
    pub fn pnp_id(self) -> PnpId {
        PnpId {
            vendor_source: 1,
            vendor: 0x0157,
            product: 0x0024,
            version: 0x0101,
        }
    }

    /// Parses `mb4`/`mb5` (also `4`/`5`).
    pub fn parse(s: &str) -> Option<Model> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mb4" | "4" | "miband4" => Some(Model::Mb4),
            "mb5" | "5" | "miband5" => Some(Model::Mb5),
            _ => None,
        }
    }
}
