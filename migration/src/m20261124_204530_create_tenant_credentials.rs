//! `tenant_credentials`: tenants' Meta secrets, as ciphertext sealed by `wa-vault`.
//!
//! The clear columns are metadata only; the secret never reaches the database unencrypted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TenantCredentials {
    Table,
    TenantId,
    /// `access_token`, `registration_pin`.
    Kind,
    /// The vault's sealed record: version, key id, nonce, ciphertext and tag.
    Ciphertext,
    /// The vault key that sealed it; rotation looks for rows under older keys.
    KeyId,
    CreatedAt,
    RotatedAt,
    ExpiresAt,
    LastVerifiedAt,
    Revoked,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantCredentials::Table)
                    .col(
                        ColumnDef::new(TenantCredentials::TenantId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::Kind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::Ciphertext)
                            .blob()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::KeyId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::RotatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::LastVerifiedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::Revoked)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(TenantCredentials::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .name("pk_tenant_credentials")
                            .col(TenantCredentials::TenantId)
                            .col(TenantCredentials::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tenant_credentials_tenant")
                            .from(TenantCredentials::Table, TenantCredentials::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Key rotation pages through the rows not yet sealed by the newest key.
        manager
            .create_index(
                Index::create()
                    .name("idx_tenant_credentials_key_id")
                    .table(TenantCredentials::Table)
                    .col(TenantCredentials::KeyId)
                    .col(TenantCredentials::TenantId)
                    .col(TenantCredentials::Kind)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantCredentials::Table).to_owned())
            .await
    }
}
