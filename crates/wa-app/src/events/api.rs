//! `/v1/tenants/{id}/event-endpoints`: create, list, get, delete, rotate the secret; dead
//! letters and their redelivery. The admin or the tenant's own key.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use wa_domain::ids::TenantId;
use wa_domain::ports::{DeadLetter, EventEndpoint};

use super::endpoints::{EndpointError, NewEndpoint};
use crate::{
    http::{auth::Caller, error::ApiError, tenants::page_limit},
    state::AppState,
};

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEndpoint {
    /// Where events are posted: `https://…` (`http://` only when the operator allows it).
    pub url: String,
    /// The event types to post (`message.received`, …); all when absent.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// Whether to post at all (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// Its id.
    pub id: Uuid,
    /// Where events are posted.
    pub url: String,
    /// The event types posted; null for all.
    pub event_types: Option<Vec<String>>,
    /// Whether events are posted.
    pub enabled: bool,
    /// The last event seq done for this endpoint.
    pub cursor: u64,
    /// Until when the previous secret still signs, after a rotation.
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_secret_valid_until: Option<OffsetDateTime>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<EventEndpoint> for EndpointView {
    fn from(row: EventEndpoint) -> Self {
        Self {
            id: row.id,
            url: row.url,
            event_types: row.event_types,
            enabled: row.enabled,
            cursor: row.cursor_seq,
            previous_secret_valid_until: row.previous_secret_until,
            created_at: row.created_at,
        }
    }
}

/// A created endpoint and its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The signing secret (`whsec_…`): keep it; it is not shown again.
    pub secret: String,
}

/// The tenant's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Oldest first.
    pub items: Vec<EndpointView>,
}

/// A new signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret, shown this once.
    pub secret: String,
    /// Until when the previous secret still signs beside it.
    #[serde(with = "time::serde::rfc3339")]
    pub previous_secret_valid_until: OffsetDateTime,
}

/// An event the endpoint did not accept in time.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// The dead letter's id (for redelivery).
    pub id: Uuid,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's seq.
    pub event_seq: u64,
    /// The event's type.
    pub event_type: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last HTTP status the endpoint answered.
    pub last_status: Option<u16>,
    /// The last error (no answer, timeout, refused address).
    pub last_error: Option<String>,
    /// The first attempt.
    #[serde(with = "time::serde::rfc3339")]
    pub first_attempt_at: OffsetDateTime,
    /// The last attempt.
    #[serde(with = "time::serde::rfc3339")]
    pub last_attempt_at: OffsetDateTime,
    /// When a redelivery was asked for and is under way.
    #[serde(with = "time::serde::rfc3339::option")]
    pub redelivery_requested_at: Option<OffsetDateTime>,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(row: DeadLetter) -> Self {
        Self {
            id: row.id,
            event_id: row.event_id,
            event_seq: row.event_seq,
            event_type: row.event_type,
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            first_attempt_at: row.first_attempt_at,
            last_attempt_at: row.last_attempt_at,
            redelivery_requested_at: row.redeliver_requested_at,
        }
    }
}

/// A page of dead letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterList {
    /// Oldest first.
    pub items: Vec<DeadLetterView>,
    /// Pass as `after` for the next page.
    pub next: Option<Uuid>,
}

/// Paging of dead letters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeadLetterQuery {
    /// Continue after this dead letter id.
    pub after: Option<Uuid>,
    /// At most this many (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Which dead letters to redeliver.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RedeliverBody {
    /// Dead letter ids; all of the endpoint's when absent.
    #[serde(default)]
    pub ids: Option<Vec<Uuid>>,
}

/// How many dead letters will be redelivered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivering {
    /// Marked for redelivery now.
    pub requested: u64,
}

impl From<EndpointError> for ApiError {
    fn from(error: EndpointError) -> Self {
        match error {
            EndpointError::Url(refused) => ApiError::invalid("url", refused.to_string()),
            EndpointError::EventType(kind) => {
                ApiError::invalid("event_types", format!("`{kind}` is not an event type"))
            }
            EndpointError::NotFound => ApiError::not_found("event endpoint"),
            EndpointError::Sealing => ApiError::internal(&error),
            EndpointError::Store(wa_domain::ports::StoreError::NotFound) => {
                ApiError::not_found("tenant")
            }
            EndpointError::Store(store) => store.into(),
        }
    }
}

/// Creates an endpoint; answers its signing secret once.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/event-endpoints", request_body = CreateEndpoint,
    responses((status = 201, body = CreatedEndpoint), (status = 400, body = crate::http::error::ErrorBody), (status = 404)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Json(body): Json<CreateEndpoint>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    let now = state.ports.clock.now();
    let (row, secret) = state
        .event_endpoints
        .create(
            tenant,
            NewEndpoint {
                url: body.url,
                event_types: body.event_types,
                enabled: body.enabled.unwrap_or(true),
            },
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: row.into(),
            secret: secret.expose_secret().to_owned(),
        }),
    ))
}

/// The tenant's endpoints.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/event-endpoints",
    responses((status = 200, body = EndpointList)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<EndpointList>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    let rows = state.event_endpoints.list(tenant).await?;
    Ok(Json(EndpointList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One endpoint.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}",
    responses((status = 200, body = EndpointView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, endpoint_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<EndpointView>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    Ok(Json(
        state.event_endpoints.get(tenant, endpoint_id).await?.into(),
    ))
}

/// Deletes an endpoint and its dead letters.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}",
    responses((status = 204), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, endpoint_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    state.event_endpoints.delete(tenant, endpoint_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret; the previous one keeps signing beside it for the grace period.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/rotate-secret",
    responses((status = 200, body = RotatedSecret), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, endpoint_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    let now = state.ports.clock.now();
    let (secret, until) = state
        .event_endpoints
        .rotate_secret(tenant, endpoint_id, now)
        .await?;
    Ok(Json(RotatedSecret {
        secret: secret.expose_secret().to_owned(),
        previous_secret_valid_until: until,
    }))
}

/// The endpoint's dead letters not redelivered yet.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/dead-letters",
    params(DeadLetterQuery),
    responses((status = 200, body = DeadLetterList), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, endpoint_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<DeadLetterQuery>,
) -> Result<Json<DeadLetterList>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    let limit = page_limit(query.limit)?;
    let rows = state
        .event_endpoints
        .dead_letters(tenant, endpoint_id, query.after, limit)
        .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|row| row.id))
        .flatten();
    Ok(Json(DeadLetterList {
        items: rows.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// Redelivers dead letters (all, or `ids`) as soon as the worker gets to them.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/dead-letters/redeliver",
    request_body = RedeliverBody,
    responses((status = 202, body = Redelivering), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, endpoint_id)): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Redelivering>), ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    // An empty body means all of them.
    let body: RedeliverBody = if body.iter().all(u8::is_ascii_whitespace) {
        RedeliverBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid("ids", "expected {\"ids\": [dead letter ids]}"))?
    };
    let requested = state
        .event_endpoints
        .redeliver(
            tenant,
            endpoint_id,
            body.ids.as_deref(),
            state.ports.clock.now(),
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Redelivering { requested })))
}
