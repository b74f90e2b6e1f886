//! Where history lives: the miband-dc PostgreSQL schema, and a private cluster for tests and the demo.

pub mod pgcluster;
pub mod schema;
