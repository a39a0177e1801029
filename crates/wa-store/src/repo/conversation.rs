//! [`ConversationRepository`] over `whatsapp_conversations`: one row per (tenant, business
//! number, customer), since Meta keeps the window per business number. Every lookup by customer
//! is scoped to the tenant and the number; an identity change applies to the customer's rows with
//! every number of the tenant.
//!
//! A customer is found by BSUID first, then by phone number. When activity reveals that two
//! rows are the same customer (one known by BSUID, one by phone, or a number change onto a
//! number that already wrote), the rows are merged in the same transaction: messages move to
//! the surviving row, counts add up, and the window keeps the later expiry.
//!
//! The window only moves forward: `window_expires_at` is set with a `CASE` that keeps the later
//! of the stored and the new time (the portable `GREATEST`), in one `UPDATE`, so concurrent
//! and late webhooks can never shorten it.
//!
//! # Events
//! Appended last in the same transaction (`event_log::append_in`): `window.opened` when a
//! customer's message opens a window that was closed (or never open) at the time of the
//! message; `customer.updated` when a known customer's profile name, number or user id changes.
//! A message that moves the expiry forward clears `closing_notified_for` / `closed_notified_for`,
//! so the deadline worker announces the new expiry; [`SqlConversations`] also implements
//! [`WindowDeadlines`], the cross-tenant announcement of `window.closing` / `window.closed`.

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::{Expr, ExprTrait, OnConflict, Query, UpdateStatement},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    conversation::{Conversation, ConversationId, CustomerActivity, IdentityChange},
    customer::CustomerIdentity,
    event::{CustomerUpdated, EventPayload, NewEvent, WindowChange},
    ids::{PhoneNumberId, TenantId},
    message::Page,
    ports::{ConversationRepository, StoreError, WindowAnnouncements, WindowDeadlines},
    window::WINDOW_LENGTH,
};

use crate::{
    convert::{self, timestamp},
    entity::{
        whatsapp_conversation::{self, Column, Model},
        whatsapp_message,
    },
    error::{classify, corrupt},
    group_commit::{GroupCommit, Write, WriteFuture, Written},
    repo::{begin_write, event_log::append_in, finish, insert_row, keep_unless, latest},
};

const TABLE: &str = "whatsapp_conversations";

/// Conversations and windows in the database.
#[derive(Debug, Clone)]
pub struct SqlConversations {
    db: DatabaseConnection,
    commits: GroupCommit,
}

impl SqlConversations {
    pub(crate) fn new(db: DatabaseConnection, commits: GroupCommit) -> Self {
        Self { db, commits }
    }
}

/// [`ConversationRepository::record_outbound`] as a grouped write.
struct RecordOutbound {
    tenant: TenantId,
    number: PhoneNumberId,
    customer: CustomerIdentity,
    at: OffsetDateTime,
}

impl Write for RecordOutbound {
    type Output = ();

    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>> {
        Box::pin(async move {
            let written = Written {
                value: (),
                tenant: self.tenant,
                events: Vec::new(),
            };
            // A recipient known by one identifier alone (a phone number or a BSUID, as a send
            // addresses it) has nothing to merge or fill in: its row is counted in one
            // statement. Only when no row holds it yet does the full upsert run.
            let single = match (self.customer.bsuid(), self.customer.phone()) {
                (Some(bsuid), None) => Some((Column::CustomerBsuid, bsuid.as_str())),
                (None, Some(phone)) => Some((Column::CustomerPhone, phone.as_str())),
                _ => None,
            };
            if let Some((column, value)) = single {
                let row = RowKey::Identity(column, value);
                let counted =
                    count_activity(txn, self.tenant, &self.number, row, self.at, true, |_| {})
                        .await?;
                if counted == 1 {
                    return Ok(written);
                }
            }
            let id = upsert_identity(
                txn,
                self.tenant,
                &self.number,
                &self.customer,
                OffsetDateTime::now_utc(),
            )
            .await?;
            count_activity(
                txn,
                self.tenant,
                &self.number,
                RowKey::Id(id),
                self.at,
                true,
                |_| {},
            )
            .await?;
            Ok(written)
        })
    }
}

/// Whether a read locks the rows it returns until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// A plain read.
    No,
    /// `FOR UPDATE` on PostgreSQL; SQLite's write transactions run one at a time and need no
    /// row locks.
    ForUpdate,
}

async fn by_column<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    column: Column,
    value: Option<&str>,
    lock: Lock,
) -> Result<Option<Model>, StoreError> {
    let Some(value) = value else {
        return Ok(None);
    };
    locking(
        whatsapp_conversation::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::PhoneNumberId.eq(number.as_str()))
            .filter(column.eq(value)),
        conn,
        lock,
    )
    .one(conn)
    .await
    .map_err(classify)
}

/// One row by id, locked.
async fn locked_by_id<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: Uuid,
) -> Result<Model, StoreError> {
    locking(
        whatsapp_conversation::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::Id.eq(id)),
        conn,
        Lock::ForUpdate,
    )
    .one(conn)
    .await
    .map_err(classify)?
    .ok_or(StoreError::NotFound)
}

/// `select` with the row lock `lock` asks for, where the database has row locks.
fn locking<C: ConnectionTrait>(
    select: sea_orm::Select<whatsapp_conversation::Entity>,
    conn: &C,
    lock: Lock,
) -> sea_orm::Select<whatsapp_conversation::Entity> {
    if lock == Lock::ForUpdate && conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select.lock_exclusive()
    } else {
        select
    }
}

/// The rows holding the identity's BSUID and its phone number (possibly one row, or none), read
/// in that order (one order for every writer that locks them).
async fn rows_for<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
    lock: Lock,
) -> Result<(Option<Model>, Option<Model>), StoreError> {
    let by_bsuid = by_column(
        conn,
        tenant,
        number,
        Column::CustomerBsuid,
        customer.bsuid().map(|b| b.as_str()),
        lock,
    )
    .await?;
    let by_phone = by_column(
        conn,
        tenant,
        number,
        Column::CustomerPhone,
        customer.phone().map(|p| p.as_str()),
        lock,
    )
    .await?;
    Ok((by_bsuid, by_phone))
}

/// The customer's row: by BSUID first, then by phone number.
async fn find_row<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
    lock: Lock,
) -> Result<Option<Model>, StoreError> {
    let (by_bsuid, by_phone) = rows_for(conn, tenant, number, customer, lock).await?;
    Ok(by_bsuid.or(by_phone))
}

/// Inserts an empty conversation for the customer unless one exists (any unique index);
/// returns the new row's id, or `None` when a row was already there.
async fn insert_if_absent<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
    now: OffsetDateTime,
) -> Result<Option<Uuid>, StoreError> {
    let backend = conn.get_database_backend();
    let mut stmt = insert_row(
        whatsapp_conversation::Entity,
        vec![
            (Column::Id, Value::from(Uuid::now_v7())),
            (Column::TenantId, tenant.as_uuid().into()),
            (Column::PhoneNumberId, number.as_str().into()),
            (
                Column::CustomerPhone,
                customer.phone().map(|p| p.as_str().to_owned()).into(),
            ),
            (
                Column::CustomerBsuid,
                customer.bsuid().map(|b| b.as_str().to_owned()).into(),
            ),
            (Column::MessageCount, 0_i64.into()),
            (Column::CreatedAt, timestamp::value(backend, now)),
            (Column::UpdatedAt, timestamp::value(backend, now)),
        ],
    );
    stmt.on_conflict(OnConflict::new().do_nothing().to_owned())
        .returning_col(Column::Id);
    match conn.query_one(&stmt).await.map_err(classify)? {
        Some(row) => Ok(Some(row.try_get("", "id").map_err(classify)?)),
        None => Ok(None),
    }
}

/// The id of the customer's conversation, creating it (without a window) if needed. Used when
/// storing a message, which must belong to a conversation.
pub(crate) async fn ensure_conversation<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    if let Some(row) = find_row(conn, tenant, number, customer, Lock::No).await? {
        return Ok(row.id);
    }
    if let Some(id) = insert_if_absent(conn, tenant, number, customer, now).await? {
        return Ok(id);
    }
    // Another writer stored the customer in between.
    find_row(conn, tenant, number, customer, Lock::No)
        .await?
        .map(|row| row.id)
        .ok_or_else(|| corrupt(TABLE, "conversation vanished after insert"))
}

/// Folds `drop` into `keep`: its messages move over, counts add up, times keep the later value,
/// and names and identities fill gaps. `drop` is deleted.
async fn merge<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    keep: &Model,
    drop: &Model,
) -> Result<(), StoreError> {
    let backend = conn.get_database_backend();
    let move_messages = Query::update()
        .table(whatsapp_message::Entity)
        .value(whatsapp_message::Column::ConversationId, keep.id)
        .and_where(Expr::col(whatsapp_message::Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(whatsapp_message::Column::ConversationId).eq(drop.id))
        .to_owned();
    conn.execute(&move_messages).await.map_err(classify)?;
    // Deleted before `keep` takes over its identity, so the unique indexes never see both.
    let delete = Query::delete()
        .from_table(whatsapp_conversation::Entity)
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::Id).eq(drop.id))
        .to_owned();
    conn.execute(&delete).await.map_err(classify)?;

    let mut stmt = Query::update();
    stmt.table(whatsapp_conversation::Entity).value(
        Column::MessageCount,
        Expr::col(Column::MessageCount).add(drop.message_count),
    );
    for (column, at) in [
        (Column::WindowOpenedAt, drop.window_opened_at),
        (Column::WindowExpiresAt, drop.window_expires_at),
        (Column::LastMessageAt, drop.last_message_at),
    ] {
        if let Some(at) = at {
            stmt.value(column, latest(column, timestamp::value(backend, at)));
        }
    }
    for (column, value) in [
        (Column::CustomerName, &drop.customer_name),
        (Column::CustomerBsuid, &drop.customer_bsuid),
        (Column::CustomerPhone, &drop.customer_phone),
        (Column::CustomerUsername, &drop.customer_username),
    ] {
        // The surviving row's own value wins; the dropped row only fills gaps.
        stmt.value(
            column,
            sea_orm::sea_query::Func::coalesce([Expr::col(column), Expr::val(value.clone())]),
        );
    }
    stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::Id).eq(keep.id));
    conn.execute(&stmt).await.map_err(classify)?;
    Ok(())
}

/// The customer's row with `customer`'s identity merged in, creating or merging rows as needed.
async fn upsert_identity<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    customer: &CustomerIdentity,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let keep = match rows_for(conn, tenant, number, customer, Lock::No).await? {
        (Some(by_bsuid), Some(by_phone)) if by_bsuid.id != by_phone.id => {
            merge(conn, tenant, &by_bsuid, &by_phone).await?;
            by_bsuid.id
        }
        (Some(row), _) | (None, Some(row)) => row.id,
        (None, None) => return ensure_conversation(conn, tenant, number, customer, now).await,
    };
    set_identity(conn, tenant, keep, customer).await?;
    Ok(keep)
}

/// Writes the identity's known values over the row's (what `CustomerIdentity::merged_with` does).
async fn set_identity<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: Uuid,
    customer: &CustomerIdentity,
) -> Result<(), StoreError> {
    let stmt = Query::update()
        .table(whatsapp_conversation::Entity)
        .value(
            Column::CustomerBsuid,
            keep_unless(
                Column::CustomerBsuid,
                customer.bsuid().map(|b| b.as_str().to_owned()).into(),
            ),
        )
        .value(
            Column::CustomerPhone,
            keep_unless(
                Column::CustomerPhone,
                customer.phone().map(|p| p.as_str().to_owned()).into(),
            ),
        )
        .and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
        .and_where(Expr::col(Column::Id).eq(id))
        .to_owned();
    conn.execute(&stmt).await.map_err(classify)?;
    Ok(())
}

/// Which conversation row a statement changes.
enum RowKey<'a> {
    /// The row with this id.
    Id(Uuid),
    /// The row whose identity column holds this value (a unique index per tenant and number).
    Identity(Column, &'a str),
}

/// Counts a message and moves `last_message_at` forward, plus whatever `extra` sets; returns
/// how many rows changed (0 or 1).
async fn count_activity<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    row: RowKey<'_>,
    at: OffsetDateTime,
    count: bool,
    extra: impl FnOnce(&mut UpdateStatement),
) -> Result<u64, StoreError> {
    let backend = conn.get_database_backend();
    let mut stmt = Query::update();
    stmt.table(whatsapp_conversation::Entity)
        .value(
            Column::LastMessageAt,
            latest(Column::LastMessageAt, timestamp::value(backend, at)),
        )
        .value(
            Column::UpdatedAt,
            Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
        );
    if count {
        stmt.value(Column::MessageCount, Expr::col(Column::MessageCount).add(1));
    }
    extra(&mut stmt);
    stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()));
    match row {
        RowKey::Id(id) => stmt.and_where(Expr::col(Column::Id).eq(id)),
        RowKey::Identity(column, value) => stmt
            .and_where(Expr::col(Column::PhoneNumberId).eq(number.as_str()))
            .and_where(Expr::col(column).eq(value)),
    };
    let result = conn.execute(&stmt).await.map_err(classify)?;
    Ok(result.rows_affected())
}

/// The events of a customer's message: `window.opened` when the window was closed (or never
/// open) when they wrote, `customer.updated` when a known customer's name or identity changed.
fn activity_events(
    before: Option<&Model>,
    after: &Conversation,
    activity: &CustomerActivity,
) -> Result<Vec<NewEvent>, StoreError> {
    let mut events = Vec::new();
    if let Some(before) = before {
        let before = convert::conversation::to_domain(before.clone())?;
        let renamed = before.profile_name.is_some() && before.profile_name != after.profile_name;
        if renamed || before.customer != after.customer {
            events.push(NewEvent::new(
                activity.at,
                EventPayload::CustomerUpdated(CustomerUpdated {
                    conversation_id: after.id,
                    customer: after.customer.clone(),
                    previous: (before.customer != after.customer).then_some(before.customer),
                    profile_name: after.profile_name.clone(),
                }),
            ));
        }
    }
    let was_open = before
        .and_then(|row| row.window_expires_at)
        .is_some_and(|expires_at| expires_at > activity.at);
    if activity.opens_window
        && !was_open
        && let Some(window) = &after.window
    {
        events.push(NewEvent::new(
            activity.at,
            EventPayload::WindowOpened(WindowChange {
                conversation_id: after.id,
                customer: after.customer.clone(),
                expires_at: window.expires_at,
            }),
        ));
    }
    Ok(events)
}

async fn load<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    id: Uuid,
) -> Result<Conversation, StoreError> {
    whatsapp_conversation::Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::Id.eq(id))
        .one(conn)
        .await
        .map_err(classify)?
        .ok_or(StoreError::NotFound)
        .and_then(convert::conversation::to_domain)
}

#[async_trait]
impl ConversationRepository for SqlConversations {
    async fn find(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
    ) -> Result<Option<Conversation>, StoreError> {
        find_row(&self.db, tenant, number, customer, Lock::No)
            .await?
            .map(convert::conversation::to_domain)
            .transpose()
    }

    async fn record_activity(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        activity: &CustomerActivity,
    ) -> Result<Conversation, StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            let backend = txn.get_database_backend();
            let now = OffsetDateTime::now_utc();
            // The row as it was, locked first: a concurrent message of the same customer waits
            // here and then sees this one's window, so `window.opened` is written once.
            let before =
                find_row(&txn, tenant, number, &activity.customer, Lock::ForUpdate).await?;
            let id = upsert_identity(&txn, tenant, number, &activity.customer, now).await?;
            let before = match before {
                Some(row) => Some(row),
                // New to us: the row is ours (empty), or a concurrent writer's, committed with
                // its own activity; either way its locked state is what this message found.
                None => Some(locked_by_id(&txn, tenant, id).await?),
            };
            let new_expiry = timestamp::value(backend, activity.at + WINDOW_LENGTH);
            count_activity(
                &txn,
                tenant,
                number,
                RowKey::Id(id),
                activity.at,
                activity.count_message,
                |stmt| {
                    stmt.value(
                        Column::CustomerName,
                        keep_unless(Column::CustomerName, activity.profile_name.clone().into()),
                    );
                    if activity.opens_window {
                        stmt.value(
                            Column::WindowOpenedAt,
                            latest(
                                Column::WindowOpenedAt,
                                timestamp::value(backend, activity.at),
                            ),
                        )
                        .value(
                            Column::WindowExpiresAt,
                            latest(Column::WindowExpiresAt, new_expiry.clone()),
                        );
                        // A later expiry has not been announced yet.
                        for column in [Column::ClosingNotifiedFor, Column::ClosedNotifiedFor] {
                            let moves = Expr::col(Column::WindowExpiresAt)
                                .is_null()
                                .or(Expr::col(Column::WindowExpiresAt).lt(new_expiry.clone()));
                            let cleared =
                                Expr::case(moves, Expr::val(timestamp::optional(backend, None)))
                                    .finally(Expr::col(column));
                            stmt.value(column, cleared);
                        }
                    }
                },
            )
            .await?;
            let after = load(&txn, tenant, id).await?;
            let events = activity_events(before.as_ref(), &after, activity)?;
            append_in(&txn, tenant, events).await?;
            Ok(after)
        }
        .await;
        finish(txn, result).await
    }

    async fn record_outbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.commits
            .run(RecordOutbound {
                tenant,
                number: number.clone(),
                customer: customer.clone(),
                at,
            })
            .await
    }

    async fn change_identity(
        &self,
        tenant: TenantId,
        change: &IdentityChange,
    ) -> Result<(), StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            // The customer changed for every business number of the tenant.
            for number in numbers_with(&txn, tenant, &change.previous).await? {
                change_identity_for(&txn, tenant, &number, change).await?;
            }
            Ok(())
        }
        .await;
        finish(txn, result).await
    }

    async fn list_open(
        &self,
        tenant: TenantId,
        now: OffsetDateTime,
        page: Page<ConversationId>,
    ) -> Result<Vec<Conversation>, StoreError> {
        list_open(&self.db, tenant, now, page).await
    }
}

/// The tenant's business numbers that have a conversation with the customer (by BSUID or phone
/// number), in order.
async fn numbers_with<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    customer: &CustomerIdentity,
) -> Result<Vec<PhoneNumberId>, StoreError> {
    let mut matches = sea_orm::Condition::any();
    if let Some(bsuid) = customer.bsuid() {
        matches = matches.add(Column::CustomerBsuid.eq(bsuid.as_str()));
    }
    if let Some(phone) = customer.phone() {
        matches = matches.add(Column::CustomerPhone.eq(phone.as_str()));
    }
    let numbers: Vec<Option<String>> = whatsapp_conversation::Entity::find()
        .select_only()
        .column(Column::PhoneNumberId)
        .distinct()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(matches)
        .order_by_asc(Column::PhoneNumberId)
        .into_tuple()
        .all(conn)
        .await
        .map_err(classify)?;
    numbers
        .into_iter()
        .map(|number| convert::conversation::business_number(TABLE, number))
        .collect()
}

/// [`ConversationRepository::change_identity`] for the customer's conversation with one number.
async fn change_identity_for<C: ConnectionTrait>(
    txn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    change: &IdentityChange,
) -> Result<(), StoreError> {
    let Some(source) = find_row(txn, tenant, number, &change.previous, Lock::No).await? else {
        return Ok(());
    };
    let previous = convert::conversation::to_domain(source.clone())?;
    // A row already holding the new number or user id is the same customer: fold it in.
    let (by_bsuid, by_phone) = rows_for(txn, tenant, number, &change.current, Lock::No).await?;
    let mut merged = Vec::new();
    for other in [by_bsuid, by_phone].into_iter().flatten() {
        if other.id != source.id && !merged.contains(&other.id) {
            merge(txn, tenant, &source, &other).await?;
            merged.push(other.id);
        }
    }
    set_identity(txn, tenant, source.id, &change.current).await?;
    let after = load(txn, tenant, source.id).await?;
    if after.customer != previous.customer {
        let event = NewEvent::new(
            OffsetDateTime::now_utc(),
            EventPayload::CustomerUpdated(CustomerUpdated {
                conversation_id: after.id,
                customer: after.customer,
                previous: Some(previous.customer),
                profile_name: after.profile_name,
            }),
        );
        append_in(txn, tenant, vec![event]).await?;
    }
    Ok(())
}

/// [`ConversationRepository::list_open`].
async fn list_open(
    db: &DatabaseConnection,
    tenant: TenantId,
    now: OffsetDateTime,
    page: Page<ConversationId>,
) -> Result<Vec<Conversation>, StoreError> {
    let backend = db.get_database_backend();
    let mut query = whatsapp_conversation::Entity::find()
        .filter(Column::TenantId.eq(tenant.as_uuid()))
        .filter(Column::WindowExpiresAt.gt(timestamp::value(backend, now)));
    if let Some(after) = page.after {
        // Keyset on (expiry, id): continue after the cursor conversation's position.
        let cursor = whatsapp_conversation::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::Id.eq(after.as_uuid()))
            .one(db)
            .await
            .map_err(classify)?;
        let Some(expires_at) = cursor.and_then(|row| row.window_expires_at) else {
            return Ok(Vec::new());
        };
        let expires_at = timestamp::value(backend, expires_at);
        query = query.filter(
            Column::WindowExpiresAt
                .gt(expires_at.clone())
                .or(Column::WindowExpiresAt
                    .eq(expires_at)
                    .and(Column::Id.gt(after.as_uuid()))),
        );
    }
    query
        .order_by_asc(Column::WindowExpiresAt)
        .order_by_asc(Column::Id)
        .limit(u64::from(page.limit))
        .all(db)
        .await
        .map_err(classify)?
        .into_iter()
        .map(convert::conversation::to_domain)
        .collect()
}

/// A window whose deadline is due to be announced.
struct DueWindow {
    row: Model,
    expires_at: OffsetDateTime,
}

#[async_trait]
impl WindowDeadlines for SqlConversations {
    async fn announce_due(
        &self,
        now: OffsetDateTime,
        lead: time::Duration,
        limit: u32,
    ) -> Result<WindowAnnouncements, StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            let backend = txn.get_database_backend();
            let now_value = timestamp::value(backend, now);
            // Only windows whose close is still to be announced (the partial index), that
            // expire within the lead time, and that are either expired or not yet announced as
            // closing.
            let mut query = whatsapp_conversation::Entity::find()
                .filter(Column::WindowExpiresAt.is_not_null())
                .filter(Column::ClosedNotifiedFor.is_null())
                .filter(Column::WindowExpiresAt.lte(timestamp::value(backend, now + lead)))
                .filter(
                    Column::WindowExpiresAt
                        .lte(now_value)
                        .or(Column::ClosingNotifiedFor.is_null()),
                )
                .order_by_asc(Column::WindowExpiresAt)
                .limit(u64::from(limit));
            if backend == sea_orm::DbBackend::Postgres {
                // Another process announcing at the same time takes other windows.
                query = query.lock_with_behavior(
                    sea_orm::sea_query::LockType::Update,
                    sea_orm::sea_query::LockBehavior::SkipLocked,
                );
            }
            let due: Vec<DueWindow> = query
                .all(&txn)
                .await
                .map_err(classify)?
                .into_iter()
                .filter_map(|row| {
                    row.window_expires_at
                        .map(|expires_at| DueWindow { row, expires_at })
                })
                .collect();
            let mut announced = WindowAnnouncements::default();
            let mut by_tenant: std::collections::BTreeMap<Uuid, Vec<NewEvent>> =
                std::collections::BTreeMap::new();
            for window in due {
                let tenant = TenantId::from_uuid(window.row.tenant_id);
                let closed = window.expires_at <= now;
                let expires = timestamp::value(backend, window.expires_at);
                let mut stmt = Query::update();
                stmt.table(whatsapp_conversation::Entity)
                    .value(Column::ClosingNotifiedFor, Expr::val(expires.clone()));
                if closed {
                    stmt.value(Column::ClosedNotifiedFor, Expr::val(expires.clone()));
                }
                stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
                    .and_where(Expr::col(Column::Id).eq(window.row.id))
                    .and_where(Expr::col(Column::WindowExpiresAt).eq(expires));
                txn.execute(&stmt).await.map_err(classify)?;
                let conversation = convert::conversation::to_domain(window.row)?;
                let change = WindowChange {
                    conversation_id: conversation.id,
                    customer: conversation.customer,
                    expires_at: window.expires_at,
                };
                let event = if closed {
                    announced.closed += 1;
                    NewEvent::new(window.expires_at, EventPayload::WindowClosed(change))
                } else {
                    announced.closing += 1;
                    NewEvent::new(now, EventPayload::WindowClosing(change))
                };
                by_tenant.entry(tenant.as_uuid()).or_default().push(event);
            }
            // Last, tenants in id order: every conversation lock is already held.
            for (tenant, events) in by_tenant {
                append_in(&txn, TenantId::from_uuid(tenant), events).await?;
            }
            Ok(announced)
        }
        .await;
        finish(txn, result).await
    }
}
