//! `events`: each tenant's durable, ordered event log, and what the windows' deadlines need.
//!
//! An event is written in the same transaction as the state change it reports, numbered by
//! `tenants.event_seq` (taken last in that transaction), so `(tenant_id, seq)` is gapless and
//! in commit order. `id` is the event's stable id (the same on every delivery). `payload` is the
//! JSON text of the event's `data`; `schema` is its version. `recorded_at` is indexed so
//! retention deletes the oldest events by key, in small batches.
//!
//! `whatsapp_conversations` gains `closing_notified_for` and `closed_notified_for`: the window
//! expiry whose `window.closing` / `window.closed` was already written (NULL until then, and
//! again once a new message moves the expiry). A partial index holds only windows whose close
//! is still to be announced, so the deadline worker never scans the history.

use sea_orm_migration::prelude::*;

/// Creates `events` and the conversations' announcement columns.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    TenantId,
    Seq,
    Id,
    Type,
    Payload,
    Schema,
    OccurredAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum WhatsappConversations {
    Table,
    ClosingNotifiedFor,
    ClosedNotifiedFor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(ColumnDef::new(Events::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Events::Seq).big_integer().not_null())
                    .col(ColumnDef::new(Events::Id).uuid().not_null())
                    .col(ColumnDef::new(Events::Type).string_len(40).not_null())
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(ColumnDef::new(Events::Schema).small_integer().not_null())
                    .col(
                        ColumnDef::new(Events::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Events::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(Events::TenantId).col(Events::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_tenant")
                            .from(Events::Table, Events::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_events_id")
                    .table(Events::Table)
                    .col(Events::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_recorded_at")
                    .table(Events::Table)
                    .col(Events::RecordedAt)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite adds one column per `ALTER TABLE`.
        for column in [
            WhatsappConversations::ClosingNotifiedFor,
            WhatsappConversations::ClosedNotifiedFor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WhatsappConversations::Table)
                        .add_column(ColumnDef::new(column).timestamp_with_time_zone().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_whatsapp_conversations_window_due \
                 ON whatsapp_conversations (window_expires_at) \
                 WHERE window_expires_at IS NOT NULL AND closed_notified_for IS NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("DROP INDEX ix_whatsapp_conversations_window_due")
            .await?;
        for column in ["closed_notified_for", "closing_notified_for"] {
            conn.execute_unprepared(&format!(
                "ALTER TABLE whatsapp_conversations DROP COLUMN {column}"
            ))
            .await?;
        }
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
