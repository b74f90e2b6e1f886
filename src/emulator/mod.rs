//! A faithful Mi Band 4/5 emulator: the band's protocol side ([`band`]), an in-process link
//! ([`link`]), fault injection, and the simulated wearer ([`wearer`]) behind the
//! [`world::World`] seam.

pub mod actions;
pub mod band;
pub mod events;
pub mod faults;
pub mod gatt;
pub mod link;
pub mod model;
pub mod raw_stream;
pub mod wearer;
pub mod world;

pub use wearer::Person;
