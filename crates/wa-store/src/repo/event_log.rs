//! [`EventLog`] over `events`, and [`append_in`], which every state-changing write calls in its
//! own transaction.
//!
//! # Sequence numbers and lock order
//! A tenant's events are numbered by `UPDATE tenants SET event_seq = event_seq + n WHERE id = :t
//! RETURNING event_seq`, and the events are inserted with `seq` = the `n` numbers ending there.
//! That update row-locks the tenant until the transaction ends (on SQLite the `IMMEDIATE`
//! transaction already holds the write lock), so of two transactions of one tenant the one
//! numbered first also commits first: a reader paging with `seq > cursor` never sees a gap
//! that fills later.
//!
//! Every write takes the tenant's counter **last**, after the message, conversation and
//! connection rows it changes. The lock order is therefore always rows → tenant: two writers
//! cannot deadlock on the counter, and the counter is held only for the insert and the commit.
//!
//! # Retention
//! [`EventLog::prune`] deletes the oldest events of all tenants by key, `limit` at a time, in
//! short statements of their own; it never touches a tenant's counter, so it never waits on the
//! write path nor makes it wait.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, ExprTrait, Query},
};
use time::OffsetDateTime;
use wa_domain::{
    event::{Event, EventId, EventPayload, NewEvent, SCHEMA_VERSION},
    ids::TenantId,
    ports::{EventLog, StoreError},
};

use crate::{
    convert::timestamp,
    entity::{event, tenant},
    error::{classify, corrupt},
    repo::{Params, begin_write, finish},
};

const TABLE: &str = "events";

/// Events per `INSERT`: 500 rows of 8 values stay far below both databases' parameter limits.
const CHUNK: usize = 500;

/// The event logs in the database.
#[derive(Debug, Clone)]
pub struct SqlEvents {
    db: DatabaseConnection,
}

impl SqlEvents {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The stored form of a payload: its type and the JSON text of its `data`.
fn split(payload: &EventPayload) -> Result<(&'static str, String), StoreError> {
    let mut value = serde_json::to_value(payload).map_err(|e| StoreError::Other(Box::new(e)))?;
    let data = value
        .get_mut("data")
        .map(serde_json::Value::take)
        .unwrap_or(serde_json::Value::Null);
    Ok((payload.kind(), data.to_string()))
}

/// The event of a row.
fn to_domain(row: event::Model) -> Result<Event, StoreError> {
    let data: serde_json::Value =
        serde_json::from_str(&row.payload).map_err(|e| corrupt(TABLE, e))?;
    let payload: EventPayload =
        serde_json::from_value(serde_json::json!({ "type": row.kind, "data": data }))
            .map_err(|e| corrupt(TABLE, e))?;
    Ok(Event {
        id: EventId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        seq: u64::try_from(row.seq).map_err(|e| corrupt(TABLE, e))?,
        occurred_at: row.occurred_at,
        recorded_at: row.recorded_at,
        schema: u16::try_from(row.schema).map_err(|e| corrupt(TABLE, e))?,
        payload,
    })
}

/// Appends `events` to the tenant's log inside the caller's transaction, numbered in order;
/// returns them as stored. Call it LAST in the transaction (see the module doc: lock order
/// rows → tenant). Nothing to append is a no-op that takes no lock.
///
/// # Errors
/// [`StoreError::NotFound`] for an unknown tenant.
pub(crate) async fn append_in<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    events: Vec<NewEvent>,
) -> Result<Vec<Event>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(events.len()).map_err(|e| StoreError::Other(Box::new(e)))?;
    let mut bump = Query::update();
    bump.table(tenant::Entity)
        .value(
            tenant::Column::EventSeq,
            Expr::col(tenant::Column::EventSeq).add(count),
        )
        .and_where(Expr::col(tenant::Column::Id).eq(tenant.as_uuid()))
        .returning_col(tenant::Column::EventSeq);
    let row = conn
        .query_one(&bump)
        .await
        .map_err(classify)?
        .ok_or(StoreError::NotFound)?;
    let last: i64 = row.try_get("", "event_seq").map_err(classify)?;
    let recorded_at = timestamp::normalize(OffsetDateTime::now_utc());
    let first = last - count + 1;
    let rows: Vec<_> = numbered(tenant, first, &events).collect();
    insert_numbered(conn, &rows, recorded_at).await?;
    Ok(stored_events(tenant, first, events, recorded_at))
}

/// Appends several tenants' events inside the caller's transaction (a group commit's batch):
/// the counters are locked in tenant-id order (so two batches cannot deadlock on them), moved
/// with one `UPDATE`, and every event goes in with one multi-row `INSERT` per [`CHUNK`]. A
/// tenant named twice has its events numbered in the order given. Call it LAST, like
/// [`append_in`].
///
/// # Errors
/// [`StoreError::NotFound`] when a tenant does not exist.
pub(crate) async fn append_groups_in<C: ConnectionTrait>(
    conn: &C,
    groups: Vec<(TenantId, Vec<NewEvent>)>,
) -> Result<(), StoreError> {
    let mut groups: Vec<(TenantId, Vec<NewEvent>)> = groups
        .into_iter()
        .filter(|(_, events)| !events.is_empty())
        .collect();
    // Stable: one tenant's events keep their order.
    groups.sort_by_key(|(tenant, _)| *tenant);
    let mut merged: Vec<(TenantId, Vec<NewEvent>)> = Vec::with_capacity(groups.len());
    for (tenant, events) in groups {
        match merged.last_mut() {
            Some((last, pending)) if *last == tenant => pending.extend(events),
            _ => merged.push((tenant, events)),
        }
    }
    if merged.len() <= 1 {
        for (tenant, events) in merged {
            append_in(conn, tenant, events).await?;
        }
        return Ok(());
    }
    let backend = conn.get_database_backend();
    if backend == DbBackend::Postgres {
        // Lock the counters in id order first: the `UPDATE` below locks in whatever order it
        // scans, and two batches must never take each other's tenants in opposite orders.
        // `NO KEY UPDATE`, the lock the `UPDATE` itself takes: `FOR UPDATE` would also wait for
        // the `KEY SHARE` locks other batches' foreign keys hold on these rows, and deadlock.
        let mut params = Params::new(backend);
        let ids: Vec<String> = merged
            .iter()
            .map(|(tenant, _)| params.bind(tenant.as_uuid().into()))
            .collect();
        let sql = format!(
            "SELECT id FROM tenants WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE",
            ids.join(", ")
        );
        conn.query_all_raw(params.statement(&sql))
            .await
            .map_err(classify)?;
    }
    let mut params = Params::new(backend);
    let mut cases = String::new();
    let mut ids = Vec::with_capacity(merged.len());
    for (tenant, events) in &merged {
        let id = params.bind(tenant.as_uuid().into());
        let count = i64::try_from(events.len()).map_err(|e| StoreError::Other(Box::new(e)))?;
        let add = params.bind(count.into());
        cases.push_str(&format!(" WHEN {id} THEN {add}"));
        ids.push(id);
    }
    let sql = format!(
        "UPDATE tenants SET event_seq = event_seq + CASE id{cases} END WHERE id IN ({}) \
         RETURNING id, event_seq",
        ids.join(", ")
    );
    let rows = conn
        .query_all_raw(params.statement(&sql))
        .await
        .map_err(classify)?;
    let mut lasts = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id").map_err(classify)?;
        let last: i64 = row.try_get("", "event_seq").map_err(classify)?;
        lasts.insert(id, last);
    }
    let mut rows = Vec::new();
    for (tenant, events) in &merged {
        let last = *lasts.get(&tenant.as_uuid()).ok_or(StoreError::NotFound)?;
        let count = i64::try_from(events.len()).map_err(|e| StoreError::Other(Box::new(e)))?;
        rows.extend(numbered(*tenant, last - count + 1, events));
    }
    let recorded_at = timestamp::normalize(OffsetDateTime::now_utc());
    insert_numbered(conn, &rows, recorded_at).await
}

/// A tenant's events numbered from `first`, as rows for [`insert_numbered`].
fn numbered(
    tenant: TenantId,
    first: i64,
    events: &[NewEvent],
) -> impl Iterator<Item = (TenantId, i64, &NewEvent)> {
    (first..)
        .zip(events)
        .map(move |(seq, new)| (tenant, seq, new))
}

/// Inserts events already numbered: `(tenant, seq, event)` rows, [`CHUNK`] per `INSERT`.
async fn insert_numbered<C: ConnectionTrait>(
    conn: &C,
    rows: &[(TenantId, i64, &NewEvent)],
    recorded_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let backend = conn.get_database_backend();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(event::Entity).columns([
            event::Column::TenantId,
            event::Column::Seq,
            event::Column::Id,
            event::Column::Kind,
            event::Column::Payload,
            event::Column::Schema,
            event::Column::OccurredAt,
            event::Column::RecordedAt,
        ]);
        for (tenant, seq, new) in chunk {
            let (kind, data) = split(&new.payload)?;
            // Cannot panic: eight columns, eight values.
            insert.values_panic([
                Expr::val(tenant.as_uuid()),
                Expr::val(*seq),
                Expr::val(new.id.as_uuid()),
                Expr::val(kind),
                Expr::val(data),
                Expr::val(i16::try_from(SCHEMA_VERSION).unwrap_or(i16::MAX)),
                Expr::val(timestamp::value(backend, new.occurred_at)),
                Expr::val(timestamp::value(backend, recorded_at)),
            ]);
        }
        conn.execute(&insert).await.map_err(classify)?;
    }
    Ok(())
}

/// The events as stored: numbered from `first`, times as the database keeps them.
fn stored_events(
    tenant: TenantId,
    first: i64,
    events: Vec<NewEvent>,
    recorded_at: OffsetDateTime,
) -> Vec<Event> {
    let first = u64::try_from(first).unwrap_or_default();
    events
        .into_iter()
        .enumerate()
        .map(|(index, mut new)| {
            new.occurred_at = timestamp::normalize(new.occurred_at);
            new.into_event(tenant, first + index as u64, recorded_at)
        })
        .collect()
}

#[async_trait]
impl EventLog for SqlEvents {
    async fn read(
        &self,
        tenant: TenantId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        event::Entity::find()
            .filter(event::Column::TenantId.eq(tenant.as_uuid()))
            .filter(event::Column::Seq.gt(after))
            .order_by_asc(event::Column::Seq)
            .limit(u64::from(limit))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn head(&self, tenant: TenantId) -> Result<u64, StoreError> {
        // The counter only ever holds committed numbers once its transaction commits, and
        // pruning never lowers it.
        let seq: Option<i64> = tenant::Entity::find()
            .select_only()
            .column(tenant::Column::EventSeq)
            .filter(tenant::Column::Id.eq(tenant.as_uuid()))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(classify)?;
        Ok(seq.and_then(|seq| u64::try_from(seq).ok()).unwrap_or(0))
    }

    async fn append(
        &self,
        tenant: TenantId,
        events: &[NewEvent],
    ) -> Result<Vec<Event>, StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = append_in(&txn, tenant, events.to_vec()).await;
        finish(txn, result).await
    }

    async fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let placeholder = |n: usize| match backend {
            sea_orm::DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        };
        // By key, oldest first: the subquery walks the `recorded_at` index and stops at `limit`.
        let sql = format!(
            "DELETE FROM {TABLE} WHERE (tenant_id, seq) IN (SELECT tenant_id, seq FROM {TABLE} \
             WHERE recorded_at < {} ORDER BY recorded_at LIMIT {})",
            placeholder(1),
            placeholder(2),
        );
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [timestamp::value(backend, before), i64::from(limit).into()],
        );
        let result = self.db.execute_raw(statement).await.map_err(classify)?;
        Ok(result.rows_affected())
    }
}
