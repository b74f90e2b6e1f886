//! A faithful Mi Band 4/5 emulator: the band's protocol side ([`band`]), an in-process link
//! ([`link`]), fault injection, and the simulated wearer ([`wearer`]) behind the
//! [`world::World`] seam.

pub mod band;
pub mod faults;
pub mod gatt;
pub mod link;
pub mod model;
pub mod wearer;
pub mod world;

pub use wearer::Person;
