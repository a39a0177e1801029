//! `tenant_credentials`: ciphertext and metadata, never a clear secret.

use sea_orm::entity::prelude::*;

/// One row of `tenant_credentials`.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_credentials")]
#[allow(missing_docs)] // The columns are documented in the migration that created them.
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(column_type = "Blob")]
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub rotated_at: Option<TimeDateTimeWithTimeZone>,
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    pub last_verified_at: Option<TimeDateTimeWithTimeZone>,
    pub revoked: bool,
    pub updated_at: TimeDateTimeWithTimeZone,
}

/// The ciphertext's length only: even sealed bytes stay out of logs.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("tenant_credential::Model")
            .field("tenant_id", &self.tenant_id)
            .field("kind", &self.kind)
            .field("ciphertext_len", &self.ciphertext.len())
            .field("key_id", &self.key_id)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
