//! The frozen schema history of wa, for SQLite (the embedded default) and PostgreSQL.
//!
//! Each migration is a file named `mYYYYMMDD_HHMMSS_<what>.rs` and is never edited once
//! released: a schema change is a new migration. That is why this crate depends on
//! sea-orm-migration only and never on `wa-store`'s entities: an entity describes today's
//! schema, a migration describes a step in history.
//!
//! # Portable types
//! - Ids are `uuid` on PostgreSQL and 16-byte blobs on SQLite (sqlx binds a `Uuid` as a blob), so
//!   both order them byte by byte; UUID v7 ids therefore sort by creation time on both.
//! - Times are `timestamptz` on PostgreSQL. On SQLite they are text, and `wa-store` always writes
//!   them as fixed-width UTC (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) so that text order is time order:
//!   `MIN`, `MAX`, range filters and indexes then behave the same on both databases.
//! - Enumerations (statuses, directions) are short strings guarded by `CHECK` constraints rather
//!   than PostgreSQL enum types, which SQLite lacks and which are awkward to extend.
//!
//! Use [`Migrator`] as a library: `cargo xtask migrate`, `wa migrate` and the app at start-up
//! all call [`MigratorTrait::up`].

pub use sea_orm_migration::prelude::*;

mod m20261124_204529_create_tenants;
mod m20261124_204530_create_tenant_credentials;
mod m20261124_204531_create_whatsapp_connections;
mod m20261124_204532_create_whatsapp_conversations;
mod m20261124_204533_create_whatsapp_messages;
mod m20261124_211500_create_api_keys_and_webhook_inbox;
mod m20261124_230000_index_outbox;
mod m20261125_010000_add_pacing_leases;
mod m20261125_010000_create_events;
mod m20261125_010000_create_signups_and_templates;
mod m20261125_020000_create_event_endpoints;
mod m20261206_000000_drop_outbox_status_index;
mod m20261206_000100_add_claim_lapsed;
mod m20261207_001000_add_inbox_parking;
mod m20261207_002000_numbers_per_tenant;

/// Every migration of wa, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_204529_create_tenants::Migration),
            Box::new(m20261124_204530_create_tenant_credentials::Migration),
            Box::new(m20261124_204531_create_whatsapp_connections::Migration),
            Box::new(m20261124_204532_create_whatsapp_conversations::Migration),
            Box::new(m20261124_204533_create_whatsapp_messages::Migration),
            Box::new(m20261124_211500_create_api_keys_and_webhook_inbox::Migration),
            Box::new(m20261124_230000_index_outbox::Migration),
            Box::new(m20261125_010000_add_pacing_leases::Migration),
            Box::new(m20261125_010000_create_events::Migration),
            Box::new(m20261125_010000_create_signups_and_templates::Migration),
            Box::new(m20261125_020000_create_event_endpoints::Migration),
            Box::new(m20261206_000000_drop_outbox_status_index::Migration),
            Box::new(m20261206_000100_add_claim_lapsed::Migration),
            Box::new(m20261207_001000_add_inbox_parking::Migration),
            Box::new(m20261207_002000_numbers_per_tenant::Migration),
        ]
    }
}
