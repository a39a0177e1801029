//! `signup_attempts` (each tenant's Embedded Signup progress, so a retry resumes),
//! `whatsapp_templates` (each tenant's message templates as synced from Meta) and
//! `template_syncs` (when a tenant's templates were last synced, even when it has none).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SignupAttempts {
    Table,
    /// One row per tenant: a new signup replaces it.
    TenantId,
    /// A one-way fingerprint of the code (never the code).
    CodeFingerprint,
    /// The last step completed.
    Reached,
    WabaId,
    PhoneNumberId,
    BusinessId,
    /// The last failure as JSON (step, Meta's code, message, action).
    Failure,
    StartedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WhatsappTemplates {
    Table,
    Id,
    TenantId,
    WabaId,
    MetaId,
    Name,
    Language,
    Category,
    Status,
    /// The variables per component, as wa's own JSON.
    Spec,
    /// Meta's components as received.
    Components,
    SyncedAt,
}

#[derive(DeriveIden)]
enum TemplateSyncs {
    Table,
    TenantId,
    SyncedAt,
    Templates,
}

fn tenant_fk(
    name: &str,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignupAttempts::Table)
                    .col(
                        ColumnDef::new(SignupAttempts::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SignupAttempts::CodeFingerprint)
                            .string_len(128)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SignupAttempts::Reached)
                            .string_len(32)
                            .null(),
                    )
                    .col(ColumnDef::new(SignupAttempts::WabaId).string_len(64).null())
                    .col(
                        ColumnDef::new(SignupAttempts::PhoneNumberId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SignupAttempts::BusinessId)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(SignupAttempts::Failure).text().null())
                    .col(
                        ColumnDef::new(SignupAttempts::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignupAttempts::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut tenant_fk(
                        "fk_signup_attempts_tenant",
                        SignupAttempts::Table,
                        SignupAttempts::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WhatsappTemplates::Table)
                    .col(
                        ColumnDef::new(WhatsappTemplates::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::TenantId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::WabaId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::MetaId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::Name)
                            .string_len(512)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::Language)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::Category)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappTemplates::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(WhatsappTemplates::Spec).text().not_null())
                    .col(ColumnDef::new(WhatsappTemplates::Components).text().null())
                    .col(
                        ColumnDef::new(WhatsappTemplates::SyncedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut tenant_fk(
                        "fk_whatsapp_templates_tenant",
                        WhatsappTemplates::Table,
                        WhatsappTemplates::TenantId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_whatsapp_templates_tenant_name_language")
                    .table(WhatsappTemplates::Table)
                    .col(WhatsappTemplates::TenantId)
                    .col(WhatsappTemplates::Name)
                    .col(WhatsappTemplates::Language)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TemplateSyncs::Table)
                    .col(
                        ColumnDef::new(TemplateSyncs::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TemplateSyncs::SyncedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TemplateSyncs::Templates)
                            .integer()
                            .not_null(),
                    )
                    .foreign_key(&mut tenant_fk(
                        "fk_template_syncs_tenant",
                        TemplateSyncs::Table,
                        TemplateSyncs::TenantId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TemplateSyncs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WhatsappTemplates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SignupAttempts::Table).to_owned())
            .await
    }
}
