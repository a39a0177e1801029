//! `tenants` rows and [`Tenant`].

use wa_domain::{ids::TenantId, ports::StoreError, tenant::Tenant};

use crate::entity::tenant;

/// The domain tenant of a row.
pub(crate) fn to_domain(row: tenant::Model) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId::from_uuid(row.id),
        name: row.name,
        enabled: row.enabled,
        created_at: row.created_at,
    })
}
