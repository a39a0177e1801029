//! `/v1/tenants/{id}/events`: the tenant's event log by cursor, as a long-poll and as
//! server-sent events.
//!
//! Both read the same durable log (`seq` is the cursor): a consumer that stores the last `seq` it
//! handled resumes exactly there after any outage, with `?after=` or `Last-Event-ID`. These two
//! routes are served without the API's request timeout: a poll waits up to [`MAX_WAIT_SECONDS`]
//! and a stream stays open until the client leaves (or the process shuts down).

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Path, Query, State},
    http::HeaderMap,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use futures::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};
use uuid::Uuid;
use wa_domain::{
    event::{Event, EventKind},
    ids::TenantId,
};

use crate::{
    event_feed::EventFeed,
    http::{auth::Caller, error::ApiError},
    state::AppState,
};

/// The longest a poll waits for the first event.
pub const MAX_WAIT_SECONDS: u32 = 30;
/// Events per poll unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 100;
/// The most events one poll returns.
const MAX_LIMIT: u32 = 1000;
/// Events a stream reads from the log at a time.
const STREAM_BATCH: u32 = 200;
/// How often a quiet stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The cursor of a poll.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PollQuery {
    /// Events with a `seq` above this (default 0: from the oldest kept).
    pub after: Option<u64>,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// When there is no event yet, wait up to this many seconds for one (default 0, at most 30).
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u32>,
}

/// Where a stream starts.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamQuery {
    /// Events with a `seq` above this; the `Last-Event-ID` header wins when both are given.
    pub after: Option<u64>,
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// In `seq` order.
    #[schema(value_type = Vec<EventSchema>)]
    pub events: Vec<Event>,
    /// The cursor for the next poll: the last event's `seq`, or `after` when there was none.
    pub next_after: u64,
}

/// One event (schema version 1). `data` depends on `type`:
///
/// - `message.received`: `message_id` (ours) and `message`, the customer's message as Meta sent
///   it: `wamid`, `customer` (`bsuid`, `phone`), `profile_name`, `sent_at`, typed `content`
///   (media by reference: id, MIME type, SHA-256), `context`, `referral`, `errors`.
/// - `message.status`: `message_id`, `wamid`, `customer`, `status` (`pending`, `accepted`,
///   `sent`, `delivered`, `read`, `played`, `failed`), `previous`, and on failure `failure`
///   (`class`, `code`, `title`, `details`, `fbtrace_id`), with Meta's `pricing` when given.
/// - `message.reaction`: `message_id`, `wamid`, `customer`, `reacted_to` (a wamid), `emoji`
///   (null when the reaction was removed).
/// - `customer.updated`: `conversation_id`, `customer`, `previous` (on a number or user id
///   change), `profile_name`.
/// - `window.opened`, `window.closing`, `window.closed`: `conversation_id`, `customer`,
///   `expires_at`.
/// - `connection.health`: `phone_number_id`, `health` (`pending`, `active`, `disconnected`,
///   `invalid`), `previous`, `reason`.
/// - `template.status`: `template_id`, `name`, `language`, `status`, `reason`.
///
/// Fields are only added within a schema version; consumers ignore fields they do not know.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // Documents the JSON form of `wa_domain::event::Event`.
pub struct EventSchema {
    /// Stable id: the same on every delivery, for deduplication.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// Position in the tenant's log: 1, 2, 3, … without gaps; the cursor.
    pub seq: u64,
    /// When it happened (Meta's time where Meta gave one), RFC 3339.
    pub occurred_at: String,
    /// When wa recorded it, RFC 3339.
    pub recorded_at: String,
    /// The schema version of `data` (1).
    pub schema: u16,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The facts, by `type` (see above).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// The event types: [`EventKind::ALL`] by [`EventKind::name`], so the document cannot miss one.
#[derive(Debug, Serialize)]
pub struct EventType;

impl utoipa::PartialSchema for EventType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The event's type."))
            .enum_values(Some(EventKind::ALL.iter().map(|kind| kind.name())))
            .into()
    }
}

impl ToSchema for EventType {}

/// The caller may read the tenant, and it exists.
async fn authorize(state: &AppState, caller: Caller, tenant: TenantId) -> Result<(), ApiError> {
    caller.require_tenant(tenant)?;
    match state.ports.tenants.get(tenant).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("tenant")),
    }
}

/// The tenant's events after a cursor; waits up to `wait` seconds for the first when there is
/// none yet.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/events", params(PollQuery),
    responses((status = 200, body = EventPage), (status = 400, body = crate::http::error::ErrorBody),
        (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn poll(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Query(query): Query<PollQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECONDS {
        return Err(ApiError::invalid(
            "wait",
            format!("must be at most {MAX_WAIT_SECONDS} seconds"),
        ));
    }
    authorize(&state, caller, tenant).await?;
    let after = query.after.unwrap_or(0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(wait));
    let events = state
        .events
        .next(tenant, after, limit, Some(deadline))
        .await?;
    let next_after = events.last().map_or(after, |event| event.seq);
    Ok(Json(EventPage { events, next_after }))
}

/// The tenant's events as server-sent events: `id:` is the `seq`, `event:` the type, `data:`
/// the event's JSON. Resumes after `Last-Event-ID` (or `?after=`); a comment every 15 s keeps
/// quiet connections open.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/events/stream", params(StreamQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this seq")),
    responses((status = 200, content_type = "text/event-stream", description = "The stream"),
        (status = 404, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "events")]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::invalid("Last-Event-ID", "must be an event's seq"))?,
        ),
        None => None,
    };
    authorize(&state, caller, tenant).await?;
    let after = last_event_id.or(query.after).unwrap_or(0);
    let events = sse_events(state.events.clone(), tenant, after);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The endless stream of the tenant's events after `after`; ends at shutdown or when the log
/// cannot be read (the client reconnects with `Last-Event-ID`).
fn sse_events(
    feed: EventFeed,
    tenant: TenantId,
    after: u64,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    futures::stream::unfold(
        (feed, after, VecDeque::<Event>::new()),
        move |(feed, mut after, mut buffer)| async move {
            loop {
                if let Some(event) = buffer.pop_front() {
                    let frame = frame(&event);
                    return Some((Ok(frame), (feed, after, buffer)));
                }
                if feed.is_shutting_down() {
                    return None;
                }
                match feed.next(tenant, after, STREAM_BATCH, None).await {
                    Ok(events) => {
                        if let Some(last) = events.last() {
                            after = last.seq;
                        }
                        buffer.extend(events);
                    }
                    Err(error) => {
                        tracing::warn!(tenant.id = %tenant, error = %error, "event stream ended: the log could not be read");
                        return None;
                    }
                }
            }
        },
    )
}

/// One SSE frame.
fn frame(event: &Event) -> SseEvent {
    // Serialising our own types cannot fail; an empty object keeps the frame well-formed.
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    SseEvent::default()
        .id(event.seq.to_string())
        .event(event.payload.event_kind().name())
        .data(data)
}

#[cfg(test)]
mod tests;
