//! `event_endpoints` (each tenant's webhook URLs for outbound events, with their sealed signing
//! secrets and the delivery cursor and lease) and `event_dead_letters` (events an endpoint
//! never accepted within the delivery age, kept with the body so they can be redelivered).
//!
//! `cursor_seq` is the last event seq of the tenant's log that is done for the endpoint
//! (delivered, filtered out or dead-lettered). `claimed_by`/`claimed_until` is a lease: one
//! process at a time delivers an endpoint; a crashed process's lease lapses and another takes it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EventEndpoints {
    Table,
    Id,
    TenantId,
    Url,
    /// Comma-separated event types; NULL for every type.
    EventTypes,
    Enabled,
    /// The signing secret, sealed by the vault keyring.
    Secret,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    PreviousSecret,
    PreviousSecretUntil,
    CursorSeq,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventDeadLetters {
    Table,
    Id,
    TenantId,
    EndpointId,
    EventId,
    EventSeq,
    EventType,
    /// The event's JSON form, as it was posted.
    Body,
    Attempts,
    LastStatus,
    LastError,
    FirstAttemptAt,
    LastAttemptAt,
    DeadAt,
    RedeliverRequestedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let time = |column: EventEndpoints| {
            ColumnDef::new(column)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(EventEndpoints::Table)
                    .col(
                        ColumnDef::new(EventEndpoints::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EventEndpoints::TenantId).uuid().not_null())
                    .col(ColumnDef::new(EventEndpoints::Url).text().not_null())
                    .col(ColumnDef::new(EventEndpoints::EventTypes).text().null())
                    .col(ColumnDef::new(EventEndpoints::Enabled).boolean().not_null())
                    .col(ColumnDef::new(EventEndpoints::Secret).blob().not_null())
                    .col(ColumnDef::new(EventEndpoints::PreviousSecret).blob().null())
                    .col(
                        ColumnDef::new(EventEndpoints::PreviousSecretUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(EventEndpoints::CursorSeq)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(EventEndpoints::ClaimedBy).uuid().null())
                    .col(
                        ColumnDef::new(EventEndpoints::ClaimedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(time(EventEndpoints::CreatedAt))
                    .col(time(EventEndpoints::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_endpoints_tenant")
                            .from(EventEndpoints::Table, EventEndpoints::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_endpoints_tenant")
                    .table(EventEndpoints::Table)
                    .col(EventEndpoints::TenantId)
                    .col(EventEndpoints::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventDeadLetters::Table)
                    .col(
                        ColumnDef::new(EventDeadLetters::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EventDeadLetters::TenantId).uuid().not_null())
                    .col(
                        ColumnDef::new(EventDeadLetters::EndpointId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventDeadLetters::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(EventDeadLetters::EventSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::EventType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventDeadLetters::Body).text().not_null())
                    .col(
                        ColumnDef::new(EventDeadLetters::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::LastStatus)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(EventDeadLetters::LastError).text().null())
                    .col(
                        ColumnDef::new(EventDeadLetters::FirstAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::LastAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::DeadAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::RedeliverRequestedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(EventDeadLetters::DeliveredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_dead_letters_endpoint")
                            .from(EventDeadLetters::Table, EventDeadLetters::EndpointId)
                            .to(EventEndpoints::Table, EventEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_event_dead_letters_endpoint_event")
                    .table(EventDeadLetters::Table)
                    .col(EventDeadLetters::EndpointId)
                    .col(EventDeadLetters::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_dead_letters_tenant_endpoint")
                    .table(EventDeadLetters::Table)
                    .col(EventDeadLetters::TenantId)
                    .col(EventDeadLetters::EndpointId)
                    .col(EventDeadLetters::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventDeadLetters::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventEndpoints::Table).to_owned())
            .await
    }
}
