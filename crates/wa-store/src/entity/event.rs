//! `events`.

use sea_orm::entity::prelude::*;

/// One row of `events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
#[allow(missing_docs)] // The columns are documented in the migration that created them.
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    #[sea_orm(column_name = "type")]
    pub kind: String,
    pub payload: String,
    pub schema: i16,
    pub occurred_at: TimeDateTimeWithTimeZone,
    pub recorded_at: TimeDateTimeWithTimeZone,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
