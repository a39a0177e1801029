//! Integration tests of the simulator over real HTTP on 127.0.0.1: one binary, one module per
//! area. Each Meta rule the simulator keeps is shown by at least one test here.

mod auth;
mod control;
mod e2e_client;
mod e2e_webhooks;
mod faults;
mod fidelity;
mod helpers;
mod inbound;
mod media;
mod onboarding;
mod openapi;
mod payload;
mod rules;
mod sdk_conformance;
mod webhook_shapes;
mod webhooks;
