//! `/v1/tenants/{id}/templates`: the tenant's message templates as synced from Meta, and a sync
//! on demand.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    ids::TenantId,
    template_catalog::SyncedTemplate,
    usecase::templates::{TemplateSyncError, list_templates, sync_templates},
};

use crate::{
    http::{auth::Caller, error::ApiError},
    state::AppState,
};

/// A synced template.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    /// Meta's id.
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its language.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: Option<String>,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// Variables per component: `header`, `body` (`count`, `names`), `buttons`.
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    /// Meta's components as received (a list; empty when none were stored).
    #[schema(value_type = Vec<Object>)]
    pub components: serde_json::Value,
    /// When it was last read from Meta or changed by a webhook.
    #[serde(with = "time::serde::rfc3339")]
    pub synced_at: OffsetDateTime,
}

impl From<SyncedTemplate> for TemplateView {
    fn from(template: SyncedTemplate) -> Self {
        Self {
            id: template.meta_id,
            name: template.name,
            language: template.language,
            category: template.category,
            status: template.status,
            parameters: serde_json::to_value(&template.spec).unwrap_or_default(),
            components: template
                .components_json
                .and_then(|json| serde_json::from_str(&json).ok())
                .filter(serde_json::Value::is_array)
                .unwrap_or_else(|| serde_json::Value::Array(Vec::new())),
            synced_at: template.synced_at,
        }
    }
}

/// The tenant's templates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateList {
    /// By name, then language.
    pub templates: Vec<TemplateView>,
}

/// The tenant's synced templates.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/templates",
    responses((status = 200, body = TemplateList)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<TemplateList>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let templates = list_templates(&state.ports, tenant_id).await?;
    Ok(Json(TemplateList {
        templates: templates.into_iter().map(TemplateView::from).collect(),
    }))
}

/// Syncs the tenant's templates from Meta now.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/templates/sync",
    responses((status = 200, body = TemplateList), (status = 404, body = crate::http::error::ErrorBody),
        (status = 502, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn sync(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<TemplateList>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    match sync_templates(&state.ports, tenant_id).await {
        Ok(_) => {}
        Err(TemplateSyncError::NotConnected) => return Err(ApiError::not_found("connection")),
        Err(TemplateSyncError::Graph(error)) => {
            return Err(ApiError::bad_gateway(error.to_string()));
        }
        Err(TemplateSyncError::Vault(vault)) => return Err(vault.into()),
        Err(TemplateSyncError::Store(store)) => return Err(store.into()),
    }
    list(State(state), caller, Path(tenant_id.as_uuid())).await
}
