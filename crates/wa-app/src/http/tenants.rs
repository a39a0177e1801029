//! `/v1/tenants`: create, list, get, disable (admin), and API keys.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wa_domain::{ids::TenantId, message::Page, tenant::Tenant};

use crate::{
    http::{
        auth::{Caller, generate_api_key},
        dto::{CreateTenant, CreatedApiKey, CreatedTenant, TenantList, TenantView},
        error::ApiError,
    },
    state::AppState,
};

/// Largest page the API serves.
pub const MAX_PAGE: u32 = 200;

/// Paging of lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Continue after this id (exclusive).
    pub after: Option<Uuid>,
    /// At most this many items (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(0) => Err(ApiError::invalid("limit", "limit must be at least 1")),
        Some(n) if n > MAX_PAGE => Err(ApiError::invalid(
            "limit",
            format!("limit must be at most {MAX_PAGE}"),
        )),
        Some(n) => Ok(n),
    }
}

/// Creates a tenant and its first API key.
#[utoipa::path(post, path = "/v1/tenants", request_body = CreateTenant,
    responses((status = 201, body = CreatedTenant), (status = 400, body = crate::http::error::ErrorBody), (status = 401), (status = 403)),
    security(("admin" = [])), tag = "tenants")]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), ApiError> {
    caller.require_admin()?;
    let now = state.ports.clock.now();
    let tenant = Tenant::new(TenantId::generate(), body.name, now)?;
    state.ports.tenants.create(&tenant).await?;
    let key = generate_api_key();
    state
        .api_keys
        .insert(tenant.id, key.hash, &key.prefix, now)
        .await?;
    tracing::info!(tenant.id = %tenant.id, "tenant created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            tenant: tenant.into(),
            api_key: key.key.expose_secret().to_owned(),
        }),
    ))
}

/// Lists tenants in id order.
#[utoipa::path(get, path = "/v1/tenants", params(PageQuery),
    responses((status = 200, body = TenantList), (status = 401), (status = 403)),
    security(("admin" = [])), tag = "tenants")]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> Result<Json<TenantList>, ApiError> {
    caller.require_admin()?;
    let limit = page_limit(query.limit)?;
    let tenants = state
        .ports
        .tenants
        .list(Page {
            after: query.after.map(TenantId::from_uuid),
            limit,
        })
        .await?;
    let next = (tenants.len() == limit as usize)
        .then(|| tenants.last().map(|t| t.id.as_uuid()))
        .flatten();
    Ok(Json(TenantList {
        items: tenants.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// One tenant.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}",
    responses((status = 200, body = TenantView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "tenants")]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<TenantView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let tenant = state
        .ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(Json(tenant.into()))
}

/// Disables a tenant: it can no longer send; what its customers send is still recorded.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/disable",
    responses((status = 200, body = TenantView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = [])), tag = "tenants")]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<TenantView>, ApiError> {
    set_enabled(state, caller, tenant_id, false).await
}

/// Enables a disabled tenant again.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/enable",
    responses((status = 200, body = TenantView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = [])), tag = "tenants")]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<TenantView>, ApiError> {
    set_enabled(state, caller, tenant_id, true).await
}

async fn set_enabled(
    state: AppState,
    caller: Caller,
    tenant_id: Uuid,
    enabled: bool,
) -> Result<Json<TenantView>, ApiError> {
    caller.require_admin()?;
    let tenant_id = TenantId::from_uuid(tenant_id);
    match state.ports.tenants.set_enabled(tenant_id, enabled).await {
        Err(wa_domain::ports::StoreError::NotFound) => return Err(ApiError::not_found("tenant")),
        other => other?,
    }
    let tenant = state
        .ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    tracing::info!(tenant.id = %tenant_id, enabled, "tenant enabled flag changed");
    Ok(Json(tenant.into()))
}

/// Creates another API key for a tenant (shown once).
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/api-keys",
    responses((status = 201, body = CreatedApiKey), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = [])), tag = "tenants")]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    caller.require_admin()?;
    let tenant_id = TenantId::from_uuid(tenant_id);
    state
        .ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let key = generate_api_key();
    state
        .api_keys
        .insert(tenant_id, key.hash, &key.prefix, state.ports.clock.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            api_key: key.key.expose_secret().to_owned(),
            prefix: key.prefix,
        }),
    ))
}
