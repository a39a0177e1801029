//! wa's persistence: the repository adapters of `wa-domain`'s ports, on SQLite (the embedded
//! default) and PostgreSQL (production), with one schema (the `migration` crate).
//!
//! # Layout
//! - [`Store`]: the connection pool (`Store::connect(url)`), migrations, and each repository.
//! - `repo`: one adapter per port ([`SqlTenants`], [`SqlConnections`], [`SqlMessages`],
//!   [`SqlConversations`]) and [`CredentialRows`] for `wa-vault`.
//! - [`entity`]: SeaORM row types, kept apart from `convert`, the hand-written conversions
//!   between rows and domain types.
//! - `group_commit`: the hot small writes of concurrent callers (new and inbound messages,
//!   accepted sends, status batches, outbound conversation counts) share one transaction and one
//!   commit ([`GroupCommitStats`]).
//! - `error`: database errors sorted into the port's `StoreError`; no `DbErr` crosses a port.
//!
//! # Invariants
//! - Every query is scoped to its tenant: each statement's `WHERE` names `tenant_id`, so a
//!   tenant cannot read or change another's rows even knowing their ids or wamids. The one
//!   exception is `resolve_tenant`, which is how a webhook finds its tenant.
//! - A message's state only moves to a higher rank, in one conditional `UPDATE`
//!   (`… WHERE status_rank < :rank`); per-state times keep the earliest report.
//! - Inbound messages are idempotent on (tenant, wamid) through a unique index
//!   (`ON CONFLICT DO NOTHING`): a replay changes nothing.
//! - A window's expiry only moves forward, in one `UPDATE`.
//! - Times are stored so that SQL compares them the same way on both databases
//!   (see `convert::timestamp`).

pub mod entity;

mod convert;
mod error;
mod group_commit;
mod repo;
mod store;

pub use group_commit::GroupCommitStats;
pub use repo::{
    app_tables::{ApiKeyRows, InboxRow, ParkedRow, WebhookInboxRows},
    connection::SqlConnections,
    conversation::SqlConversations,
    credential::{CredentialRow, CredentialRows},
    event_endpoints::{DeadLetterRow, EndpointRow, EventEndpointRows},
    event_log::SqlEvents,
    message::SqlMessages,
    onboarding::{SqlConnectionDirectory, SqlSignups, SqlTemplates},
    outbox::OutboxRows,
    tenant::SqlTenants,
};
pub use store::Store;
