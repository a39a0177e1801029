//! `webhook_inbox.parked_at`: a body that failed `WA_INBOX_MAX_ATTEMPTS` times is parked (a dead
//! letter), left alone by the inbox worker until an operator replays it.
//!
//! A parked row keeps `processed_at` null and its `last_error`; the claim skips rows whose
//! `parked_at` is set, and a replay clears it. The index serves the operator's listing and the
//! parked-rows gauge.

use sea_orm_migration::prelude::*;

/// Adds `parked_at`, null (not parked) for every existing row, and its index.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WebhookInbox {
    Table,
    /// When the body was parked after its last allowed attempt.
    ParkedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookInbox::Table)
                    .add_column(
                        ColumnDef::new(WebhookInbox::ParkedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_inbox_parked")
                    .table(WebhookInbox::Table)
                    .col(WebhookInbox::ParkedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_webhook_inbox_parked")
                    .table(WebhookInbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookInbox::Table)
                    .drop_column(WebhookInbox::ParkedAt)
                    .to_owned(),
            )
            .await
    }
}
