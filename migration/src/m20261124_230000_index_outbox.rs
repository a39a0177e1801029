//! The outbox's index: each tenant's `pending` messages by when they are due.
//!
//! Partial (`WHERE status_rank = 0`), so it holds only the messages still waiting, however large
//! the history grows; the claim probes it once per tenant. Both databases accept the same
//! statement.

use sea_orm_migration::prelude::*;

/// Adds `idx_whatsapp_messages_tenant_due`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_whatsapp_messages_tenant_due \
                 ON whatsapp_messages (tenant_id, next_attempt_at, id) \
                 WHERE status_rank = 0",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_whatsapp_messages_tenant_due")
            .await
            .map(|_| ())
    }
}
