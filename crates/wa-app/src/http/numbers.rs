//! `/v1/tenants/{id}/numbers`: a tenant's WhatsApp business numbers (one connection each):
//! list them, add one, update one, make one the default, remove one.
//!
//! The default number is the one a send without `from` goes from, and the one
//! `/v1/tenants/{id}/connection` reads and writes. The access token is one per tenant (the
//! vault's), so adding a number with a token replaces the tenant's token.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use wa_domain::{
    connection::ConnectionDetails,
    ids::{PhoneNumberId, TenantId, WabaId},
    usecase::connect::{ConnectRequest, connect_tenant},
};

use crate::{
    http::{auth::Caller, dto::ConnectionView, error::ApiError},
    state::AppState,
};

/// A number to add or update.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NumberBody {
    /// The WhatsApp Business Account the number belongs to.
    pub waba_id: String,
    /// The business number's id (on update, it must match the path).
    pub phone_number_id: String,
    /// The number as people read it.
    pub display_phone_number: String,
    /// The business name.
    pub business_name: String,
    /// The business integration system user's access token; stored encrypted, never returned.
    pub access_token: String,
    /// Make it the tenant's default number (the tenant's first number always is).
    #[serde(default)]
    pub default: bool,
}

/// A tenant's numbers, the default first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberList {
    /// The numbers.
    pub items: Vec<ConnectionView>,
}

fn number_id(raw: &str) -> Result<PhoneNumberId, ApiError> {
    PhoneNumberId::parse(raw).map_err(|e| ApiError::invalid("phone_number_id", e.to_string()))
}

/// Stores a number and the tenant's token through `connect_tenant`, verifying it against Meta;
/// shared by `POST …/numbers`, `PUT …/numbers/{id}` and `PUT …/connection` (the default's).
pub(crate) async fn store(
    state: &AppState,
    tenant_id: TenantId,
    body: NumberBody,
) -> Result<ConnectionView, ApiError> {
    let details = ConnectionDetails::new(
        WabaId::parse(body.waba_id)?,
        number_id(&body.phone_number_id)?,
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
        make_default: body.default,
    };
    let connection = connect_tenant(&state.ports, tenant_id, request).await?;
    tracing::info!(tenant.id = %tenant_id, phone_number.id = %connection.phone_number_id.as_str(),
        health = connection.health.as_str(), "connection stored");
    state.delivery.wake();
    Ok(connection.into())
}

/// The tenant's numbers, the default first, each with its health.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/numbers",
    responses((status = 200, body = NumberList), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<NumberList>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let items = state
        .ports
        .connections
        .list(tenant_id)
        .await?
        .into_iter()
        .map(ConnectionView::from)
        .collect();
    Ok(Json(NumberList { items }))
}

/// Adds a number to the tenant (or updates it, when the tenant has it already), stores the
/// token, and verifies the number against Meta. A number of another tenant is 409 `duplicate`.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/numbers", request_body = NumberBody,
    responses((status = 201, body = ConnectionView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Json(body): Json<NumberBody>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let view = store(&state, tenant_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Updates one of the tenant's numbers (ids, names, token) and verifies it again.
#[utoipa::path(put, path = "/v1/tenants/{tenant_id}/numbers/{phone_number_id}", request_body = NumberBody,
    responses((status = 200, body = ConnectionView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, number)): Path<(Uuid, String)>,
    Json(body): Json<NumberBody>,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let number = number_id(&number)?;
    if body.phone_number_id != number.as_str() {
        return Err(ApiError::invalid(
            "phone_number_id",
            "phone_number_id must be the number in the path",
        ));
    }
    if state
        .ports
        .connections
        .get_number(tenant_id, &number)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("number"));
    }
    Ok(Json(store(&state, tenant_id, body).await?))
}

/// Makes one of the tenant's numbers its default: sends without `from` go from it, and
/// `/connection` is its route from now on.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/numbers/{phone_number_id}/default",
    responses((status = 200, body = ConnectionView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn set_default(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, number)): Path<(Uuid, String)>,
) -> Result<Json<ConnectionView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let number = number_id(&number)?;
    state
        .ports
        .connections
        .set_default(tenant_id, &number)
        .await
        .map_err(|e| match e {
            wa_domain::ports::StoreError::NotFound => ApiError::not_found("number"),
            other => other.into(),
        })?;
    let connection = state
        .ports
        .connections
        .get_number(tenant_id, &number)
        .await?
        .ok_or_else(|| ApiError::not_found("number"))?;
    Ok(Json(connection.into()))
}

/// Removes a number from the tenant. Its messages and conversations stay (naming it); when it
/// was the default, the oldest remaining number becomes the default. Webhooks for it are no
/// longer routed to the tenant.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/numbers/{phone_number_id}",
    responses((status = 204), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, number)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let number = number_id(&number)?;
    state
        .ports
        .connections
        .remove(tenant_id, &number)
        .await
        .map_err(|e| match e {
            wa_domain::ports::StoreError::NotFound => ApiError::not_found("number"),
            other => other.into(),
        })?;
    tracing::info!(tenant.id = %tenant_id, phone_number.id = %number.as_str(), "number removed");
    Ok(StatusCode::NO_CONTENT)
}
