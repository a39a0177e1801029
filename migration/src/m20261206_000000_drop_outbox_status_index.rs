//! Drops `idx_whatsapp_messages_outbox` (`status, next_attempt_at`).
//!
//! No query uses it since the outbox moved to the partial `idx_whatsapp_messages_tenant_due`
//! (`WHERE status_rank = 0`), yet every insert and every status change of a message wrote to it:
//! a status changes an indexed column, so PostgreSQL cannot update the row in place and inserts
//! into every index of the table. Both databases accept the same statements.

use sea_orm_migration::prelude::*;

/// Drops the unused index; `down` puts it back.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_whatsapp_messages_outbox")
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_whatsapp_messages_outbox \
                 ON whatsapp_messages (status, next_attempt_at)",
            )
            .await
            .map(|_| ())
    }
}
