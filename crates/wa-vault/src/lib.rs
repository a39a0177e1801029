//! Tenants' Meta credentials, encrypted at rest.
//!
//! A stolen database dump, a log file or a panic message must reveal no token, and keys must
//! rotate without downtime. Every secret is sealed with AES-256-GCM under the newest key of a
//! [`Keyring`], with a fresh random nonce and the tenant and kind bound in as associated data,
//! into a versioned record that names its key ([`record`]). The sealed record and clear
//! metadata go through `wa-domain`'s storage port
//! ([`SealedCredentialStore`](wa_domain::ports::SealedCredentialStore)): `wa-store` implements it
//! on the `tenant_credentials` table, [`MemoryStore`] in memory. This crate knows no database.
//!
//! # Layout
//! - [`keyring`]: key ids, the `WA_VAULT_KEYS` format, dev keys.
//! - [`record`]: the sealed record format; `seal` and `open`.
//! - [`memory`]: the storage port in memory, for tests and for using the vault alone.
//! - [`vault`]: [`Vault`], the `CredentialVault` port of `wa-domain`, with a short cache.
//! - [`rotation`]: re-sealing under the newest key, the library side of `wa vault rotate`.
//!
//! Secrets only ever travel as [`secrecy::SecretString`]: redacted `Debug`, zeroed on drop.
//! No error of this crate carries secret bytes or key material.

pub mod keyring;
pub mod memory;
pub mod record;
pub mod rotation;
pub mod vault;

pub use keyring::{KeyId, KeySourceError, Keyring, KeyringError, generate_key_entry};
pub use memory::MemoryStore;
pub use record::{OpenError, SealError};
pub use rotation::{Rotation, RotationReport};
pub use vault::{CacheConfig, Vault};
