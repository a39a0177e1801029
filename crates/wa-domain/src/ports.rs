//! The ports: what the domain needs from the outside world, as async traits.
//!
//! Adapters implement them (`wa-store` the repositories, `wa-vault` the credential vault,
//! `wa-graph` the Graph gateway); the app holds them as `Arc<dyn Port>`. Every trait is
//! `Send + Sync + 'static` so it can be shared across tokio tasks. Each has a mockall mock
//! (`MockMessageRepository`, ...) in this crate's tests and, behind the `mock` feature, for
//! other crates' tests.
//!
//! Every repository method takes the [`TenantId`](crate::ids::TenantId) and must scope its query to it: a tenant can
//! never read or change another tenant's rows, even knowing their ids. The one exception is
//! [`ConnectionRepository::resolve_tenant`], which is how a webhook finds its tenant, and
//! [`Outbox::claim_due`], which is how a worker finds work across tenants (each message it
//! returns names its tenant, and everything after is scoped to that tenant again).
//!
//! # Layout
//! One file per aggregate, each re-exported here so callers write `ports::MessageRepository`:
//! - `tenants`, `connections` (numbers, and the directory across tenants), `conversations`
//!   (customers and windows), `messages`, `outbox` (pacing claims), `events` (the event log and
//!   window deadlines), `onboarding` (signups, templates);
//! - `credentials` (the vault as the use cases see it) and `sealed_credentials` (the vault's own
//!   storage: sealed records, never clear text);
//! - `api_keys`, `webhook_inbox` (Meta's raw webhooks, stored before they are answered) and
//!   `event_endpoints` (where tenants want their events posted, and dead letters): the edge's
//!   tables, ports like the others so the app reaches the database one way only;
//! - `graph` (Meta's Graph API) and `clock`.

mod api_keys;
mod clock;
mod connections;
mod conversations;
mod credentials;
mod event_endpoints;
mod events;
mod graph;
mod messages;
mod onboarding;
mod outbox;
mod sealed_credentials;
mod tenants;
mod webhook_inbox;

pub use self::api_keys::*;
pub use self::clock::*;
pub use self::connections::*;
pub use self::conversations::*;
pub use self::credentials::*;
pub use self::event_endpoints::*;
pub use self::events::*;
pub use self::graph::*;
pub use self::messages::*;
pub use self::onboarding::*;
pub use self::outbox::*;
pub use self::sealed_credentials::*;
pub use self::tenants::*;
pub use self::webhook_inbox::*;

use crate::credential::CredentialKind;

/// Why a repository call failed. No database error type crosses the port.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (for this tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write.
    #[error("already exists")]
    Duplicate,
    /// The database cannot be reached or is overloaded: try again later.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or corrupt data.
    #[error("database error")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a vault call failed. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No such credential for this tenant, or it was revoked.
    #[error("no {0} stored for this tenant")]
    NotFound(CredentialKind),
    /// The ciphertext does not open with any configured key: tampered, moved to another
    /// tenant's row, or sealed by a key that was removed.
    #[error("the stored {0} cannot be decrypted with the configured keys")]
    Undecryptable(CredentialKind),
    /// The storage behind the vault failed.
    #[error("credential storage failed")]
    Storage(#[source] StoreError),
}
