//! wa's persistence: the repository adapters of `wa-domain`'s ports, on SQLite (the embedded
//! default) and PostgreSQL (production), with one schema (the `migration` crate).
//!
//! # Layout
//! - [`Store`]: the connection pool (`Store::connect(url)`), migrations, and each repository.
//! - `repo`: one adapter per port of `wa-domain` (`Sql*`: [`SqlTenants`], [`SqlMessages`],
//!   [`SqlWebhookInbox`], [`SqlSealedCredentials`] for `wa-vault`, ...). No row type leaves the
//!   crate: every method speaks the port's domain types.
//! - `entity`: SeaORM row types (private), kept apart from `convert`, the hand-written conversions
//!   between rows and domain types.
//! - `group_commit`: the hot small writes of concurrent callers (new and inbound messages,
//!   accepted sends, status batches, outbound conversation counts) share one transaction and one
//!   commit ([`GroupCommitStats`]).
//! - `error`: database errors sorted into the port's `StoreError`; no `DbErr` crosses a port.
//!
//! # Invariants
//! - Every query is scoped to its tenant: each statement's `WHERE` names `tenant_id`, so a
//!   tenant cannot read or change another's rows even knowing their ids or wamids. The
//!   exceptions are the ones the ports name: how a webhook finds its tenant, the workers'
//!   cross-tenant claims (outbox, event endpoints), the webhook inbox (stored before its tenant
//!   is known), API-key lookup, and the vault's rotation walk.
//! - A message's state only moves to a higher rank, in one conditional `UPDATE`
//!   (`… WHERE status_rank < :rank`); per-state times keep the earliest report.
//! - Inbound messages are idempotent on (tenant, wamid) through a unique index
//!   (`ON CONFLICT DO NOTHING`): a replay changes nothing.
//! - A window's expiry only moves forward, in one `UPDATE`.
//! - Times are stored so that SQL compares them the same way on both databases
//!   (see `convert::timestamp`).

#[allow(
    unreachable_pub,
    reason = "SeaORM's derives generate `pub` items; the module itself is private: no row type leaves the crate"
)]
mod entity;

mod convert;
mod error;
mod group_commit;
mod repo;
mod store;

pub use group_commit::GroupCommitStats;
pub use repo::{
    api_keys::SqlApiKeys,
    connection::SqlConnections,
    conversation::SqlConversations,
    credential::SqlSealedCredentials,
    event_endpoints::SqlEventEndpoints,
    event_log::SqlEvents,
    message::SqlMessages,
    onboarding::{SqlConnectionDirectory, SqlSignups, SqlTemplates},
    outbox::SqlOutbox,
    tenant::SqlTenants,
    webhook_inbox::SqlWebhookInbox,
};
pub use store::Store;
