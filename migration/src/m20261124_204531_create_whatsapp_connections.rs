//! `whatsapp_connections`: the seed's table linking a tenant to its WhatsApp Business Account
//! and number, extended with the number's health and what Meta reports about it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WhatsappConnections {
    Table,
    Id,
    /// Unique: one connection per tenant.
    TenantId,
    WabaId,
    /// Unique: webhooks are routed to a tenant through it.
    PhoneNumberId,
    DisplayPhoneNumber,
    BusinessName,
    /// `pending`, `active`, `disconnected`, `invalid`.
    Status,
    VerifiedAt,
    CreatedAt,
    UpdatedAt,
    HealthReason,
    HealthChangedAt,
    ThroughputMps,
    ThroughputLevel,
    QualityRating,
    MessagingLimit,
    VerifiedName,
    NameStatus,
    CodeVerificationStatus,
    PlatformType,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappConnections as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::TenantId).uuid().not_null().unique_key())
                    .col(ColumnDef::new(C::WabaId).string_len(50).not_null())
                    .col(
                        ColumnDef::new(C::PhoneNumberId)
                            .string_len(50)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(C::DisplayPhoneNumber)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(C::BusinessName).string_len(255).not_null())
                    .col(
                        ColumnDef::new(C::Status)
                            .string_len(16)
                            .not_null()
                            .default("pending")
                            .check(Expr::col(C::Status).is_in([
                                "pending",
                                "active",
                                "disconnected",
                                "invalid",
                            ])),
                    )
                    .col(
                        ColumnDef::new(C::VerifiedAt)
                            .timestamp_with_time_zone()
                            .null(),
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
                    .col(ColumnDef::new(C::HealthReason).text().null())
                    .col(
                        ColumnDef::new(C::HealthChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(C::ThroughputMps)
                            .integer()
                            .not_null()
                            .default(80),
                    )
                    .col(ColumnDef::new(C::ThroughputLevel).string_len(32).null())
                    .col(ColumnDef::new(C::QualityRating).string_len(32).null())
                    .col(ColumnDef::new(C::MessagingLimit).string_len(64).null())
                    .col(ColumnDef::new(C::VerifiedName).string_len(255).null())
                    .col(ColumnDef::new(C::NameStatus).string_len(64).null())
                    .col(
                        ColumnDef::new(C::CodeVerificationStatus)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(C::PlatformType).string_len(32).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_connections_tenant")
                            .from(C::Table, C::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappConnections::Table).to_owned())
            .await
    }
}
