//! Where history lives: the miband-dc PostgreSQL schema, the writer that fills it, the local
//! journal that holds readings while it is unreachable, and a private cluster for tests and the demo.

pub mod band_id;
pub mod db_config;
pub mod error;
pub mod journal;
pub mod pgcluster;
pub mod postgres;
pub mod record;
pub mod schema;
pub mod sink;
