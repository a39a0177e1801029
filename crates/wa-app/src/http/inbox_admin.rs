//! `/v1/admin/webhook-inbox/parked`: the operator's view of parked webhook bodies (dead letters
//! of the inbox) and their replay. Admin token only.
//!
//! A body is parked after `WA_INBOX_MAX_ATTEMPTS` failed attempts (see `workers::inbox`); it
//! stays, with its last error, until replayed: a replay puts it back in the queue with its
//! attempts reset, to be processed like a new delivery. `wa inbox parked` and `wa inbox replay`
//! do the same from the command line.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use wa_domain::ports::ParkedBody;

use crate::{
    http::{auth::Caller, error::ApiError},
    state::AppState,
};

/// The most parked bodies listed at once.
const LIST_LIMIT: u32 = 500;

/// A parked webhook body (its content is not shown: it may hold customers' messages).
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedView {
    /// The inbox row's id.
    pub id: i64,
    /// When Meta's delivery was received.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Processing attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was parked.
    #[serde(with = "time::serde::rfc3339")]
    pub parked_at: OffsetDateTime,
}

impl From<ParkedBody> for ParkedView {
    fn from(body: ParkedBody) -> Self {
        Self {
            id: body.id,
            received_at: body.received_at,
            attempts: body.attempts,
            last_error: body.last_error,
            parked_at: body.parked_at,
        }
    }
}

/// Parked bodies, oldest first (at most 500).
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedList {
    /// The bodies.
    pub items: Vec<ParkedView>,
}

/// How many bodies a replay put back in the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// Bodies queued again.
    pub replayed: u64,
}

/// Parked webhook bodies, oldest first.
#[utoipa::path(get, path = "/v1/admin/webhook-inbox/parked",
    responses((status = 200, body = ParkedList)),
    security(("admin" = [])), tag = "operations")]
pub async fn list_parked(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ParkedList>, ApiError> {
    caller.require_admin()?;
    let items = state.inbox.parked(LIST_LIMIT).await?;
    Ok(Json(ParkedList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Queues one parked body again.
#[utoipa::path(post, path = "/v1/admin/webhook-inbox/parked/{inbox_id}/replay",
    params(("inbox_id" = i64, Path, description = "The parked body's id")),
    responses((status = 200, body = Replayed)),
    security(("admin" = [])), tag = "operations")]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(inbox_id): Path<i64>,
) -> Result<Json<Replayed>, ApiError> {
    caller.require_admin()?;
    let replayed = state
        .inbox
        .replay(Some(inbox_id), state.ports.clock.now())
        .await?;
    if replayed == 0 {
        return Err(ApiError::not_found("parked webhook body"));
    }
    state.inbox_signal.notify_one();
    Ok(Json(Replayed { replayed }))
}

/// Queues every parked body again.
#[utoipa::path(post, path = "/v1/admin/webhook-inbox/parked/replay",
    responses((status = 200, body = Replayed)),
    security(("admin" = [])), tag = "operations")]
pub async fn replay_all(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Replayed>, ApiError> {
    caller.require_admin()?;
    let replayed = state.inbox.replay(None, state.ports.clock.now()).await?;
    state.inbox_signal.notify_one();
    Ok(Json(Replayed { replayed }))
}
