//! Integration tests of `wa-vault`, through its public API and the `CredentialVault` port,
//! over the in-memory store.
//!
//! - `support`: keys, a settable clock, vault constructors.
//! - `port`: the port's contract (round trip, absent, replace, revoke, metadata).
//! - `tamper`: wrong keys, altered records, records moved to another tenant or kind.
//! - `rotation`: re-sealing, resuming, concurrent writers, removing the old key.
//! - `cache`: what the cache serves and when it forgets.
//! - `leaks`: stored bytes, `Debug`/`Display` and log output never show a secret.

mod cache;
mod leaks;
mod port;
mod rotation;
mod support;
mod tamper;
