//! `whatsapp_messages`.

use sea_orm::entity::prelude::*;

/// One row of `whatsapp_messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_messages")]
#[allow(missing_docs)] // The columns are documented in the migration that created them.
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub conversation_id: Uuid,
    pub wa_message_id: Option<String>,
    pub direction: String,
    #[sea_orm(column_name = "type")]
    pub r#type: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub media_id: Option<String>,
    pub template_name: Option<String>,
    pub recipient_phone: Option<String>,
    pub sender_phone: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
    pub delivered_at: Option<TimeDateTimeWithTimeZone>,
    pub read_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub status_rank: i16,
    pub accepted_at: Option<TimeDateTimeWithTimeZone>,
    pub played_at: Option<TimeDateTimeWithTimeZone>,
    pub failed_at: Option<TimeDateTimeWithTimeZone>,
    pub customer_bsuid: Option<String>,
    pub error_class: Option<String>,
    pub error_title: Option<String>,
    pub error_details: Option<String>,
    pub fbtrace_id: Option<String>,
    pub pricing_category: Option<String>,
    pub pricing_model: Option<String>,
    pub pricing_type: Option<String>,
    pub billable: Option<bool>,
    pub reply_to_wamid: Option<String>,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub raw_payload: Option<String>,
    pub reaction_message_id: Option<String>,
    pub reaction_emoji: Option<String>,
    pub idempotency_key: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<TimeDateTimeWithTimeZone>,
    pub claimed_until: Option<TimeDateTimeWithTimeZone>,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// Nullable on SQLite only (see the migration that added it); always written.
    pub phone_number_id: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
