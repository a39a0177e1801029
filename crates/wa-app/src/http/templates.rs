//! `/v1/tenants/{id}/templates`: the tenant's message templates as synced from Meta, a sync on
//! demand, and template management: create (`POST`), edit (`PATCH …/{template_id}`) and delete
//! (`DELETE …/{template_id}`, or every language of a name with `DELETE …?name=`). Meta's rules
//! are checked before Meta is asked (400 `invalid_input` naming the field); Meta's own refusal
//! answers 422 `meta_refused` with Meta's message.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    error_class::ErrorClass,
    graph::GraphError,
    ids::TenantId,
    template_catalog::SyncedTemplate,
    template_draft::{TemplateDraft, TemplateEdit},
    usecase::templates::{
        TemplateAdminError, TemplateSyncError, create_template, delete_template, edit_template,
        list_templates, sync_templates,
    },
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
        Err(TemplateSyncError::Graph(error)) => return Err(graph_error(&error)),
        Err(TemplateSyncError::Vault(vault)) => return Err(vault.into()),
        Err(TemplateSyncError::Store(store)) => return Err(store.into()),
    }
    list(State(state), caller, Path(tenant_id.as_uuid())).await
}

impl From<TemplateAdminError> for ApiError {
    fn from(error: TemplateAdminError) -> Self {
        match error {
            TemplateAdminError::Invalid(invalid) => {
                ApiError::invalid(invalid.field, invalid.reason)
            }
            TemplateAdminError::NotConnected => ApiError::not_found("connection"),
            TemplateAdminError::UnknownTemplate(_) => ApiError::not_found("template"),
            TemplateAdminError::Graph(graph) => graph_error(&graph),
            TemplateAdminError::Vault(vault) => vault.into(),
            TemplateAdminError::Store(store) => store.into(),
        }
    }
}

/// Meta's refusal of what the caller asked is theirs to fix (422), and so is a connection whose
/// token Meta refuses (409 `connection_auth_invalid`: reconnect); anything else is Meta's (502).
fn graph_error(error: &GraphError) -> ApiError {
    match error.class {
        ErrorClass::AuthInvalid => ApiError::conflict(
            "connection_auth_invalid",
            format!(
                "Meta refused the connection's access token; connect again with a valid one ({error})"
            ),
        ),
        ErrorClass::Permanent if error.code.is_some() => {
            let info = &error.info;
            let message = match (&info.user_title, &info.user_message) {
                (Some(title), Some(text)) => format!("{}: {title}: {text}", info.message),
                _ => error.to_string(),
            };
            ApiError::meta_refused(message)
        }
        _ => ApiError::bad_gateway(error.to_string()),
    }
}

/// Creates a template at Meta (Meta's rules checked first); it is stored as Meta answered,
/// usually `PENDING` until Meta's review.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/templates",
    request_body(content = Object, description = "name, language, category (marketing, utility, authentication), parameter_format (positional, named), components: header (format text/image/video/document/location), body (text, examples), footer, buttons (quick_reply, url, phone_number, copy_code)"),
    responses((status = 201, body = TemplateView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody),
        (status = 502, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Json(draft): Json<TemplateDraft>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let created = create_template(&state.ports, tenant_id, &draft).await?;
    Ok((StatusCode::CREATED, Json(TemplateView::from(created))))
}

/// Edits a template (new components, or a new category); it goes back to Meta's review.
#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/templates/{template_id}",
    params(("template_id" = String, Path, description = "Meta's template id")),
    request_body(content = Object, description = "category, parameter_format, components (as for creation)"),
    responses((status = 200, body = TemplateView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody),
        (status = 502, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, template_id)): Path<(Uuid, String)>,
    Json(edit): Json<TemplateEdit>,
) -> Result<Json<TemplateView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let edited = edit_template(&state.ports, tenant_id, &template_id, &edit).await?;
    Ok(Json(TemplateView::from(edited)))
}

/// How many stored templates a delete removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    /// Templates removed from the catalogue (one per language).
    pub deleted: usize,
}

/// Deletes one template (one language) by Meta's id.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/templates/{template_id}",
    params(("template_id" = String, Path, description = "Meta's template id")),
    responses((status = 200, body = Deleted), (status = 404, body = crate::http::error::ErrorBody),
        (status = 422, body = crate::http::error::ErrorBody), (status = 502, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn delete_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, template_id)): Path<(Uuid, String)>,
) -> Result<Json<Deleted>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let template = list_templates(&state.ports, tenant_id)
        .await?
        .into_iter()
        .find(|t| t.meta_id.as_deref() == Some(template_id.as_str()))
        .ok_or_else(|| ApiError::not_found("template"))?;
    let deleted =
        delete_template(&state.ports, tenant_id, &template.name, Some(template_id)).await?;
    Ok(Json(Deleted { deleted }))
}

/// Which name a delete of every language addresses.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ByName {
    /// The template's name.
    pub name: String,
}

/// Deletes every language of the template `name`.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/templates", params(ByName),
    responses((status = 200, body = Deleted), (status = 404, body = crate::http::error::ErrorBody),
        (status = 422, body = crate::http::error::ErrorBody), (status = 502, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "templates")]
pub async fn delete_by_name(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Query(by): Query<ByName>,
) -> Result<Json<Deleted>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let deleted = delete_template(&state.ports, tenant_id, &by.name, None).await?;
    Ok(Json(Deleted { deleted }))
}
