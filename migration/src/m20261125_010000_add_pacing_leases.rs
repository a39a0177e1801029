//! Pacing leases on `whatsapp_connections`: which `wa serve` process paces a number, and until
//! when.
//!
//! A number's throughput is one budget at Meta, so only one process may pace it at a time. The
//! outbox claim takes (or renews) the lease of each number it claims messages for, and leaves
//! numbers another live process holds alone; a crashed process's leases lapse. SQLite runs one
//! process and ignores the columns.

use sea_orm_migration::prelude::*;

/// Adds `pacer_owner` and `pacer_until`, and an index on the owner.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WhatsappConnections {
    Table,
    /// The process holding the lease (a random id per process), or NULL.
    PacerOwner,
    /// When the lease lapses.
    PacerUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(WhatsappConnections::Table)
                    .add_column(
                        ColumnDef::new(WhatsappConnections::PacerOwner)
                            .uuid()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WhatsappConnections::Table)
                    .add_column(
                        ColumnDef::new(WhatsappConnections::PacerUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The renewal before each claim finds an owner's leases through it.
        manager
            .create_index(
                Index::create()
                    .name("idx_whatsapp_connections_pacer_owner")
                    .table(WhatsappConnections::Table)
                    .col(WhatsappConnections::PacerOwner)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_whatsapp_connections_pacer_owner")
                    .table(WhatsappConnections::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            WhatsappConnections::PacerUntil,
            WhatsappConnections::PacerOwner,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(WhatsappConnections::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
