//! Integration tests of `wa-vault`, through its public API and the `CredentialVault` port,
//! over the in-memory store and over `wa-store`'s credentials table (SQLite and PostgreSQL).
//!
//! - `support`: keys, a settable clock, vault constructors.
//! - `port`: the port's contract (round trip, absent, replace, revoke, metadata).
//! - `tamper`: wrong keys, altered records, records moved to another tenant or kind.
//! - `rotation`: re-sealing, resuming, concurrent writers, removing the old key.
//! - `cache`: what the cache serves and when it forgets.
//! - `leaks`: stored bytes, `Debug`/`Display` and log output never show a secret.
//! - `sql`: the real credentials table: a fresh database per test.
//! - `dump`: the raw column and the database files hold no token, in any spelling.
//! - `sql_rotation`: rotation on the real table, resumed after a crash, while serving.

mod cache;
mod dump;
mod leaks;
mod port;
mod rotation;
mod sql;
mod sql_rotation;
mod support;
mod tamper;
