//! wa-app's integration tests: the service over real HTTP on 127.0.0.1, with the Cloud API
//! simulator playing Meta, on SQLite and on PostgreSQL.

mod api;
mod cli;
mod crash;
mod delivery;
mod event_log;
mod event_webhooks;
mod hostile;
mod in_doubt;
mod inbox_parking;
mod log_redaction;
mod malformed;
mod message_types;
mod numbers;
mod onboarding;
mod secrets;
mod signup_page;
mod support;
mod surface;
mod templates;
mod webhooks;
