//! The integration tests of wa-graph, one binary with a module per area.
//!
//! - `client_*`: the Graph client against wiremock on 127.0.0.1: every content type's exact
//!   send body (each also pinned as an insta snapshot), every other endpoint, and every way a call
//!   can fail.
//! - `send_meta_examples`: the later message types against Meta's documented examples, pinned
//!   as insta snapshots.
//! - `webhook_*`: signatures and the parse, on payloads written from Meta's documented shapes
//!   (`tests/fixtures/webhooks`), plus hostile and malformed bodies and a property test.

mod client_endpoints;
mod client_errors;
mod client_send;
mod send_meta_examples;
mod support;
mod webhook_fuzz;
mod webhook_parse;
mod webhook_signature;
