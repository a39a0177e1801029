//! The wa service: configuration, composition, the HTTP edge, workers, CLI and the demo.
//!
//! This crate is thin on purpose: rules live in `wa-domain`; this crate wires the adapters
//! (`wa-store`, `wa-vault`, `wa-graph`) into the domain's ports, serves HTTP, runs the workers
//! and offers the `wa` command line.
//!
//! # Layout
//! - [`config`]: environment (and optional file) → [`config::Config`], checked at start.
//! - [`compose`]: builds the adapters and the [`state::AppState`].
//! - [`http`]: the tenant API under `/v1`, Meta's webhook receiver, health, metrics, OpenAPI.
//! - [`workers`]: delivery of accepted messages, processing of stored webhooks.
//! - [`events`]: signed outbound webhooks of tenants' events, dead letters, the SSRF guard.
//! - [`event_feed`]: the tenants' event logs for long-polls and streams, and their wake-up.
//! - [`read_cache`]: the reads every send repeats (key, tenant, connection), kept for a moment.
//! - [`server`]: `wa serve`: listeners, workers, graceful shutdown.
//! - [`demo`]: `wa demo`, the whole system against the simulator.
//! - [`cli`]: the command line.

pub mod cli;
pub mod compose;
pub mod config;
pub mod demo;
pub mod event_feed;
pub mod events;
pub mod http;
pub mod read_cache;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod workers;
