//! Self-hosted toolkit for Xiaomi Mi Band 4/5 fitness bands.
//!
//! # Layout
//!
//! The crate is split the way the data flows (`docs/architecture.md` draws the same map):
//!
//! - **Radio.** [`link::Link`] is the one seam to a band: [`ble`] implements it over btleplug
//!   (BlueZ), [`emulator`] over an emulated band in-process, and [`bluez`] serves the emulator as
//!   a BlueZ on a private D-Bus bus so the real btleplug path runs without Bluetooth.
//! - **Bytes.** [`protocol`] is the pure Huami codec (no I/O); every module cites its section of
//!   `docs/protocol.md`. [`dissect`] renders it as JSON for `miband decode`.
//! - **One band.** [`session`] drives a band over a `Link`: auth, device info, battery, steps,
//!   clock, heart rate, incremental history. [`action`] defines the things a user asks of a band
//!   (alert, alarm, settings, …) once, for the command line and the collector's queue alike.
//! - **Values.** A band's address is a [`mac::Mac`], parsed once where it enters.
//! - **Many bands.** [`collector`] schedules syncs from [`config`] (`devices.csv`,
//!   `settings.json`) and hands each sync's results on: live values to [`metrics`]
//!   snapshots (rendered at scrape time), history to [`store`]'s sink (PostgreSQL, or the local
//!   journal while it is away) — and only then acknowledges the band.
//! - **Grafana.** [`provision`] reads only its configuration, the database and the templates,
//!   and writes Grafana's provisioning files and the MagicMirror snippet.
//! - **Other apps.** [`import`] reads the Mi Fit / Zepp Life and Gadgetbridge SQLite databases
//!   (keys, history into [`store`]); [`export`] writes history back out as CSV or JSON lines.
//! - **Front ends.** [`cli`] holds one file per subcommand; the binaries only dispatch to it.
#![forbid(unsafe_code)]

pub mod action;
pub mod api;
pub mod ble;
pub mod bluez;
pub mod cli;
pub mod collector;
pub mod config;
pub mod control;
pub mod dissect;
pub mod emulator;
pub mod export;
pub mod import;
pub mod link;
pub mod mac;
pub mod metrics;
pub mod mqtt;
pub mod protocol;
pub mod provision;
pub mod session;
pub mod shutdown;
pub mod store;
