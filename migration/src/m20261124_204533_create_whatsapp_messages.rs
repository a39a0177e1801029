//! `whatsapp_messages`: the seed's message table, extended with the full lifecycle (ranks and
//! per-state times), error details, pricing, reply and media metadata, reactions, the customer's
//! BSUID, and the outbox columns (idempotency key, attempts, next attempt, claim lease).

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
}

#[derive(DeriveIden, Clone, Copy)]
enum WhatsappMessages {
    Table,
    Id,
    TenantId,
    ConversationId,
    /// Meta's id; unique per tenant, null until Meta accepts an outbound message.
    WaMessageId,
    Direction,
    Type,
    /// The content in wa's canonical JSON form (the source of truth for every type).
    Content,
    MediaId,
    TemplateName,
    /// The customer's number on outbound messages.
    RecipientPhone,
    /// The customer's number on inbound messages.
    SenderPhone,
    Status,
    ErrorCode,
    SentAt,
    DeliveredAt,
    ReadAt,
    CreatedAt,
    /// Orders transitions: a status update only ever raises it.
    StatusRank,
    AcceptedAt,
    PlayedAt,
    FailedAt,
    CustomerBsuid,
    ErrorClass,
    ErrorTitle,
    ErrorDetails,
    FbtraceId,
    PricingCategory,
    PricingModel,
    PricingType,
    Billable,
    ReplyToWamid,
    MimeType,
    Sha256,
    Caption,
    Filename,
    /// The whole inbound message when wa does not know its type.
    RawPayload,
    ReactionMessageId,
    ReactionEmoji,
    IdempotencyKey,
    Attempts,
    NextAttemptAt,
    /// Lease of the worker sending it; a crashed worker's claims expire.
    ClaimedUntil,
    UpdatedAt,
}

fn timestamp(column: WhatsappMessages) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text(column: WhatsappMessages, len: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(len).null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappMessages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::TenantId).uuid().not_null())
                    .col(ColumnDef::new(M::ConversationId).uuid().not_null())
                    .col(text(M::WaMessageId, 512))
                    .col(
                        ColumnDef::new(M::Direction)
                            .string_len(8)
                            .not_null()
                            .check(Expr::col(M::Direction).is_in(["inbound", "outbound"])),
                    )
                    .col(ColumnDef::new(M::Type).string_len(32).not_null())
                    .col(ColumnDef::new(M::Content).text().not_null())
                    .col(text(M::MediaId, 255))
                    .col(text(M::TemplateName, 512))
                    .col(text(M::RecipientPhone, 20))
                    .col(text(M::SenderPhone, 20))
                    .col(ColumnDef::new(M::Status).string_len(16).not_null().check(
                        Expr::col(M::Status).is_in([
                            "pending",
                            "accepted",
                            "sent",
                            "delivered",
                            "read",
                            "played",
                            "failed",
                        ]),
                    ))
                    .col(text(M::ErrorCode, 20))
                    .col(timestamp(M::SentAt))
                    .col(timestamp(M::DeliveredAt))
                    .col(timestamp(M::ReadAt))
                    .col(
                        ColumnDef::new(M::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(M::StatusRank)
                            .small_integer()
                            .not_null()
                            .check(Expr::col(M::StatusRank).between(0, 6)),
                    )
                    .col(timestamp(M::AcceptedAt))
                    .col(timestamp(M::PlayedAt))
                    .col(timestamp(M::FailedAt))
                    .col(text(M::CustomerBsuid, 140))
                    .col(text(M::ErrorClass, 32))
                    .col(ColumnDef::new(M::ErrorTitle).text().null())
                    .col(ColumnDef::new(M::ErrorDetails).text().null())
                    .col(text(M::FbtraceId, 64))
                    .col(text(M::PricingCategory, 64))
                    .col(text(M::PricingModel, 32))
                    .col(text(M::PricingType, 64))
                    .col(ColumnDef::new(M::Billable).boolean().null())
                    .col(text(M::ReplyToWamid, 512))
                    .col(text(M::MimeType, 255))
                    .col(text(M::Sha256, 128))
                    .col(ColumnDef::new(M::Caption).text().null())
                    .col(ColumnDef::new(M::Filename).text().null())
                    .col(ColumnDef::new(M::RawPayload).text().null())
                    .col(text(M::ReactionMessageId, 512))
                    .col(text(M::ReactionEmoji, 64))
                    .col(text(M::IdempotencyKey, 255))
                    .col(ColumnDef::new(M::Attempts).integer().not_null().default(0))
                    .col(timestamp(M::NextAttemptAt))
                    .col(timestamp(M::ClaimedUntil))
                    .col(
                        ColumnDef::new(M::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_messages_tenant")
                            .from(M::Table, M::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_messages_conversation")
                            .from(M::Table, M::ConversationId)
                            .to(WhatsappConversations::Table, WhatsappConversations::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // (name, unique, columns). The unique (tenant, wamid) index also serves status lookups,
        // which the seed indexed on the wamid alone: every lookup is tenant-scoped.
        let indexes: [(&str, bool, &[M]); 9] = [
            (
                "uq_whatsapp_messages_tenant_wamid",
                true,
                &[M::TenantId, M::WaMessageId],
            ),
            (
                "uq_whatsapp_messages_tenant_idempotency_key",
                true,
                &[M::TenantId, M::IdempotencyKey],
            ),
            (
                "idx_whatsapp_messages_tenant_id",
                false,
                &[M::TenantId, M::Id],
            ),
            (
                "idx_whatsapp_messages_tenant_recipient_phone",
                false,
                &[M::TenantId, M::RecipientPhone],
            ),
            (
                "idx_whatsapp_messages_tenant_sender_phone",
                false,
                &[M::TenantId, M::SenderPhone],
            ),
            (
                "idx_whatsapp_messages_tenant_customer_bsuid",
                false,
                &[M::TenantId, M::CustomerBsuid],
            ),
            (
                "idx_whatsapp_messages_tenant_status",
                false,
                &[M::TenantId, M::Status],
            ),
            (
                "idx_whatsapp_messages_outbox",
                false,
                &[M::Status, M::NextAttemptAt],
            ),
            (
                "idx_whatsapp_messages_conversation",
                false,
                &[M::ConversationId],
            ),
        ];
        for (name, unique, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(M::Table);
            for column in columns {
                index.col(*column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappMessages::Table).to_owned())
            .await
    }
}
