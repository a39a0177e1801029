//! `/v1/tenants/{id}/conversations`: customers' windows.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use wa_domain::{
    connection::names_number,
    conversation::ConversationId,
    customer::CustomerIdentity,
    ids::{Recipient, TenantId},
    message::Page,
    usecase::window::read_window,
};

use crate::{
    http::{
        auth::Caller,
        dto::{WindowList, WindowView},
        error::ApiError,
        tenants::{PageQuery, page_limit},
    },
    state::AppState,
};

/// Which business number's window to read.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WindowQuery {
    /// The business number: its `phone_number_id` or display number; the tenant's default
    /// number without it. Meta keeps one window per business number and customer.
    pub from: Option<String>,
}

/// The customer-service window of one customer (phone number or BSUID in the path) with one of
/// the tenant's business numbers.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/conversations/{customer}", params(WindowQuery),
    responses((status = 200, body = WindowView), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "conversations")]
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, customer)): Path<(Uuid, String)>,
    Query(query): Query<WindowQuery>,
) -> Result<Json<WindowView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let recipient =
        Recipient::parse(&customer).map_err(|e| ApiError::invalid("customer", e.to_string()))?;
    let identity = CustomerIdentity::from(recipient);
    let number = match query.from.as_deref() {
        None => state.ports.connections.get(tenant_id).await?,
        Some(from) => state
            .ports
            .connections
            .list(tenant_id)
            .await?
            .into_iter()
            .find(|connection| names_number(connection, from)),
    }
    .ok_or_else(|| ApiError::not_found("number"))?
    .phone_number_id;
    let state_now = read_window(&state.ports, tenant_id, &number, &identity).await?;
    Ok(Json(WindowView::from_state(&number, &identity, state_now)))
}

/// Customers whose window is open now, with any of the tenant's numbers (each item names its
/// number), soonest to close first.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/conversations", params(PageQuery),
    responses((status = 200, body = WindowList)),
    security(("admin" = []), ("tenant_key" = [])), tag = "conversations")]
pub async fn list_open(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<WindowList>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let limit = page_limit(query.limit)?;
    let now = state.ports.clock.now();
    let page = Page {
        after: query.after.map(ConversationId::from_uuid),
        limit,
    };
    let conversations = state
        .ports
        .conversations
        .list_open(tenant_id, now, page)
        .await?;
    let next = (conversations.len() == limit as usize)
        .then(|| conversations.last().map(|c| c.id.as_uuid()))
        .flatten();
    Ok(Json(WindowList {
        items: conversations
            .iter()
            .map(|c| WindowView::from_conversation(c, now))
            .collect(),
        next,
    }))
}
