//! `wa-sim`: a simulator of the parts of the WhatsApp Cloud API (Meta Graph API) that wa uses.
//!
//! It serves the Graph endpoints on loopback with Meta's success bodies and error envelope,
//! keeps Meta's rules (tokens, `appsecret_proof`, payload shape, templates, the 24 h customer
//! service window, per-number throughput, the pair rate to one user), and sends signed status
//! and inbound-message webhooks to a callback URL the way Meta does (retries, batching,
//! duplicates, reordering, drops). A control API under `/_sim/...` sets up a scenario, injects
//! customer behaviour and faults, and shows what the simulator received and sent.
//!
//! It deliberately shares no code with `wa-graph`: it checks requests against Meta's documented
//! shapes on its own terms, so it cannot agree with a bug of our client.
//!
//! # Use as a library
//!
//! ```no_run
//! # async fn demo() -> Result<(), wa_sim::SimError> {
//! use wa_sim::{Simulator, NumberConfig, InboundRequest, CustomerRef, InboundContent};
//!
//! let sim = Simulator::builder()
//!     .app_secret("app-secret")
//!     .callback_url("http://127.0.0.1:8080/webhooks/meta")
//!     .number(NumberConfig::new("100000000000001", "200000000000001", "token-1", "+1 555-010-0001"))
//!     .throughput_per_number(80)
//!     .start()
//!     .await?;
//! // Graph calls go to `{base_url}/v23.0/{phone_number_id}/messages` and so on.
//! let graph = format!("{}/v23.0", sim.base_url());
//! // A customer writes to the business: this opens the 24 h window and sends a webhook.
//! let wamid = sim.control().inject_inbound(InboundRequest::new(
//!     "100000000000001",
//!     CustomerRef::phone("15551234567", "Ada"),
//!     InboundContent::Text { body: "Hello".into() },
//! ))?;
//! # let _ = (graph, wamid);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # What it checks, in order
//!
//! Graph endpoints served: `POST /{phone_number_id}/messages`, `/media` (upload), `GET|DELETE
//! /{media_id}`, `GET /{phone_number_id}` and `/{waba_id}` (with `fields`), `GET|POST
//! /{phone_number_id}/whatsapp_business_profile`, `POST …/conversational_automation`, `POST
//! …/register`, `GET /{waba_id}/phone_numbers`, `GET|POST|DELETE /{waba_id}/message_templates`,
//! `GET|POST /{template_id}`, `GET|POST|DELETE /{waba_id}/subscribed_apps`, `POST
//! /{app_id}/uploads` and `GET|POST /upload:…`, `GET /oauth/access_token`, `GET /debug_token`.
//! Anything else answers Meta's 100/33 envelope.
//!
//! For `POST /{phone_number_id}/messages`: token (unknown, missing or revoked → 190; a token
//! without access to that number → 100/33), `appsecret_proof` when required (query or body;
//! missing or wrong → 100), injected error rates, body shape (missing field → 131008; wrong
//! type, bad value, text over 4096 characters → 100), registration (133010), template (unknown
//! name or language → 132001, paused 132015, disabled 132016, parameter count → 132000),
//! unknown media id (131053), per-number throughput (GCRA, 80/s by default → 130429), the
//! 24 h window for free-form messages (→ 131047, or a `failed` webhook in
//! [`WindowErrorMode::Webhook`]), the pair rate to one user (GCRA, 1 per 6 s with a burst of 45
//! → 131056). All times come from an injectable [`Clock`] that the control API can advance.
//!
//! # Fidelity notes (choices where Meta's documentation is silent)
//!
//! - HTTP statuses follow Meta's older table (190 → 401, 131000 → 500, 131016 → 503, most
//!   others 400); callers must classify by `code`, as Meta asks.
//! - Reactions and `system` events do not open the customer service window; every other
//!   inbound message does.
//! - Status webhooks omit `conversation` (webhook version 24+) and carry `pricing` (PMP) on
//!   `sent` and `delivered`, and a `contacts` entry except on `failed`. Reactions get `sent`
//!   only.
//! - `to` is reduced to its digits; Meta's rewriting of numbers without a country code, and of
//!   Brazilian and Mexican numbers, is not simulated. Groups (`recipient_type: group`) are not
//!   simulated.
//! - `fields` is honoured on numbers, WABAs, templates, business profiles and their listings; a
//!   field the node type lacks is refused with Graph's text in `message`
//!   (`(#100) Tried accessing nonexisting field …`), a field without a value is left out.
//!   Outside the messages endpoint, parameter errors carry their text in `message` with no
//!   `error_data`, as Graph does.
//! - Templates created or edited through the management API are `PENDING` until a review
//!   (`TemplateReview`: delay, rejection rate and reason) approves or rejects them; edits answer
//!   `{"success": true}` as Meta's reference documents.
//! - Webhook shapes follow the app's pinned `webhook_version` (before `v24.0` statuses carry
//!   `conversation`); account and template fields carry `entry[].time`. Request shapes are the
//!   same for every version in the path (`v21.0`–`v26.0` are what wa uses): the documented
//!   differences between those versions are in webhooks only.
//! - Download URLs do not expire; they need a bearer token with access to the owning number
//!   (no `appsecret_proof`, like Meta's media host).
//! - The server speaks HTTP/1.1 only (what a plain-`http` reqwest client uses).
//!
//! # Layout
//!
//! - `server`: the builder, the accept loop (which can drop a connection on purpose) and
//!   [`RunningSim`].
//! - `control`: [`SimControl`], the in-process control handle; `control_api` exposes the same
//!   operations as JSON under `/_sim/...`.
//! - `config`: scenario types (numbers, templates, limits, webhook behaviour, faults).
//! - Graph side: `graph` (path dispatch, auth, faults; the top of the Graph side), `graph_call`
//!   (the call the handlers read and their success answer), `send` (the messages endpoint), `shape`
//!   (its payload checks), `template` (template lookup and parameter counts), `template_admin`
//!   (the template management API and Meta's review), `media`, `upload` (the resumable upload
//!   API; its sessions in `upload_session`), `profile` (the business profile), `account`
//!   (number and WABA fields, WABA edges, onboarding), `fields` (the `fields` parameter),
//!   `graph_error` (Meta's error envelope), `auth` (bearer tokens and `appsecret_proof`).
//! - Rules: `gcra` (the rate algorithm), `clock` (injectable time), `state` (shared state:
//!   numbers, customers, windows, media).
//! - Webhooks: `webhook` (payload building and the delivery queue), `ascii_json` (Meta's
//!   escaped-Unicode JSON), `inbound` (customer events), `customer` (who a customer is).
//! - `records`: bounded buffers of received requests, accepted messages and deliveries.
//! - `ids` and `rng`: identifiers (wamid, media ids, fbtrace ids) and a small seeded PRNG.
//!
//! Modules import one another without a circle (`cargo xtask tidy` checks it): routers above
//! handlers, shared types and helpers in small modules below them.
//!
//! The binary `wa-sim` (`src/main.rs`) runs the simulator (`wa-sim serve`) and talks to a running
//! one through the control API (`wa-sim inbound`, `wa-sim requests`, ...).
//!
//! # Use as a program
//!
//! ```text
//! wa-sim serve --callback-url http://127.0.0.1:8080/webhooks/meta      # the demo scenario
//! wa-sim serve --port 8090 --control-port 8091 --scenario scenario.json # control on its own port
//! wa-sim inbound --to 100000000000001 --from 15551234567 --name Ada --text 'Hi!'
//! wa-sim faults --json '{"outage":{"mode":"reset","duration_ms":5000}}'
//! wa-sim call PUT webhooks/behaviour --json '{"batch_max":100,"duplicate_rate":0.05}'
//! wa-sim requests; wa-sim messages; wa-sim webhooks; wa-sim reset
//! ```
//!
//! `serve` prints one line with the Graph and control URLs; `wa-sim --help` lists every command
//! with examples. For a load test, batch webhooks (`batch_max`): the simulator's own cost per
//! message is measured by `cargo bench -p wa-sim --bench sim` (CPU per message, in BENCHMARKS.md).

mod account;
mod ascii_json;
mod auth;
mod clock;
mod config;
mod control;
mod control_api;
mod customer;
mod fields;
mod gcra;
mod graph;
mod graph_call;
mod graph_error;
mod ids;
mod inbound;
mod media;
mod profile;
mod records;
mod rng;
mod sdk;
mod send;
mod server;
mod shape;
mod state;
mod template;
mod template_admin;
mod upload;
mod upload_session;
mod webhook;

pub use ascii_json::to_ascii_json;
pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use config::{
    DEFAULT_WEBHOOK_VERSION, ErrorRate, Faults, Limits, NumberConfig, Outage, OutageMode,
    SimConfig, StepError, TemplateConfig, TemplateReview, WebhookBehaviour, WindowErrorMode,
};
pub use control::account::QualityChange;
pub use control::{ControlError, SignupGrant, SignupRequest, SimControl};
pub use customer::CustomerRef;
pub use inbound::{InboundContent, InboundContext, InboundMedia, InboundRequest, InboundResult};
pub use records::{
    AcceptedMessage, DeliveryAttempt, DeliveryState, ReadMark, RecordedRequest, Totals,
    WebhookDelivery,
};
pub use server::{RunningSim, SimError, Simulator, SimulatorBuilder};
pub use webhook::signature_header;
