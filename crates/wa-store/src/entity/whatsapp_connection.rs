//! `whatsapp_connections`.

use sea_orm::entity::prelude::*;

/// One row of `whatsapp_connections`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_connections")]
#[allow(missing_docs)] // The columns are documented in the migration that created them.
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub business_name: String,
    pub status: String,
    pub verified_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub health_reason: Option<String>,
    pub health_changed_at: TimeDateTimeWithTimeZone,
    pub throughput_mps: i32,
    pub throughput_level: Option<String>,
    pub quality_rating: Option<String>,
    pub messaging_limit: Option<String>,
    pub verified_name: Option<String>,
    pub name_status: Option<String>,
    pub code_verification_status: Option<String>,
    pub platform_type: Option<String>,
    pub is_default: bool,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
