//! The batched status path: a webhook's N statuses in two statements per 500 messages, instead
//! of two statements per status.
//!
//! Inside the caller's write transaction:
//! 1. **Lock and read.** `SELECT id, wa_message_id, status_rank … WHERE tenant_id = :t AND
//!    wa_message_id IN (…) ORDER BY wa_message_id FOR UPDATE` (PostgreSQL; on SQLite the
//!    `IMMEDIATE` transaction already holds the write lock). Rows are locked in wamid order, so
//!    two batches touching the same messages cannot deadlock.
//! 2. **Decide in memory.** The updates are walked in input order through
//!    [`wa_domain::status::transition`], starting from the locked ranks, so each outcome is
//!    exactly what applying the updates one by one would report. Per message they fold into one
//!    [`Plan`]: the earliest time per state, the highest state reached, the failure that moved
//!    it to `failed`, and the last pricing Meta sent for each field.
//! 3. **Write once.** One `WITH v(id, …) AS (VALUES …) UPDATE whatsapp_messages AS m SET …
//!    FROM v WHERE m.id = v.id AND m.tenant_id = :t AND m.id IN (…)` (both databases accept a
//!    CTE's column names and `UPDATE … FROM`; every value is named, [`VALUE_COLUMNS`], never a
//!    position). The state still moves only through
//!    `CASE WHEN m.status_rank < v.status_rank`, so the statement itself never moves a message
//!    backwards, and each time column keeps the earliest report with the same `CASE` as the
//!    single path.
//!
//! 4. **Events.** One `message.status` per advancing transition, in input order, returned to
//!    the caller, which appends them last in the same transaction (one counter update and one
//!    multi-row `INSERT`; with group commit, one for every tenant of the batch).
//!
//! An update whose wamid is not stored yet but which carries our id as callback data (the send
//! response was lost) takes the single path on its own (that is rare); the row it finds is then
//! locked and read like the others, so the batch's later updates for the same wamid join in.

use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, DbBackend, Statement, Value,
    sea_query::{Expr, ExprTrait, LockType, Order, Query},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    event::NewEvent,
    ids::TenantId,
    message::{MessageFailure, StatusOutcome, StatusUpdate},
    ports::StoreError,
    status::{MessageStatus, Transition, transition},
};

use crate::{
    convert::timestamp,
    entity::whatsapp_message::{self, Column},
    error::classify,
    repo::status_one::{TOUCHED_COLUMNS, Touched, apply_status_in},
};

const TABLE: &str = "whatsapp_messages";

/// Messages per statement: 500 rows of 20 values stay far below both databases' parameter
/// limits (32,766 on SQLite, 65,535 on PostgreSQL).
const CHUNK: usize = 500;

/// The per-state time columns, in `Plan::times` order.
const TIME_COLUMNS: [(MessageStatus, &str); 6] = [
    (MessageStatus::Accepted, "accepted_at"),
    (MessageStatus::Sent, "sent_at"),
    (MessageStatus::Delivered, "delivered_at"),
    (MessageStatus::Read, "read_at"),
    (MessageStatus::Played, "played_at"),
    (MessageStatus::Failed, "failed_at"),
];

/// What a batch does to one message.
#[derive(Debug, Default)]
struct Plan {
    /// The earliest reported time per state (`TIME_COLUMNS` order).
    times: [Option<OffsetDateTime>; 6],
    /// The state the message moves to, when it moves.
    to: Option<MessageStatus>,
    /// The error of the update that moved it to `failed`.
    failure: Option<MessageFailure>,
    billable: Option<bool>,
    pricing_model: Option<String>,
    pricing_category: Option<String>,
    pricing_type: Option<String>,
}

impl Plan {
    /// Folds one update, whose transition from the message's current state is `step`, in.
    fn absorb(&mut self, update: &StatusUpdate, step: Transition) {
        if let Some(index) = TIME_COLUMNS.iter().position(|(s, _)| *s == update.status) {
            let slot = &mut self.times[index];
            *slot = Some(slot.map_or(update.at, |earlier| Ord::min(earlier, update.at)));
        }
        if let Some(pricing) = &update.pricing {
            // Field by field, the last value Meta sent wins, as `COALESCE(new, stored)` does.
            if pricing.billable.is_some() {
                self.billable = pricing.billable;
            }
            for (slot, value) in [
                (&mut self.pricing_model, &pricing.pricing_model),
                (&mut self.pricing_category, &pricing.category),
                (&mut self.pricing_type, &pricing.pricing_type),
            ] {
                if value.is_some() {
                    slot.clone_from(value);
                }
            }
        }
        if let Transition::Advanced { to, .. } = step {
            self.to = Some(to);
            if to == MessageStatus::Failed && update.failure.is_some() {
                self.failure.clone_from(&update.failure);
            }
        }
    }

    /// The `VALUES` row, in [`VALUE_COLUMNS`] order: id, six times, status, rank, four pricing
    /// values, then whether to write the failure and its five columns.
    fn row(self, backend: DbBackend, id: Uuid) -> [Value; ROW_WIDTH] {
        let time = |at: Option<OffsetDateTime>| timestamp::optional(backend, at);
        let (status, rank) = match self.to {
            Some(to) => (Some(to.as_str().to_owned()), to.rank()),
            // No move: a rank no stored row is below.
            None => (None, -1),
        };
        let failure = self.failure;
        let field = |get: fn(&MessageFailure) -> Option<String>| -> Value {
            failure.as_ref().and_then(get).into()
        };
        let [accepted, sent, delivered, read, played, failed] = self.times;
        [
            id.into(),
            time(accepted),
            time(sent),
            time(delivered),
            time(read),
            time(played),
            time(failed),
            status.into(),
            rank.into(),
            self.billable.into(),
            self.pricing_model.into(),
            self.pricing_category.into(),
            self.pricing_type.into(),
            failure.is_some().into(),
            field(|f| Some(f.class.as_str().to_owned())),
            field(|f| f.code.map(|code| code.to_string())),
            field(|f| Some(f.title.clone())),
            field(|f| f.details.clone()),
            field(|f| f.fbtrace_id.clone()),
        ]
    }
}

/// The names of a `VALUES` row's columns (`WITH v(…) AS (VALUES …)`), in [`Plan::row`]'s order:
/// the statement names every value, never a position.
const VALUE_COLUMNS: [&str; ROW_WIDTH] = [
    "id",
    "accepted_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "played_at",
    "failed_at",
    "status",
    "status_rank",
    "billable",
    "pricing_model",
    "pricing_category",
    "pricing_type",
    "has_failure",
    "error_class",
    "error_code",
    "error_title",
    "error_details",
    "fbtrace_id",
];

/// Values per `VALUES` row.
const ROW_WIDTH: usize = 19;

/// A locked message and the batch's work on it.
struct Locked {
    /// The row as locked; `current` follows the batch's transitions.
    row: Touched,
    plan: Plan,
    touched: bool,
}

/// Applies `updates` in the caller's write transaction; outcomes in input order, and the
/// events of the advancing transitions, which the caller appends last (rows → tenant).
pub(crate) async fn apply<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    updates: &[StatusUpdate],
) -> Result<(Vec<StatusOutcome>, Vec<NewEvent>), StoreError> {
    let mut rows = lock(conn, tenant, updates).await?;
    let mut outcomes = Vec::with_capacity(updates.len());
    let mut events: Vec<NewEvent> = Vec::new();
    for update in updates {
        let Some(row) = rows.get_mut(update.wamid.as_str()) else {
            // Unknown wamid: only our callback id can still find the message.
            if update.callback_message_id.is_none() {
                outcomes.push(StatusOutcome::UnknownMessage);
                continue;
            }
            let (outcome, event) = apply_status_in(conn, tenant, update).await?;
            events.extend(event);
            if matches!(outcome, StatusOutcome::Applied { .. }) {
                // The callback recorded the wamid: the batch's later updates for it join in.
                rows.extend(lock(conn, tenant, std::slice::from_ref(update)).await?);
            }
            outcomes.push(outcome);
            continue;
        };
        if update.status == MessageStatus::Pending {
            // Never an incoming status: nothing to write.
            outcomes.push(StatusOutcome::Applied {
                message_id: row.row.id,
                transition: Transition::Ignored,
            });
            continue;
        }
        let step = transition(row.row.current, update.status);
        row.plan.absorb(update, step);
        row.touched = true;
        if let Transition::Advanced { from, to } = step {
            row.row.current = to;
            events.push(row.row.status_event(
                from,
                to,
                update.at,
                update.failure.as_ref(),
                update.pricing.as_ref(),
            ));
        }
        outcomes.push(StatusOutcome::Applied {
            message_id: row.row.id,
            transition: step,
        });
    }
    let backend = conn.get_database_backend();
    let mut planned: Vec<(Uuid, Plan)> = rows
        .into_values()
        .filter(|row| row.touched)
        .map(|row| (row.row.id.as_uuid(), row.plan))
        .collect();
    planned.sort_by_key(|(id, _)| *id);
    let mut planned = planned.into_iter().peekable();
    while planned.peek().is_some() {
        let chunk: Vec<_> = planned.by_ref().take(CHUNK).collect();
        conn.execute_raw(write_statement(backend, tenant, chunk))
            .await
            .map_err(classify)?;
    }
    Ok((outcomes, events))
}

/// Step 1: the tenant's messages named by the batch, locked, by wamid.
async fn lock<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    updates: &[StatusUpdate],
) -> Result<HashMap<String, Locked>, StoreError> {
    let mut wamids: Vec<&str> = updates.iter().map(|u| u.wamid.as_str()).collect();
    wamids.sort_unstable();
    wamids.dedup();
    let backend = conn.get_database_backend();
    let mut rows = HashMap::with_capacity(wamids.len());
    for chunk in wamids.chunks(CHUNK) {
        let mut select = Query::select();
        select
            .columns(TOUCHED_COLUMNS)
            .from(whatsapp_message::Entity)
            .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(Column::WaMessageId).is_in(chunk.iter().copied()))
            .order_by(Column::WaMessageId, Order::Asc);
        if backend == DbBackend::Postgres {
            select.lock(LockType::Update);
        }
        for row in conn.query_all(&select).await.map_err(classify)? {
            let row = Touched::from_row(&row)?;
            let Some(wamid) = row.wamid.as_ref().map(|w| w.as_str().to_owned()) else {
                continue;
            };
            rows.insert(
                wamid,
                Locked {
                    row,
                    plan: Plan::default(),
                    touched: false,
                },
            );
        }
    }
    Ok(rows)
}

/// Step 3: one `WITH v(…) AS (VALUES …) UPDATE … FROM v` for up to [`CHUNK`] messages.
fn write_statement(backend: DbBackend, tenant: TenantId, chunk: Vec<(Uuid, Plan)>) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * ROW_WIDTH + 2);
    let placeholder = |values: &mut Vec<Value>, value: Value| -> String {
        values.push(value);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_owned(),
        }
    };
    // Placeholders are numbered in the order they appear in the text, which is the order the
    // values are pushed in: the VALUES rows first, then SET, then WHERE.
    let mut sql = format!("WITH v({}) AS (VALUES ", VALUE_COLUMNS.join(", "));
    let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
    for (n, (id, plan)) in chunk.into_iter().enumerate() {
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (i, value) in plan.row(backend, id).into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(&mut values, value));
        }
        sql.push(')');
    }
    let now = placeholder(
        &mut values,
        timestamp::value(backend, OffsetDateTime::now_utc()),
    );
    sql.push_str(&format!(") UPDATE {TABLE} AS m SET updated_at = {now}"));
    for (_, column) in TIME_COLUMNS {
        sql.push_str(&format!(
            ", {column} = CASE WHEN v.{column} IS NOT NULL \
             AND (m.{column} IS NULL OR m.{column} > v.{column}) \
             THEN v.{column} ELSE m.{column} END"
        ));
    }
    let moves = "m.status_rank < v.status_rank";
    let accepted = MessageStatus::Accepted.rank();
    sql.push_str(&format!(
        ", status = CASE WHEN {moves} THEN v.status ELSE m.status END\
         , status_rank = CASE WHEN {moves} THEN v.status_rank ELSE m.status_rank END\
         , next_attempt_at = CASE WHEN {moves} AND v.status_rank >= {accepted} THEN NULL \
           ELSE m.next_attempt_at END\
         , claimed_until = CASE WHEN {moves} AND v.status_rank >= {accepted} THEN NULL \
           ELSE m.claimed_until END"
    ));
    for column in [
        "billable",
        "pricing_model",
        "pricing_category",
        "pricing_type",
    ] {
        sql.push_str(&format!(", {column} = COALESCE(v.{column}, m.{column})"));
    }
    for column in [
        "error_class",
        "error_code",
        "error_title",
        "error_details",
        "fbtrace_id",
    ] {
        sql.push_str(&format!(
            ", {column} = CASE WHEN v.has_failure AND {moves} THEN v.{column} \
             ELSE m.{column} END"
        ));
    }
    let tenant = placeholder(&mut values, tenant.as_uuid().into());
    sql.push_str(&format!(
        " FROM v WHERE m.id = v.id AND m.tenant_id = {tenant} AND m.id IN ("
    ));
    // The id list repeats the join: it lets SQLite's planner probe the primary key for each
    // message instead of scanning the table once per `VALUES` row.
    for (n, id) in ids.into_iter().enumerate() {
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&placeholder(&mut values, id.into()));
    }
    sql.push(')');
    Statement::from_sql_and_values(backend, sql, values)
}
