//! Tenants: the businesses a SaaS connects through wa.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    ids::TenantId,
    validation::{ValidationError, bounded_text},
};

/// Longest tenant name we keep.
pub const MAX_TENANT_NAME: usize = 200;

/// A business using wa.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// A name for people.
    pub name: String,
    /// Disabled tenants cannot send; what their customers send is still recorded.
    pub enabled: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

impl Tenant {
    /// A new, enabled tenant.
    ///
    /// # Errors
    /// `name` empty or longer than 200 characters.
    pub fn new(
        id: TenantId,
        name: impl Into<String>,
        created_at: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        let name = bounded_text("name", name, MAX_TENANT_NAME)?;
        Ok(Self {
            id,
            name,
            enabled: true,
            created_at,
        })
    }
}
