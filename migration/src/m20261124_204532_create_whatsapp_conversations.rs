//! `whatsapp_conversations`: the seed's table of customers and their 24-hour windows, extended
//! for customers known by a business-scoped user id (BSUID) and no phone number.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WhatsappConversations {
    Table,
    Id,
    TenantId,
    /// Nullable since BSUIDs: a username customer may hide the number.
    CustomerPhone,
    /// The profile name Meta sends with the customer's messages.
    CustomerName,
    WindowOpenedAt,
    WindowExpiresAt,
    LastMessageAt,
    MessageCount,
    CreatedAt,
    UpdatedAt,
    CustomerBsuid,
    CustomerUsername,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappConversations as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::TenantId).uuid().not_null())
                    .col(ColumnDef::new(C::CustomerPhone).string_len(20).null())
                    .col(ColumnDef::new(C::CustomerName).string_len(255).null())
                    .col(
                        ColumnDef::new(C::WindowOpenedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(C::WindowExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(C::LastMessageAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(C::MessageCount)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(C::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(C::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(C::CustomerBsuid).string_len(140).null())
                    .col(ColumnDef::new(C::CustomerUsername).string_len(255).null())
                    .check(
                        Expr::col(C::CustomerPhone)
                            .is_not_null()
                            .or(Expr::col(C::CustomerBsuid).is_not_null()),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_conversations_tenant")
                            .from(C::Table, C::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in unique indexes on both databases, so a customer without a phone
        // (or without a BSUID) does not collide with another.
        manager
            .create_index(
                Index::create()
                    .name("uq_whatsapp_conversations_tenant_phone")
                    .table(C::Table)
                    .col(C::TenantId)
                    .col(C::CustomerPhone)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_whatsapp_conversations_tenant_bsuid")
                    .table(C::Table)
                    .col(C::TenantId)
                    .col(C::CustomerBsuid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_whatsapp_conversations_window_expires_at")
                    .table(C::Table)
                    .col(C::WindowExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_whatsapp_conversations_tenant_window")
                    .table(C::Table)
                    .col(C::TenantId)
                    .col(C::WindowExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappConversations::Table).to_owned())
            .await
    }
}
