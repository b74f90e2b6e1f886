//! What subscribers (Server-Sent Events, MQTT) hear about, as it happens.

use serde::Serialize;
use utoipa::ToSchema;

use super::jobs::Job;
use crate::mac::Mac;

/// One event. Serialized with a `type` tag, which is also the SSE event name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A band's state changed: read `/api/bands/{mac}` again.
    Band {
        /// The band.
        #[schema(value_type = String)]
        mac: Mac,
    },
    /// A heart-rate value, as measured.
    HeartRate {
        /// The band.
        #[schema(value_type = String)]
        mac: Mac,
        /// Beats per minute.
        bpm: u16,
    },
    /// A band event (its button, find-phone…), as the band reported it while connected.
    BandEvent {
        /// The band.
        #[schema(value_type = String)]
        mac: Mac,
        /// What happened, e.g. `button_press`.
        event: String,
    },
    /// A job changed state.
    Job(Job),
}

impl Event {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Band { .. } => "band",
            Event::HeartRate { .. } => "heart_rate",
            Event::BandEvent { .. } => "band_event",
            Event::Job(_) => "job",
        }
    }

    /// The band it is about.
    pub fn mac(&self) -> Mac {
        match self {
            Event::Band { mac } | Event::HeartRate { mac, .. } | Event::BandEvent { mac, .. } => {
                *mac
            }
            Event::Job(j) => j.band,
        }
    }
}
