//! `/v1/tenants/{id}/conversations`: customers' windows.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use uuid::Uuid;
use wa_domain::{
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

/// The customer-service window of one customer (phone number or BSUID in the path).
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/conversations/{customer}",
    responses((status = 200, body = WindowView), (status = 400, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "conversations")]
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, customer)): Path<(Uuid, String)>,
) -> Result<Json<WindowView>, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant_id)?;
    let recipient =
        Recipient::parse(&customer).map_err(|e| ApiError::invalid("customer", e.to_string()))?;
    let identity = CustomerIdentity::from(recipient);
    let state_now = read_window(&state.ports, tenant_id, &identity).await?;
    Ok(Json(WindowView::from_state(&identity, state_now)))
}

/// Customers whose window is open now, soonest to close first.
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
