//! A status applied to one message, and the row shape both status paths lock and read.
//!
//! A status is applied by two statements in one transaction, both scoped to the tenant:
//! 1. `UPDATE … SET <state>_at = CASE WHEN <state>_at IS NULL OR <state>_at > :at THEN :at ELSE
//!    <state>_at END, … WHERE tenant_id = :t AND wa_message_id = :w RETURNING id, status_rank`:
//!    fills the state's time with the earliest report (even when the state will not move, so a
//!    late webhook fills a gap), locks the row, and reads the rank it holds;
//! 2. `UPDATE … SET status = :s, status_rank = :r, … WHERE id = :id AND tenant_id = :t AND
//!    status_rank < :r`: the monotonic move. The `status_rank < :r` condition alone guarantees
//!    that the state never goes back, whatever runs concurrently; the lock taken by statement 1
//!    (a row lock on PostgreSQL, the write lock on SQLite) makes the rank it returned the one
//!    statement 2 compares against, so the reported [`Transition`] is exact.
//!
//! Two workers applying `delivered` and `read` to one message at once therefore end at `read`
//! in either order: the second to run sees the first's rank and only moves upwards.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Func, Query, UpdateStatement},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    customer::CustomerIdentity,
    event::{EventPayload, MessageStatusChanged, NewEvent},
    ids::{MessageId, TenantId, WaMessageId},
    message::{MessageFailure, Pricing, StatusOutcome, StatusUpdate},
    ports::StoreError,
    status::{MessageStatus, Transition, transition},
};

use crate::{
    convert::{self, timestamp},
    entity::whatsapp_message::{self, Column},
    error::{classify, corrupt},
    repo::{earliest, keep_unless},
};

const TABLE: &str = "whatsapp_messages";

fn state_time_column(status: MessageStatus) -> Option<Column> {
    Some(match status {
        MessageStatus::Pending => return None,
        MessageStatus::Accepted => Column::AcceptedAt,
        MessageStatus::Sent => Column::SentAt,
        MessageStatus::Delivered => Column::DeliveredAt,
        MessageStatus::Read => Column::ReadAt,
        MessageStatus::Played => Column::PlayedAt,
        MessageStatus::Failed => Column::FailedAt,
    })
}

/// The failure columns, set together so a row never mixes two errors.
pub(crate) fn set_failure(stmt: &mut UpdateStatement, failure: &MessageFailure) {
    stmt.value(Column::ErrorClass, failure.class.as_str())
        .value(Column::ErrorCode, failure.code.map(|code| code.to_string()))
        .value(Column::ErrorTitle, failure.title.clone())
        .value(Column::ErrorDetails, failure.details.clone())
        .value(Column::FbtraceId, failure.fbtrace_id.clone());
}

/// The pricing columns; what the update does not say is kept.
fn set_pricing(stmt: &mut UpdateStatement, pricing: &Pricing) {
    stmt.value(
        Column::Billable,
        keep_unless(Column::Billable, pricing.billable.into()),
    )
    .value(
        Column::PricingModel,
        keep_unless(Column::PricingModel, pricing.pricing_model.clone().into()),
    )
    .value(
        Column::PricingCategory,
        keep_unless(Column::PricingCategory, pricing.category.clone().into()),
    )
    .value(
        Column::PricingType,
        keep_unless(Column::PricingType, pricing.pricing_type.clone().into()),
    );
}

/// The message a status or send outcome is about.
pub(crate) enum Target<'a> {
    Id(MessageId),
    Wamid(&'a WaMessageId),
    /// Our id from `biz_opaque_callback_data`; records the wamid if the row has none yet.
    Callback(MessageId, &'a WaMessageId),
}

/// A message row as a lifecycle change found it.
#[derive(Debug, Clone)]
pub(crate) struct Touched {
    /// Our id.
    pub(crate) id: MessageId,
    /// The state it held.
    pub(crate) current: MessageStatus,
    /// Meta's id, when stored.
    pub(crate) wamid: Option<WaMessageId>,
    /// The customer it is with.
    pub(crate) customer: CustomerIdentity,
}

/// The columns [`Touched::from_row`] reads.
pub(crate) const TOUCHED_COLUMNS: [Column; 7] = [
    Column::Id,
    Column::StatusRank,
    Column::WaMessageId,
    Column::Direction,
    Column::RecipientPhone,
    Column::SenderPhone,
    Column::CustomerBsuid,
];

impl Touched {
    /// Reads a row selected or returned with [`TOUCHED_COLUMNS`].
    pub(crate) fn from_row(row: &sea_orm::QueryResult) -> Result<Self, StoreError> {
        let id: Uuid = row.try_get("", "id").map_err(classify)?;
        let rank: i16 = row.try_get("", "status_rank").map_err(classify)?;
        let wamid: Option<String> = row.try_get("", "wa_message_id").map_err(classify)?;
        let direction: String = row.try_get("", "direction").map_err(classify)?;
        let phone: Option<String> = row
            .try_get(
                "",
                if direction == "inbound" {
                    "sender_phone"
                } else {
                    "recipient_phone"
                },
            )
            .map_err(classify)?;
        let bsuid: Option<String> = row.try_get("", "customer_bsuid").map_err(classify)?;
        Ok(Self {
            id: MessageId::from_uuid(id).map_err(|e| corrupt(TABLE, e))?,
            current: MessageStatus::from_rank(rank)
                .ok_or_else(|| corrupt(TABLE, format!("unknown status rank {rank}")))?,
            wamid: wamid
                .map(WaMessageId::parse)
                .transpose()
                .map_err(|e| corrupt(TABLE, e))?,
            customer: convert::conversation::identity(TABLE, bsuid, phone)?,
        })
    }

    /// The `message.status` event of a transition of this message.
    pub(crate) fn status_event(
        &self,
        from: MessageStatus,
        to: MessageStatus,
        at: OffsetDateTime,
        failure: Option<&MessageFailure>,
        pricing: Option<&Pricing>,
    ) -> NewEvent {
        NewEvent::new(
            at,
            EventPayload::MessageStatus(MessageStatusChanged {
                message_id: self.id,
                wamid: self.wamid.clone(),
                customer: self.customer.clone(),
                status: to,
                previous: Some(from),
                failure: failure.filter(|_| to == MessageStatus::Failed).cloned(),
                pricing: pricing.cloned(),
            }),
        )
    }
}

/// `updated_at`, and `status`'s time filled with the earliest report.
fn set_reported_at(
    stmt: &mut UpdateStatement,
    backend: DbBackend,
    status: MessageStatus,
    at: OffsetDateTime,
) {
    stmt.value(
        Column::UpdatedAt,
        Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
    );
    if let Some(column) = state_time_column(status) {
        stmt.value(column, earliest(column, timestamp::value(backend, at)));
    }
}

/// The move to `to`; from `accepted` on, the message also leaves the outbox (Meta has it, or it
/// failed for good).
fn set_status(stmt: &mut UpdateStatement, backend: DbBackend, to: MessageStatus) {
    stmt.value(Column::Status, to.as_str())
        .value(Column::StatusRank, to.rank());
    if to.rank() >= MessageStatus::Accepted.rank() {
        let none = || Expr::val(timestamp::optional(backend, None));
        stmt.value(Column::NextAttemptAt, none())
            .value(Column::ClaimedUntil, none());
    }
}

/// Statement 1 of a lifecycle change: fills `status`'s time with the earliest report (plus any
/// `extra` columns), locks the row and returns it as found (its current rank); `None` when the
/// tenant has no such message.
pub(crate) async fn touch<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    target: &Target<'_>,
    status: MessageStatus,
    at: OffsetDateTime,
    extra: impl FnOnce(&mut UpdateStatement),
) -> Result<Option<Touched>, StoreError> {
    let mut stmt = Query::update();
    stmt.table(whatsapp_message::Entity);
    set_reported_at(&mut stmt, conn.get_database_backend(), status, at);
    extra(&mut stmt);
    stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()));
    match target {
        Target::Id(id) => {
            stmt.and_where(Expr::col(Column::Id).eq(id.as_uuid()));
        }
        Target::Wamid(wamid) => {
            stmt.and_where(Expr::col(Column::WaMessageId).eq(wamid.as_str()));
        }
        Target::Callback(id, wamid) => {
            stmt.value(
                Column::WaMessageId,
                Func::coalesce([Expr::col(Column::WaMessageId), Expr::val(wamid.as_str())]),
            )
            .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
            .and_where(Expr::col(Column::Direction).eq("outbound"));
        }
    }
    stmt.returning(Query::returning().columns(TOUCHED_COLUMNS));
    let Some(row) = conn.query_one(&stmt).await.map_err(classify)? else {
        return Ok(None);
    };
    Touched::from_row(&row).map(Some)
}

/// A `pending` message accepted by Meta, in one statement: its wamid and `accepted_at`, the move
/// to `accepted`, out of the outbox. `None` when the message is not `pending` (or not there):
/// the caller then takes the general path, which tells those cases apart.
pub(crate) async fn accept_pending<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: MessageId,
    wamid: &WaMessageId,
    at: OffsetDateTime,
) -> Result<Option<Touched>, StoreError> {
    let backend = conn.get_database_backend();
    let accepted = MessageStatus::Accepted;
    let mut stmt = Query::update();
    stmt.table(whatsapp_message::Entity);
    // Statements 1 and 2 of a lifecycle change in one, which only a `pending` row allows: its
    // rank is known, so the event's `from` needs no read.
    set_reported_at(&mut stmt, backend, accepted, at);
    set_status(&mut stmt, backend, accepted);
    stmt.value(Column::WaMessageId, wamid.as_str())
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Column::StatusRank).eq(MessageStatus::Pending.rank()))
        .returning(Query::returning().columns(TOUCHED_COLUMNS));
    let Some(row) = conn.query_one(&stmt).await.map_err(classify)? else {
        return Ok(None);
    };
    Touched::from_row(&row).map(Some)
}

/// Statement 2 of a lifecycle change: the monotonic move to `to` (plus any `extra` columns),
/// which only happens while the stored rank is lower.
pub(crate) async fn advance<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: MessageId,
    to: MessageStatus,
    extra: impl FnOnce(&mut UpdateStatement),
) -> Result<(), StoreError> {
    let mut stmt = Query::update();
    stmt.table(whatsapp_message::Entity);
    set_status(&mut stmt, conn.get_database_backend(), to);
    extra(&mut stmt);
    stmt.and_where(Expr::col(Column::Id).eq(id.as_uuid()))
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::StatusRank).lt(to.rank()));
    conn.execute(&stmt).await.map_err(classify)?;
    Ok(())
}

/// One status update, inside the caller's transaction; returns the outcome and the event of
/// the transition (when it advanced), which the caller appends last.
pub(crate) async fn apply_status_in<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    update: &StatusUpdate,
) -> Result<(StatusOutcome, Option<NewEvent>), StoreError> {
    if update.status == MessageStatus::Pending {
        // Never an incoming status: nothing to write, but say whether the message exists.
        let found = find_row(conn, tenant, Column::WaMessageId.eq(update.wamid.as_str())).await?;
        let outcome = match found {
            Some(row) => StatusOutcome::Applied {
                message_id: MessageId::from_uuid(row.id).map_err(|e| corrupt(TABLE, e))?,
                transition: Transition::Ignored,
            },
            None => StatusOutcome::UnknownMessage,
        };
        return Ok((outcome, None));
    }
    let fill = |stmt: &mut UpdateStatement| {
        if let Some(pricing) = &update.pricing {
            set_pricing(stmt, pricing);
        }
    };
    let mut touched = touch(
        conn,
        tenant,
        &Target::Wamid(&update.wamid),
        update.status,
        update.at,
        fill,
    )
    .await?;
    if touched.is_none()
        && let Some(callback) = update.callback_message_id
    {
        touched = touch(
            conn,
            tenant,
            &Target::Callback(callback, &update.wamid),
            update.status,
            update.at,
            fill,
        )
        .await?;
    }
    let Some(mut found) = touched else {
        return Ok((StatusOutcome::UnknownMessage, None));
    };
    // Found by callback id: the wamid is now stored.
    found.wamid.get_or_insert_with(|| update.wamid.clone());
    let step = transition(found.current, update.status);
    let mut event = None;
    if let Transition::Advanced { from, to } = step {
        advance(conn, tenant, found.id, to, |stmt| {
            if let (MessageStatus::Failed, Some(failure)) = (to, &update.failure) {
                set_failure(stmt, failure);
            }
        })
        .await?;
        event = Some(found.status_event(
            from,
            to,
            update.at,
            update.failure.as_ref(),
            update.pricing.as_ref(),
        ));
    }
    let outcome = StatusOutcome::Applied {
        message_id: found.id,
        transition: step,
    };
    Ok((outcome, event))
}

/// The column holding the time a state was reached.
pub(crate) async fn find_row<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    condition: Expr,
) -> Result<Option<whatsapp_message::Model>, StoreError> {
    whatsapp_message::Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(condition)
        .one(conn)
        .await
        .map_err(classify)
}
