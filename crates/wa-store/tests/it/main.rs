//! wa-store's integration suite: every test runs on SQLite and on PostgreSQL.
//!
//! Each test gets a fresh database built by the real `migration::Migrator` (never from the
//! entities): SQLite in a temporary file, PostgreSQL in a fresh schema of the server named by
//! `WA_TEST_POSTGRES_URL`. Without that variable the PostgreSQL tests fail; they are never
//! skipped. `cargo xtask test` starts the local server and sets it.
//!
//! Modules: `support` (databases and fixtures), then one module per area.

mod support;

mod app_tables;
mod conversations;
mod credentials;
mod errors;
mod event_endpoints;
mod events;
mod group_commit;
mod inbound;
mod isolation;
mod messages;
mod migrations;
mod onboarding;
mod outbox;
mod setup;
mod statuses;
mod upgrade;
