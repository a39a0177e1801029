//! `/v1/tenants/{id}/connection`: store, verify and read a tenant's default WhatsApp number.
//!
//! A tenant may have several numbers (`/v1/tenants/{id}/numbers`); these routes are the default
//! number's, so a one-number tenant never needs the others.

use axum::{
    Json,
    extract::{Path, State},
};
use secrecy::SecretString;
use uuid::Uuid;
use wa_domain::{
    connection::ConnectionDetails,
    ids::{PhoneNumberId, TenantId, WabaId},
    usecase::connect::{ConnectRequest, connect_tenant, verify_connection},
};

use crate::{
    http::{
        auth::Caller,
        dto::{ConnectBody, ConnectionView},
        error::ApiError,
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
    let details = ConnectionDetails::new(
        WabaId::parse(body.waba_id)?,
        PhoneNumberId::parse(body.phone_number_id)?,
        body.display_phone_number,
        body.business_name,
    )?;
    if body.access_token.trim().is_empty() {
        return Err(ApiError::invalid(
            "access_token",
            "access_token must not be empty",
        ));
    }
    // It travels in an `Authorization` header to Meta: a character a header cannot carry would
    // fail every call later (found by api-fuzz). Meta's tokens are printable ASCII.
    if !body.access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "access_token",
            "access_token must be printable ASCII without spaces",
        ));
    }
    let request = ConnectRequest {
        details,
        access_token: SecretString::from(body.access_token),
        token_expires_at: None,
        make_default: true,
    };
    let connection = connect_tenant(&state.ports, tenant_id, request).await?;
    tracing::info!(tenant.id = %tenant_id, health = connection.health.as_str(), "connection stored");
    // Messages held while the credentials were invalid may go now.
    state.delivery.wake();
    Ok(Json(connection.into()))
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
    let connection = state
        .ports
        .connections
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    Ok(Json(connection.into()))
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
    let default = state
        .ports
        .connections
        .get(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    let connection = verify_connection(&state.ports, tenant_id, &default.phone_number_id).await?;
    state.delivery.wake();
    Ok(Json(connection.into()))
}
