//! The integration tests of wa-graph, one binary with a module per area.
//!
//! - `webhook_*`: signatures and the parse, on payloads written from Meta's documented shapes
//!   (`tests/fixtures/webhooks`), plus hostile and malformed bodies and a property test.

#[allow(dead_code)] // The client helpers serve the client tests.
mod support;
mod webhook_fuzz;
mod webhook_parse;
mod webhook_signature;
