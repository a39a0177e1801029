//! `/v1/tenants/{id}/connection`: store, verify and read a tenant's default WhatsApp number.
//!
//! A tenant may have several numbers (`/v1/tenants/{id}/numbers`); these routes are the default
//! number's, so a one-number tenant never needs the others.

use axum::{
    Json,
    extract::{Path, State},
};
use uuid::Uuid;
use wa_domain::{connection::Connection, ids::TenantId, usecase::connect::verify_connection};

use crate::{
    http::{
        auth::Caller,
        dto::{ConnectBody, ConnectionView},
        error::ApiError,
        numbers::{self, NumberBody},
    },
    state::AppState,
};

/// Stores the tenant's default number and the access token (encrypted in the vault, never
/// returned), then verifies them against Meta. The answer's `health` says how that went. A number
/// the tenant did not have becomes its default; the previous default stays connected as an
/// ordinary number (remove it with `DELETE …/numbers/{phone_number_id}`).
#[utoipa::path(put, path = "/v1/tenants/{tenant_id}/connection", request_body = ConnectBody,
    responses((status = 200, body = ConnectionView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Json(body): Json<ConnectBody>,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let number = NumberBody {
        waba_id: body.waba_id,
        phone_number_id: body.phone_number_id,
        display_phone_number: body.display_phone_number,
        business_name: body.business_name,
        access_token: body.access_token,
        default: true,
    };
    Ok(Json(numbers::store(&state, tenant_id, number).await?))
}

/// The tenant's default number and its health.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/connection",
    responses((status = 200, body = ConnectionView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    Ok(Json(default_number(&state, tenant_id).await?.into()))
}

/// Verifies the tenant's default number against Meta now.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/connection/verify",
    responses((status = 200, body = ConnectionView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let default = default_number(&state, tenant_id).await?;
    let connection = verify_connection(&state.ports, tenant_id, &default.phone_number_id).await?;
    state.delivery.wake();
    Ok(Json(connection.into()))
}

/// The tenant's default number; 404 `connection` when it has none.
async fn default_number(state: &AppState, tenant_id: TenantId) -> Result<Connection, ApiError> {
    state
        .ports
        .connections
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))
}
