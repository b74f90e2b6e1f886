//! The real radio: bands reached through btleplug (BlueZ over D-Bus on Linux). Everything above
//! this module sees only the [`crate::link::Link`] trait.

mod btleplug_link;
mod central;
mod scan;

pub use btleplug_link::BtleLink;
pub use central::{BleCentral, BleError};
pub use scan::{is_mi_band, Seen};
