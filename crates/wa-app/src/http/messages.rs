//! `/v1/tenants/{id}/messages`: send any content type, read one, list.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wa_domain::{
    content::OutboundContent,
    ids::{MessageId, Recipient, TenantId, WaMessageId},
    message::{Direction, MessageFilter, OutboundMessage, Page},
    status::MessageStatus,
    usecase::send::enqueue,
};

use crate::{
    http::{
        auth::Caller,
        dto::{MessageList, MessageView, SendBody},
        error::ApiError,
        tenants::page_limit,
    },
    state::AppState,
};

/// The header that makes a send idempotent.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Accepts a message for sending: stored as `pending` and answered 202 with its id; a worker
/// delivers it. With an `Idempotency-Key` header, the same key returns the same message and
/// never sends twice.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/messages", request_body = SendBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the same message")),
    responses((status = 202, body = MessageView), (status = 200, body = MessageView, description = "The key was used before: the first message"),
        (status = 400, body = crate::http::error::ErrorBody), (status = 404, body = crate::http::error::ErrorBody),
        (status = 409, body = crate::http::error::ErrorBody), (status = 422, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "messages")]
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    headers: HeaderMap,
    Json(body): Json<SendBody>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let recipient =
        Recipient::parse(&body.to).map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let content: OutboundContent = serde_json::from_value(body.content)
        .map_err(|e| ApiError::invalid("content", format!("content: {e}")))?;
    let reply_to = body.reply_to.map(WaMessageId::parse).transpose()?;
    let key = match headers.get(IDEMPOTENCY_KEY) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be printable ASCII"))?
                .to_owned(),
        ),
        None => None,
    };
    let message = OutboundMessage {
        recipient,
        content,
        reply_to,
    };
    let enqueued = enqueue(&state.ports, tenant_id, message, body.from.as_deref(), key).await?;
    let status = if enqueued.replayed {
        StatusCode::OK
    } else {
        state.delivery.wake();
        state.events.notify();
        metrics::counter!("wa_messages_accepted_total").increment(1);
        StatusCode::ACCEPTED
    };
    Ok((status, Json(enqueued.message.into())))
}

/// One message: status, a timestamp per state, error, pricing.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/messages/{message_id}",
    responses((status = 200, body = MessageView), (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "messages")]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, message_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<MessageView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let Ok(message_id) = MessageId::from_uuid(message_id) else {
        return Err(ApiError::not_found("message"));
    };
    let message = state
        .ports
        .messages
        .get(tenant_id, message_id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(Json(message.into()))
}

/// Filters and paging of the message list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this customer (phone number or BSUID).
    pub customer: Option<String>,
    /// Only this state.
    pub status: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// Continue after this message id (exclusive).
    pub after: Option<Uuid>,
    /// At most this many (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The tenant's messages, newest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/messages", params(ListQuery),
    responses((status = 200, body = MessageList), (status = 400, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "messages")]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> Result<Json<MessageList>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let limit = page_limit(query.limit)?;
    let filter = MessageFilter {
        customer: query
            .customer
            .as_deref()
            .map(Recipient::parse)
            .transpose()
            .map_err(|e| ApiError::invalid("customer", e.to_string()))?,
        status: query
            .status
            .as_deref()
            .map(str::parse::<MessageStatus>)
            .transpose()
            .map_err(|e| ApiError::invalid("status", e.to_string()))?,
        direction: match query.direction.as_deref() {
            None => None,
            Some("inbound") => Some(Direction::Inbound),
            Some("outbound") => Some(Direction::Outbound),
            Some(_) => {
                return Err(ApiError::invalid(
                    "direction",
                    "direction must be inbound or outbound",
                ));
            }
        },
    };
    let after = query
        .after
        .map(MessageId::from_uuid)
        .transpose()
        .map_err(|e| ApiError::invalid("after", e.to_string()))?;
    let messages = state
        .ports
        .messages
        .list(tenant_id, &filter, Page { after, limit })
        .await?;
    let next = (messages.len() == limit as usize)
        .then(|| messages.last().map(|m| m.id.as_uuid()))
        .flatten();
    Ok(Json(MessageList {
        items: messages.into_iter().map(Into::into).collect(),
        next,
    }))
}
