//! `whatsapp_conversations`.

use sea_orm::entity::prelude::*;

/// One row of `whatsapp_conversations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_conversations")]
#[allow(missing_docs)] // The columns are documented in the migration that created them.
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub customer_phone: Option<String>,
    pub customer_name: Option<String>,
    pub window_opened_at: Option<TimeDateTimeWithTimeZone>,
    pub window_expires_at: Option<TimeDateTimeWithTimeZone>,
    pub last_message_at: Option<TimeDateTimeWithTimeZone>,
    pub message_count: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub customer_bsuid: Option<String>,
    pub customer_username: Option<String>,
    pub closing_notified_for: Option<TimeDateTimeWithTimeZone>,
    pub closed_notified_for: Option<TimeDateTimeWithTimeZone>,
    /// Nullable on SQLite only (see the migration that added it); always written.
    pub phone_number_id: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
