//! Meta's Graph API for wa: everything that speaks Meta's language lives here.
//!
//! # Layout
//! - [`client`]: [`GraphClient`], one shared HTTP client for every tenant, with a per-call
//!   [`Sender`](wa_domain::graph::Sender) (token and phone number id). Sends every outbound
//!   content type, marks messages read, handles media, reads number details and templates, and
//!   runs the onboarding calls. It implements `wa-domain`'s
//!   [`GraphGateway`](wa_domain::ports::GraphGateway).
//! - [`webhook`]: the `X-Hub-Signature-256` check and the parse of webhook bodies into typed
//!   events grouped by business number.
//! - `wire` (private): Meta's JSON as serde types; `convert` (private): wire to domain and back.
//!
//! Errors are `wa-domain`'s [`GraphError`](wa_domain::graph::GraphError), classified by Meta's
//! code through [`classify_meta_code`](wa_domain::error_class::classify_meta_code), so a caller
//! acts on the class and never sees a `reqwest` type. Tokens never appear in errors or logs.

mod account_gateway;
pub mod client;
mod convert;
mod gateway;
pub mod webhook;
mod wire;

pub use client::{GraphClient, GraphConfig, Timeouts};
pub use webhook::{SignatureVerifier, WebhookBatch, WebhookError, parse, verify_and_parse};
